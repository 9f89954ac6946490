"""``clipdesk clip P --start S --end S [--aspect 9:16|4:5|1:1|source] [--size WxH] [--out OUT.mp4]
[--crop-path OUT.json] [--gif] [--still]`` (INTERFACES.md).

Exports a frame-exact H.264/AAC clip of the project's video, reframed along its crop path (planned
from the persons track if the project has none yet for that aspect). Times must be finite and
inside the video, aspects and sizes sane (:mod:`app.cli.argtypes`); ``--out`` and ``--crop-path``
pass the output guard (never the project, its companions or a source video; a folder gets the
default name). Runs on the main thread.
"""

from __future__ import annotations

import argparse
import sys
from fractions import Fraction
from pathlib import Path

from app.cli import argtypes
from app.cli.progress import TerminalProgress
from core.errors import ClipDeskError
from core.progress import Task
from core.store.project import Project


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("clip", help="export a clip (horizontal or reframed vertical) from a project")
    p.add_argument("project", metavar="P", help="project file (.clipdesk) or the video beside it")
    p.add_argument("--start", type=argtypes.seconds(), required=True, help="in point, seconds")
    p.add_argument("--end", type=argtypes.seconds(allow_low=False), required=True,
                   help="out point, seconds (exclusive)")
    p.add_argument("--aspect", type=argtypes.aspect, default=None,
                   help="9:16 (default), 4:5, 1:1, 16:9, any W:H from 1:4 to 4:1, or source")
    p.add_argument("--size", type=argtypes.size, default=None, help="exact output size WxH, e.g. 1080x1920")
    p.add_argument("--out", default=None,
                   help="output .mp4 (or .gif), or a folder for the default name (default: beside the video)")
    p.add_argument("--crop-path", dest="crop_path", default=None, help="write the crop used as JSON")
    p.add_argument("--video", type=argtypes.integer(1, 2**31 - 1), default=None,
                   help="video id when the project holds several")
    p.add_argument("--gif", action="store_true", help="write an animated GIF instead of an MP4")
    p.add_argument("--no-overlay", dest="overlay", action="store_false",
                   help="do not re-place the scoreboard inside the vertical frame")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _open_project(arg: str) -> Project:
    path = Path(arg)
    if path.suffix != ".clipdesk" and path.exists() and not path.is_dir():
        cand = path.with_suffix(".clipdesk")
        if cand.exists():
            path = cand
    return Project(path, create=False)


def _has_persons(project: Project, video_id: int) -> bool:
    from core.persons.poses import POSE_SIGNAL, latest_signal_key

    return latest_signal_key(project, video_id, POSE_SIGNAL) is not None


def _note_upscale(src: tuple[int, int], asp: Fraction | None, size: tuple[int, int] | None,
                  quiet: bool) -> None:
    """One note when ``--size`` scales the crop up more than twice (soft, blurry output)."""
    from core.reframe.aspect import Rect, crop_size

    if size is None or quiet:
        return
    cw, ch = crop_size(Rect(0, 0, *src), asp)
    factor = max(size[0] / max(1, cw), size[1] / max(1, ch))
    if factor > 2:
        print(f"clipdesk: note: --size {size[0]}x{size[1]} scales the {cw}x{ch} crop up {factor:.1f}x; "
              "the clip will look soft", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from core.export.clip import check_size_aspect, clip_range, export_gif, export_project_clip
    from core.export.paths import check_output, project_inputs
    from core.reframe.aspect import aspect_label, parse_aspect
    from core.reframe.plan import video_crop_path

    size: tuple[int, int] | None = args.size
    aspect = args.aspect or (f"{size[0]}:{size[1]}" if size else "9:16")
    label = aspect_label(parse_aspect(aspect))
    check_size_aspect(size, parse_aspect(aspect))
    with _open_project(args.project) as project:
        videos = project.videos()
        if not videos:
            raise ClipDeskError(f"{args.project}: the project has no video; run clipdesk analyze first")
        video = next((v for v in videos if v.id == args.video), None) if args.video else videos[0]
        if video is None:
            raise ClipDeskError(f"no video {args.video} in {args.project}")
        source = project.video_file(video.id)  # missing or changed: one line
        clock = project.clock(video.id)
        start, end = clip_range(clock, args.start, args.end)
        suffix = ".gif" if args.gif else ".mp4"
        tag = "" if label == "source" else "_" + label.replace(":", "x")
        name = f"{Path(video.path).stem}_{args.start:g}-{args.end:g}{tag}{suffix}"
        inputs = project_inputs(project)
        out = check_output(args.out or Path(video.path).with_name(name), inputs, default_name=name)
        crop_path = None
        if args.crop_path is not None:
            crop_path = check_output(args.crop_path, [*inputs, out], what="--crop-path",
                                     default_name=Path(name).stem + ".crop.json")
        if label != "source" and not args.quiet and not _has_persons(project, video.id):
            print("clipdesk: note: no persons analysed for this video, so the crop is centred; run "
                  "`clipdesk analyze VIDEO --stages persons` for a crop that follows the action",
                  file=sys.stderr)
        bar = TerminalProgress(enabled=False if args.quiet else None)
        task = Task(on_progress=bar)
        try:
            if args.gif:
                rects = None
                if label != "source":
                    rects = video_crop_path(project, video.id, label, task).rects(start, end)
                res = export_gif(source, clock, start, end, out, rects, rotation=video.info.rotation,
                                 task=task)
            else:
                res = export_project_clip(project, video.id, start, end, out, label, size, crop_path,
                                          overlay=args.overlay, task=task)
        finally:
            bar.done()
        _note_upscale(video.info.display_size, parse_aspect(aspect), size, args.quiet)
        if not args.quiet:
            print(f"{res.path}: {res.frames} frames, {res.size[0]}x{res.size[1]}, {res.duration:.3f} s"
                  + (", audio" if res.has_audio else ", no audio"))
    return 0
