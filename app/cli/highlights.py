"""``clipdesk highlights P [--preset 15s|30s|60s|reel] [--clip-seconds S] [--reel-seconds S]
[--export-dir D] [--formats otio,fcpxml,fcp7,edl,chapters] [--media horizontal,vertical,gif,still]``
and ``clipdesk report P [--out report.html]``.

``highlights`` proposes (or re-proposes, keeping reviewed ones) the ``highlight`` track of an
analysed project, prints each highlight with its why, and with ``--export-dir`` writes the reel's
NLE cut lists and per-highlight clips (:mod:`core.highlights.export`). ``report`` writes the
producer report (:mod:`core.export.report`). Numbers are checked by :mod:`app.cli.argtypes`;
``--export-dir``, ``--formats`` and ``--media`` are refused (one line) before any work, and no
output may land on the project, its companions or a source video (:mod:`core.export.paths`).
Both run on the main thread.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.cli import argtypes
from app.cli.progress import TerminalProgress
from core.errors import ClipDeskError
from core.progress import Task
from core.store.project import PROJECT_SUFFIX, Project, project_path_for


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("highlights", help="propose highlights (reel) and export them for editors")
    p.add_argument("project", metavar="P", help="project file (or the video it sits beside)")
    p.add_argument("--video", metavar="N", help="video id or file name (default: the first video)")
    p.add_argument("--preset", help="15s, 30s, 60s (clip length) or reel (3-minute reel)")
    p.add_argument("--clip-seconds", dest="clip_s", type=argtypes.seconds(0.0, 3600.0, allow_low=False),
                   help="target length of each highlight")
    p.add_argument("--reel-seconds", dest="reel_s", type=argtypes.seconds(0.0, 48 * 3600.0),
                   help="total reel length budget (0: no budget)")
    p.add_argument("--max", dest="max_count", type=argtypes.integer(1, 1000), help="most highlights to propose")
    p.add_argument("--keep", action="store_true", help="do not re-propose; use the stored highlights")
    p.add_argument("--export-dir", dest="export_dir", metavar="D", help="write the reel's hand-off here")
    p.add_argument("--formats", default="otio,fcpxml,fcp7,edl,chapters",
                   help="cut lists to write (comma-separated; empty for none)")
    p.add_argument("--media", default="horizontal,vertical,gif,still",
                   help="per-highlight media to write (comma-separated; empty for none)")
    p.add_argument("--no-covers", dest="covers", action="store_false", help="skip automatic covers")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(func=run_highlights)

    r = sub.add_parser("report", help="write the producer report (one HTML file per video)")
    r.add_argument("project", metavar="P", help="project file (or the video it sits beside)")
    r.add_argument("--video", metavar="N", help="video id or file name (default: every video)")
    r.add_argument("--out", "-o", metavar="FILE", help="output .html (a folder when several videos)")
    r.set_defaults(func=run_report)


def _open(arg: str) -> Project:
    path = Path(arg)
    if path.suffix != PROJECT_SUFFIX and path.is_file() and project_path_for(path).is_file():
        path = project_path_for(path)
    if not path.is_file():
        raise ClipDeskError(f"{path}: no such project")
    return Project(path, create=False)


def _list(text: str) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def _check_handoff(args: argparse.Namespace, project: Project) -> None:
    """``--export-dir``, ``--formats`` and ``--media``, refused before any work (one line)."""
    from core.export.paths import check_folder, project_inputs
    from core.highlights.export import CUT_FORMATS, MEDIA_KINDS

    for opt, given, known in (("--formats", args.formats, CUT_FORMATS), ("--media", args.media, MEDIA_KINDS)):
        bad = [k for k in _list(given) if k not in known]
        if bad:
            raise ClipDeskError(f"{opt}: unknown '{bad[0]}' (choose from {', '.join(known)})")
    check_folder(args.export_dir, project_inputs(project), what="--export-dir")


def run_highlights(args: argparse.Namespace) -> int:
    from core.export import resolve_video
    from core.highlights.export import export_reel
    from core.highlights.project import update_highlights
    from core.highlights.reel import SETTING_KEY, reel_segments, settings_from

    with _open(args.project) as project:
        video = resolve_video(project, args.video)
        if args.export_dir is not None:
            _check_handoff(args, project)
        base = settings_from(args.preset if args.preset else project.get_setting(SETTING_KEY))
        over = {k: getattr(args, k) for k in ("clip_s", "reel_s", "max_count") if getattr(args, k) is not None}
        if over.get("reel_s") == 0:
            over["reel_s"] = None
        settings = settings_from({**base.to_dict(), **over})
        bar = TerminalProgress(enabled=False if args.quiet else None)
        task = Task(on_progress=bar)
        try:
            if not args.keep:
                update_highlights(project, video.id, settings, task, covers=args.covers)
            reel, reviewed = reel_segments(project, video.id)
            clk = project.clock(video.id)
            for i, s in enumerate(reel, 1):
                a, b = clk.time(s.start_frame), clk.time(s.end_frame)
                score = s.attrs.get("score", s.confidence) or 0.0
                print(f"{i:2d}. {a:8.2f}-{b:8.2f} s  {s.label or '':<14} score {float(score):.2f}  "
                      f"[{s.status}]")
                for w in s.attrs.get("why", []):
                    print(f"      - {w}")
            total = sum(clk.time(s.end_frame) - clk.time(s.start_frame) for s in reel)
            print(f"{video.name}: {len(reel)} highlight(s), {total:.1f} s "
                  f"({'accepted reel' if reviewed else 'proposed, not reviewed yet'})", file=sys.stderr)
            if args.export_dir is not None:
                man = export_reel(project, video.id, args.export_dir, _list(args.formats),
                                  _list(args.media), task)
                print(f"reel: {len(man['highlights'])} highlight(s) -> {args.export_dir}", file=sys.stderr)
        finally:
            bar.done()
    return 0


def run_report(args: argparse.Namespace) -> int:
    from core.export import resolve_video
    from core.export.paths import check_folder, check_output, project_inputs
    from core.export.report import write_report

    with _open(args.project) as project:
        videos = [resolve_video(project, args.video)] if args.video else project.videos()
        if not videos:
            raise ClipDeskError(f"{project.path}: the project has no videos (run clipdesk analyze first)")
        inputs = project_inputs(project)
        names = [f"{Path(v.path).stem}_report.html" for v in videos]
        if args.out and len(videos) == 1:
            outs = [check_output(args.out, inputs, default_name=names[0])]
        else:
            folder = check_folder(args.out, inputs, create=True) if args.out else project.path.parent
            outs = [check_output(folder / n, inputs) for n in names]
        for v, out in zip(videos, outs):
            written = write_report(project, v.id, out)
            print(f"report: {v.name} -> {written}", file=sys.stderr)
    return 0
