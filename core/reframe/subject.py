"""Which person the camera follows in a shot, and where that person is on every frame.

Tracks are scored by presence, size, motion and closeness to the ball, weighed by their role
(``core.persons.roles``: players and persons count fully, officials and others — ball kids, line
judges, crowd — little); the user's "follow this person" pick wins when that track is in the
shot. Where the chosen track is missing, the best-scoring other track visible on that frame
stands in. Pure NumPy; any thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from core.persons.poses import PoseTable
from core.persons.roles import ROLE_WEIGHT


@dataclass
class SubjectTargets:
    """Per-frame subject position for frames ``start..end-1`` (NaN where nobody is seen)."""

    start: int
    cx: np.ndarray
    cy: np.ndarray
    half_w: np.ndarray  # half the subject box width (0 where unknown)
    half_h: np.ndarray
    weight: np.ndarray  # 0 where unknown
    track: int | None  # the main subject's track id
    scores: dict[int, float]


def _track_rows(poses: PoseTable, start: int, end: int) -> dict[int, np.ndarray]:
    a = poses.array
    sel = a[(a[:, 0] >= start) & (a[:, 0] < end)]
    out: dict[int, np.ndarray] = {}
    for tid in np.unique(sel[:, 1]).astype(int):
        out[int(tid)] = sel[sel[:, 1] == tid]
    return out


def score_tracks(poses: PoseTable, start: int, end: int, frame_h: float,
                 ball: np.ndarray | None = None, roles: dict[int, Any] | None = None) -> dict[int, float]:
    """Salience of each track in ``[start, end)``: presence × (size + motion + ball closeness) ×
    the weight of its role (``roles``: track -> {"role": ...} or role name)."""
    rows = _track_rows(poses, start, end)
    frames = poses.frames[(poses.frames >= start) & (poses.frames < end)]
    n_samples = max(1, len(np.unique(frames)))
    scores: dict[int, float] = {}
    for tid, r in rows.items():
        presence = len(r) / n_samples
        h = np.median(r[:, 6] - r[:, 4]) / max(1.0, frame_h)
        cx = (r[:, 3] + r[:, 5]) / 2
        cy = (r[:, 4] + r[:, 6]) / 2
        motion = 0.0
        if len(r) > 1:
            step = np.hypot(np.diff(cx), np.diff(cy)) / np.maximum(1, np.diff(r[:, 0]))
            motion = float(min(0.5, np.median(step) * 10 / max(1.0, frame_h)))
        near = 0.0
        if ball is not None and len(ball):
            bf = ball[:, 0].astype(int)
            common, ia, ib = np.intersect1d(r[:, 0].astype(int), bf, return_indices=True)
            if len(common):
                d = np.hypot(cx[ia] - ball[ib, 1], cy[ia] - ball[ib, 2]) / max(1.0, frame_h)
                near = float(np.mean(np.exp(-d / 0.15)))
        conf = float(np.mean(r[:, 2]))
        role = (roles or {}).get(tid)
        name = role.get("role") if isinstance(role, dict) else role
        scores[tid] = presence * conf * (2.0 * h + motion + near) * ROLE_WEIGHT.get(str(name), 1.0)
    return scores


def _interp_track(r: np.ndarray, frames: np.ndarray, max_gap: int) -> tuple[np.ndarray, ...]:
    """Centre and half-size of one track at ``frames``; NaN outside it or across long gaps."""
    f = r[:, 0]
    cx = np.interp(frames, f, (r[:, 3] + r[:, 5]) / 2)
    cy = np.interp(frames, f, (r[:, 4] + r[:, 6]) / 2)
    hw = np.interp(frames, f, (r[:, 5] - r[:, 3]) / 2)
    hh = np.interp(frames, f, (r[:, 6] - r[:, 4]) / 2)
    i = np.searchsorted(f, frames)
    prev = f[np.clip(i - 1, 0, len(f) - 1)]
    nxt = f[np.clip(i, 0, len(f) - 1)]
    exact = np.isin(frames, f)
    inside = (frames >= f[0]) & (frames <= f[-1]) & ((nxt - prev) <= max_gap)
    ok = exact | inside
    nan = np.full(len(frames), np.nan)
    return (np.where(ok, cx, nan), np.where(ok, cy, nan), np.where(ok, hw, 0.0), np.where(ok, hh, 0.0))


def subject_targets(poses: PoseTable, start: int, end: int, frame_h: float,
                    ball: np.ndarray | None = None, follow: int | None = None,
                    max_gap: int = 45, roles: dict[int, Any] | None = None) -> SubjectTargets:
    """Where the followed (or most salient) person is on each frame of ``[start, end)``."""
    n = max(0, end - start)
    frames = np.arange(start, end, dtype=np.float64)
    scores = score_tracks(poses, start, end, frame_h, ball, roles)
    rows = _track_rows(poses, start, end)
    order = sorted(scores, key=lambda k: -scores[k])
    if follow is not None and follow in rows:
        order = [follow] + [k for k in order if k != follow]
    cx = np.full(n, np.nan)
    cy = np.full(n, np.nan)
    hw = np.zeros(n)
    hh = np.zeros(n)
    weight = np.zeros(n)
    for rank, tid in enumerate(order):
        tx, ty, tw, th = _interp_track(rows[tid], frames, max_gap)
        fill = np.isnan(cx) & np.isfinite(tx)
        cx[fill], cy[fill], hw[fill], hh[fill] = tx[fill], ty[fill], tw[fill], th[fill]
        weight[fill] = 1.0 if rank == 0 else 0.5
    return SubjectTargets(start, cx, cy, hw, hh, weight, order[0] if order else None, scores)
