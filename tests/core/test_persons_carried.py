"""Rows carried by optical flow between pose samples are no evidence for confirming a track: on the
bundled sample's clouds one detection, carried to the next sample, became a confirmed "person"."""

from __future__ import annotations

import numpy as np

from core.persons.quality import confirm_tracks


def _row(frame: int, tid: int, x: float = 100.0) -> np.ndarray:
    r = np.zeros(58, np.float32)
    r[0:7] = (frame, tid, 0.6, x, 50, x + 40, 150)
    r[9::3] = 0.8  # keypoints seen: not a field blob
    return r


def test_a_detection_carried_along_is_not_confirmed() -> None:
    sampled = [0, 6, 12, 18]
    poses = np.stack([_row(0, 1), _row(6, 1, 101)])
    assert len(confirm_tracks(poses, sampled, [])) == 2  # without knowing: two samples, confirmed
    assert len(confirm_tracks(poses, sampled, [], carried=np.array([False, True]))) == 0


def test_detected_twice_and_carried_between_is_confirmed() -> None:
    sampled = [0, 6, 12, 18]
    poses = np.stack([_row(0, 1), _row(6, 1, 102), _row(12, 1, 104), _row(18, 1, 106),
                      _row(0, 2, 300)])  # and a one-sample track, dropped either way
    kept = confirm_tracks(poses, sampled, [], carried=np.array([False, True, False, True, False]))
    assert set(kept[:, 1].astype(int)) == {1} and len(kept) == 4


def test_a_shot_with_one_detected_sample_keeps_its_person() -> None:
    # a short shot: one pose-model sample and one carried; the one detection is all there is
    sampled = [0, 6, 30, 36, 42, 48]
    poses = np.stack([_row(0, 1), _row(6, 1, 101), _row(30, 2), _row(36, 2, 101), _row(42, 2, 102)])
    kept = confirm_tracks(poses, sampled, [(0, 30), (30, 60)],
                          carried=np.array([False, True, False, True, False]))
    assert set(kept[:, 1].astype(int)) == {1, 2}
