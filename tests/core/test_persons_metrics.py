"""Scoring persons, identities and the ball (core.persons.metrics) on constructed cases."""

from __future__ import annotations

import numpy as np
import pytest

from core.persons.metrics import (Tally, ball_at, ball_scores, id_switches, iou_matrix, match_frame,
                                  summarise)


def test_iou_matrix() -> None:
    m = iou_matrix(np.array([[0, 0, 10, 10], [0, 0, 10, 20]]),
                   np.array([[5, 0, 15, 10], [0, 0, 10, 10], [20, 20, 21, 21]]))
    assert m[0, 0] == pytest.approx(50 / 150)
    assert m[0, 1] == pytest.approx(1.0)
    assert m[1, 1] == pytest.approx(0.5)
    assert m[0, 2] == 0.0
    assert iou_matrix(np.zeros((0, 4)), np.ones((3, 4))).shape == (0, 3)


def test_match_frame_one_to_one_best_first() -> None:
    labels = [{"box": [0, 0, 10, 20], "role": "player"}, {"box": [8, 0, 18, 20], "role": "player"}]
    # det 0 overlaps both labels, det 1 is a near-perfect match for label 1
    dets = np.array([[1, 0, 11, 20, 0.9], [8, 0, 18, 20, 0.8], [50, 50, 60, 70, 0.7]])
    m = match_frame(labels, dets, 0.5)
    assert m.pairs == [(0, 0), (1, 1)]
    assert m.false_positives == [2] and m.misses == [] and m.ignored == []
    # at a stricter threshold the shifted detection misses and counts as a false positive
    m = match_frame(labels, dets, 0.9)
    assert m.pairs == [(1, 1)] and m.misses == [0] and sorted(m.false_positives) == [0, 2]


def test_ignore_regions_neither_hit_nor_miss() -> None:
    labels = [{"box": [0, 0, 10, 20], "role": "player"},
              {"box": [100, 0, 400, 40], "role": "other", "ignore": True},  # crowd band
              {"box": [500, 500, 510, 520], "role": "other", "ignore": True}]  # a person too small to box
    dets = np.array([[0, 0, 10, 20], [120, 5, 130, 25], [300, 30, 330, 90], [501, 500, 511, 521]])
    m = match_frame(labels, dets)
    assert m.pairs == [(0, 0)]
    assert m.ignored == [1, 3]  # inside the band; matches the small one
    assert m.false_positives == [2]  # mostly outside the band: a real false positive
    assert m.misses == []  # unmatched ignore labels are not misses
    t = Tally()
    t.add(labels, m)
    assert (t.tp, t.fp, t.labelled, t.players, t.players_found) == (1, 1, 1, 1, 1)
    assert t.precision == 0.5 and t.recall == 1.0


def test_tally_players_and_empty_frames() -> None:
    t = Tally()
    players = [{"box": [0, 0, 10, 20], "role": "player"}, {"box": [20, 0, 30, 20], "role": "player"},
               {"box": [40, 0, 50, 20], "role": "official"}]
    t.add(players, match_frame(players, np.array([[0, 0, 10, 20], [40, 0, 50, 20]])))
    t.add([], match_frame([], np.array([[0, 0, 5, 5], [9, 9, 20, 20]])))  # two persons where there is nobody
    t.add([], match_frame([], np.zeros((0, 5))))
    assert t.player_recall == 0.5
    assert t.recall == pytest.approx(2 / 3)
    assert t.precision == pytest.approx(2 / 4)
    assert (t.empty_frames, t.empty_frames_with_persons, t.persons_on_empty) == (2, 1, 2)
    both = summarise([t, t])
    assert both.tp == 4 and both.empty_frames == 4 and both.player_recall == 0.5
    assert np.isnan(Tally().precision) and np.isnan(Tally().player_recall)


def test_id_switches_per_identity_and_minute() -> None:
    seq = {"near": [(0, 1), (5, 1), (10, None), (15, 4), (20, 4), (25, 1)],  # 1 -> 4 -> 1: two switches
           "far": [(0, 2), (5, None), (10, 2)]}  # a miss is not a switch
    s = id_switches(seq, fps=30.0)
    assert s.per_identity == {"near": 2, "far": 0}
    assert s.switches == 2 and s.identities == 2
    assert s.minutes == pytest.approx((26 + 11) / 30 / 60)
    assert s.per_player_minute == pytest.approx(2 / s.minutes)


def test_ball_recall_and_false_positions() -> None:
    track = np.array([[0, 100, 100, 5, 1], [10, 200, 100, 5, 1], [40, 500, 500, 5, 1]], np.float32)
    assert ball_at(track, 5, max_gap=15) == pytest.approx((150.0, 100.0))  # interpolated
    assert ball_at(track, 25, max_gap=15) is None  # gap too long
    assert ball_at(np.zeros((0, 5)), 3, 10) is None
    labels = {0: [102, 101], 5: [150, 130], 10: None, 40: [400, 400], 30: None}
    b = ball_scores(labels, track, radius=10, frame_step_seconds=0.2, max_gap=15)
    # found at 0; at 5 the track is 30 px off (a false position); at 10 a ball where none is seen;
    # at 40 the track is far from the ball; at 30 nothing, correctly
    assert (b.visible, b.found, b.not_visible, b.false) == (3, 1, 2, 3)
    assert b.recall == pytest.approx(1 / 3)
    assert b.false_per_second == pytest.approx(3 / 1.0)
