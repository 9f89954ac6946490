"""Reframing core on synthetic data: solver limits and pins, aspects, black bars, crop path, subject."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from core.errors import ClipDeskError
from core.persons.poses import COLS, PoseTable
from core.reframe.aspect import Rect, crop_size, detect_content, output_size, parse_aspect, parse_size
from core.reframe.path import CropPath, VideoCropPath, crop_path_json, simplify
from core.reframe.plan import add_pin, plan_shot
from core.reframe.solver import (PANNING, STATIC, TRACKING, Kinematics, choose_mode, solve_panning,
                                 solve_static, solve_tracking)
from core.reframe.subject import subject_targets


def _poses(tracks: dict[int, Any]) -> PoseTable:
    """tracks: id -> [(frame, cx, cy, w, h)] as pose rows."""
    rows = []
    for tid, items in tracks.items():
        for f, cx, cy, w, h in items:
            r = np.zeros(COLS, np.float32)
            r[0], r[1], r[2] = f, tid, 0.9
            r[3:7] = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            rows.append(r)
    return PoseTable(np.stack(rows))


def test_tracking_respects_limits_and_follows():
    rng = np.random.default_rng(0)
    n = 400
    target = np.where(np.arange(n) < 200, 500.0, 1400.0) + rng.normal(0, 4, n)
    kin = Kinematics(dead_zone=60, smooth_frames=12, max_vel=30, max_acc=2)
    x = solve_tracking(target, np.ones(n), 304, 1616, kin)
    assert np.abs(np.diff(x)).max() <= 30 * 1.05
    assert np.abs(np.diff(x, 2)).max() <= 2 * 1.1
    assert abs(x[150] - 500) <= 60 + 5 and abs(x[-1] - 1400) <= 60 + 5
    assert np.all((x >= 304) & (x <= 1616))


def test_dead_zone_keeps_camera_still_for_small_motion():
    rng = np.random.default_rng(1)
    target = 900 + rng.normal(0, 15, 300)
    x = solve_tracking(target, np.ones(300), 304, 1616, Kinematics(dead_zone=80))
    assert np.ptp(x) < 5


def test_pins_are_met_exactly_and_path_reshapes_around_them():
    n = 300
    target = np.full(n, 600.0)
    pins = {100: 1200.0, 250: 400.0}
    x = solve_tracking(target, np.ones(n), 304, 1616, Kinematics(), pins)
    assert x[100] == pytest.approx(1200.0, abs=0.01) and x[250] == pytest.approx(400.0, abs=0.01)
    assert x[80] > 700  # the path moves towards the pin before it
    # pins outside bounds are clamped to the bounds
    y = solve_tracking(target, np.ones(n), 304, 1616, Kinematics(), {10: 5000.0})
    assert y[10] == pytest.approx(1616.0)


def test_static_and_panning_modes():
    n = 200
    target = np.linspace(400, 1400, n)
    s = solve_static(target, np.ones(n), 304, 1616)
    assert np.ptp(s) == 0 and 800 < s[0] < 1000
    assert solve_static(target, np.ones(n), 304, 1616, {5: 700.0})[0] == 700.0
    p = solve_panning(target, np.ones(n), 304, 1616)
    assert np.allclose(np.diff(p), np.diff(p)[0]) and p[0] == pytest.approx(400, abs=1)
    q = solve_panning(target, np.ones(n), 304, 1616, {0: 500.0, 199: 900.0})
    assert q[0] == pytest.approx(500) and q[199] == pytest.approx(900)
    assert choose_mode(np.full(n, 900.0) + np.sin(np.arange(n)) * 20, np.ones(n), 608, 100) == STATIC
    assert choose_mode(target, np.ones(n), 608, 100) == PANNING
    zigzag = 900 + 500 * np.sign(np.sin(np.arange(n) / 15))
    assert choose_mode(zigzag, np.ones(n), 608, 100) == TRACKING


def test_aspects_and_sizes():
    assert parse_aspect("9:16") == Fraction(9, 16) and parse_aspect("source") is None
    assert crop_size(Rect(0, 0, 1920, 1080), Fraction(9, 16)) == (608, 1080)
    assert crop_size(Rect(0, 0, 1920, 1080), Fraction(4, 5)) == (864, 1080)
    assert crop_size(Rect(0, 0, 1920, 1080), Fraction(1, 1)) == (1080, 1080)
    # a portrait source asked for 1:1 is limited by its width
    assert crop_size(Rect(0, 0, 720, 1280), Fraction(1, 1)) == (720, 720)
    assert output_size(608, 1080, Fraction(9, 16)) == (1080, 1920)
    assert output_size(608, 1080, Fraction(9, 16), (720, 1280)) == (720, 1280)
    assert parse_size("1080x1920") == (1080, 1920)
    for bad in ("9-16", "0:5"):
        with pytest.raises(ClipDeskError):
            parse_aspect(bad)
    with pytest.raises(ClipDeskError):
        parse_size("1081x1920")


def test_detect_pillarbox_and_letterbox():
    rng = np.random.default_rng(2)
    frames = []
    for _ in range(4):
        f = np.zeros((360, 640), np.uint8)
        f[:, 80:560] = rng.integers(30, 255, (360, 480))
        frames.append(f)
    assert detect_content(frames) == Rect(80, 0, 480, 360)
    lb = []
    for _ in range(3):
        f = np.zeros((360, 640, 3), np.uint8)
        f[40:320] = rng.integers(30, 255, (280, 640, 3))
        lb.append(f)
    assert detect_content(lb) == Rect(0, 40, 640, 280)
    # a dark frame alone does not invent bars
    dark = [np.full((100, 200), 5, np.uint8)]
    assert detect_content(dark) == Rect(0, 0, 200, 100)


def test_simplify_and_crop_path_evaluation():
    x = np.concatenate([np.full(50, 500.0), np.linspace(500, 900, 50), np.full(50, 900.0)])
    idx = simplify(x, 0.5)
    assert idx[0] == 0 and idx[-1] == 149 and len(idx) <= 6
    rebuilt = np.interp(np.arange(150), idx, x[idx])
    assert np.abs(rebuilt - x).max() <= 0.5
    attrs = {"keyframes": [[10, 300.0, 540.0, 608, 1080], [20, 2000.0, 540.0, 608, 1080]],
             "content": [0, 0, 1920, 1080]}
    path = CropPath.from_attrs(10, 30, attrs, (1920, 1080))
    r = path.rects(np.arange(10, 30))
    assert np.all(r[:, 0] >= 0) and np.all(r[:, 0] + r[:, 2] <= 1920)
    assert np.all(r % 2 == 0) and np.all(r[:, 2] == 608)
    assert r[0, 0] == 0 and r[-1, 0] == 1920 - 608
    other = CropPath.from_attrs(30, 60, {"keyframes": [[30, 960.0, 540.0, 608, 1080]]}, (1920, 1080))
    vp = VideoCropPath([other, path], (1920, 1080))
    both = vp.rects(25, 35)
    assert both[4, 0] == 1920 - 608 and both[5, 0] == 960 - 304  # clean cut at the shot boundary
    doc = crop_path_json("9:16", (1920, 1080), [25, 26], [1.0, 1.04], both[:2])
    assert doc["frames"][0] == {"frame": 25, "time": 1.0, "x": int(both[0, 0]), "y": 0, "w": 608, "h": 1080}


def test_subject_choice_size_and_follow_pick():
    big = [(f, 400 + 3 * f, 600, 120, 400) for f in range(0, 100, 10)]
    small = [(f, 1500, 300, 30, 80) for f in range(0, 100, 10)]
    poses = _poses({1: small, 2: big})
    tg = subject_targets(poses, 0, 100, 1080)
    assert tg.track == 2
    assert tg.cx[15] == pytest.approx(400 + 45, abs=0.5)  # interpolated between samples
    assert subject_targets(poses, 0, 100, 1080, follow=1).track == 1
    # a ball next to the small player makes them the subject when sizes are close
    near = _poses({1: [(f, 1500, 600, 110, 380) for f in range(0, 100, 10)], 2: big})
    ball = np.array([[f, 1510, 750, 8, 0.9] for f in range(0, 100, 10)], np.float32)
    assert subject_targets(near, 0, 100, 1080, ball=ball).track == 1


def test_plan_shot_keeps_moving_subject_inside_and_respects_pins():
    n = 240
    items = [(f, 300 + 1300 * (0.5 - 0.5 * np.cos(np.pi * f / n)), 600, 140, 420) for f in range(0, n, 10)]
    poses = _poses({7: items})
    content = Rect(0, 0, 1920, 1080)
    attrs = plan_shot(poses, 0, n, content, Fraction(9, 16), 30.0)
    assert attrs["subject"] == 7 and attrs["mode"] in (TRACKING, PANNING)
    path = CropPath.from_attrs(0, n, attrs, (1920, 1080))
    r = path.rects(np.arange(n))
    tg = subject_targets(poses, 0, n, 1080)
    inside = (tg.cx - tg.half_w >= r[:, 0] - 1) & (tg.cx + tg.half_w <= r[:, 0] + r[:, 2] + 1)
    assert inside[np.isfinite(tg.cx)].mean() >= 0.95
    assert np.abs(np.diff(r[:, 0])).max() <= 0.6 * 1920 / 30 + 2
    pins = add_pin([], 120, 400.0, 540.0)
    pinned = plan_shot(poses, 0, n, content, Fraction(9, 16), 30.0, pins=pins)
    pr = CropPath.from_attrs(0, n, pinned, (1920, 1080)).rects(np.array([120]))
    assert abs(pr[0, 0] + pr[0, 2] / 2 - 400) <= 2
    assert pinned["pins"] == [[120, 400.0, 540.0]]
    static = plan_shot(poses, 0, n, content, Fraction(9, 16), 30.0, mode=STATIC)
    assert static["mode"] == STATIC and static["auto_mode"] == attrs["auto_mode"]
    assert len({k[1] for k in static["keyframes"]}) == 1


def test_short_run_is_not_taken_for_a_sweep():
    n = 100
    t = np.full(n, np.nan)
    t[10:30] = np.linspace(300, 1200, 20)
    w = np.isfinite(t).astype(float)
    assert choose_mode(t, w, 608, 80) != PANNING
