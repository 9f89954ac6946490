"""Events precision on generated cases: a loop or a compilation clip is no replay, an action on a
shot that is not sport makes no chance, a title borrows no score from another shot's board."""

from __future__ import annotations

import numpy as np

from core.actions.events import Excitement, SportContext, fuse_events, fuse_project
from core.highlights.replays import replay_spans_checked, verify_replay
from core.highlights.titles import propose_title
from core.segments import ACTION, EVENT, HIGHLIGHT, PERSON, SCOREBOARD, SHOT, TRANSITION, Segment
from core.timebase import FrameClock, Rate

FPS = 25


def _clip(seed: int, n: int) -> np.ndarray:
    """Per-frame 80-bin histograms of a generated clip: its colours drift so frames differ."""
    rng = np.random.default_rng(seed)
    a, b = rng.dirichlet(np.ones(64)), rng.dirichlet(np.ones(64))
    la, lb = rng.dirichlet(np.ones(16)), rng.dirichlet(np.ones(16))
    w = 0.5 + 0.5 * np.sin(np.arange(n) / 9.0 + rng.uniform(0, 6))[:, None]
    return np.concatenate([(1 - w) * a + w * b, (1 - w) * la + w * lb], 1).astype(np.float32)


class _Edit:
    def __init__(self) -> None:
        self.parts: list[np.ndarray] = []
        self.trans: list[Segment] = []

    @property
    def n(self) -> int:
        return sum(len(p) for p in self.parts)

    def add(self, h: np.ndarray) -> tuple[int, int]:
        s = self.n
        self.parts.append(h)
        return s, self.n

    def gradual(self, kind: str, b: np.ndarray, k: int = 10) -> None:
        a = self.parts[-1][-1]
        w = np.linspace(0, 1, k + 2)[1:-1, None]
        s, e = self.add(((1 - w) * a + w * b[0]).astype(np.float32))
        self.trans.append(Segment(TRANSITION, s, e, kind, 1.0, {}, "model:shots@5"))

    def hist(self) -> np.ndarray:
        return np.concatenate(self.parts)


def _replay_edit() -> tuple[_Edit, tuple[int, int]]:
    live = _clip(1, 30 * FPS)
    e = _Edit()
    e.add(live[:20 * FPS])
    slow = live[np.repeat(np.arange(14 * FPS, 17 * FPS), 2)]  # 3 s of play again at half speed
    e.gradual("wipe", slow)
    span = e.add(slow)
    e.gradual("wipe", live[20 * FPS:])
    e.add(live[20 * FPS:])
    return e, span


def _loop_edit() -> tuple[_Edit, tuple[int, int]]:
    a, b = _clip(2, 12 * FPS), _clip(3, 15 * FPS)
    e = _Edit()
    e.add(a)
    e.gradual("dissolve", b)
    e.add(b)
    e.gradual("dissolve", a)
    span = e.add(a)  # the same footage coming round again
    e.gradual("dissolve", b)
    e.add(b)
    return e, span


def _compilation_edit() -> tuple[_Edit, tuple[int, int]]:
    e = _Edit()
    e.add(_clip(4, 10 * FPS))
    e.gradual("dissolve", _clip(5, 8 * FPS))
    span = e.add(_clip(5, 8 * FPS))
    e.gradual("dissolve", _clip(6, 10 * FPS))
    e.add(_clip(6, 10 * FPS))
    return e, span


def test_a_slow_motion_replay_is_a_replay_a_loop_or_a_compilation_clip_is_not() -> None:
    for make, want in ((_replay_edit, True), (_loop_edit, False), (_compilation_edit, False)):
        e, (s, t) = make()
        h = e.hist()
        clk = FrameClock(Rate(FPS), len(h))
        from core.highlights.cues import replay_spans

        assert (s, t) in replay_spans(e.trans, clk)  # the old rule: every one of them was a "replay"
        opening = next(x.start_frame for x in e.trans if x.end_frame == s)
        closing = next(x.end_frame for x in e.trans if x.start_frame == t)
        v = verify_replay(h, s, t, FPS, opening=opening, closing=closing)
        assert v.replay is want, (make.__name__, v)
        assert ((s, t) in replay_spans_checked(e.trans, clk, h)) is want
    e, (s, t) = _replay_edit()
    v = verify_replay(e.hist(), s, t, FPS)
    assert v.speed == 0.5 and v.source is not None and abs(v.source - 14 * FPS) <= 2 and "slow motion" in v.why


def _store(project, vid: int, e: _Edit, action_at: float, role: str | None = None) -> None:
    from core.shots.stage import SIG_HIST, feature_key

    project.put_signal(vid, SIG_HIST, feature_key(), e.hist())
    for tr in e.trans:
        project.insert_segment(vid, tr)
    project.insert_segment(vid, Segment(ACTION, int(action_at * FPS), int(action_at * FPS) + 12, "shot", 0.9,
                                        {"person": 4}, "model:starter@3"))
    if role:
        project.insert_segment(vid, Segment(PERSON, 0, e.n, "person", 0.8, {"track": 4, "role": role},
                                            "model:persons@5"))


def test_a_loop_coming_round_makes_no_chance_a_real_replay_does(project, tmp_path) -> None:
    from actions_helpers import add_tiny_video

    for make, want in ((_loop_edit, []), (_replay_edit, ["chance"])):
        e, (s, t) = make()
        vid = add_tiny_video(project, tmp_path / f"{make.__name__}.mp4", len(project.videos()) + 3, frames=e.n)
        _store(project, vid, e, (s - 3 * FPS) / FPS)  # a shot 3 s before the stretch, no crowd
        evs = fuse_project(project, vid)
        assert [x.label for x in evs] == want, make.__name__
        if want:
            assert evs[0].attrs["signals"] == ["action", "replay"]


def test_an_action_on_a_shot_that_is_no_sport_makes_no_chance() -> None:
    clk = FrameClock(Rate(FPS), 60 * FPS)
    shot = Segment(ACTION, 10 * FPS, 11 * FPS, "shot", 0.9, {"person": 7}, "model:starter@3")
    t = np.arange(0, 60, 0.1)
    exc = Excitement(t, np.where((t > 10.5) & (t < 13), 0.9, 0.2))
    shots = [(0, 30 * FPS), (30 * FPS, 60 * FPS)]
    film = SportContext({7: "person"}, np.zeros(0, np.int64), [], shots)  # arm wrestling: no field, ball, board
    assert fuse_events(clk, [], [shot], exc, [], sport=film) == []
    assert [e.label for e in fuse_events(clk, [], [shot], exc, [])] == ["chance"]  # the old rule
    board_elsewhere = SportContext({7: "person"}, np.zeros(0, np.int64), [(35 * FPS, 50 * FPS)], shots)
    assert fuse_events(clk, [], [shot], exc, [], sport=board_elsewhere) == []
    # the board of the shot before, read 5 frames past the cut (seen on a looped compilation)
    spill = SportContext({7: "person"}, np.zeros(0, np.int64), [(2 * FPS, 9 * FPS + 5)],
                         [(0, 9 * FPS), (9 * FPS, 30 * FPS)])
    assert fuse_events(clk, [], [shot], exc, [], sport=spill) == []
    for ctx, why in ((SportContext({7: "player"}, None, [], shots), "a player on the field"),
                     (SportContext({7: "person"}, np.array([10 * FPS + 5]), [], shots), "the ball"),
                     (SportContext({}, None, [(0, 5 * FPS)], shots), "a scoreboard in the same shot")):
        (ev,) = fuse_events(clk, [], [shot], exc, [], sport=ctx)
        assert ev.label == "chance" and any(why in w for w in ev.attrs["why"])
    # the ball in another shot does not count; nothing stored at all: nothing to judge by
    assert fuse_events(clk, [], [shot], exc, [], sport=SportContext({7: "other"}, np.array([31 * FPS]), [],
                                                                      shots)) == []
    assert len(fuse_events(clk, [], [shot], exc, [], sport=SportContext({}, None, [], shots))) == 1


def test_project_sport_context_from_roles_ball_and_boards(project, tmp_path) -> None:
    from actions_helpers import add_tiny_video
    from core.audio.features import EXCITEMENT, LANE_HOP, RATE, SIGNAL_KEY

    vid = add_tiny_video(project, tmp_path / "film.mp4", 11, frames=500)
    project.insert_segment(vid, Segment(SHOT, 0, 500, None, 1.0, {}, "model:shots@5"))
    project.insert_segment(vid, Segment(ACTION, 100, 112, "shot", 0.9, {"person": 2}, "model:starter@3"))
    n = int(20 * RATE / LANE_HOP)
    curve = np.full(n, 0.2, np.float32)
    curve[int(4.2 * RATE / LANE_HOP):int(6 * RATE / LANE_HOP)] = 0.95
    project.put_signal(vid, EXCITEMENT, SIGNAL_KEY, curve)
    assert [e.label for e in fuse_project(project, vid)] == ["chance"]  # nothing known about the shot
    project.insert_segment(vid, Segment(PERSON, 0, 500, "person", 0.8, {"track": 2, "role": "person"},
                                        "model:persons@5"))
    assert fuse_project(project, vid) == []  # a person off any field, no ball, no board
    project.insert_segment(vid, Segment(SCOREBOARD, 300, 400, "2-1", 0.9, {}, "model:scoreboard@3"))
    assert [e.label for e in fuse_project(project, vid)] == ["chance"]  # a board in the same shot


def test_a_title_takes_the_score_only_from_a_board_of_the_same_shot() -> None:
    clk = FrameClock(Rate(FPS), 200 * FPS)
    shots = [Segment(SHOT, 0, 100 * FPS, None, 1.0, {}, "s", id=1),
             Segment(SHOT, 100 * FPS, 200 * FPS, None, 1.0, {}, "s", id=2)]
    chance = Segment(EVENT, 40 * FPS, 43 * FPS, "chance", 0.8, {"person": 97}, "model:events@3", id=3)
    tennis = Segment(SCOREBOARD, 120 * FPS, 180 * FPS, "6 1 0 / 3 0 0", 0.9,
                     {"home": "DJOKOVIC", "away": "WAWRINKA"}, "model:scoreboard@3", id=4)
    hl = Segment(HIGHLIGHT, 38 * FPS, 50 * FPS, "moment", 0.8, {}, "model:highlights@3", id=5)
    title = propose_title(hl, shots + [chance, tennis], clk)
    assert "DJOKOVIC" not in title and title.startswith("Chance: person 97")
    # the board of the shot before, read 5 frames past the cut, is not this shot's board
    later = [chance.with_(start_frame=140 * FPS, end_frame=143 * FPS), tennis.with_(start_frame=60 * FPS,
                                                                                    end_frame=100 * FPS + 5)]
    hl2 = hl.with_(start_frame=138 * FPS, end_frame=150 * FPS)
    assert propose_title(hl2, shots + later, clk).startswith("Chance: person 97")
    same = tennis.with_(start_frame=20 * FPS, end_frame=60 * FPS)
    assert propose_title(hl, shots + [chance, same], clk).startswith("Chance: DJOKOVIC 6 1 0 / 3 0 0 WAWRINKA")
