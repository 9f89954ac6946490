"""Kinematic camera path solver for one axis of one shot: dead zone, smoothness, speed limits, pins.

The camera centre ``x`` over ``n`` frames minimises

    sum w_i * dz(x_i - t_i)^2 + lv * sum s_i (x_i+1 - x_i)^2 + la * sum r_i (x_i+1 - 2x_i + x_i-1)^2

where ``dz`` is zero inside the dead zone (the camera does not move while the subject stays
near the centre), subject to pins (user keyframes, met exactly) and bounds. The dead zone and the
velocity/acceleration limits are handled by iterative reweighting of a banded sparse system
(a few solves of an ``n``-by-``n`` pentadiagonal matrix), so pins always hold exactly and the
limits hold wherever the pins allow. Static and panning cameras are closed-form. Any thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
from scipy.linalg import solveh_banded

STATIC = "static"
TRACKING = "tracking"
PANNING = "panning"
MODES = (STATIC, TRACKING, PANNING)
_PIN_WEIGHT = 1e7


@dataclass(frozen=True)
class Kinematics:
    """Limits in source pixels and frames (convert from seconds with the frame rate)."""

    dead_zone: float = 40.0  # px either side of the target with no cost
    smooth_frames: float = 12.0  # characteristic smoothing length
    max_vel: float = 30.0  # px / frame
    max_acc: float = 2.0  # px / frame^2
    iterations: int = 10


def _fallback(t: np.ndarray, w: np.ndarray, lo: float, hi: float) -> float:
    ok = w > 0
    return float(np.median(t[ok])) if ok.any() else (lo + hi) / 2


def _banded_solve(w: np.ndarray, b: np.ndarray, lv: np.ndarray, la: np.ndarray) -> np.ndarray:
    """Solve (diag(w) + D1' diag(lv) D1 + D2' diag(la) D2) x = b with a symmetric banded solver."""
    n = len(w)
    main = w.astype(np.float64).copy()
    off1 = np.zeros(n)  # off1[i] = A[i, i+1], stored at upper band position
    off2 = np.zeros(n)  # off2[i] = A[i, i+2]
    if n > 1:
        # first differences: (x[i+1]-x[i])^2 * lv[i]
        main[:-1] += lv
        main[1:] += lv
        off1[:-1] -= lv
    if n > 2:
        # second differences centred at i+1: (x[i] - 2x[i+1] + x[i+2])^2 * la[i]
        main[:-2] += la
        main[1:-1] += 4 * la
        main[2:] += la
        off1[:-2] -= 2 * la
        off1[1:-1] -= 2 * la
        off2[:-2] += la
    ab = np.zeros((3, n))
    ab[2] = main
    ab[1, 1:] = off1[:-1]
    ab[0, 2:] = off2[:-2]
    return np.asarray(solveh_banded(ab, b, check_finite=False))


def solve_tracking(targets: np.ndarray, weights: np.ndarray, lo: float, hi: float,
                   kin: Kinematics = Kinematics(), pins: Mapping[int, float] | None = None,
                   room: float | None = None) -> np.ndarray:
    """Smoothed camera centres (``n`` floats) following ``targets`` where ``weights > 0``.

    ``room``: how far the centre may be from the target before the subject's box leaves the
    window. Where the smooth path would let it out (a sudden run), the target's weight grows and
    the speed and acceleration limits give way there: keeping the subject in the picture comes
    before a gentle camera."""
    t = np.asarray(targets, np.float64)
    w = np.where(np.isfinite(t), np.asarray(weights, np.float64), 0.0)
    n = len(t)
    if n == 0:
        return np.zeros(0)
    if hi < lo:
        lo = hi = (lo + hi) / 2
    fb = _fallback(np.nan_to_num(t), w, lo, hi)
    t = np.where(w > 0, np.nan_to_num(t, nan=fb), fb)
    w = np.clip(w, 0.0, None) + 1e-4  # weak pull to the typical position keeps gaps defined
    pin_w = np.zeros(n)
    pin_v = np.zeros(n)
    for f, pv in (pins or {}).items():
        if 0 <= int(f) < n:
            pin_w[int(f)] = _PIN_WEIGHT
            pin_v[int(f)] = float(np.clip(pv, lo, hi))
    L = max(1.0, kin.smooth_frames)
    lv = np.full(max(0, n - 1), 0.5 * L * L)
    la = np.full(max(0, n - 2), L ** 4)
    # start still at the typical position: inside the dead zone the camera then never drifts
    x = np.full(n, float(np.clip(fb, lo, hi)))
    seen = w > 1e-3
    free = np.zeros(n, bool)  # frames where containment overrides the limits
    for _ in range(max(1, kin.iterations) * (2 if room is not None else 1)):
        t_eff = np.clip(x, t - kin.dead_zone, t + kin.dead_zone)
        x = _banded_solve(w + pin_w, w * t_eff + pin_w * pin_v, lv, la)
        v = np.diff(x)
        a = np.diff(x, 2)
        out = seen & (np.abs(x - t) > room) if room is not None else np.zeros(n, bool)
        if out.any():
            w[out] *= 3.0
            near = np.convolve(out, np.ones(int(2 * L) | 1), "same") > 0
            # a quick move there rather than a wind-up swing: the smoothing gives way locally
            lv[near[1:]] *= 0.5
            la[near[1:-1]] *= 0.25
            free |= near
        over_v = (np.abs(v) > kin.max_vel) & ~free[1:]
        over_a = (np.abs(a) > kin.max_acc) & ~free[1:-1]
        if not out.any() and not over_v.any() and not over_a.any():
            break
        lv[over_v] *= 4.0
        la[over_a] *= 4.0
    x = np.clip(x, lo, hi)
    if pin_w.any():
        x[pin_w > 0] = pin_v[pin_w > 0]
    return x


def solve_static(targets: np.ndarray, weights: np.ndarray, lo: float, hi: float,
                 pins: Mapping[int, float] | None = None) -> np.ndarray:
    """A fixed camera: the pinned position (mean of pins) or the median subject position."""
    t = np.asarray(targets, np.float64)
    w = np.where(np.isfinite(t), np.asarray(weights, np.float64), 0.0)
    if pins:
        c = float(np.mean([float(v) for v in pins.values()]))
    else:
        c = _fallback(np.nan_to_num(t), w, lo, hi)
    return np.full(len(t), float(np.clip(c, lo, min(max(lo, hi), hi))))


def solve_panning(targets: np.ndarray, weights: np.ndarray, lo: float, hi: float,
                  pins: Mapping[int, float] | None = None) -> np.ndarray:
    """A constant-speed sweep: a weighted line fit, or straight lines through the pins."""
    t = np.asarray(targets, np.float64)
    n = len(t)
    if n == 0:
        return np.zeros(0)
    w = np.where(np.isfinite(t), np.asarray(weights, np.float64), 0.0)
    idx = np.arange(n, dtype=np.float64)
    if pins and len(pins) >= 2:
        fs = sorted(int(f) for f in pins)
        vs = [float(pins[f]) for f in fs]
        x = np.interp(idx, fs, vs)
        # continue the first and last legs at their speeds
        s0 = (vs[1] - vs[0]) / max(1, fs[1] - fs[0])
        s1 = (vs[-1] - vs[-2]) / max(1, fs[-1] - fs[-2])
        x[: fs[0]] = vs[0] + s0 * (idx[: fs[0]] - fs[0])
        x[fs[-1] + 1:] = vs[-1] + s1 * (idx[fs[-1] + 1:] - fs[-1])
    else:
        ok = w > 0
        if ok.sum() >= 2:
            fit = np.polyfit(idx[ok], np.nan_to_num(t)[ok], 1, w=np.sqrt(w[ok]))
            slope, icpt = float(fit[0]), float(fit[1])
        else:
            slope, icpt = 0.0, _fallback(np.nan_to_num(t), w, lo, hi)
        if pins:
            (f, v), = ((int(k), float(p)) for k, p in pins.items())
            icpt = v - slope * f
        x = icpt + slope * idx
    return np.clip(x, lo, max(lo, hi))


def choose_mode(targets: np.ndarray, weights: np.ndarray, crop_w: float, subject_w: float = 0.0) -> str:
    """AutoFlip-style choice: static if the subject's range fits the window, panning if it moves
    steadily one way, tracking otherwise."""
    t = np.asarray(targets, np.float64)
    ok = np.isfinite(t) & (np.asarray(weights) > 0)
    if ok.sum() < 3:
        return STATIC
    v = t[ok]
    lo, hi = np.percentile(v, [5, 95])
    if (hi - lo) + subject_w <= 0.7 * crop_w:
        return STATIC
    idx = np.flatnonzero(ok).astype(np.float64)
    slope, icpt = np.polyfit(idx, v, 1)
    resid = v - (icpt + slope * idx)
    # a sweep is only trusted over most of the shot: extrapolating a short run would pan off
    steady = np.std(resid) < 0.08 * crop_w and (idx[-1] - idx[0]) >= 0.6 * len(t)
    if steady and abs(slope) * (idx[-1] - idx[0]) > 0.5 * crop_w:
        return PANNING
    return TRACKING


def solve(mode: str, targets: np.ndarray, weights: np.ndarray, lo: float, hi: float,
          kin: Kinematics = Kinematics(), pins: Mapping[int, float] | None = None,
          room: float | None = None) -> np.ndarray:
    if mode == STATIC:
        return solve_static(targets, weights, lo, hi, pins)
    if mode == PANNING:
        return solve_panning(targets, weights, lo, hi, pins)
    if mode == TRACKING:
        return solve_tracking(targets, weights, lo, hi, kin, pins, room)
    raise ValueError(f"unknown camera mode {mode!r} (use {', '.join(MODES)})")
