"""Highlights on plain data: cues and their why, scoring, shot-snapped speech-safe boundaries,
target durations, reel budget and order, settings."""

from __future__ import annotations

import numpy as np
import pytest

from core.audio.features import AudioLanes
from core.errors import ClipDeskError
from core.highlights import HighlightSettings, Material, propose, settings_from
from core.highlights.bounds import PAUSE, SHOT_CUT, SpeechIndex, cut_points, place
from core.highlights.candidates import group_cues, score_cues
from core.highlights.cues import (EVENT_KIND, EXCITEMENT_KIND, REPLAY_KIND, all_cues, event_cues,
                                  excitement_cues, rhythm_cues)
from core.segments import ACTION, EVENT, SHOT, SPEECH, TRANSITION, Segment
from core.timebase import FrameClock, Rate

FPS = 25


def _clock(seconds: float) -> FrameClock:
    return FrameClock(Rate(FPS, 1), int(seconds * FPS))


def _shots(cuts_s: list[float], total_s: float) -> list[Segment]:
    edges = [0] + [int(c * FPS) for c in cuts_s] + [int(total_s * FPS)]
    return [Segment(SHOT, a, b) for a, b in zip(edges, edges[1:], strict=False)]


def _speech(*spans: tuple[float, float]) -> list[Segment]:
    return [Segment(SPEECH, int(a * FPS), int(b * FPS), "words") for a, b in spans]


def _lanes(total_s: float, loud: list[tuple[float, float]]) -> AudioLanes:
    """Lanes with quiet background and loud, busy stretches (what a crowd roar looks like)."""
    n = int(total_s * 10)
    loudness = np.full(n, -40.0, np.float32)
    exc = np.full(n, 0.05, np.float32)
    for a, b in loud:
        loudness[int(a * 10):int(b * 10)] = -12.0
        exc[int(a * 10):int(b * 10)] = 0.95
    return AudioLanes(np.zeros((n * 10, 2), np.float16), loudness, np.zeros(n, np.float32), exc)


def _boundaries(shots: list[Segment]) -> set[int]:
    return {s.start_frame for s in shots} | {s.end_frame for s in shots}


def test_boundaries_snap_to_shots_and_keep_speech_whole() -> None:
    clk = _clock(120)
    shots = _shots([4, 8, 12, 16, 20, 24, 28, 32, 36, 40], 120)
    # Speech runs across the cut at 12 s and the one at 24 s: neither may be used.
    speech = _speech((11.0, 13.5), (23.0, 25.0))
    pts = cut_points(shots, [], clk.frame_count)
    p = place(int(17.5 * FPS), int(18.5 * FPS), int(18 * FPS), 10.0, 0.55, pts, SpeechIndex(speech), clk)
    assert p.start in _boundaries(shots) and p.end in _boundaries(shots)
    assert p.start not in (12 * FPS, 24 * FPS) and p.end not in (12 * FPS, 24 * FPS)
    sidx = SpeechIndex(speech)
    assert not sidx.inside(p.start) and not sidx.inside(p.end)
    assert p.start <= int(17.5 * FPS) and p.end >= int(18.5 * FPS)
    assert (p.start_kind, p.end_kind) == (SHOT_CUT, SHOT_CUT) and not p.cuts_speech
    assert 6.0 <= (p.end - p.start) / FPS <= 14.0


def test_pause_edge_used_when_no_shot_boundary_is_free() -> None:
    clk = _clock(60)
    shots = _shots([], 60)  # one long shot: only the video edges are shot boundaries
    speech = _speech((20.0, 27.0), (27.5, 31.0), (33.0, 40.0))
    p = place(30 * FPS, 31 * FPS, 30 * FPS, 8.0, 0.5, cut_points(shots, [], clk.frame_count),
              SpeechIndex(speech), clk)
    sidx = SpeechIndex(speech)
    assert not sidx.inside(p.start) and not sidx.inside(p.end)
    assert PAUSE in (p.start_kind, p.end_kind)
    assert any("speech pause" in n for n in p.notes)


def test_speech_everywhere_is_flagged_not_hidden() -> None:
    clk = _clock(300)
    shots = _shots([float(t) for t in range(10, 300, 10)], 300)
    speech = _speech((0.0, 300.0))
    p = place(150 * FPS, 151 * FPS, 150 * FPS, 10.0, 0.5, cut_points(shots, [], clk.frame_count),
              SpeechIndex(speech), clk)
    assert p.cuts_speech and any("cuts speech" in n for n in p.notes)


def test_cut_points_stay_out_of_dissolves() -> None:
    shots = [Segment(SHOT, 0, 106), Segment(SHOT, 106, 300)]
    trans = [Segment(TRANSITION, 100, 112, "dissolve")]
    pts = cut_points(shots, trans, 300)
    assert 112 in pts.ins and 106 not in pts.ins
    assert 100 in pts.outs and 106 not in pts.outs


def test_cues_have_readable_why_and_noisy_or_score() -> None:
    clk = _clock(60)
    ev = Segment(EVENT, 30 * FPS, 30 * FPS + 1, "goal", 0.9,
                 {"before": "1-0", "after": "2-0", "team": "HOM", "clock": "35:12"})
    cues = event_cues([ev], clk) + excitement_cues(_lanes(60, [(27.0, 31.0)]), clk)
    assert {c.kind for c in cues} == {EVENT_KIND, EXCITEMENT_KIND}
    both = group_cues(cues, clk)
    assert len(both) == 1
    c = both[0]
    assert c.label == "goal"
    assert any("score changed 1-0 \u2192 2-0 (HOM)" in w and "35:12" in w for w in c.why)
    assert any("LU over the video's median" in w for w in c.why)
    alone = score_cues([x for x in cues if x.kind == EXCITEMENT_KIND])
    assert c.score > alone > 0
    assert c.signals["events"] == ["goal"] and "loudness_lu" in c.signals


def test_excitement_needs_a_real_loudness_lift() -> None:
    clk = _clock(60)
    flat = _lanes(60, [(20.0, 24.0)])
    flat.loudness[:] = -20.0  # the normalised curve peaks, but nothing is louder than usual
    assert excitement_cues(flat, clk) == []
    assert len(excitement_cues(_lanes(60, [(20.0, 24.0)]), clk)) == 1


def test_rhythm_finds_a_burst_of_short_shots() -> None:
    clk = _clock(80)
    cuts = [8, 16, 24, 32, 32.8, 33.6, 34.4, 35.2, 43, 51, 59, 67]
    cues = rhythm_cues(_shots([float(c) for c in cuts], 80), clk)
    assert len(cues) == 1
    c = cues[0]
    assert c.start == 32 * FPS and c.end == int(35.2 * FPS)
    assert "burst of 4 short shots" in c.text


def test_propose_contains_events_respects_speech_and_shots() -> None:
    total = 240.0
    clk = _clock(total)
    cuts = [float(t) for t in np.arange(5.0, total, 5.0)]
    shots = _shots(cuts, total)
    events = [Segment(EVENT, int(t * FPS), int(t * FPS) + 1, "goal", 0.9, {"before": "0-0", "after": "1-0"})
              for t in (40.2, 170.6)]
    actions = [Segment(ACTION, int(100 * FPS), int(101.5 * FPS), "shot_on_goal", 0.8)]
    speech = _speech((44.0, 46.5), (98.0, 100.5), (164.5, 165.5), (172.0, 176.0))
    m = Material(clk, shots, speech=speech, events=events, actions=actions,
                 lanes=_lanes(total, [(41.0, 44.0), (171.0, 174.0)]))
    hs = propose(m, HighlightSettings(clip_s=15.0, reel_s=None))
    assert len(hs) == 3
    sidx = SpeechIndex(speech)
    bounds = _boundaries(shots)
    for h in hs:
        assert not sidx.inside(h.start_frame) and not sidx.inside(h.end_frame)
        assert h.start_frame in bounds and h.end_frame in bounds
        assert h.attrs["why"] and isinstance(h.attrs["score"], float)
        assert 7.0 <= (h.end_frame - h.start_frame) / FPS <= 25.0
    for t in (40.2, 100.0, 170.6):
        assert any(h.contains(int(t * FPS)) for h in hs), t
    assert [h.attrs["order"] for h in hs] == [1, 2, 3]
    assert [h.label for h in hs] == ["goal", "shot_on_goal", "goal"]
    # a goal with a crowd roar outranks a lone action
    assert hs[0].confidence is not None and hs[1].confidence is not None
    assert hs[0].confidence > hs[1].confidence
    # the build-up is before the scoreboard change: the clip starts well before it
    for g, t in ((hs[0], 40.2), (hs[2], 170.6)):
        assert int(t * FPS) - g.start_frame >= 4 * FPS


def test_reel_budget_and_count_keep_the_best() -> None:
    total = 600.0
    clk = _clock(total)
    shots = _shots([float(t) for t in np.arange(5.0, total, 5.0)], total)
    times = [50.0, 150.0, 250.0, 350.0, 450.0]
    events = [Segment(EVENT, int(t * FPS), int(t * FPS) + 1, "point" if i % 2 else "goal", 0.9)
              for i, t in enumerate(times)]
    m = Material(clk, shots, events=events)
    hs = propose(m, HighlightSettings(clip_s=20.0, reel_s=65.0))
    total_len = sum(h.length for h in hs) / FPS
    assert total_len <= 65.0 and len(hs) >= 2
    assert all(h.label == "goal" for h in hs)  # the goals (stronger) are kept, points dropped
    assert len(propose(m, HighlightSettings(clip_s=20.0, reel_s=None, max_count=2))) == 2
    assert [h.start_frame for h in hs] == sorted(h.start_frame for h in hs)


def test_replay_after_a_moment_is_attached() -> None:
    clk = _clock(120)
    shots = _shots([10, 20, 30, 40, 50, 60], 120)
    trans = [Segment(TRANSITION, 24 * FPS, 24 * FPS + 10, "wipe"),
             Segment(TRANSITION, 32 * FPS, 32 * FPS + 10, "wipe")]
    ev = [Segment(EVENT, 20 * FPS, 20 * FPS + 1, "goal", 0.9)]
    m = Material(clk, shots, transitions=trans, events=ev)
    kinds = {c.kind for c in all_cues(m)}
    assert REPLAY_KIND in kinds
    (c,) = group_cues(all_cues(m), clk)
    assert c.replay is not None and any("replay follows" in w for w in c.why)
    assert c.score > score_cues([x for x in all_cues(m) if x.kind == EVENT_KIND])


def test_no_evidence_no_highlights() -> None:
    clk = _clock(60)
    assert propose(Material(clk, _shots([20, 40], 60))) == []


def test_settings_presets_and_errors() -> None:
    assert settings_from("15s").clip_s == 15.0
    assert settings_from("reel").reel_s == 180.0
    assert settings_from({"preset": "60s", "max_count": 3}).clip_s == 60.0
    assert settings_from(None) == HighlightSettings()
    with pytest.raises(ClipDeskError, match="unknown highlights preset"):
        settings_from("2min")
    with pytest.raises(ClipDeskError, match="unknown highlights setting"):
        settings_from({"clip": 10})


def test_overlapping_weaker_moment_is_absorbed_whole() -> None:
    total = 200.0
    clk = _clock(total)
    cuts = [float(t) for t in np.arange(5.0, 56.0, 5.0)] + [57.0, 57.8, 58.6, 59.4, 60.2] + \
        [float(t) for t in np.arange(65.0, total, 5.0)]
    shots = _shots(cuts, total)
    ev = [Segment(EVENT, 50 * FPS, 50 * FPS + 1, "goal", 0.9)]
    # gap_s=3: the burst (57-60.2 s) is its own moment, weaker than the goal, overlapping its clip
    hs = propose(Material(clk, shots, events=ev), HighlightSettings(clip_s=24.0, reel_s=None, gap_s=3.0))
    assert len(hs) == 1
    h = hs[0]
    assert h.contains(50 * FPS) and h.start_frame <= 57 * FPS and h.end_frame >= int(60.2 * FPS)
    assert any(w.startswith("also: burst of") for w in h.attrs["why"])
