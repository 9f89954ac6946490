"""Analysis engines beyond one process: ``clipdesk analyze --engine ray`` (docs/scale.md).

:mod:`.driver` is the one writer (plans, claims and commits each video in its project),
:mod:`.worker` analyses a video into a scratch project and returns the results as data,
:mod:`.ray_engine` runs workers as Ray actors and moves jobs and results between them.
Ray is imported only here (import contract), and only when ``--engine ray`` is asked for.
"""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

from core.store.project import project_path_for


def split_minutes(text: str) -> float:
    """``--split-minutes M``: a positive number of minutes (at most a day)."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of minutes, not {text!r}") from None
    if not (0.1 <= v <= 24 * 60):
        raise argparse.ArgumentTypeError(f"must be 0.1 to 1440 minutes, not {text}")
    return v


def run_on_ray(args: argparse.Namespace, videos: list[Path]) -> int:
    """``clipdesk analyze ... --engine ray``: the exit status."""
    from app.cli.analyze import _check_projects
    from app.cli.engine.driver import Driver, Job
    from app.cli.engine.ray_engine import run_archive
    from core.pipeline import order_stages
    from models.stages import available_stages

    wanted = [s.strip() for s in args.stages.split(",")] if args.stages else None
    names: list[str] = []
    errors: list[BaseException] = []

    def warm() -> None:  # the stages' imports (seconds) while Ray starts
        try:
            names.extend(s.name for s in order_stages(available_stages({}), wanted))
        except BaseException as e:  # noqa: BLE001 - raised again in the main thread
            errors.append(e)

    thread = threading.Thread(target=warm, name="clipdesk-stage-imports", daemon=True)
    thread.start()

    def before_jobs() -> None:
        thread.join()
        if errors:
            raise errors[0]
        driver.wanted = wanted if wanted is not None else names
        _check_projects(args, videos)  # a model file the project names must be trusted

    jobs: list[Job] = []
    seen: set[Path] = set()
    for v in videos:
        path = v.resolve() if v.exists() else v.absolute()
        if path in seen:
            continue
        seen.add(path)
        proj = Path(args.project) if args.project else project_path_for(v)
        jobs.append(Job(len(jobs), path, proj.absolute()))
    driver = Driver(wanted, device=args.device, force=args.force)
    try:
        split = getattr(args, "split_minutes", None)
        return run_archive(jobs, driver, args.address, args.workers, args.device, args.quiet,
                           before_jobs=before_jobs, split_s=split * 60 if split else None)
    finally:
        driver.close()


__all__ = ["run_on_ray", "split_minutes"]
