"""Pipeline stage ``highlights``: proposes the ``highlight`` track after the other stages.

Requires ``shots`` (boundaries to cut on); uses speech, audio lanes, events, actions and poses
when their stages ran before it (``models.stages`` lists it last) and works without them. It
needs nothing from the decode pass. Runs on the pipeline's thread.
"""

from __future__ import annotations

from typing import Any

from core.highlights.project import update_highlights
from core.highlights.reel import SETTING_KEY, HighlightSettings, settings_from
from core.pipeline import Stage, StageContext
from core.segments import HIGHLIGHT


class HighlightStage(Stage):
    name = "highlights"
    model = "highlights"
    version = "3"  # 2: fused events (core.actions.events) with the signals that fired; 3: replays checked
    # against earlier footage (no loop, no compilation clip), titles read boards of the same shot/scene
    requires = ("shots",)
    tracks = (HIGHLIGHT,)

    def __init__(self, settings: HighlightSettings | dict | str | None = None) -> None:
        self.settings = settings_from(settings)

    @classmethod
    def from_settings(cls, settings: dict[str, Any] | None) -> "HighlightStage":
        return cls((settings or {}).get(SETTING_KEY))

    def params(self) -> dict[str, Any]:
        return self.settings.to_dict()

    def finish(self, ctx: StageContext) -> None:
        update_highlights(ctx.project, ctx.video.id, self.settings, ctx.task, ctx.run_id,
                          source=self.source)


__all__ = ["HighlightStage"]
