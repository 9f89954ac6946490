"""A person must be a person: pose plausibility, track confirmation, stitching, gap filling."""

from __future__ import annotations

import numpy as np

from core.persons.poses import COLS
from core.persons.quality import confirm_tracks, filter_detections, plausibility, stitch_tracks
from core.persons.track import fill_gaps

DET = 5 + 3 * 17
FRAME = (1280.0, 720.0)


def _skeleton(x: float, y: float, h: float, conf: float = 0.9) -> np.ndarray:
    """A standing person's keypoints in a box at (x, y) of height h (COCO order)."""
    w = 0.35 * h
    cx = x + w / 2
    pts = {0: (cx, y + 0.07 * h), 1: (cx - 0.03 * h, y + 0.05 * h), 2: (cx + 0.03 * h, y + 0.05 * h),
           3: (cx - 0.06 * h, y + 0.06 * h), 4: (cx + 0.06 * h, y + 0.06 * h),
           5: (cx - 0.12 * h, y + 0.2 * h), 6: (cx + 0.12 * h, y + 0.2 * h),
           7: (cx - 0.15 * h, y + 0.35 * h), 8: (cx + 0.15 * h, y + 0.35 * h),
           9: (cx - 0.16 * h, y + 0.48 * h), 10: (cx + 0.16 * h, y + 0.48 * h),
           11: (cx - 0.08 * h, y + 0.52 * h), 12: (cx + 0.08 * h, y + 0.52 * h),
           13: (cx - 0.09 * h, y + 0.74 * h), 14: (cx + 0.09 * h, y + 0.74 * h),
           15: (cx - 0.09 * h, y + 0.97 * h), 16: (cx + 0.09 * h, y + 0.97 * h)}
    k = np.zeros((17, 3), np.float32)
    for i, (px, py) in pts.items():
        k[i] = (px, py, conf)
    return k


def _det(x: float, y: float, h: float, score: float = 0.8, kconf: float = 0.9, w: float | None = None) -> np.ndarray:
    d = np.zeros(DET, np.float32)
    w = 0.35 * h if w is None else w
    d[0:5] = (x, y, x + w, y + h, score)
    d[5:] = _skeleton(x, y, h, kconf).reshape(-1)
    return d


def test_a_body_passes_and_texture_does_not():
    assert plausibility(_det(100, 100, 300), FRAME) > 0.9
    # the clouds of the bundled sample: low keypoint confidence, a box wider than tall
    cloud = _det(0, 20, 300, score=0.48, kconf=0.12, w=450)
    assert plausibility(cloud, FRAME) < 0.45
    # a weak "person" with a skeleton wider than tall: lying texture
    assert plausibility(_det(0, 20, 285, score=0.25, kconf=0.6, w=570), FRAME) < 0.45
    # a skeleton filling the whole frame of an object close-up, limbs out of proportion
    close = _det(0, 0, 720, score=0.45, kconf=0.6, w=1280)
    k = close[5:].reshape(17, 3)
    k[9] = (5, 700, 0.9)  # a "wrist" far outside any arm's reach
    assert plausibility(close, FRAME) < 0.45
    # legs only (a cyclist's legs under a cut-off frame): the detector is sure, some joints agree
    legs = _det(100, 400, 300, score=0.87, kconf=0.0)
    legs[5:].reshape(17, 3)[13:, 2] = 0.7
    assert plausibility(legs, FRAME) >= 0.45
    kept = filter_detections(np.stack([_det(100, 100, 300), cloud]), FRAME)
    assert len(kept) == 1 and kept[0, 0] == 100


def test_keypoint_free_blobs_pass_the_detection_filter():
    blob = np.zeros(DET, np.float32)
    blob[0:5] = (10, 10, 18, 30, 0.4)
    assert len(filter_detections(blob[None], FRAME)) == 1


def _row(frame: int, tid: int, x: float, y: float, h: float, w: float | None = None, kpts: bool = True) -> np.ndarray:
    r = np.zeros(COLS, np.float32)
    w = 0.4 * h if w is None else w
    r[0:7] = (frame, tid, 0.8, x, y, x + w, y + h)
    if kpts:
        r[9::3] = 0.9
    return r


def test_confirmation_needs_persistence_and_blobs_must_move():
    sampled = list(range(0, 100, 10))
    rows = [_row(f, 1, 100, 100, 200) for f in sampled]  # a person on every sample
    rows += [_row(30, 2, 600, 100, 200)]  # one flicker
    rows += [_row(f, 3, 300, 50, 20, 8, kpts=False) for f in sampled]  # a painted logo: never moves
    rows += [_row(f, 4, 400 + 3 * f, 60, 20, 8, kpts=False) for f in sampled]  # a small running player
    a = np.stack(rows)
    kept = confirm_tracks(a, sampled, [], blob_tracks={3, 4}, in_play=np.ones(len(a)))
    assert sorted({int(t) for t in kept[:, 1]}) == [1, 4]
    # a blob outside the play area (a ball kid's towel, a bench) is dropped even when it moves
    kept = confirm_tracks(a, sampled, [], blob_tracks={3, 4}, in_play=np.where(a[:, 1] == 4, 0.0, 1.0))
    assert 4 not in {int(t) for t in kept[:, 1]}
    # a shot with a single sample: its only detection stands
    one = confirm_tracks(np.stack([_row(5, 7, 0, 0, 100)]), [5], [(0, 10)])
    assert len(one) == 1


def test_stitching_joins_a_continuation_and_nothing_else():
    rows = [_row(f, 1, 100 + f, 100, 200) for f in range(0, 40, 10)]
    rows += [_row(f, 2, 100 + f, 100, 200) for f in range(60, 100, 10)]  # the same player after a gap
    rows += [_row(f, 3, 900, 100, 200) for f in range(60, 100, 10)]  # someone else, far away
    rows += [_row(f, 4, 135, 100, 200) for f in range(20, 50, 10)]  # overlaps track 1 in time
    out = stitch_tracks(np.stack(rows), [], fps=30)
    t1 = {int(r[1]) for r in out if r[3] == 100 + r[0] and r[0] < 40}
    t2 = {int(r[1]) for r in out if r[3] == 100 + r[0] and r[0] >= 60}
    assert t1 == t2 == {1}
    assert {int(r[1]) for r in out if r[3] == 900} == {3}
    # a cut between them: never the same person
    out = stitch_tracks(np.stack(rows), [(0, 50), (50, 100)], fps=30)
    assert {int(r[1]) for r in out if r[0] >= 60 and r[3] != 900} == {2}


def test_a_missed_sample_between_two_found_ones_gets_a_box():
    sampled = [0, 15, 30, 45]
    a = np.stack([_row(0, 1, 100, 100, 200), _row(15, 1, 130, 100, 200), _row(45, 1, 190, 100, 200)])
    ex = np.arange(3, dtype=np.float32)[:, None]
    out, ex2 = fill_gaps(a, ex, sampled, max_gap=45)
    assert list(out[:, 0]) == [0, 15, 30, 45]
    filled = out[out[:, 0] == 30][0]
    assert abs(filled[3] - 160) < 1e-3 and filled[2] < a[1, 2]
    assert ex2[list(out[:, 0]).index(30), 0] == 1.0  # extras of the row before
    # too long a gap: nothing invented
    out, _ = fill_gaps(a, ex, sampled, max_gap=20)
    assert list(out[:, 0]) == [0, 15, 45]


def test_in_a_long_shot_a_person_is_judged_against_the_samples_around_him():
    sampled = list(range(0, 1800, 15))  # a 60-s shot at 30 fps, 2 samples a second
    rows = [_row(f, 1, 100, 100, 200) for f in sampled[50:60]]  # somebody seen for 5 s
    rows += [_row(f, 2, 600, 100, 200) for f in (sampled[20], sampled[21])]  # a flicker, twice
    a = np.stack(rows)
    # against the whole shot (10 of 120 samples) the 5-s person was dropped
    assert set(confirm_tracks(a, sampled, [(0, 1800)])[:, 1].astype(int)) == set()
    kept = confirm_tracks(a, sampled, [(0, 1800)], window=150)
    assert set(kept[:, 1].astype(int)) == {1}  # the flicker still is not a person
