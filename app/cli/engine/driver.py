"""The driver's side of an archive run: the only writer of the project files.

For each video the driver decides what must run (the pipeline's own :func:`plan_stages`), claims
those runs in the project (so another process sees them live and a killed driver leaves them to
be redone), sends the worker the video's state as data and commits the worker's result in one
transaction (:mod:`core.store.bundle`). No Ray here; :mod:`app.cli.engine.ray_engine` moves the
jobs between this and the workers.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.errors import ClipDeskError
from core.media.reader import MediaInfo, probe
from core.pipeline import media_status_key, order_stages, plan_stages, claim_runs
from core.store.bundle import ResultConflict, commit_result, video_state
from core.store.project import Project, now_iso

SPLIT_OVERLAP_S = 2.0
"""Seconds each split range reaches past its seams (the shot features look at a few frames around
each one; set before any measurement, as in ``bench/archive``)."""

LEARNED_SETTINGS = {"search.vlad_model": "search"}  # models.search.index.CODEBOOK_SETTING
"""Project-wide settings the first analysed video learns and every later one reuses (setting ->
stage). While one video of a project is learning one, the project's other videos wait, as they
would in a sequential run, so results do not depend on which worker finishes first."""


@dataclass
class Job:
    index: int
    path: Path
    project_path: Path
    info: MediaInfo | None = None
    video_id: int | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    stage_names: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    claimed: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    attempts: int = 0
    learns: bool = False  # this video learns a project-wide setting (see LEARNED_SETTINGS)
    payload: dict[str, Any] | None = None  # what the worker gets (kept for a retry)
    split_frames: int = 0  # --split-minutes: frames of the split video (0: not split)
    split_stage: Any = None  # ... and its shots stage (the scorer runs over the merge)
    _alive: contextlib.ExitStack | None = None

    @property
    def name(self) -> str:
        return self.path.name


class Driver:
    """Opens each project once, plans, claims, commits and fails jobs."""

    def __init__(self, wanted: list[str] | None, device: str = "cpu", force: bool = False) -> None:
        self.wanted = wanted
        self.device = device
        self.force = force
        self._projects: dict[Path, Project] = {}
        self._swept: set[Path] = set()
        self._stages: dict[str, list[Any]] = {}

    def project(self, path: Path) -> Project:
        if path not in self._projects:
            self._projects[path] = Project(path)
        p = self._projects[path]
        if path not in self._swept:  # runs a killed driver left 'running' are redone
            p.mark_interrupted_runs()
            self._swept.add(path)
        return p

    def close(self) -> None:
        for p in self._projects.values():
            with contextlib.suppress(Exception):
                p.close()
        self._projects.clear()

    def stage_names(self, settings: dict[str, Any]) -> list[str]:
        """The stages a video of a project with ``settings`` runs (what its payload's ``wanted`` says)."""
        from models.stages import available_stages

        key = json.dumps(settings, sort_keys=True, default=str)
        if key not in self._stages:
            self._stages[key] = available_stages(settings, device=self.device, only=self.wanted)
        return [s.name for s in order_stages(self._stages[key], self.wanted)]

    def probe(self, job: Job) -> None:
        """``job.info``, probed once (the longest-first order probes every video before planning)."""
        if job.info is None:
            job.info = probe(job.path)  # MediaError: one line, the project untouched

    def prepare(self, job: Job) -> dict[str, Any] | None:
        """Plan and claim ``job``; the worker's payload, or None when every stage is up to date."""
        from app.cli.analyze import analysis_settings, check_model_files
        from models.stages import available_stages

        project = self.project(job.project_path)
        job.settings = analysis_settings(project)
        key = json.dumps(job.settings, sort_keys=True, default=str)
        if key not in self._stages:  # built once per distinct settings (model checks, logging)
            self._stages[key] = available_stages(job.settings, device=self.device, only=self.wanted)
        stages = order_stages(self._stages[key], self.wanted)
        check_model_files(project, stages)
        assert job.info is not None
        video = project.add_video(job.info)
        job.video_id = video.id
        pending, job.skipped = plan_stages(project, video.id, stages, self.force)
        job.pending = [s.name for s in pending]
        job.stage_names = [s.name for s in stages]
        job.warnings = project.take_notes()
        if not pending and video.exact:
            job.warnings.extend((project.get_setting(media_status_key(video.id)) or {}).get("warnings", []))
            return None
        job.learns = any(stage in job.pending and project.get_setting(key) is None
                         for key, stage in LEARNED_SETTINGS.items())
        job.claimed = claim_runs(project, video, pending)
        job._alive = contextlib.ExitStack()
        job._alive.enter_context(project.keep_alive(list(job.claimed.values())))
        return {"path": str(job.path), "state": video_state(project, video.id), "wanted": job.stage_names,
                "pending": job.pending, "settings": job.settings, "force": self.force}

    def plan_split(self, job: Job, split_s: float, overlap_s: float = SPLIT_OVERLAP_S) -> list[dict[str, Any]]:
        """``--split-minutes``: the range payloads of a long video's shot signals (see
        :mod:`app.cli.engine.split`), or ``[]`` when it is not split: shorter than two ranges,
        shots up to date or their signals already stored, or a shots stage whose decision is not
        made from per-frame signals alone (the TransNetV2 cascade refines gated regions)."""
        from app.cli.analyze import analysis_settings
        from app.cli.engine.split import frame_table, plan_ranges
        from models.stages import available_stages

        assert job.info is not None
        if job.info.duration < 2 * split_s:
            return []
        project = self.project(job.project_path)
        settings = analysis_settings(project)
        key = json.dumps(settings, sort_keys=True, default=str)
        if key not in self._stages:
            self._stages[key] = available_stages(settings, device=self.device, only=self.wanted)
        stages = order_stages(self._stages[key], self.wanted)
        shot: Any = next((s for s in stages if s.name == "shots"), None)
        if shot is None or getattr(shot, "refiner", None) is not None:
            return []
        video = project.add_video(job.info)
        pending, _ = plan_stages(project, video.id, stages, self.force)
        if "shots" not in {s.name for s in pending} or shot._cached(project, video.id) is not None:
            return []
        pts, keys, _ = frame_table(job.path)
        fps = max(1.0, len(pts) / max(job.info.duration, 1e-3))
        parts = max(1, round(len(pts) / (split_s * fps)))
        ranges = plan_ranges(len(pts), keys, parts, int(round(overlap_s * fps)))
        if len(ranges) < 2:
            return []
        job.split_frames, job.split_stage, job.video_id = len(pts), shot, video.id
        return [{"path": str(job.path), "pts": pts, "range": asdict(r), "settings": settings,
                 "wanted": [s.name for s in stages]} for r in ranges]

    def merge_split(self, job: Job, parts: list[dict[str, Any]]) -> None:
        """Store the merged per-frame shot signals of a split video (the scores of the stage's
        scorer computed over the whole merge), so the shots stage of the video's own pass decides
        from them with no shot decode, as a single pass would."""
        import numpy as np

        from core.shots.features import ShotSignals
        from core.shots.stage import SIG_HIST, SIG_PROBS, SIG_SCALARS, feature_key, probs_key

        parts = sorted(parts, key=lambda p: int(p["index"]))
        sc = np.concatenate([p["scalars"] for p in parts])
        hi = np.concatenate([p["hist"] for p in parts])
        if len(sc) != job.split_frames:
            raise ClipDeskError(f"split ranges hold {len(sc)} frames, the file {job.split_frames}")
        project = self.project(job.project_path)
        shot: Any = job.split_stage
        probs = np.full(len(sc), np.nan, np.float32)
        sig = ShotSignals(sc.astype(np.float32), hi.astype(np.float16), probs)
        assert job.video_id is not None
        fk = feature_key()
        with project.transaction():
            project.put_signal(job.video_id, SIG_SCALARS, fk, sig.scalars)
            project.put_signal(job.video_id, SIG_HIST, fk, sig.hist)
            if shot.scorer is not None:
                scores = np.asarray(shot.scorer(sig), np.float32).reshape(sig.n)
                project.put_signal(job.video_id, SIG_PROBS, probs_key(shot.refiner_key, shot.detect_params,
                                                               shot.refine_all), scores)

    def commit(self, job: Job, result: dict[str, Any]) -> bool:
        """Write a worker's result; False when it conflicts (the job's runs are closed, redo it)."""
        project = self.project(job.project_path)
        try:
            commit_result(project, result, job.claimed)
        except ResultConflict as e:
            self._close(job, "failed", f"redone: {e}")
            return False
        self._close(job, "failed", "not run by the worker")  # none normally: the worker ran them all
        if "search" in result["report"]["ran"]:
            with contextlib.suppress(Exception):  # the library is a convenience, as in the pipeline
                from models.search.index import register_project

                register_project(project.path)
        return True

    def fail(self, job: Job, message: str, status: str = "failed") -> None:
        if job.video_id is not None and job.claimed:
            self._close(job, status, message[:500])

    def _close(self, job: Job, status: str, message: str) -> None:
        project = self._projects.get(job.project_path)
        if project is not None and job.claimed:
            with project.transaction() as c:
                for rid in job.claimed.values():
                    c.execute("UPDATE runs SET status=?, message=?, finished_at=? WHERE id=? AND"
                              " status='running'", (status, message, now_iso(), rid))
        job.claimed = {}
        if job._alive is not None:
            job._alive.close()
            job._alive = None


__all__ = ["ClipDeskError", "Driver", "Job", "LEARNED_SETTINGS", "SPLIT_OVERLAP_S"]
