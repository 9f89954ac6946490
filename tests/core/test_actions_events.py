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
    assert sorted(s.source for s in evs) == [SOURCE, "model:scoreboard@1"]
    assert EventsStage().requires == ("actions", "scoreboard", "audio")


# --- each combination of signals fires or does not (generated signals) -------------------------

def _labels(evs: list[Segment]) -> list[tuple[str | None, list[str]]]:
    return [(e.label, e.attrs["signals"]) for e in evs]


def _score(t: float) -> Segment:
    return Segment(EVENT, int(t * 25), int(t * 25) + 1, "score_change", 0.9, {"before": "0-0", "after": "1-0"},
                   "model:scoreboard@2")


def test_shot_needs_a_reaction_to_be_a_chance() -> None:
    shot = [_act("shot", 30, 31)]  # the starter detector's class name
    assert fuse_events(CLK, [], shot, None, []) == []  # shot alone
    assert fuse_events(CLK, [], shot, _exc([(70, 72)]), []) == []  # excitement, but elsewhere
    assert fuse_events(CLK, [], [], _exc([(30, 33)]), []) == []  # excitement alone
    assert fuse_events(CLK, [], [], None, [(25 * 40, 25 * 45)]) == []  # replay alone
    assert _labels(fuse_events(CLK, [], shot, _exc([(31, 33)]), [])) == [("chance", ["action", "excitement"])]
    assert _labels(fuse_events(CLK, [], shot, None, [(25 * 40, 25 * 45)])) == [("chance", ["action", "replay"])]
    both = fuse_events(CLK, [], shot, _exc([(31, 33)]), [(25 * 40, 25 * 45)])
    assert _labels(both) == [("chance", ["action", "excitement", "replay"])]
    one = fuse_events(CLK, [], shot, _exc([(31, 33)]), [])[0].confidence
    assert one is not None and both[0].confidence is not None and both[0].confidence > one  # more signals, surer
    kick = fuse_events(CLK, [], [_act("kick", 30, 31)], _exc([(31, 33)]), [])
    assert _labels(kick) == [("chance", ["action", "excitement"])]
    # an unsure shot (below min_action_conf) or another class does not make a chance
    assert fuse_events(CLK, [], [_act("shot", 30, 31, conf=0.3)], _exc([(31, 33)]), []) == []
    assert fuse_events(CLK, [], [_act("forehand", 30, 31)], _exc([(31, 33)]), []) == []
    # a replay too late after the shot is no reaction to it
    assert fuse_events(CLK, [], shot, None, [(25 * 60, 25 * 65)]) == []


def test_goal_needs_a_score_change_and_takes_the_shot() -> None:
    shot = _act("shot", 30, 31)
    assert _labels(fuse_events(CLK, [_score(38)], [], None, [])) == [("goal", ["score"])]
    assert _labels(fuse_events(CLK, [_score(38)], [], _exc([(38, 40)]), [])) == [("goal", ["excitement", "score"])]
    (goal,) = fuse_events(CLK, [_score(38)], [shot], _exc([(31, 33)]), [])
    assert goal.label == "goal" and goal.attrs["signals"] == ["action", "excitement", "score"]
    assert goal.start_frame == 25 * 29 and goal.attrs["anchor"] == 25 * 38  # from 1 s before the shot
    assert goal.attrs["after"] == "1-0"
    # a shot long before the score change is not its shot: a goal from the board and a chance
    evs = fuse_events(CLK, [_score(60)], [shot], _exc([(31, 33)]), [])
    assert _labels(evs) == [("chance", ["action", "excitement"]), ("goal", ["score"])]
    # the scoreboard's own corrections are no goals
    fixed = Segment(EVENT, 25 * 38, 25 * 38 + 1, "score_change", 0.9, {"correction": True}, "model:scoreboard@2")
    assert fuse_events(CLK, [fixed], [], None, []) == []


def test_celebration_after_a_goal_or_with_the_crowd_only() -> None:
    cel = _act("celebration", 40, 43, person=5)
    assert fuse_events(CLK, [], [cel], None, []) == []  # arms up, nobody reacts: no event
    (alone,) = fuse_events(CLK, [], [cel], _exc([(41, 44)]), [])
    assert _labels([alone]) == [("celebration", ["action", "excitement"])]
    evs = fuse_events(CLK, [_score(38)], [cel], None, [])
    assert _labels(evs) == [("goal", ["score"]), ("celebration", ["action", "sequence"])]
    assert any("follows the goal at" in w for w in evs[1].attrs["why"])
    # a goal with a long roar and no celebration action: celebration from the sound
    evs = fuse_events(CLK, [_score(38)], [], _exc([(38.5, 45)]), [])
    assert _labels(evs) == [("goal", ["excitement", "score"]), ("celebration", ["excitement", "sequence"])]
    # two separate roars after a goal are no sustained celebration
    evs = fuse_events(CLK, [_score(38)], [], _exc([(38.5, 40), (55, 57)]), [])
    assert _labels(evs) == [("goal", ["excitement", "score"])]
    # a short roar is no celebration
    assert _labels(fuse_events(CLK, [_score(38)], [], _exc([(38.5, 40)]), [])) == [("goal", ["excitement", "score"])]


def test_highlight_cues_use_fused_events_and_say_which_signals_fired() -> None:
    from core.highlights.candidates import group_cues
    from core.highlights.cues import event_cues

    board = _score(38)
    fused = fuse_events(CLK, [board], [_act("shot", 30, 31)], _exc([(31, 33)]), [(25 * 45, 25 * 50)])
    cues = event_cues([board] + fused, CLK)
    assert len(cues) == 1  # the board's score change is carried by the fused goal, not counted twice
    (c,) = cues
    assert c.label == "goal" and c.data["signals"] == ["action", "excitement", "replay", "score"]
    assert c.peak == 25 * 38 and c.start == 25 * 29 and c.strength == 1.0
    assert "signals: action, excitement, replay, score" in c.text and "shot by person 3" in c.text
    assert "score changed 0-0 \u2192 1-0" in c.text
    (cand,) = group_cues(cues, CLK)
    assert cand.label == "goal" and cand.signals["event_signals"] == {"goal": ["action", "excitement", "replay",
                                                                               "score"]}
    # without fusion the board's event is still a cue of its own
    assert [x.label for x in event_cues([board], CLK)] == ["score_change"]
    chance = fuse_events(CLK, [], [_act("shot", 30, 31)], _exc([(31, 33)]), [])
    (cc,) = event_cues(chance, CLK)
    assert cc.label == "chance" and cc.strength == chance[0].confidence and "signals: action, excitement" in cc.text


def test_window_lines_name_the_signals_that_fired() -> None:
    from app.review.names import attr_lines, signal_line

    (chance,) = fuse_events(CLK, [], [_act("shot", 30, 31)], _exc([(31, 33)]), [])
    assert signal_line(chance) == "signals fired: action, excitement"
    lines = attr_lines(chance, CLK)
    assert lines[0].startswith("shot by person 3 at") and "signals fired: action, excitement" in lines
    assert signal_line(_act("shot", 30, 31)) is None  # actions carry no fused signals
