"""``clipdesk search P --image IMAGE [--top K] [--json] [--library] [--video N]`` (INTERFACES.md).

Finds the moments that look like IMAGE in the project's videos (or in every library project),
building what is missing first: embeddings for videos not yet analyzed by the ``search`` stage,
then the faiss index. Prints a table, or with ``--json`` ``[{"video", "frame", "time",
"score"}, ...]`` best first. Runs on the calling thread.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.cli import argtypes
from core.errors import ClipDeskError, ProjectError
from core.media.image import read_image
from core.store.project import Project, project_path_for


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="find moments that look like an image")
    p.add_argument("project", metavar="P", help="project file (or the video it sits beside)")
    p.add_argument("--image", "-i", required=True, metavar="IMAGE", help="query image (png, jpg, ...)")
    p.add_argument("--top", "-k", type=argtypes.integer(1, 1000), default=10, metavar="K",
                   help="number of hits, 1..1000 (default 10)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--library", action="store_true", help="search every project in the library")
    p.add_argument("--video", metavar="N", help="only this video (id or file name)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress while building")
    p.set_defaults(func=run)


def _project_path(arg: str) -> Path:
    path = Path(arg)
    if path.is_file() and path.suffix != ".clipdesk" and project_path_for(path).is_file():
        return project_path_for(path)
    return path


def ensure_embeddings(project: Project, quiet: bool = True) -> int:
    """Embeddings for every video of ``project`` (``models.search.query``), warnings on stderr."""
    from models.search.query import ensure_embeddings as ensure

    def warn(msg: str) -> None:
        print(f"clipdesk: warning: {msg}", file=sys.stderr)

    progress = None
    if not quiet:
        from app.cli.progress import TerminalProgress

        progress = TerminalProgress()
    return ensure(project, progress, warn)


def run(args: argparse.Namespace) -> int:
    from models.search.index import ProjectSearch, register_project, search_library

    image = read_image(args.image)  # size-checked before decoding (core.media.image)
    path = _project_path(args.project)
    if not path.exists():
        raise ProjectError(f"{path}: no such project")
    with Project(path, create=False) as project:
        if not project.videos():
            raise ProjectError(f"{path}: the project has no videos (run clipdesk analyze first)")
        ensure_embeddings(project, quiet=args.quiet or args.json)
        register_project(path)
        video_id = None
        if args.video:
            vids = project.videos()
            match = [v for v in vids if str(v.id) == args.video or v.name == args.video]
            if not match:
                raise ClipDeskError(f"no video {args.video!r} in {path}")
            video_id = match[0].id
        if args.library:
            hits = search_library(image, args.top)
        else:
            hits = ProjectSearch(project).search(image, args.top, video_id=video_id)
    if args.json:
        print(json.dumps([h.to_json() for h in hits]))
    else:
        for rank, h in enumerate(hits, 1):
            print(f"{rank:3d}  {h.score:6.3f}  {h.video}  frame {h.frame}  {h.time:9.3f}s")
        if not hits:
            print("no matches")
    return 0


__all__ = ["ensure_embeddings", "register", "run"]
