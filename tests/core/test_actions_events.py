"""Event fusion: score changes + actions + excitement + replays -> explained events."""

from __future__ import annotations

import numpy as np

from core.actions.events import SOURCE, EventsStage, Excitement, fuse_events, fuse_project, store_events
from core.segments import ACTION, EVENT, Segment
from core.timebase import FrameClock, Rate

CLK = FrameClock(Rate(25), 25 * 120)


def _act(label: str, s: float, e: float, conf: float = 0.9, person: int = 3) -> Segment:
    return Segment(ACTION, int(s * 25), int(e * 25), label, conf, {"person": person}, "model:stgcn@1")


def _exc(peaks: list[tuple[float, float]]) -> Excitement:
    t = np.arange(0, 120, 0.1)
    v = np.full_like(t, 0.2)
    for a, b in peaks:
        v[(t >= a) & (t <= b)] = 0.9
    return Excitement(t, v)


def test_goal_fuses_score_shot_excitement_and_replay() -> None:
    score = Segment(EVENT, 25 * 40, 25 * 40 + 1, "goal", 0.9, {"before": "0-0", "after": "1-0"}, "model:sb@1")
    evs = fuse_events(CLK, [score], [_act("shot_on_goal", 33, 34.5), _act("celebration", 36, 41, person=7)],
                      _exc([(35, 42)]), [(25 * 50, 25 * 58)])
    goal = next(e for e in evs if e.label == "goal")
    assert goal.attrs["signals"] == ["action", "excitement", "replay", "score"]
    assert any("0-0 \u2192 1-0" in w for w in goal.attrs["why"])
    assert any("shot_on_goal by person 3" in w for w in goal.attrs["why"])
    assert goal.start_frame < 25 * 33 and goal.confidence and goal.confidence > 0.9
    cel = next(e for e in evs if e.label == "celebration")
    assert "sequence" in cel.attrs["signals"]
    assert all(e.source == SOURCE for e in evs)


def test_score_change_alone_still_a_goal_with_lower_confidence() -> None:
    score = Segment(EVENT, 1000, 1001, "score_change", 0.9, {"before": "1-0", "after": "1-1"}, "model:sb@1")
    (goal,) = fuse_events(CLK, [score], [], None, [])
    assert goal.label == "goal" and goal.attrs["signals"] == ["score"] and goal.confidence == 0.85


def test_chance_foul_card_need_evidence() -> None:
    acts = [_act("shot_on_goal", 10, 11), _act("shot_on_goal", 60, 61), _act("tackle", 80, 81),
            _act("red_card", 100, 101), _act("tackle", 20, 21, conf=0.2)]
    evs = fuse_events(CLK, [], acts, _exc([(10.5, 13), (81, 83)]), [])
    labels = [(e.label, round(e.start_frame / 25)) for e in evs]
    assert labels == [("chance", 10), ("foul", 80), ("card", 100)]  # lone shot at 60 s is no event
    assert fuse_events(CLK, [], [], None, []) == []


def test_store_events_keeps_scoreboard_events(project, tmp_path) -> None:
    from actions_helpers import add_tiny_video

    vid = add_tiny_video(project, tmp_path / "e.mp4", 5, frames=250)
    project.insert_segment(vid, Segment(EVENT, 100, 101, "goal", 0.9, {"before": "0-0", "after": "0-1"},
                                        "model:scoreboard@1"))
    project.insert_segment(vid, _act("shot_on_goal", 2.0, 3.5))
    segs = fuse_project(project, vid)
    assert [s.label for s in segs] == ["goal"] and "action" in segs[0].attrs["signals"]
    store_events(project, vid, segs, None)
    store_events(project, vid, fuse_project(project, vid), None)  # re-run replaces, never duplicates
    evs = project.segments(vid, EVENT)
    assert sorted(s.source for s in evs) == ["model:events@1", "model:scoreboard@1"]
    assert EventsStage().requires == ("actions", "scoreboard", "audio")
