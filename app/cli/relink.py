"""``clipdesk relink P --video N NEWPATH``: tell the project where its video is now.

The file at ``NEWPATH`` must be the same video (size and sampled bytes,
:mod:`core.store.fingerprint`); a different file is refused with one line: analyse it as a new
video instead. A video is never re-pointed silently.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("relink", help="point a project's video at its new location (same file only)")
    p.add_argument("project", metavar="P", help="project file (.clipdesk)")
    p.add_argument("--video", metavar="N", help="video id or file name (default: the only video)")
    p.add_argument("new_path", metavar="NEWPATH", help="where the video is now")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from core.errors import ClipDeskError
    from core.export import resolve_video
    from core.store.project import Project

    path = Path(args.project)
    if not path.is_file():
        raise ClipDeskError(f"{path}: no such project")
    with Project(path, create=False) as project:
        videos = project.videos()
        if args.video is None and len(videos) > 1:
            names = ", ".join(f"{v.id}:{v.name}" for v in videos)
            raise ClipDeskError(f"{path} holds {len(videos)} videos; say which with --video N ({names})")
        video = resolve_video(project, args.video, verify=False)
        new = project.relink(video.id, args.new_path)
    print(f"video {new.id}: {video.path} -> {new.path}", file=sys.stderr)
    return 0
