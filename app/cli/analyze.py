"""``clipdesk analyze VIDEO... [--project P] [--stages ...] [--device cpu|cuda] [--quiet]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.cli.progress import TerminalProgress
from core.errors import ClipDeskError, MediaError
from core.media.reader import probe
from core.pipeline import Stage, analyze, order_stages
from core.progress import Task
from core.store.project import Project, project_path_for


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("analyze", help="analyze videos into a project (resumable)")
    p.add_argument("videos", nargs="+", metavar="VIDEO", help="video files or folders")
    p.add_argument("--project", "-p", help="project file (default: beside the video, .clipdesk)")
    p.add_argument("--stages", help="comma-separated stages (default: all available)")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--force", action="store_true", help="redo stages even if already done")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.add_argument("--action-model", metavar="MODEL",
                   help="the project's action model from now on: 'starter' (rules, the default) or a "
                        "trained model's directory or id")
    p.add_argument("--engine", default="local", choices=["local", "ray"],
                   help="local: one video after another here; ray: workers on a Ray cluster (docs/scale.md)")
    p.add_argument("--address", help="with --engine ray: 'auto', HOST:PORT or ray://HOST:PORT of a running"
                   " cluster (default: a private local Ray instance sized to this machine)")
    p.add_argument("--workers", type=_workers, help="with --engine ray: worker count (default: what the"
                   " cluster's cores and memory hold)")
    from app.cli.engine import split_minutes

    p.add_argument("--split-minutes", dest="split_minutes", type=split_minutes, metavar="M",
                   help="with --engine ray: a video at least 2M minutes long has its shots computed in ranges"
                        " of about M minutes on several workers, merged at the seams (docs/scale.md)")
    from app.cli.follow import add_arguments as add_follow_arguments

    add_follow_arguments(p)
    p.set_defaults(func=run)


def _workers(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= n <= 4096:
        raise argparse.ArgumentTypeError(f"must be 1..4096, not {n}")
    return n


_VIDEO_EXT = {".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v", ".mts", ".ts", ".mxf", ".mpg", ".mpeg"}


def expand_inputs(items: list[str]) -> list[Path]:
    """Files as given; folders expand to the video files inside them (sorted, recursive)."""
    out: list[Path] = []
    for it in items:
        p = Path(it)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.suffix.lower() in _VIDEO_EXT and f.is_file())
            if not found:
                raise MediaError(f"{p}: is a directory with no video files in it")
            out.extend(found)
        else:
            out.append(p)
    return out


def analysis_settings(project: Project) -> dict:
    """Stage settings: the project's ``analysis`` dict, plus per-capability settings saved alone
    (e.g. ``speech`` written by a script) so they also enter the stages' cache keys."""
    settings = dict(project.get_setting("analysis", {}) or {})
    for key in ("speech", "persons", "scoreboard", "search", "highlights", "shots", "actions"):
        value = project.get_setting(key)
        if value is not None and key not in settings:
            settings[key] = value
    return settings


def check_model_files(project: Project, stages: list[Stage]) -> None:
    """Refuse, with one line naming the setting, a model file the project names that is not
    bundled, in the models folder or trusted (``clipdesk models trust``); nothing is loaded."""
    from models.stages import check_model_settings

    analysis = project.get_setting("analysis", {}) or {}
    check_model_settings(analysis_settings(project), stages={s.name for s in stages},
                         name=lambda key: ("analysis." if key[0] in analysis else "") + ".".join(key))


def set_action_model(project: Project, model: str) -> None:
    """Record the project's choice of action model ("starter": the default rules)."""
    from models.actions.registry import MODEL_SETTING

    analysis = dict(project.get_setting("analysis", {}) or {})
    if model == "starter":
        analysis.pop(MODEL_SETTING, None)
    else:
        analysis[MODEL_SETTING] = model
    project.set_setting("analysis", analysis)


def _check_projects(args: argparse.Namespace, videos: list[Path]) -> None:
    """The model-file check for every existing project before any stage runs on any video."""
    from models.stages import available_stages

    wanted = [s.strip() for s in args.stages.split(",")] if args.stages else None
    seen: set[Path] = set()
    for v in videos:
        proj_path = Path(args.project) if args.project else project_path_for(v)
        if proj_path in seen or not proj_path.is_file():
            continue
        seen.add(proj_path)
        with Project(proj_path, create=False) as project:
            check_model_files(project, order_stages(available_stages(analysis_settings(project), only=wanted),
                                                    wanted))


def run(args: argparse.Namespace) -> int:
    from models.stages import available_stages

    if getattr(args, "follow", False):  # a recording still being written (app/cli/follow.py)
        from app.cli.follow import run_follow

        return run_follow(args)
    videos = expand_inputs(args.videos)
    if getattr(args, "engine", "local") == "ray":
        from app.cli.engine import run_on_ray

        return run_on_ray(args, videos)
    if getattr(args, "address", None) or getattr(args, "workers", None) or getattr(args, "split_minutes", None):
        raise ClipDeskError("--address, --workers and --split-minutes need --engine ray")
    # Probe everything first: a bad input fails before any project is created or touched.
    for v in videos:
        probe(v)
    if getattr(args, "action_model", None) and args.action_model != "starter":
        from models.actions.registry import resolve_model

        args.action_model = resolve_model(args.action_model)  # one line if there is no such model
    _check_projects(args, videos)
    if args.project and len(videos) > 1:
        pass  # several videos share one project
    status = 0
    for v in videos:
        proj_path = Path(args.project) if args.project else project_path_for(v)
        with Project(proj_path) as project:
            if getattr(args, "action_model", None):
                set_action_model(project, args.action_model)
            wanted = [s.strip() for s in args.stages.split(",")] if args.stages else None
            # only the stages asked for (and what they need): --stages shots imports no audio/ML stack
            stages_all = available_stages(analysis_settings(project), device=args.device, only=wanted)
            stages = order_stages(stages_all, wanted)
            check_model_files(project, stages)
            bar = TerminalProgress(enabled=False if args.quiet else None)
            task = Task(on_progress=bar)
            try:
                report = analyze(project, v, stages, task, device=args.device, force=args.force)
            finally:
                bar.done()
            if not args.quiet:
                ran = ", ".join(report.ran) or "nothing (all stages up to date)"
                print(f"{v.name}: {report.video.frame_count} frames; ran {ran}"
                      + (f"; skipped {', '.join(report.skipped)}" if report.skipped else "")
                      + f" -> {proj_path}")
            for w in report.warnings:
                print(f"clipdesk: warning: {v.name}: {w}", file=sys.stderr)
    return status


__all__ = ["ClipDeskError", "register", "run"]
