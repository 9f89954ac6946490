"""The ``actions`` analysis stage: action segments for each tracked person (class, confidence,
attrs ``person``, ``model`` and ``why``).

Which model is the project's choice (the ``action_model`` entry of its analysis settings):

* nothing, or ``starter`` (the default): the starter detector, kinematic rules over the pose
  tracks timed by a dense motion grid (:mod:`core.actions.starter`, :mod:`core.actions.motion`);
  it needs no training, so a fresh install finds actions on the first run. The motion grid is
  taken in the one decode pass (skipped when already stored);
* a trained ST-GCN (a model directory or an id in the models folder): sliding windows over each
  track (:mod:`models.actions.predict`). A trained model never applies to a project that did not
  choose it (training in a project chooses it for that project).

It needs the poses the ``persons`` stage stores. Runs on the pipeline's thread; inference on one
torch thread.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from core.actions.dataset import load_poses
from core.actions.probe import Detect, keyframes, open_reader, probe_poses, with_probes
from core.actions.motion import KEY as MOTION_KEY, MOTION_FRAMES, MOTION_SIGNAL, MotionGrid, MotionSink
from core.actions import starter
from core.media.decode import Sink
from core.pipeline import Stage, StageContext
from core.segments import ACTION
from models.actions.probe_model import batched
from models.actions.registry import MODEL_SETTING, ActionModel, load_model, model_id, resolve_model

log = logging.getLogger(__name__)
STARTER = starter.MODEL_ID
NO_POSES = "no poses in this video (persons stage missing or found nobody): no actions"


def chosen_model(settings: dict[str, Any] | None) -> str | None:
    """The trained model directory a project's settings choose, or ``None`` for the starter."""
    ref = (settings or {}).get(MODEL_SETTING)
    if not ref or str(ref) == STARTER:
        return None
    return resolve_model(str(ref))


def load_motion(project: Any, video_id: int) -> MotionGrid | None:
    q = project.get_signal(video_id, MOTION_SIGNAL, MOTION_KEY)
    fr = project.get_signal(video_id, MOTION_FRAMES, MOTION_KEY)
    if q is None or fr is None or len(fr) < 4:
        return None
    return MotionGrid.unpack(q, fr)


class ActionsStage(Stage):
    name = "actions"
    model = "stgcn"
    version = "4"  # 2: the starter detector is the default; no "newest model" fallback; 3: pose probes;
    # 4: starter v5, probes decoded on between keyframes as YUV, crops batched
    requires = ("persons",)
    tracks = (ACTION,)

    def __init__(self, settings: dict[str, Any] | None = None, device: str = "cpu",
                 pose_probe: Callable[[], Detect] | None = None) -> None:
        self.settings = settings or {}
        self.device = device
        # the pose model for probes between pose samples (models.stages binds it: model families
        # are independent); setting ``action_probes: false`` turns them off
        self.pose_probe = pose_probe if self.settings.get("action_probes", True) else None
        self.model_path = chosen_model(self.settings)
        if self.model_path is None:
            self.model = STARTER
        self._model: ActionModel | None = None
        self._sinks: dict[int, MotionSink] = {}

    def _load(self) -> ActionModel | None:
        if self.model_path is None:
            return None
        if self._model is None:
            self._model = load_model(self.model_path)
        return self._model

    @property
    def model_name(self) -> str:
        """What the Analysis panel shows: ``starter`` or the trained model's id."""
        return STARTER if self.model_path is None else str(model_id(self.model_path))

    def params(self) -> dict[str, Any]:
        if self.model_path is None:
            return {"model": STARTER, "starter": starter.VERSION, "motion": MOTION_KEY,
                    "probes": self.pose_probe is not None}
        return {"model": model_id(self.model_path), "high": float(self.settings.get("action_threshold", 0.5))}

    def sinks(self, ctx: StageContext) -> list[Sink]:
        if self.model_path is not None or load_motion(ctx.project, ctx.video.id) is not None:
            return []
        sink = MotionSink(ctx.video.rate.fps)
        self._sinks[ctx.run_id] = sink
        return [sink]

    def _probed(self, ctx: StageContext, table: Any, motion: MotionGrid | None) -> tuple[Any, int]:
        """The pose table with the starter's probe poses added (:mod:`core.actions.probe`)."""
        if self.pose_probe is None:
            return table, 0
        req = starter.probe_requests(table, ctx.video.rate.fps, motion=motion)
        if not req:
            return table, 0
        from core.errors import Cancelled, ClipDeskError

        try:
            detect = batched(self.pose_probe())
            clock = ctx.project.clock(ctx.video.id)
            frames = [f for fr in req.values() for f in fr]  # decode on between probes with no keyframe between:
            keys = keyframes(ctx.info.path, clock, min(frames), max(frames))
            with open_reader(ctx.info, clock) as reader:
                rows = probe_poses(reader, table, req, detect, check=ctx.task.check, keys=keys)
        except Cancelled:
            raise
        except ClipDeskError as e:  # no pose model, or the video cannot be read again: the samples alone
            log.warning("actions: no pose probes (%s)", e)
            return table, 0
        return with_probes(table, rows), len(rows)

    def finish(self, ctx: StageContext) -> None:
        sink = self._sinks.pop(ctx.run_id, None)
        vid = ctx.video.id
        grid: MotionGrid | None = None
        if sink is not None:
            grid = sink.result()
            q, fr = grid.pack()
            with ctx.project.transaction():
                ctx.project.put_signal(vid, MOTION_SIGNAL, MOTION_KEY, q)
                ctx.project.put_signal(vid, MOTION_FRAMES, MOTION_KEY, fr)
        table = load_poses(ctx.project, vid)
        if table is None:
            log.warning(NO_POSES)
            ctx.progress(self.name, 1.0, NO_POSES)
            ctx.shared.setdefault("messages", []).append(f"actions: {NO_POSES}")
            ctx.project.replace_machine_segments(vid, ACTION, [], ctx.run_id)
            return
        model = self._load()
        if model is None:
            motion = grid if grid is not None else load_motion(ctx.project, vid)
            if motion is not None and not len(motion.frames):
                motion = None
            table, probes = self._probed(ctx, table, motion)
            segs = starter.detect(table, ctx.video.rate.fps, motion, check=ctx.task.check,
                                  progress=lambda f, m: ctx.progress(self.name, f, m), source=self.source)
            ctx.project.replace_machine_segments(vid, ACTION, segs, ctx.run_id)
            ctx.progress(self.name, 1.0, f"{len(segs)} action(s) by the starter detector ({probes} pose probe(s))")
            return
        from models.actions.predict import predict_table

        high = float(self.settings.get("action_threshold", 0.5))
        low = self.settings.get("action_low_threshold")
        segs = predict_table(table, model, ctx.video.rate, ctx.task, high=high,
                             low=float(low) if low is not None else None, source=self.source)
        ctx.project.replace_machine_segments(vid, ACTION, segs, ctx.run_id)
        ctx.progress(self.name, 1.0, f"{len(segs)} action(s) by {model.id}")


__all__ = ["ActionsStage", "NO_POSES", "STARTER", "chosen_model", "load_motion"]
