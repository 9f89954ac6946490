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
from core.pipeline import Stage, StageContext
from core.segments import ACTION
from models.actions.predict import predict_table
from models.actions.registry import MODEL_SETTING, ActionModel, load_model, model_id, resolve_model

log = logging.getLogger(__name__)
NO_MODEL = ("no action model trained or imported: the action track stays empty "
            "(train one with `clipdesk train actions` or the Actions panel)")
NO_POSES = "no poses in this video (persons stage missing or found nobody): no actions"


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


__all__ = ["ActionsStage", "NO_MODEL", "NO_POSES"]
