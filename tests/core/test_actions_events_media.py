"""Events from actions end to end on generated media: a generated edit (shots, crowd bursts in the
audio) with a generated person whose pose track holds three shots (core.actions.synthetic), and a
score change as the scoreboard stage stores it. The real stages run on it: shots and audio lanes
(one decode pass), the starter detector (actions), event fusion and highlights. A shot with the
crowd and the score change is a goal, a shot with the crowd a chance, a shot in silence no event;
the highlights carry the fused events and the signals that fired."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.actions.events import SOURCE, EventsStage
from core.actions.synthetic import synth_track
from core.audio.stage import AudioLanesStage
from core.highlights.stage import HighlightStage
from core.persons.poses import POSE_SIGNAL
from core.pipeline import analyze
from core.segments import ACTION, EVENT, HIGHLIGHT, Segment
from core.shots.stage import ShotStage
from core.store.project import Project
from core.testing.synth import ShotSpec, make_edit
from models.actions.stage import ActionsStage

FPS = 25
SR = 16000
SECONDS = 44
LOUD = [(12.4, 14.6), (31.4, 33.6)]  # crowd roars after the first and the last shot (short: no celebration)
SHOTS_S = [(11.0, 12.2), (21.0, 22.2), (30.0, 31.2)]  # both hands up together over the head
SCORE_AT = 14.0  # the board changes 0-0 -> 1-0 three seconds after the first shot


def _audio() -> np.ndarray:
    rng = np.random.default_rng(3)
    a = (0.01 * rng.standard_normal(SECONDS * SR)).astype(np.float32)
    for s, e in LOUD:
        i, j = int(s * SR), int(e * SR)
        a[i:j] += (0.5 * rng.standard_normal(j - i)).astype(np.float32)
    return a


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("ev")
    video = d / "match.mp4"
    make_edit(video, [ShotSpec(125) for _ in range(SECONDS * FPS // 125)] + [ShotSpec(SECONDS * FPS % 125 or 1)],
              size=(160, 96), fps=FPS, audio=_audio(), audio_rate=SR)
    path = d / "match.clipdesk"
    spans = [(int(a * FPS), int(b * FPS), "shot") for a, b in SHOTS_S]
    poses = synth_track(np.random.default_rng(11), 1, SECONDS * FPS, FPS, spans, sample_step=6,
                        frame_size=(160, 96))
    with Project(path) as p:
        vid = analyze(p, video, [ShotStage(), AudioLanesStage()]).video.id
        # what the persons and scoreboard stages would have stored (no person detector runs on
        # generated frames, no board is drawn)
        p.put_signal(vid, POSE_SIGNAL, "synthetic@1", poses)
        p.insert_segment(vid, Segment(EVENT, int(SCORE_AT * FPS), int(SCORE_AT * FPS) + 1, "score_change", 0.9,
                                      {"before": "0-0", "after": "1-0"}, "model:scoreboard@2"))
        analyze(p, video, [ActionsStage({}), EventsStage(), HighlightStage()])
    return path


def test_actions_become_events_only_with_their_signals(analysed: Path) -> None:
    with Project(analysed) as p:
        vid = p.videos()[0].id
        acts = p.segments(vid, ACTION)
        events = [e for e in p.segments(vid, EVENT) if e.source == SOURCE]
    shots = sorted(a.start_frame / FPS for a in acts if a.label == "shot")
    assert len(shots) == 3 and all(abs(t - s) <= 1.0 for t, (s, _) in zip(shots, SHOTS_S, strict=True)), shots
    by = {e.label: e for e in events}
    assert sorted(by) == ["chance", "goal"], [(e.label, e.start_frame / FPS) for e in events]
    goal, chance = by["goal"], by["chance"]
    assert goal.attrs["signals"] == ["action", "excitement", "score"]
    assert goal.attrs["anchor"] == int(SCORE_AT * FPS) and goal.start_frame < SHOTS_S[0][0] * FPS
    assert any("score changed 0-0 \u2192 1-0" in w for w in goal.attrs["why"])
    assert any(w.startswith("shot by person 1") for w in goal.attrs["why"])
    assert chance.attrs["signals"] == ["action", "excitement"] and abs(chance.start_frame / FPS - 30.0) <= 1.0
    # the shot in silence (21 s) is an action and no event
    assert not any(e.start_frame <= 21.5 * FPS < e.end_frame for e in events)


def test_highlights_carry_the_fused_events(analysed: Path) -> None:
    with Project(analysed) as p:
        vid = p.videos()[0].id
        hs = p.segments(vid, HIGHLIGHT)
    goal = next(h for h in hs if h.contains(int(SCORE_AT * FPS)))
    chance = next(h for h in hs if h.contains(int(30.5 * FPS)))
    assert goal.attrs["signals"]["event_signals"]["goal"] == ["action", "excitement", "score"]
    assert any("signals: action, excitement, score" in w for w in goal.attrs["why"])
    assert chance.attrs["signals"]["event_signals"] == {"chance": ["action", "excitement"]}
    # the score change is counted once: by the fused goal, not again as the board's own cue
    assert goal.attrs["signals"]["events"] == ["goal"]
    assert goal.confidence is not None and chance.confidence is not None and goal.confidence > chance.confidence
