"""The work one engine worker does: analyse a video into a private scratch project and return
what changed as data (:mod:`core.store.bundle`). No Ray here: :mod:`app.cli.engine.ray_engine`
wraps :class:`VideoAnalyzer` in a Ray actor, and the tests can drive it directly.

A worker keeps its stages (and the models they load) across videos: stages are built once per
distinct settings and device and reused for every later video with the same settings.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from core.errors import Cancelled, ClipDeskError
from core.pipeline import Stage, analyze, order_stages
from core.progress import Task
from core.store.bundle import seed_project, video_result
from core.store.project import Project


def one_line(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return text[:400]


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (MiB; Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def check_readable(paths: list[str]) -> list[tuple[str, str]]:
    """``(path, reason)`` for each path this process cannot open and read."""
    bad = []
    for p in paths:
        try:
            with open(p, "rb") as f:
                f.read(1)
        except OSError as e:
            bad.append((p, e.strerror or str(e)))
    return bad


class VideoAnalyzer:
    """Analyses one video at a time; progress can be read from another thread meanwhile."""

    def __init__(self, device: str = "cpu", name: str = "worker", decode_threads: int = 0) -> None:
        self.device = device
        self.name = name
        if decode_threads:  # a Ray actor with one CPU: one FFmpeg decode thread, not cores + 1
            import core.media.decode as decode

            decode.VIDEO_THREADS = int(decode_threads)
        self._stages: dict[str, list[Stage]] = {}
        self._lock = threading.Lock()
        # held while stages are built and warmed: the imports of a warm-up on one actor thread and
        # a video's on another must not interleave (two threads importing one module cycle from
        # both ends get a partially initialised module)
        self._build = threading.RLock()
        self._state: dict[str, Any] = {}
        self._empty: bytes | None = None  # an empty project file (see _scratch)
        self.loads = 0  # how many times stages (models) were built: once per settings

    # -- what the driver asks ------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        node = ""
        try:
            import ray

            if ray.is_initialized():
                node = ray.get_runtime_context().get_node_id()
        except Exception:  # noqa: BLE001 - outside Ray: no node id
            node = ""
        return {"name": self.name, "host": socket.gethostname(), "pid": os.getpid(), "node": node,
                "peak_rss_mb": round(peak_rss_mb(), 1), "loads": self.loads}

    def check_paths(self, paths: list[str]) -> list[tuple[str, str]]:
        return check_readable(paths)

    def progress(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._state)

    def stages(self, settings: dict[str, Any], wanted: list[str] | None = None) -> list[Stage]:
        """The stages for ``settings``, built once (their models then stay loaded); with ``wanted``,
        only those stages and the ones they need, as ``clipdesk analyze --stages`` builds them
        locally (no other stage's imports: torch, YOLO, Whisper for ``--stages shots``)."""
        from models.stages import available_stages

        key = json.dumps([settings, sorted(wanted) if wanted else None], sort_keys=True, default=str)
        with self._build:  # the warm-up and the first video may ask at the same time
            if key not in self._stages:
                self._stages[key] = available_stages(settings, device=self.device, only=wanted or None)
                self.loads += 1
            return self._stages[key]

    def warm(self, settings: dict[str, Any], wanted: list[str] | None) -> float:
        """Build the stages a run will most likely ask for (a new project's settings), and the models
        they would load at the first video (a stage's ``warm()``), while the driver probes and plans,
        so the first video does not wait for the imports; seconds spent."""
        t0 = time.monotonic()
        try:
            with self._build:
                for st in self.stages(settings, wanted):
                    warm = getattr(st, "warm", None)  # models a stage loads lazily (the scoreboard's OCR)
                    if callable(warm):
                        warm()
            self._empty_project()
        except Exception:  # noqa: BLE001 - the first video builds them again and reports the error
            pass
        return round(time.monotonic() - t0, 3)

    def _scratch(self, path: Path) -> Project:
        """A new, empty project at ``path``: a copy of one this worker made once (creating the
        schema costs 0.07-0.2 s of file syncs for every video, writing the copy a millisecond)."""
        path.write_bytes(self._empty_project())
        return Project(path)

    def _empty_project(self) -> bytes:
        with self._lock:
            if self._empty is None:
                with tempfile.TemporaryDirectory(prefix="clipdesk-empty-") as tmp:
                    Project(Path(tmp) / "empty.clipdesk").close()
                    self._empty = (Path(tmp) / "empty.clipdesk").read_bytes()
            return self._empty

    def _failed(self, error: str) -> dict[str, Any]:
        return {"ok": False, "error": error, "worker": self.info()}

    def _idle(self) -> None:
        with self._lock:
            self._state = {}

    def analyze(self, job: dict[str, Any]) -> dict[str, Any]:
        """Run ``job`` (path, state, wanted stages, settings, force); returns ``{"ok": True,
        "result": ...}`` or ``{"ok": False, "error": one line}`` for input the pipeline refuses."""
        t0 = time.monotonic()
        phases = ["decode", *job.get("pending", [])]  # the decode pass, then each stage's finish

        def on_progress(stage: str, fraction: float, message: str) -> None:
            i = phases.index(stage) if stage in phases else 0
            with self._lock:
                self._state = {"video": job["path"], "stage": stage, "fraction": fraction,
                               "overall": min(1.0, (i + fraction) / len(phases)), "pid": os.getpid()}

        with self._lock:
            self._state = {"video": job["path"], "stage": "preparing", "fraction": 0.0, "overall": 0.0,
                           "pid": os.getpid()}
        try:
            with tempfile.TemporaryDirectory(prefix="clipdesk-worker-") as tmp:
                scratch_path = Path(tmp) / "scratch.clipdesk"
                with self._scratch(scratch_path) as scratch:
                    seed_project(scratch, job["state"])
                    stages = order_stages(self.stages(job["settings"], job["wanted"]), job["wanted"])
                    report = analyze(scratch, job["path"], stages, Task(on_progress=on_progress),
                                     device=self.device, force=job["force"])
                    result = video_result(scratch, int(job["state"]["video"]["id"]), job["state"])
                if "search" in report.ran:
                    _forget_library_entry(scratch_path)  # while the scratch file still exists
        except (ClipDeskError, OSError) as e:
            return self._failed(one_line(e))
        except Cancelled:
            return self._failed("cancelled")
        finally:
            self._idle()
        result["report"] = {"ran": report.ran, "skipped": report.skipped, "warnings": report.warnings,
                            "frames": report.video.frame_count}
        return {"ok": True, "result": result, "seconds": round(time.monotonic() - t0, 3),
                "worker": self.info()}


    def shot_range(self, job: dict[str, Any]) -> dict[str, Any]:
        """The shot stage's per-frame signals of one time range of a long video (``--split-minutes``,
        :mod:`app.cli.engine.split`): the range is cut from the source by copying packets, analysed
        with the shots stage in a scratch project, and the signals of the frames the range owns are
        returned; the driver merges the ranges and decides the boundaries once over the whole video."""
        t0 = time.monotonic()
        with self._build:  # not while a warm-up imports the shots modules on another thread
            from app.cli.engine.split import Range, cut_range
            from core.shots.stage import SIG_HIST, SIG_SCALARS, feature_key

        r = Range(**job["range"])

        def on_progress(stage: str, fraction: float, message: str) -> None:
            with self._lock:
                self._state = {"video": f"{job['path']} [{r.own_first}-{r.own_end})", "stage": f"shots {stage}",
                               "fraction": fraction, "overall": fraction, "pid": os.getpid()}

        try:
            with tempfile.TemporaryDirectory(prefix="clipdesk-range-") as tmp:
                part = cut_range(job["path"], Path(tmp) / f"range{r.index}.mp4", job["pts"], r)
                with self._scratch(Path(tmp) / "range.clipdesk") as scratch:
                    stages = order_stages(self.stages(job["settings"], job.get("wanted")), ["shots"])
                    report = analyze(scratch, part, stages, Task(on_progress=on_progress), device=self.device)
                    vid = report.video.id
                    sc = scratch.get_signal(vid, SIG_SCALARS, feature_key())
                    hi = scratch.get_signal(vid, SIG_HIST, feature_key())
        except (ClipDeskError, OSError, ValueError) as e:
            return self._failed(one_line(e))
        except Cancelled:
            return self._failed("cancelled")
        finally:
            self._idle()
        if sc is None or hi is None or len(sc) != r.end - r.first:
            got = "no signals" if sc is None else f"{len(sc)} frames decoded, {r.end - r.first} expected"
            return self._failed(f"range {r.index}: {got}")
        a, b = r.own_first - r.first, r.own_end - r.first
        return {"ok": True, "index": r.index, "scalars": sc[a:b].copy(), "hist": hi[a:b].copy(),
                "seconds": round(time.monotonic() - t0, 3), "worker": self.info()}


def _forget_library_entry(scratch: Path) -> None:
    """The search stage registers its project in the user's search library; a scratch project
    must not stay there (the driver registers the real project)."""
    try:
        from models.search.index import library_file, library_projects
    except Exception:  # noqa: BLE001 - no search stage installed: nothing was registered
        return
    p = str(scratch.resolve())
    items = [str(x) for x in library_projects()]
    if p in items:
        items.remove(p)
        try:
            library_file().write_text(json.dumps(items, indent=1))
        except OSError:
            pass
