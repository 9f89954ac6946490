"""``clipdesk export P --format FMT [--track T] [--video N] --out FILE`` (INTERFACES.md).

``--out`` passes the output guard (:func:`core.export.paths.check_output`: never the project,
its companions, a source video or a model file; a folder gets the default name) and is written
atomically. Runs on the calling thread; all work is in :mod:`core.export`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.errors import ClipDeskError
from core.export import FORMATS, ExportError, export, render, resolve_video
from core.export.paths import atomic_target, check_output, project_inputs
from core.store.project import PROJECT_SUFFIX, Project, project_path_for


def register(sub: argparse._SubParsersAction) -> None:
    formats = ", ".join(f"{f.name} ({f.help})" for f in FORMATS.values())
    p = sub.add_parser("export", help="export segments for editors, players and scripts",
                       description=f"Formats: {formats}.")
    p.add_argument("project", metavar="P", help="project file (or the video it sits beside)")
    # Checked in run() rather than by argparse so a bad value is a one-line error like the others.
    p.add_argument("--format", "-f", default="json", metavar="FMT",
                   help="|".join([*FORMATS, *TRAINING_FORMATS]))
    p.add_argument("--track", "-t", action="append", metavar="T",
                   help="track(s) to export (repeat or comma-separate; default: per format)")
    p.add_argument("--video", metavar="N", help="video id or file name (default: the first video)")
    p.add_argument("--out", "-o", metavar="FILE",
                   help="output file or folder, '-' for standard output (default: beside the project)")
    p.set_defaults(func=run)


def _project_path(arg: str) -> Path:
    path = Path(arg)
    if path.suffix != PROJECT_SUFFIX and path.is_file() and project_path_for(path).is_file():
        return project_path_for(path)  # a video was given: its project sits beside it
    return path


# Action labels with their pose tracks, for training elsewhere (core/actions/formats.py).
TRAINING_FORMATS = {"pyskl": ".pkl", "coco": ".json", "activitynet": ".json"}


def _export_training(args: argparse.Namespace) -> int:
    from core.actions.formats import export_labels

    path = _project_path(args.project)
    if not path.is_file():
        raise ClipDeskError(f"{path}: no such project")
    if args.out == "-":
        raise ClipDeskError(f"--format {args.format} writes a file; give --out FILE")
    with Project(path, create=False) as project:
        video = resolve_video(project, args.video) if args.video or args.format == "coco" else None
        name = f"{path.stem}.{args.format}{TRAINING_FORMATS[args.format]}"
        out = check_output(args.out or path.with_name(name), project_inputs(project), default_name=name)
        with atomic_target(out) as tmp:
            counts = export_labels(project, tmp, args.format, video.id if video else None)
    print(f"{args.format}: {counts} -> {out}", file=sys.stderr)
    return 0


def run(args: argparse.Namespace) -> int:
    if args.format in TRAINING_FORMATS:
        return _export_training(args)
    fmt = FORMATS.get(args.format)
    if fmt is None:
        known = ", ".join([*FORMATS, *TRAINING_FORMATS])
        raise ExportError(f"unknown export format '{args.format}' (choose from {known})")
    tracks = [t.strip() for item in (args.track or []) for t in item.split(",") if t.strip()] or None
    path = _project_path(args.project)
    if not path.is_file():
        raise ClipDeskError(f"{path}: no such project")
    with Project(path, create=False) as project:
        video = resolve_video(project, args.video)
        if args.out == "-":
            sys.stdout.write(render(project, video.id, fmt.name, tracks))
            return 0
        tag = "" if fmt.suffix == f".{fmt.name}" else f".{fmt.name}"
        name = f"{path.stem}{tag}{fmt.suffix}"
        out = check_output(args.out or path.with_name(name), project_inputs(project), default_name=name)
        written = export(project, video.id, fmt.name, out, tracks)
    print(f"{fmt.name}: {video.name} -> {written}", file=sys.stderr)
    return 0
