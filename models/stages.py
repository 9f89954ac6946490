"""The analysis stages ClipDesk runs, in pipeline order, bound to their models.

``core`` defines what a stage is and implements the classical ones; model-backed stages live
in ``models``. This module is where they are put together for the CLI and the app, and where the
settings that name model files are listed, so callers can check them before anything runs
(:func:`check_model_settings`) or analyse without the untrusted ones
(:func:`without_untrusted_models`). Imports are lazy so listing stages costs nothing.
"""

from __future__ import annotations

import copy
from typing import Any, Callable, Collection

from core.errors import ClipDeskError
from core.pipeline import Stage

# The names INTERFACES.md promises for ``clipdesk analyze --stages``.
STAGE_NAMES = ("shots", "scenes", "speech", "persons", "scoreboard", "actions", "highlights")

# Settings that name a model file to load (key path in the stage settings), the stage that loads
# it and what runs instead. Action models are directories loaded weights-only by
# models.actions.registry.
MODEL_FILE_SETTINGS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("persons", "weights"), "persons", "the bundled pose model"),
    (("persons", "ball_weights"), "persons", "the classical ball finder"),
    (("ball_weights",), "persons", "the classical ball finder"),
)


def model_file_settings(settings: dict[str, Any], stages: Collection[str] | None = None
                        ) -> list[tuple[tuple[str, ...], str, str]]:
    """``(key path, value, fallback)`` for each model-file setting present in ``settings`` (of
    the ``stages`` named, default all)."""
    out = []
    for key, stage, fallback in MODEL_FILE_SETTINGS:
        node: Any = settings
        for k in key:
            node = node.get(k) if isinstance(node, dict) else None
        if node and (stages is None or stage in stages):
            out.append((key, str(node), fallback))
    return out


def _check(value: str, source: str) -> None:
    from models.safe_load import scan
    from models.trust import check_model_path

    scan(check_model_path(value, source))


def check_model_settings(settings: dict[str, Any], name: Callable[[tuple[str, ...]], str] = ".".join,
                         stages: Collection[str] | None = None) -> None:
    """Raise the first model-file setting's one-line refusal (untrusted, changed, missing, or a
    file that names code) among the ``stages`` that will run; ``name`` spells a key path as the
    user knows it."""
    for key, value, _ in model_file_settings(settings, stages):
        _check(value, name(key))


def without_untrusted_models(settings: dict[str, Any], name: Callable[[tuple[str, ...]], str] = ".".join
                             ) -> tuple[dict[str, Any], list[str]]:
    """``settings`` without the model files :func:`check_model_settings` would refuse, and one
    notice per file dropped (why, and what runs instead). Nothing is loaded."""
    out = copy.deepcopy(settings)
    notices = []
    for key, value, fallback in model_file_settings(settings):
        try:
            _check(value, name(key))
        except ClipDeskError as e:
            node = out
            for k in key[:-1]:
                node = node[k]
            node.pop(key[-1], None)
            notices.append(f"{e}; analysing with {fallback} instead")
    return out, notices


# The stages each block of :func:`available_stages` builds, in pipeline order, and the stages they
# require (``Stage.requires``), so a subset can be built without importing the rest.
STAGE_GROUPS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("shots", "scenes"), ()),
    (("audio", "speech"), ()),
    (("persons",), ("shots",)),
    (("scoreboard", "search"), ()),
    (("actions",), ("persons",)),
    (("events",), ("actions", "scoreboard", "audio")),
    (("highlights",), ("shots",)),
)


def _needed_groups(only: Collection[str] | None) -> set[str] | None:
    """Stage names to build for ``only`` (with everything they require), ``None`` for all."""
    if only is None:
        return None
    known = {n for names, _ in STAGE_GROUPS for n in names}
    needed = set(only)
    if not needed <= known:
        return None
    while True:
        more = {r for names, req in STAGE_GROUPS if needed & set(names) for r in (*names, *req)} - needed
        if not more:
            return needed
        needed |= more


def crop_poser(settings: dict[str, Any]) -> Callable[[], Callable[[Any], Any]]:
    """The pose model on person crops for the actions stage's probes (loaded on first use; the
    persons stage's weights, a 160 px input)."""
    def make() -> Callable[[Any], Any]:
        from models.persons.stage import shared_detector

        weights = (settings.get("persons") or {}).get("weights")
        return shared_detector(weights, (160, 160), 0.25, "cpu", None).detect

    return make


def available_stages(settings: dict[str, Any] | None = None, device: str = "cpu",
                     only: Collection[str] | None = None) -> list[Stage]:
    """Every stage this installation can run, configured from project/user ``settings``; with
    ``only``, just the stages named there and those they require (:data:`STAGE_GROUPS`), so
    ``analyze --stages shots`` imports no other stage's modules (scipy, torch, YOLO, Whisper).
    A name no group knows builds everything, so ``order_stages`` can list the known ones."""
    settings = settings or {}
    stages: list[Stage] = []
    needed = _needed_groups(only)

    def want(*names: str) -> bool:
        return needed is None or any(n in needed for n in names)

    if want("shots", "scenes"):
        try:  # shots (cascade: classical fast pass + TransNetV2 where unsure) and scenes (issue 2)
            from models.shots.stage import make_shot_stage

            stages.append(make_shot_stage(settings, device=device))
            from core.shots.scenes import SceneStage

            stages.append(SceneStage())
        except Exception as e:  # noqa: BLE001
            import logging

            logging.getLogger(__name__).warning("shot/scene stages unavailable: %s", e)
    if want("audio", "speech"):
        try:  # speech and audio lanes (issue 4); one failing import must not hide other stages
            from core.audio.stage import AudioLanesStage
            from models.speech.stage import SpeechStage

            stages.append(AudioLanesStage())
            stages.append(SpeechStage(settings.get("speech"), device=device))
        except Exception as e:  # noqa: BLE001
            import logging

            logging.getLogger(__name__).warning("speech stages unavailable: %s", e)
    if want("persons"):
        try:  # persons, poses and ball (issue 5)
            from models.persons.stage import PersonsStage

            stages.append(PersonsStage.from_settings(settings, device=device))
        except Exception as e:  # noqa: BLE001
            import logging

            logging.getLogger(__name__).warning("persons stage unavailable: %s", e)
    if want("scoreboard", "search"):
        try:  # scoreboard reading, score events, match periods and image-search embeddings (issue 6)
            from models.scoreboard.stage import ScoreboardStage
            from models.search.stage import SearchStage

            sb = settings.get("scoreboard") or {}
            keys = ("read_fps", "relocate_s", "min_period_s", "sample_fps")
            stages.append(ScoreboardStage(**{k: sb[k] for k in keys if k in sb}))
            stages.append(SearchStage(float((settings.get("search") or {}).get("every_s", 1.0)),
                                      device=device))
        except Exception as e:  # noqa: BLE001
            import logging

            logging.getLogger(__name__).warning("scoreboard/search stages unavailable: %s", e)
    if want("actions"):
        try:  # actions from pose tracks (ST-GCN) (issue 7)
            from models.actions.stage import ActionsStage

            stages.append(ActionsStage(settings, device=device, pose_probe=crop_poser(settings)))
        except Exception as e:  # noqa: BLE001 - e.g. a bad action_model setting
            import logging

            logging.getLogger(__name__).warning("actions stage unavailable: %s", e)
    if want("events"):
        try:  # events fused from score changes, actions, excitement and replays (issue 7)
            from core.actions.events import EventsStage

            stages.append(EventsStage())
        except Exception as e:  # noqa: BLE001
            import logging

            logging.getLogger(__name__).warning("events stage unavailable: %s", e)
    if want("highlights"):
        try:  # highlights (issue 8): last, so it sees every other stage's tracks and signals
            from core.highlights.stage import HighlightStage

            stages.append(HighlightStage.from_settings(settings))
        except Exception as e:  # noqa: BLE001
            import logging

            logging.getLogger(__name__).warning("highlights stage unavailable: %s", e)
    return stages


def default_stage_names(stages: list[Stage]) -> list[str]:
    return [s.name for s in stages]
