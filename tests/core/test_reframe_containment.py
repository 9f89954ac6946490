"""The tracking camera keeps a suddenly running subject inside the window (core.reframe.solver)."""

from __future__ import annotations

import numpy as np

from core.reframe.solver import Kinematics, solve_tracking


def _sprint(n: int = 200) -> np.ndarray:
    """A subject standing at x=300, sprinting 500 px in a third of a second at frame 80, then
    standing again; seen on every frame."""
    t = np.full(n, 300.0)
    t[80:90] = np.linspace(300, 800, 10)
    t[90:] = 800.0
    return t


def test_subject_that_sprints_stays_inside_the_window():
    t = _sprint()
    w = np.ones_like(t)
    kin = Kinematics(dead_zone=30.0, smooth_frames=12.0, max_vel=19.0, max_acc=1.6)
    room = 150.0 - 45.0  # a 304-px window, a 90-px wide subject
    smooth = solve_tracking(t, w, 152, 808, kin)
    held = solve_tracking(t, w, 152, 808, kin, room=room)
    assert np.max(np.abs(smooth - t)) > room  # the gentle camera alone loses him: the test can fail
    assert np.max(np.abs(held - t)) <= room + 1.0
    # away from the sprint the camera is as calm as the gentle one
    calm = np.r_[0:50, 140:199]
    assert np.max(np.abs(np.diff(held)[calm])) <= np.max(np.abs(np.diff(smooth)[calm])) + 0.5


def test_room_changes_nothing_when_the_subject_never_leaves():
    t = 400 + 40 * np.sin(np.arange(150) / 20.0)
    w = np.ones_like(t)
    kin = Kinematics(dead_zone=30.0, smooth_frames=12.0, max_vel=19.0, max_acc=1.6)
    a = solve_tracking(t, w, 152, 808, kin)
    b = solve_tracking(t, w, 152, 808, kin, room=105.0)
    assert np.allclose(a, b)
