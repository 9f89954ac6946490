"""Boxes carried between pose samples by optical flow (core.persons.flow) and the persons sink's
schedule: the pose model on every ``pose_every``-th sample, the samples between carried by the flow.
Generated frames only: a textured "person" moved by a known shift over a textured background."""

from __future__ import annotations


import cv2
import numpy as np

from core.persons.flow import carry, is_cut

W, H = 640, 360
PW, PH = 24, 60


def _scene(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    bg = cv2.GaussianBlur((rng.random((H, W)) * 255).astype(np.uint8), (5, 5), 0)
    bg = (bg * 0.3 + 60).astype(np.uint8)
    person = cv2.GaussianBlur((rng.random((PH, PW)) * 255).astype(np.uint8), (3, 3), 0)
    return bg, person


def _frame(bg: np.ndarray, person: np.ndarray, x: int, y: int) -> np.ndarray:
    f = bg.copy()
    f[y:y + PH, x:x + PW] = person
    return f


def _det(x: float, y: float, scale: float = 1.0) -> np.ndarray:
    d = np.zeros((1, 56), np.float32)
    d[0, :4] = np.array([x, y, x + PW, y + PH]) * scale
    d[0, 4] = 0.9
    d[0, 5:8] = [(x + 12) * scale, (y + 5) * scale, 0.8]  # the nose keypoint
    return d


def test_a_box_moved_by_a_known_shift_follows_it() -> None:
    bg, person = _scene()
    a, b = _frame(bg, person, 300, 150), _frame(bg, person, 309, 145)
    for scale in (1.0, 3.0):  # source pixels = grey pixels x scale
        out, ok = carry(a, b, _det(300, 150, scale), scale)
        assert ok.all()
        np.testing.assert_allclose(out[0, :4], _det(309, 145, scale)[0, :4], atol=0.5 * scale)
        np.testing.assert_allclose(out[0, 5:7], [(309 + 12) * scale, (145 + 5) * scale], atol=0.5 * scale)
        assert out[0, 7] == np.float32(0.8) and out[0, 4] == np.float32(0.9)  # confidences kept
        assert not out[0, 8:].any()  # unseen keypoints stay unseen


def test_a_box_on_a_blank_frame_is_lost_not_guessed() -> None:
    blank = np.full((H, W), 90, np.uint8)
    out, ok = carry(blank, blank, _det(300, 150))
    assert not ok.any()
    np.testing.assert_array_equal(out, _det(300, 150))


def test_a_cut_is_seen_and_a_small_move_is_not() -> None:
    bg, person = _scene()
    other, _ = _scene(seed=5)
    a = _frame(bg, person, 300, 150)
    assert not is_cut(a, _frame(bg, person, 310, 150))
    assert is_cut(a, 255 - other)


def test_a_box_too_small_to_carry_is_lost() -> None:
    bg, person = _scene()
    a, b = _frame(bg, person, 300, 150), _frame(bg, person, 309, 145)
    small = _det(300, 150)
    small[0, 3] = small[0, 1] + 20  # 20 px tall: the points' windows would be mostly ground
    _, ok = carry(a, b, small)
    assert not ok.any()
