"""Re-identification in the persons tracker (core.persons.track) on generated detections."""

from __future__ import annotations

import numpy as np

from core.persons.roles import EX_FIELD, EX_L, EX_PLAY, EXTRA_COLS
from core.persons.track import link_tracks

RED, BLUE, GREEN = (50.0, 180.0, 160.0), (40.0, 140.0, 80.0), (60.0, 90.0, 150.0)


def _det(x: float, y: float, h: float, lab: tuple[float, float, float] | None) -> np.ndarray:
    d = np.zeros(56 + EXTRA_COLS, np.float32)
    d[0:5] = (x, y, x + 0.4 * h, y + h, 0.8)
    d[56 + EX_FIELD] = 1
    d[56 + EX_PLAY] = 1
    d[56 + EX_L:56 + EX_L + 3] = lab if lab is not None else np.nan
    return d


def _ids(poses: np.ndarray, x_lo: float, x_hi: float) -> set[int]:
    return {int(r[1]) for r in poses if x_lo <= r[3] <= x_hi}


def _scene(hidden: range, back: tuple[float, float, float] | None = RED) -> list[tuple[int, np.ndarray]]:
    """Two 50-px players at 2 samples/s: the red one stands near x=100 and is hidden (occluded,
    or missed as a distant player) on the ``hidden`` samples, then someone of kit ``back`` is
    found where he was; the blue one crosses the picture the whole time."""
    samples = []
    for i in range(24):
        dets = [_det(600 - 20 * i, 120, 50, BLUE)]
        if i not in hidden:
            lab = RED if i < hidden.start else back
            dets.append(_det(100 + 3 * (i % 3), 100, 50, lab))
        samples.append((15 * i, np.stack(dets)))
    return samples


def test_player_hidden_longer_than_the_gap_gets_his_id_back():
    samples = _scene(range(4, 14))  # 5 s unseen: beyond the 2 s a track is followed by motion
    poses, _ = link_tracks(samples, [], fps=30, colour_col=EX_L)
    assert len(_ids(poses, 90, 120)) == 1
    assert len(np.unique(poses[:, 1])) == 2
    # without the lost-track memory the same scene gives him a new id: the test can fail
    old, _ = link_tracks(samples, [], fps=30, colour_col=EX_L, max_lost_s=0)
    assert len(_ids(old, 90, 120)) == 2


def test_someone_else_where_he_was_lost_is_a_new_track():
    poses, _ = link_tracks(_scene(range(4, 14), back=GREEN), [], fps=30, colour_col=EX_L)
    assert len(_ids(poses, 90, 120)) == 2
    # no kit colour known: nothing to re-identify by, a new track as well
    poses, _ = link_tracks(_scene(range(4, 14), back=None), [], fps=30, colour_col=EX_L)
    assert len(_ids(poses, 90, 120)) == 2


def test_crossing_players_keep_their_ids_after_one_is_occluded_at_the_crossing():
    samples = []
    for i in range(16):
        a = _det(100 + 25 * i, 100, 50, RED)
        b = _det(475 - 25 * i, 104, 50, BLUE)
        dets = [b] if 6 <= i <= 9 else [a, b]  # red behind blue while they cross (2 s)
        samples.append((15 * i, np.stack(dets)))
    poses, _ = link_tracks(samples, [], fps=30, colour_col=EX_L)
    assert len(np.unique(poses[:, 1])) == 2
    for tid in np.unique(poses[:, 1]):
        xs = poses[poses[:, 1] == tid][:, 3]
        d = np.diff(xs)
        assert (d > 0).all() or (d < 0).all()  # one direction each: no swap


def test_lost_tracks_do_not_survive_a_cut():
    samples = _scene(range(4, 14))
    poses, _ = link_tracks(samples, [(0, 120), (120, 400)], fps=30, colour_col=EX_L)
    assert len(_ids(poses, 90, 120)) == 2
