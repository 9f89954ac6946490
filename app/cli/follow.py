"""``clipdesk analyze --follow SOURCE [--until T] [--idle S] [--chunk S] [--reel-dir D]``.

SOURCE is a recording still being written (MPEG-TS, fragmented MP4, Matroska) or an HLS playlist
on disk (``.m3u8`` + segments). The analysis reads up to the live edge, waits, goes on, and
commits its results every ``--chunk`` seconds of media (the window's timeline grows); each new
score change gets a still and a GIF in ``<project>.live/goals/``. At the end of the stream
(``#EXT-X-ENDLIST``, no growth for ``--idle`` seconds, or ``--until``) every stage finishes as an
offline analysis would, the reel (preset ``reel`` unless the project has highlight settings) and
its per-highlight clips are written to ``<project>.live/reel/`` (or ``--reel-dir``), and the command
exits 0. A killed follower run again continues (see :mod:`core.live.follow`). Runs on the main
thread (:mod:`core.live`).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from app.cli import argtypes
from app.cli.progress import TerminalProgress
from core.errors import ClipDeskError
from core.progress import Task
from core.store.project import Project, project_path_for

log = logging.getLogger(__name__)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The follow options of ``clipdesk analyze`` (small: analyze.py calls this)."""
    g = p.add_argument_group("following a recording while it is written")
    g.add_argument("--follow", action="store_true",
                   help="VIDEO is still being written (TS, fragmented MP4, MKV) or an HLS .m3u8: "
                        "analyse up to the live edge, wait for more, finish at the end")
    g.add_argument("--until", type=_clock, metavar="T",
                   help="with --follow: stop at this media time (seconds or [h:]mm:ss)")
    g.add_argument("--idle", type=argtypes.seconds(0.5, 3600.0), default=10.0, metavar="S",
                   help="with --follow: the stream ended when nothing new came for S seconds (10)")
    g.add_argument("--chunk", type=argtypes.seconds(1.0, 600.0), default=10.0, metavar="S",
                   help="with --follow: commit results every S seconds of media (10)")
    g.add_argument("--reel-dir", dest="reel_dir", metavar="D",
                   help="with --follow: where the reel and its clips go (default <project>.live/reel)")


def _clock(text: str) -> float:
    parts = text.strip().split(":")
    try:
        if len(parts) > 3 or not all(parts):
            raise ValueError
        v = 0.0
        for p in parts:
            v = v * 60 + float(p)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be seconds or [h:]mm:ss, not {text!r}") from None
    if not (0 < v <= 48 * 3600):
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 48 h, not {text}")
    return v


def live_stages(project: Project, wanted: list[str] | None, device: str) -> list:
    """The stages to follow with: as ``analyze`` would run them, highlights on the ``reel`` preset
    unless the project has its own highlight settings."""
    from app.cli.analyze import analysis_settings, check_model_files
    from core.highlights.reel import SETTING_KEY
    from core.highlights.stage import HighlightStage
    from core.pipeline import order_stages
    from models.stages import available_stages

    settings = analysis_settings(project)
    stages = order_stages(available_stages(settings, device=device), wanted)
    check_model_files(project, stages)
    if settings.get(SETTING_KEY) is None:
        stages = [HighlightStage("reel") if s.name == "highlights" else s for s in stages]
    return stages


def run_follow(args: argparse.Namespace) -> int:
    from core.export.paths import check_folder, project_inputs
    from core.live.follow import FollowOptions, follow
    from core.live.source import is_playlist
    from models.live import live_stage

    if len(args.videos) != 1:
        raise ClipDeskError("--follow takes one recording (a growing file or an .m3u8 playlist)")
    src = Path(args.videos[0])
    if src.is_dir():
        raise ClipDeskError(f"{src}: is a directory; --follow takes a file or an .m3u8 playlist")
    if args.project:
        proj_path = Path(args.project)
    elif is_playlist(src):
        proj_path = src.with_suffix(".clipdesk")
    else:
        proj_path = project_path_for(src)
    wanted = [s.strip() for s in args.stages.split(",")] if args.stages else None

    def say(line: str) -> None:
        print(f"clipdesk: {src.name}: {line}", file=sys.stderr)

    with Project(proj_path) as project:
        stages = live_stages(project, wanted, args.device)
        live_dir = proj_path.with_name(proj_path.stem + ".live")
        reel_dir = Path(args.reel_dir) if args.reel_dir else live_dir / "reel"
        if not args.reel_dir:
            live_dir.mkdir(exist_ok=True)
        check_folder(reel_dir, project_inputs(project), what="--reel-dir")
        opts = FollowOptions(every_s=args.chunk, idle_s=args.idle, until_s=args.until, reel_dir=reel_dir,
                             goals_dir=live_dir / "goals")
        bar = TerminalProgress(enabled=False if args.quiet else None)
        task = Task(on_progress=bar)
        try:
            report = follow(project, src, stages, live_stage, task, args.device, opts, say=say)
        finally:
            bar.done()
        worst = max((lag for _, _, lag in report.lag), default=0.0)
        if not args.quiet:
            reel = (f"; reel: {len(report.reel['highlights'])} highlight(s) -> {reel_dir}"
                    if report.reel else "; no highlights, no reel")
            print(f"{src.name}: {report.video.frame_count} frames followed ({report.end_reason}); "
                  f"{report.commits} commits, at most {worst:.0f} s behind live; ran {', '.join(report.ran)}"
                  f"{reel}; {len(report.goals) // 2} score change(s) cut -> {proj_path}")
        for w in report.warnings:
            print(f"clipdesk: warning: {src.name}: {w}", file=sys.stderr)
    return 0


__all__ = ["add_arguments", "live_stages", "run_follow"]
