"""``clipdesk analyze --engine ray``: many videos on a Ray cluster, one writer.

Workers are Ray actors (:class:`~app.cli.engine.worker.VideoAnalyzer`), one CPU each, that keep
their stages and models loaded from one video to the next. Ray places them by cores *and* memory:
each actor asks for the peak resident memory an actor of these stages was measured to need
(:data:`ACTOR_MEMORY_MB`, from the peak worker memory the run summary prints), so a node gets
``min(cores, memory / per-actor memory)`` of them. The driver (this process) plans, claims and
commits (:mod:`app.cli.engine.driver`); a worker only reads the video and returns data.

Faults: a worker that dies (killed, out of memory, its node lost) is replaced and its video sent
again, up to :data:`MAX_ATTEMPTS` times; nothing of it was written. A killed driver leaves its
claimed runs ``running`` under a dead pid: the next run marks them interrupted and redoes those
videos, while committed ones are skipped (the pipeline's resume).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TextIO

from app.cli.engine.driver import LEARNED_SETTINGS, Driver, Job
from app.cli.engine.worker import VideoAnalyzer, one_line
from core.errors import ClipDeskError

MAX_ATTEMPTS = 3
"""A video whose worker dies this many times is reported failed (the others go on)."""

BASE_MB = 250
"""An actor before any stage: Python, numpy, PyAV, SQLite, the pipeline."""
ACTOR_MEMORY_MB: dict[str, int] = {
    # Added to BASE_MB for each stage that runs. Measured peak RSS of one actor (``peak worker
    # memory``, 2026-12-02): shots alone 343 MiB; shots,scenes,audio,scoreboard 1110 MiB (one
    # actor through 8 clips up to 1080p); every stage 1855 MiB (hecate__video_sum + tennis
    # input3). The sums below cover those three with 8-30 % to spare; how the rest divides among
    # speech, persons, search and actions was not measured stage by stage. Raised later the same
    # day: shots,scenes,audio,scoreboard reached 1764 MiB (quiet re-run) and 1639 MiB (bench/archive,
    # 14:30 UTC) after the scoreboard stage's 2 Hz re-reads (v2): scoreboard 750 -> 1500.
    "shots": 150, "scenes": 0, "audio": 50, "scoreboard": 1500, "speech": 400, "persons": 450,
    "search": 250, "actions": 50, "events": 0, "highlights": 50,
}
POLL_S = 0.5


def actor_memory_mb(stages: list[str]) -> int:
    return BASE_MB + sum(ACTOR_MEMORY_MB.get(s, 300) for s in stages)  # an unknown stage: 300


class ArchiveProgress:
    """An overall bar with an ETA on a terminal (stderr), and one line per finished video."""

    def __init__(self, total: int, quiet: bool, stream: TextIO | None = None) -> None:
        self.total = total
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.bar = not quiet and self.stream.isatty()
        self.t0 = time.monotonic()
        self.finished = 0
        self._drawn = False

    def _clear(self) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[2K")
            self._drawn = False

    def line(self, text: str, err: bool = False) -> None:
        if self.quiet and not err:
            return
        self._clear()
        self.stream.flush()
        print(text, file=sys.stderr if err else sys.stdout, flush=True)

    def eta(self, running: float) -> float | None:
        done = self.finished + running
        el = time.monotonic() - self.t0
        return None if done <= 0 else el / done * max(0.0, self.total - done)

    def draw(self, busy: list[tuple[str, dict[str, Any]]]) -> None:
        if not self.bar:
            return
        running = sum(float(s.get("overall", 0.0)) for _, s in busy)
        frac = min(1.0, (self.finished + running) / max(1, self.total))
        width = 24
        fill = int(width * frac)
        eta = self.eta(running)
        eta_s = "--:--" if eta is None else f"{int(eta // 60):02d}:{int(eta % 60):02d}"
        now = "  ".join(f"{w}: {Path(s.get('video', '')).name[:18]} {s.get('stage', '')} "
                        f"{100 * float(s.get('fraction', 0.0)):.0f}%" for w, s in busy if s)
        self._clear()
        self.stream.write(f"[{'#' * fill}{'-' * (width - fill)}] {self.finished}/{self.total} videos"
                          f" {100 * frac:5.1f}%  ETA {eta_s}  {now}"[:200])
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        self._clear()
        self.stream.flush()


class RayPool:
    """A Ray connection (a private local instance, or a cluster) and the worker actors."""

    def __init__(self, address: str | None, workers: int | None, device: str, stages: list[str]) -> None:
        self.address = address
        self.requested = workers
        self.device = device
        self.memory_mb = actor_memory_mb(stages)
        self.owned = False  # this process started Ray (and shuts it down)
        self._tmp: str | None = None
        self.actors: list[Any] = []
        self.names: dict[int, str] = {}  # id(actor) -> worker name
        self._serial = 0

    # -- connection ----------------------------------------------------------------------------
    def connect(self) -> None:
        import ray

        if ray.is_initialized():
            return  # a caller (a test, a notebook) already chose the cluster
        kwargs: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.ERROR}
        if self.address is None:
            # Private and loopback-only; the token lives in this process's environment (inherited
            # by the instance's processes), never in the user's ~/.ray.
            if not (os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH")
                    or os.environ.get("RAY_AUTH_MODE")):
                os.environ["RAY_AUTH_MODE"] = "token"
                os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)
                _reload_auth()
            self._tmp = tempfile.mkdtemp(prefix="cdray-", dir="/tmp" if os.path.isdir("/tmp") else None)
            kwargs.update(num_cpus=max(os.cpu_count() or 1, self.requested or 1), include_dashboard=False,
                          _node_ip_address="127.0.0.1", _temp_dir=self._tmp,
                          object_store_memory=300 * 2**20)
        else:
            kwargs["address"] = self.address
        try:
            ray.init(**kwargs)
        except Exception as e:  # noqa: BLE001 - ConnectionError, RuntimeError, ValueError...
            self._cleanup_tmp()
            where = f"the Ray cluster at {self.address}" if self.address else "a local Ray instance"
            raise ClipDeskError(f"cannot start or reach {where}: {one_line(e)}") from None
        self.owned = True

    def capacity(self) -> int:
        """Workers the cluster can hold: per node min(CPUs, memory / per-actor memory)."""
        import ray

        total = 0
        for n in ray.nodes():
            if not n.get("Alive"):
                continue
            res = n.get("Resources", {})
            total += min(int(res.get("CPU", 0)), int(res.get("memory", 0) / 2**20 // self.memory_mb))
        return total

    def start(self) -> list[str]:
        """Create the actors; notes for the user (e.g. fewer workers than asked)."""
        notes = []
        cap = self.capacity()
        n = self.requested or cap
        if cap <= 0:
            raise ClipDeskError(f"the Ray cluster has no room for a worker (each needs 1 CPU and "
                                f"{self.memory_mb} MiB of memory)")
        if n > cap:
            notes.append(f"{n} workers asked, room for {cap} (1 CPU and {self.memory_mb} MiB each); "
                         f"using {cap}")
            n = cap
        for _ in range(n):
            self.add_actor()
        return notes

    def add_actor(self) -> Any:
        import ray

        self._serial += 1
        name = f"w{self._serial}"
        cls = ray.remote(VideoAnalyzer)
        actor = cls.options(num_cpus=1, memory=self.memory_mb * 2**20, max_concurrency=4,
                            max_restarts=0, scheduling_strategy="SPREAD").remote(self.device, name, 1)
        self.actors.append(actor)
        self.names[id(actor)] = name
        return actor

    def replace(self, actor: Any) -> Any:
        import ray

        with contextlib.suppress(Exception):
            ray.kill(actor)
        if actor in self.actors:
            self.actors.remove(actor)
        return self.add_actor()

    def check_paths(self, paths: list[str]) -> dict[str, dict[str, Any]]:
        """Every worker opens every video; one line naming the worker and path if one cannot."""
        import ray

        infos = ray.get([a.info.remote() for a in self.actors])
        bad = ray.get([a.check_paths.remote(paths) for a in self.actors])
        for info, problems in zip(infos, bad):
            if problems:
                path, why = problems[0]
                more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
                raise ClipDeskError(f"worker {info['name']} on {info['host']} (node {info['node'][:8]}) cannot "
                                    f"read {path}: {why}{more}; workers need the videos at the same path "
                                    f"(a shared filesystem or the same mount)")
        return {i["name"]: i for i in infos}

    def shutdown(self) -> None:
        import ray

        if not ray.is_initialized():
            self._cleanup_tmp()
            return
        if self.owned:
            ray.shutdown()
        else:
            for a in self.actors:
                with contextlib.suppress(Exception):
                    ray.kill(a)
        self.actors.clear()
        self._cleanup_tmp()

    def _cleanup_tmp(self) -> None:
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


def _reload_auth() -> None:
    """Ray reads its auth mode and token once; make it see the ones just set."""
    try:
        from ray._raylet import AuthenticationTokenLoader, Config  # type: ignore[attr-defined]

        Config.initialize("")
        AuthenticationTokenLoader.instance().reset_cache()
    except Exception:  # noqa: BLE001 - another Ray version: it reads them at init anyway
        pass


def _lost(e: BaseException) -> bool:
    from ray import exceptions as rx

    return isinstance(e, (rx.RayActorError, rx.WorkerCrashedError, rx.NodeDiedError, rx.ObjectLostError,
                          rx.OwnerDiedError))


@dataclass
class RangeTask:
    """One time range of a split video's shot signals (``--split-minutes``)."""

    job: Job
    payload: dict[str, Any]
    attempts: int = 0


@dataclass
class _Split:
    total: int
    done: int = 0
    parts: list[dict[str, Any]] = field(default_factory=list)
    failed: str | None = None


def longest_first(jobs: list[Job], driver: Driver) -> list[Job]:
    """The jobs, longest video first, so that no worker is left with a long video at the end while
    the others idle (files that cannot be probed come first and fail at once). The videos of a
    project that learns a setting from its first video (the search codebook) keep their order, so
    the same video teaches it as in a local run."""
    dur: dict[int, float] = {}
    for j in jobs:
        try:
            driver.probe(j)
            dur[j.index] = j.info.duration if j.info is not None else 0.0
        except ClipDeskError:
            dur[j.index] = float("inf")
    wanted = set(driver.wanted or [])
    if not wanted or wanted & set(LEARNED_SETTINGS.values()):
        groups: dict[Path, list[Job]] = {}
        for j in jobs:
            groups.setdefault(j.project_path, []).append(j)
        return [j for g in sorted(groups.values(), key=lambda g: -max(dur[x.index] for x in g)) for j in g]
    return sorted(jobs, key=lambda j: -dur[j.index])


def run_archive(jobs: list[Job], driver: Driver, address: str | None, workers: int | None, device: str,
                quiet: bool, observer: Callable[[str, dict[str, Any]], None] | None = None,
                before_jobs: Callable[[], None] | None = None, split_s: float | None = None) -> int:
    """Analyse ``jobs`` on Ray; returns the exit status (0, or 2 when a video failed).

    ``split_s``: a video at least twice this long has its shot signals computed in ranges of about
    this length on several workers and merged (:meth:`Driver.plan_split`) before its own pass.

    ``before_jobs()`` runs once the workers are asked for, before any job (checks that may refuse
    the run: nothing is written before it returns). ``observer(worker, state)`` sees every
    progress report (tests use it to kill a worker mid-video)."""
    import ray

    status = 0
    t_start = time.monotonic()
    progress = ArchiveProgress(len(jobs), quiet)
    pool = RayPool(address, workers, device, driver.wanted or list(ACTOR_MEMORY_MB))
    try:
        pool.connect()
        for note in pool.start():
            progress.line(f"clipdesk: warning: {note}", err=True)
        # While the workers start: they build the stages of a new project's settings (the imports,
        # the models), the driver builds its own and probes the videos (longest first). The driver's
        # stage imports ran beside ray.init (before_jobs waits for them: two threads importing the
        # same modules can meet in an import cycle).
        if before_jobs is not None:
            before_jobs()
        try:
            names = driver.stage_names({})
        except Exception:  # noqa: BLE001 - the first video reports it
            names = []
        for a in pool.actors if names else []:
            a.warm.remote({}, names)
        order = longest_first(jobs, driver)
        # What the driver cannot see fails as that video's bad input; what a worker cannot, the run.
        pool.check_paths(sorted({str(j.path) for j in jobs if j.path.exists()}))
        t_ready = progress.t0 = time.monotonic()  # the ETA counts from here
        counts = {"analysed": 0, "up to date": 0, "failed": 0, "retried": 0}
        peak: dict[str, float] = {}
        queue: deque[Job | RangeTask] = deque(order)
        idle = list(pool.actors)
        inflight: dict[Any, tuple[Job | RangeTask, Any, dict[str, Any], float]] = {}
        splits: dict[int, _Split] = {}  # job index -> its ranges so far
        states: dict[str, dict[str, Any]] = {}
        learning: set[Path] = set()  # projects with a video in flight that learns a shared setting

        def finish_line(job: Job, text: str) -> None:
            progress.finished += 1
            progress.line(text)
            for w in job.warnings:
                progress.line(f"clipdesk: warning: {job.name}: {w}", err=True)

        def failed(job: Job, message: str) -> None:
            nonlocal status
            status = 2
            driver.fail(job, message)
            progress.finished += 1
            counts["failed"] += 1
            progress.line(f"clipdesk: {job.path}: {message}", err=True)

        def _range_done(task: RangeTask, ref: Any, actor: Any) -> None:
            """A range came back: keep it; with the last one, merge and queue the video's pass.
            A range that fails falls back to the single pass (which reports bad input itself)."""
            sp = splits[task.job.index]
            wname = pool.names.get(id(actor), "?")
            try:
                out = ray.get(ref)
            except Exception as e:  # noqa: BLE001 - a lost worker is replaced and the range sent again
                if _lost(e) and task.attempts + 1 < MAX_ATTEMPTS:
                    task.attempts += 1
                    idle.append(pool.replace(actor))
                    counts["retried"] += 1
                    progress.line(f"clipdesk: warning: {task.job.name}: worker {wname} lost "
                                  f"({type(e).__name__}); retrying the range on another worker", err=True)
                    queue.appendleft(task)
                    return
                idle.append(pool.replace(actor) if _lost(e) else actor)
                out = {"ok": False, "error": one_line(getattr(e, "cause", None) or e)}
            else:
                idle.append(actor)
            sp.done += 1
            if not out["ok"]:
                sp.failed = sp.failed or out["error"]
            else:
                sp.parts.append(out)
            if sp.done < sp.total:
                return
            if sp.failed is None:
                try:
                    driver.merge_split(task.job, sp.parts)
                except ClipDeskError as e:
                    sp.failed = one_line(e)
            if sp.failed is not None:
                progress.line(f"clipdesk: warning: {task.job.name}: split failed ({sp.failed}); "
                              "analysing it in one pass", err=True)
            queue.appendleft(task.job)

        def plan(job: Job) -> bool:
            """Plan and claim ``job`` (its payload); False when it failed or is up to date (reported)."""
            try:
                driver.probe(job)
                payload = driver.prepare(job)
            except ClipDeskError as e:
                failed(job, one_line(e))
                return False
            if payload is None:
                counts["up to date"] += 1
                finish_line(job, f"{job.name}: nothing to do (all stages up to date)"
                                 f"; skipped {', '.join(job.skipped)} -> {job.project_path}")
                return False
            job.payload = payload
            return True

        def dispatch() -> None:
            """Give every idle worker its next item (a video not planned ahead is planned and claimed here)."""
            while idle and queue:
                item = next((j for j in queue if isinstance(j, RangeTask) or j.project_path not in learning), None)
                if item is None:
                    break
                queue.remove(item)
                if isinstance(item, RangeTask):
                    actor = idle.pop(0)
                    inflight[actor.shot_range.remote(item.payload)] = (item, actor, item.payload, time.monotonic())
                    continue
                job = item
                if job.payload is None:  # first dispatch (a retry reuses its claimed runs and payload)
                    if split_s and job.index not in splits:
                        try:
                            driver.probe(job)
                            ranges = driver.plan_split(job, split_s)
                        except ClipDeskError as e:
                            failed(job, one_line(e))
                            continue
                        splits[job.index] = _Split(len(ranges))
                        if ranges:
                            progress.line(f"{job.name}: shots in {len(ranges)} ranges on the workers, "
                                          "then one pass for the other stages")
                            for rp in reversed(ranges):
                                queue.appendleft(RangeTask(job, rp))
                            continue
                    if not plan(job):
                        continue
                payload = job.payload
                assert payload is not None
                if job.learns:
                    learning.add(job.project_path)
                actor = idle.pop(0)
                inflight[actor.analyze.remote(payload)] = (job, actor, payload, time.monotonic())

        def plan_ahead() -> None:
            """While every worker is busy, plan and claim the next video (one per call, up to one per
            worker), so the worker that finishes first gets it at once instead of waiting for the
            driver's plan (0.1-0.35 s a video). Not past a project learning a setting (its next
            video is planned after the commit, as in a local run) nor with ``--split-minutes``."""
            if idle or split_s:
                return
            blocked = set(learning) | {j.project_path for j in queue
                                       if isinstance(j, Job) and j.payload is not None and j.learns}
            ahead = 0
            for item in queue:
                if isinstance(item, RangeTask) or ahead >= len(pool.actors):
                    return
                if item.payload is not None:
                    ahead += 1
                    continue
                if item.project_path in blocked:
                    return
                if not plan(item):
                    queue.remove(item)  # reported: failed or up to date
                return

        while queue or inflight:
            dispatch()
            if not inflight:
                break
            plan_ahead()
            ready, _ = ray.wait(list(inflight), num_returns=1, timeout=POLL_S)
            for ref in ready:
                item, actor, payload, t0 = inflight.pop(ref)
                if isinstance(item, RangeTask):
                    _range_done(item, ref, actor)
                    continue
                job = item
                wname = pool.names.get(id(actor), "?")
                try:
                    out = ray.get(ref)
                except Exception as e:  # noqa: BLE001 - sorted below: lost worker or a bug
                    learning.discard(job.project_path)
                    if _lost(e):
                        job.attempts += 1
                        idle.append(pool.replace(actor))
                        if job.attempts >= MAX_ATTEMPTS:
                            failed(job, f"worker lost {job.attempts} times ({type(e).__name__}); giving up")
                        else:
                            counts["retried"] += 1
                            progress.line(f"clipdesk: warning: {job.name}: worker {wname} lost "
                                          f"({type(e).__name__}); retrying on another worker", err=True)
                            queue.appendleft(job)
                        continue
                    idle.append(actor)
                    cause = getattr(e, "cause", None) or e
                    failed(job, f"analysis failed on worker {wname}: {one_line(cause)}")
                    continue
                idle.append(actor)
                # The freed worker starts its next video while this one is committed (a video of
                # the same project that learns a setting still waits for the commit).
                dispatch()
                learning.discard(job.project_path)
                if not out["ok"]:
                    failed(job, out["error"])
                    continue
                result = out["result"]
                if not driver.commit(job, result):  # computed against a setting stored meanwhile
                    job.payload = None
                    queue.appendleft(job)
                    continue
                rep, w = result["report"], out["worker"]
                counts["analysed"] += 1
                peak[w["name"]] = max(peak.get(w["name"], 0.0), float(w["peak_rss_mb"]))
                ran = ", ".join(rep["ran"]) or "nothing (all stages up to date)"
                job.warnings.extend(rep["warnings"])
                finish_line(job, f"{job.name}: {rep['frames']} frames; ran {ran}"
                                 + (f"; skipped {', '.join(rep['skipped'])}" if rep["skipped"] else "")
                                 + f" -> {job.project_path}  [worker {w['name']} on {w['host']}"
                                 f" node {w['node'][:8]}, {out['seconds']:.1f} s]")
            if not (progress.bar or observer is not None):
                continue  # no bar to draw (not a terminal, --quiet): the workers are not asked
            polls = {wref: a for wref, a in ((a.progress.remote(), a) for _, a, _, _ in inflight.values())}
            with contextlib.suppress(Exception):
                done_polls, _ = ray.wait(list(polls), num_returns=len(polls), timeout=POLL_S)
                for pref in done_polls:
                    a = polls[pref]
                    with contextlib.suppress(Exception):
                        st = ray.get(pref)
                        states[pool.names.get(id(a), "?")] = st
                        if observer is not None and st:
                            observer(pool.names.get(id(a), "?"), st)
            busy = [(pool.names.get(id(a), "?"), states.get(pool.names.get(id(a), "?"), {}))
                    for _, a, _, _ in inflight.values()]
            progress.draw(busy)
        progress.close()
        tally = ", ".join(f"{n} {k}" for k, n in counts.items() if n or k == "analysed")
        progress.line(f"{len(jobs)} video(s): {tally}"
                      + f" in {time.monotonic() - t_ready:.1f} s on {len(pool.actors)} Ray worker(s)"
                      f" (+{t_ready - t_start:.1f} s to start them)"
                      + (f"; peak worker memory {max(peak.values()):.0f} MiB (each asked for {pool.memory_mb})"
                         if peak else ""))
    except KeyboardInterrupt:
        for j in jobs:
            driver.fail(j, "cancelled by user", status="cancelled")
        raise
    finally:
        progress.close()
        for j in jobs:  # anything still claimed (an error above) is not left 'running'
            if j.claimed:
                driver.fail(j, "interrupted")
        pool.shutdown()
    return status


__all__ = ["ACTOR_MEMORY_MB", "ArchiveProgress", "RangeTask", "RayPool", "actor_memory_mb", "run_archive"]
