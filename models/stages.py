"""The analysis stages ClipDesk runs, in pipeline order, bound to their models.

``core`` defines what a stage is and implements the classical ones; model-backed stages live
in ``models``. This module is where they are put together for the CLI and the app. Imports are
lazy so listing stages costs nothing.
"""

from __future__ import annotations

from typing import Any

from core.pipeline import Stage

# The names INTERFACES.md promises for ``clipdesk analyze --stages``.
STAGE_NAMES = ("shots", "scenes", "speech", "persons", "scoreboard", "actions", "highlights")


def available_stages(settings: dict[str, Any] | None = None, device: str = "cpu") -> list[Stage]:
    """Every stage this installation can run, configured from project/user ``settings``."""
    settings = settings or {}
    stages: list[Stage] = []
    try:  # shots (cascade: classical fast pass + TransNetV2 where unsure) and scenes (issue 2)
        from models.shots.stage import make_shot_stage

        stages.append(make_shot_stage(settings, device=device))
        from core.shots.scenes import SceneStage

        stages.append(SceneStage())
    except Exception as e:  # noqa: BLE001
        import logging

        logging.getLogger(__name__).warning("shot/scene stages unavailable: %s", e)
    try:  # speech and audio lanes (issue 4); one failing import must not hide other stages
        from core.audio.stage import AudioLanesStage
        from models.speech.stage import SpeechStage

        stages.append(AudioLanesStage())
        stages.append(SpeechStage(settings.get("speech"), device=device))
    except Exception as e:  # noqa: BLE001
        import logging

        logging.getLogger(__name__).warning("speech stages unavailable: %s", e)
    try:  # persons, poses and ball (issue 5)
        from models.persons.stage import PersonsStage

        stages.append(PersonsStage.from_settings(settings, device=device))
    except Exception as e:  # noqa: BLE001
        import logging

        logging.getLogger(__name__).warning("persons stage unavailable: %s", e)
    try:  # scoreboard reading, score events, match periods and image-search embeddings (issue 6)
        from models.scoreboard.stage import ScoreboardStage
        from models.search.stage import SearchStage

        sb = settings.get("scoreboard") or {}
        stages.append(ScoreboardStage(**{k: sb[k] for k in ("read_fps", "relocate_s", "min_period_s")
                                         if k in sb}))
        stages.append(SearchStage(float((settings.get("search") or {}).get("every_s", 1.0)),
                                  device=device))
    except Exception as e:  # noqa: BLE001
        import logging

        logging.getLogger(__name__).warning("scoreboard/search stages unavailable: %s", e)
    try:  # actions from pose tracks (ST-GCN) (issue 7)
        from models.actions.stage import ActionsStage

        stages.append(ActionsStage(settings, device=device))
    except Exception as e:  # noqa: BLE001 - e.g. a bad action_model setting
        import logging

        logging.getLogger(__name__).warning("actions stage unavailable: %s", e)
    try:  # events fused from score changes, actions, excitement and replays (issue 7)
        from core.actions.events import EventsStage

        stages.append(EventsStage())
    except Exception as e:  # noqa: BLE001
        import logging

        logging.getLogger(__name__).warning("events stage unavailable: %s", e)
    try:  # highlights (issue 8): last, so it sees every other stage's tracks and signals
        from core.highlights.stage import HighlightStage

        stages.append(HighlightStage.from_settings(settings))
    except Exception as e:  # noqa: BLE001
        import logging

        logging.getLogger(__name__).warning("highlights stage unavailable: %s", e)
    return stages


def default_stage_names(stages: list[Stage]) -> list[str]:
    return [s.name for s in stages]
