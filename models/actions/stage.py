"""The ``actions`` analysis stage: ST-GCN over each tracked person's skeleton in sliding
windows, localised into ``action`` segments (class, confidence, attrs ``person`` and ``model``).

It needs the poses the ``persons`` stage stores. With no trained or imported action model it
stores nothing and says so (there is no pretrained football action model offline; train one
with ``clipdesk train actions`` or the Actions panel). Which model: the ``action_model`` entry
of the project's analysis settings (a model directory or id), else the newest in the models
directory. Runs on the pipeline's thread; inference on one torch thread.
"""

from __future__ import annotations

import logging
from typing import Any

from core.actions.dataset import load_poses
from core.actions.localize import localise
from core.actions.windows import track_windows
from core.pipeline import Stage, StageContext
from core.persons.poses import PoseTable
from core.progress import Task, ensure_task
from core.segments import ACTION, Segment
from core.timebase import Rate
from models.actions.train import MODEL_SETTING, ActionModel, load_model, resolve_model

log = logging.getLogger(__name__)
NO_MODEL = ("no action model trained or imported: the action track stays empty "
            "(train one with `clipdesk train actions` or the Actions panel)")
NO_POSES = "no poses in this video (persons stage missing or found nobody): no actions"


def predict_table(table: PoseTable, model: ActionModel, rate: Rate, task: Task | None = None,
                  high: float = 0.5, low: float | None = None, min_len_s: float = 0.2,
                  source: str = "model:stgcn@1", min_track_s: float = 1.0) -> list[Segment]:
    """Action segments for every track of ``table`` (tracks shorter than ``min_track_s`` skipped).

    ``low`` (default ``high``) is the hysteresis threshold where edges are placed; on generated
    data edges at ``high`` were closest to the labels (mean offset 5.6 vs 7.4 frames at 0.35)."""
    low = high if low is None else low
    task = ensure_task(task)
    spec = model.window.spec(rate)
    tids = table.track_ids()
    segs: list[Segment] = []
    for i, tid in enumerate(tids):
        task.check()
        task.progress("actions", i / max(1, len(tids)), f"person {tid}")
        rows = table.track(tid)
        first, last = int(rows[0, 0]), int(rows[-1, 0])
        if last - first < min_track_s * rate.fps:
            continue
        centres, x = track_windows(rows, spec, model.streams)
        if not len(centres):
            continue
        probs = model.predict(x)
        for sp in localise(centres, probs, first, last, high, low, max(1, round(min_len_s * rate.fps)),
                           merge_gap=max(1, spec.stride // 2)):
            segs.append(Segment(ACTION, sp.start, sp.end, model.classes[sp.cls], round(sp.score, 4),
                                {"person": tid, "model": model.id}, source))
    return sorted(segs, key=lambda s: (s.start_frame, s.attrs["person"]))


def model_id(path: str | None) -> str | None:
    """The id in a model directory's card (the cache key: retraining into the same directory
    gives a new id, so the stage runs again)."""
    if path is None:
        return None
    import json
    from pathlib import Path

    try:
        return str(json.loads((Path(path) / "card.json").read_text())["id"])
    except (OSError, ValueError, KeyError):
        return Path(path).name


class ActionsStage(Stage):
    name = "actions"
    model = "stgcn"
    version = "1"
    requires = ("persons",)
    tracks = (ACTION,)

    def __init__(self, settings: dict[str, Any] | None = None, device: str = "cpu") -> None:
        self.settings = settings or {}
        self.device = device
        ref = self.settings.get(MODEL_SETTING)
        self.model_path = resolve_model(str(ref) if ref else None)
        self._model: ActionModel | None = None

    def _load(self) -> ActionModel | None:
        if self.model_path is None:
            return None
        if self._model is None:
            self._model = load_model(self.model_path)
        return self._model

    def params(self) -> dict[str, Any]:
        return {"model": model_id(self.model_path), "high": float(self.settings.get("action_threshold", 0.5))}

    def finish(self, ctx: StageContext) -> None:
        model = self._load()
        if model is None:
            log.warning(NO_MODEL)
            ctx.progress(self.name, 1.0, NO_MODEL)
            ctx.shared.setdefault("messages", []).append(f"actions: {NO_MODEL}")
            ctx.project.replace_machine_segments(ctx.video.id, ACTION, [], ctx.run_id)
            return
        table = load_poses(ctx.project, ctx.video.id)
        if table is None:
            log.warning(NO_POSES)
            ctx.progress(self.name, 1.0, NO_POSES)
            ctx.shared.setdefault("messages", []).append(f"actions: {NO_POSES}")
            ctx.project.replace_machine_segments(ctx.video.id, ACTION, [], ctx.run_id)
            return
        high = float(self.settings.get("action_threshold", 0.5))
        low = self.settings.get("action_low_threshold")
        segs = predict_table(table, model, ctx.video.rate, ctx.task, high=high,
                             low=float(low) if low is not None else None, source=self.source)
        ctx.project.replace_machine_segments(ctx.video.id, ACTION, segs, ctx.run_id)
        ctx.progress(self.name, 1.0, f"{len(segs)} action(s) by {model.id}")


def evaluate_on_truth(table: PoseTable, model: ActionModel, rate: Rate,
                      truth: list[tuple[Any, int, int, str]], iou: float = 0.5) -> dict[str, Any]:
    """Segment-level precision/recall of ``model`` on one pose table against true spans."""
    from core.actions.metrics import match_segments

    segs = predict_table(table, model, rate)
    pred = [(s.attrs["person"], s.start_frame, s.end_frame, str(s.label)) for s in segs]
    return match_segments(pred, truth, iou)


__all__ = ["ActionsStage", "predict_table", "evaluate_on_truth", "model_id", "NO_MODEL", "NO_POSES"]
