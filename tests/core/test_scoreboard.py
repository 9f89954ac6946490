"""Scoreboard parsing, smoothing, events, board location and match periods (pure functions)."""

from __future__ import annotations

import math

import pytest

from core.match.structure import FIRST_HALF, HALF_TIME, SECOND_HALF, match_periods, running_periods
from core.match.scoreboard.events import score_events
from core.match.scoreboard.locate import TextBox, cluster_boxes, locate_candidates
from core.match.scoreboard.parse import parse_board
from core.match.scoreboard.smooth import Observation, smooth_readings, stable_states


@pytest.mark.parametrize("lines, label, home, away, clock", [
    (["HOM 1-0 AWY 35:12"], "1-0", "HOM", "AWY", "35:12"),
    (["HOM1-0AWY35:12"], "1-0", "HOM", "AWY", "35:12"),
    (["INTERNATIONAL FRIENDLY", "ESrn FRA1O USA 72:20", "GOAL:FRA-REMY72'"], "1-0", "FRA", "USA", "72:20"),
    (["LAL 98-87 BOS 4:12"], "98-87", "LAL", "BOS", "04:12"),
    (["DJOKOVIC610", "WAWRINKA300"], "6 1 0 / 3 0 0", "DJOKOVIC", "WAWRINKA", None),
    (["Nadal.115", "Dimitrov115"], "1 15 / 1 15", "Nadal", "Dimitrov", None),
    (["Federer 6 7 4 30", "Nadal 4 6 3 15"], "6 7 4 30 / 4 6 3 15", "Federer", "Nadal", None),
])
def test_parse_board(lines, label, home, away, clock):
    r = parse_board(lines)
    assert r is not None
    assert (r.label, r.home, r.away, r.clock) == (label, home, away, clock)


def test_parse_tennis_server_and_advantage():
    r = parse_board(["Nadal 1 40", ">Dimitrov 1 AD"])
    assert r is not None and r.label == "1 40 / 1 AD" and r.server == 1


@pytest.mark.parametrize("lines", [[], ["ROLEX"], ["Fly Emirates"], ["112 MPH"], ["Nadal115"]])
def test_parse_rejects_non_boards(lines):
    assert parse_board(lines) is None


def _obs(labels, fps=25, every=25, clock0=600):
    out = []
    for i, lab in enumerate(labels):
        t = i * every / fps
        r = None
        if lab is not None:
            h, a = lab.split("-")
            c = clock0 + int(t)
            r = parse_board([f"HOM {h}-{a} AWY {c // 60:02d}:{c % 60:02d}"])
        out.append(Observation(i * every, t, r, (10, 10, 100, 20) if r else None))
    return out


def test_smoothing_ignores_single_misreads_and_dropouts():
    labels = ["0-0"] * 5 + ["8-0"] + ["0-0"] * 3 + [None] * 2 + ["0-0"] * 3 + ["1-0"] * 6
    obs = _obs(labels)
    segs = smooth_readings(obs, frame_count=len(labels) * 25)
    assert [s.label for s in segs] == ["0-0", "1-0"]
    assert segs[0].start_frame == 0 and segs[1].start_frame == 14 * 25
    assert segs[1].end_frame == len(labels) * 25
    assert segs[0].attrs["home"] == "HOM" and segs[0].attrs["clock"] == "10:00"
    assert segs[1].attrs["clock"] == "10:14"


def test_board_gone_ends_segment_and_same_score_is_no_event():
    labels = ["1-0"] * 4 + [None] * 5 + ["1-0"] * 4 + ["2-0"] * 3
    segs = smooth_readings(_obs(labels), frame_count=len(labels) * 25)
    assert [(s.label, s.start_frame, s.end_frame) for s in segs] == [
        ("1-0", 0, 100), ("1-0", 225, 325), ("2-0", 325, 400)]
    ev = score_events(segs)
    assert [(e.label, e.start_frame, e.attrs["before"], e.attrs["after"], e.attrs["team"]) for e in ev] \
        == [("goal", 325, "1-0", "2-0", "HOM")]


def test_score_decrease_needs_longer_evidence():
    short = ["2-1"] * 4 + ["1-1"] * 2 + ["2-1"] * 4
    assert set(stable_states(_obs(short))) == {"2-1"}
    corrected = ["2-1"] * 4 + ["1-1"] * 6
    segs = smooth_readings(_obs(corrected), 250)
    assert [s.label for s in segs] == ["2-1", "1-1"]
    ev = score_events(segs)
    assert ev[0].label == "score_change" and ev[0].attrs.get("correction") is True


def test_score_jump_needs_longer_evidence_across_an_absence():
    # a misread of two reads that no single goal explains (1-1 -> 1-7), also when the board
    # was away in between, is no change; one goal is, and a jump that stays is accepted late
    misread = ["1-1"] * 4 + ["1-7"] * 2 + ["1-1"] * 4 + [None] * 4 + ["2-2"] * 2 + ["1-1"] * 3
    assert set(stable_states(_obs(misread))) == {"1-1", None}
    goal = ["1-1"] * 4 + [None] * 4 + ["1-2"] * 2 + ["1-1"] * 4
    assert "1-2" in stable_states(_obs(goal))
    stays = ["1-1"] * 4 + ["2-2"] * 5
    segs = smooth_readings(_obs(stays), 9 * 25)
    assert [(s.label, s.start_frame) for s in segs] == [("1-1", 0), ("2-2", 100)]  # dated at its first read


def test_tennis_changes_are_points():
    a = parse_board(["Nadal 1 15", "Dimitrov 1 15"])
    b = parse_board(["Nadal 1 30", "Dimitrov 1 15"])
    obs = [Observation(i * 30, float(i), a if i < 4 else b) for i in range(8)]
    segs = smooth_readings(obs, 240)
    ev = score_events(segs)
    assert [e.label for e in ev] == ["point"] and ev[0].start_frame == 120


def test_locate_prefers_name_number_rows_and_extends_rows():
    boxes = [
        TextBox(60, 55, 320, 40, "ATPTENNISTV"),
        TextBox(100, 160, 110, 30, "RICOH"), TextBox(700, 175, 180, 36, "BARCLAYS"),
        TextBox(213, 919, 125, 34, "DJOKOVIC"), TextBox(220, 958, 142, 34, "WAWRINKA"),
    ]
    cands = locate_candidates([boxes, boxes], (1920, 1080))
    board = next(c for c in cands if c.box[1] > 800)
    assert len(board.rows) == 2
    x, y, w, h = board.box
    assert x <= 213 and x + w >= 500 and y <= 919 and y + h >= 990  # digits to the right included
    assert len(cluster_boxes(boxes)) == 4


def test_running_periods_and_halves():
    # 1 read/s: first half runs 44:00 -> 45:00, clock stopped 60 s, board gone, 2nd half 45:00 on.
    frames: list[int] = []
    times: list[float] = []
    clocks: list[float] = []
    for i in range(240):
        t = float(i)
        if i <= 60:
            c: float = 2640 + i
        elif i < 120:
            c = 2700
        elif i < 150:
            c = math.nan
        else:
            c = 2700 + (i - 150)
        if i == 30:
            c = 9999  # a misread inside a period
        frames.append(i * 25)
        times.append(t)
        clocks.append(c)
    per = running_periods(frames, times, clocks)
    assert [(p[2], p[3]) for p in per] == [(2640, 2700), (2700, 2789)]
    segs = match_periods(frames, times, clocks, frame_count=240 * 25, min_period_s=30)
    assert [(s.label, s.start_frame) for s in segs] == [
        (FIRST_HALF, 0), (HALF_TIME, 61 * 25), (SECOND_HALF, 150 * 25)]
    assert segs[0].end_frame == 61 * 25 and segs[-1].end_frame == 240 * 25
    assert match_periods(frames, times, [math.nan] * 240, 6000) == []


def test_periods_from_reference_marks():
    from core.match.structure import periods_from_marks

    marks = [("kick_off", 100), ("half_time", 5000), ("kick_off", 6000), ("full_time", 11000)]
    segs = periods_from_marks(marks, 12000)
    assert [(s.label, s.start_frame, s.end_frame) for s in segs] == [
        (FIRST_HALF, 100, 5000), (HALF_TIME, 5000, 6000), (SECOND_HALF, 6000, 11000)]
    # no half-time graphic: the second kick-off ends the first half; no full time: video end
    segs = periods_from_marks([("kick_off", 0), ("kick_off", 7000)], 9000)
    assert [(s.label, s.start_frame, s.end_frame) for s in segs] == [
        (FIRST_HALF, 0, 7000), (SECOND_HALF, 7000, 9000)]
    assert periods_from_marks([("half_time", 10)], 100) == []


def test_footage_without_a_board_is_not_searched_at_every_cut():
    """A full-frame detection costs ~0.3 s: cuts shorten the back-off but do not reset it."""
    import numpy as np

    from models.scoreboard.stage import BoardReader

    class NoText:
        def detect(self, image):
            return []

        def recognize(self, crops):
            return [("", 0.0) for _ in crops]

    reader = BoardReader(NoText())
    rng = np.random.default_rng(0)
    shots = [rng.integers(0, 255, (36, 64, 3), dtype=np.uint8) for _ in range(2)]
    seconds = 300
    for t in range(seconds):  # read at 1 Hz; a cut every 2 s
        reader.observe(t * 25, float(t), shots[(t // 2) % 2])
    # a detection at every cut >= 4 s apart would be 75; the back-off (2 s doubling to 15 s;
    # the frames in between are read back once a board is found) allows about one per 15 s
    assert reader.detections <= seconds / 15 + 4, reader.detections
    assert reader.detections >= seconds / 30  # but it keeps looking
