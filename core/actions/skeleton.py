"""Skeleton sequences for action recognition: sampling a pose track on a time grid,
per-person normalisation, and the joint / bone / motion input streams.

Input is the compact pose table of :mod:`core.persons.poses` (rows ``frame, track, score, box, 17x(x, y,
conf)``). Poses are usually sampled sparsely (2-4 fps), so a track is *resampled* onto a fixed
grid of ``steps`` instants per window by linear interpolation; instants that fall outside the
track or inside a gap longer than ``max_gap`` frames get confidence 0. Pure functions, any thread.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from core.errors import ClipDeskError
from core.persons.poses import COLS, N_KPT

STREAMS = ("joint", "bone", "motion")
CHANNELS_PER_STREAM = 3
# Parent of each COCO joint for the bone stream (a tree rooted at the nose; the root's bone is 0).
PARENTS = (0, 0, 0, 1, 2, 0, 0, 5, 6, 7, 8, 5, 6, 11, 12, 13, 14)
# Left/right joint swap for horizontal-flip augmentation.
FLIP_PERM = (0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15)
_HIPS = (11, 12)
_SHOULDERS = (5, 6)


def check_streams(streams: Sequence[str]) -> tuple[str, ...]:
    out = tuple(streams)
    bad = [s for s in out if s not in STREAMS]
    if bad or not out:
        raise ClipDeskError(f"unknown skeleton stream(s) {bad or '(none)'}; choose from {', '.join(STREAMS)}")
    return out


def sample_track(rows: np.ndarray, grid: np.ndarray, max_gap: float = 30.0) -> np.ndarray:
    """Keypoints ``(T, 17, 3)`` of one track at the (fractional) frames in ``grid``.

    ``rows`` are the track's pose rows sorted by frame. Interpolates between the two samples
    around each instant; an instant within half a typical sampling step of the track's first or
    last sample takes that sample (so sparse sampling does not shave the ends off a track).
    """
    grid = np.asarray(grid, np.float64)
    out = np.zeros((len(grid), N_KPT, 3), np.float32)
    if len(rows) == 0:
        return out
    rows = np.asarray(rows, np.float32).reshape(-1, COLS)
    fs = rows[:, 0].astype(np.float64)
    kp = rows[:, 7:].reshape(-1, N_KPT, 3)
    if len(fs) == 1:
        near = np.abs(grid - fs[0]) <= max_gap / 2
        out[near] = kp[0]
        return out
    step = float(np.median(np.diff(fs))) if len(fs) > 1 else 1.0
    tol = min(step / 2, max_gap / 2)
    g = np.clip(grid, fs[0], fs[-1])
    hi = np.clip(np.searchsorted(fs, g, side="left"), 1, len(fs) - 1)
    lo = hi - 1
    span = fs[hi] - fs[lo]
    w = np.where(span > 0, (g - fs[lo]) / np.where(span > 0, span, 1), 0.0).astype(np.float32)
    vals = (1 - w)[:, None, None] * kp[lo] + w[:, None, None] * kp[hi]
    ok = (span <= max_gap) & (grid >= fs[0] - tol) & (grid <= fs[-1] + tol)
    out[ok] = vals[ok]
    return out


def normalise(seq: np.ndarray, conf_thr: float = 0.05) -> np.ndarray:
    """Centre on the person's mean hip (or body) position over the sequence and scale by body
    height, so a window is invariant to where the person stands and how big they appear, while
    movement *within* the window (a jump, a run) is kept. Missing joints become (0, 0, 0)."""
    seq = np.asarray(seq, np.float32)
    out = np.zeros_like(seq)
    valid = seq[..., 2] > conf_thr  # (T, V)
    if not valid.any():
        return out
    hips_ok = valid[:, _HIPS].all(axis=1)
    if hips_ok.any():
        centre = seq[hips_ok][:, _HIPS, :2].mean(axis=(0, 1))
    else:
        centre = seq[..., :2][valid].mean(axis=0)
    heights = []
    for t in range(len(seq)):
        v = valid[t]
        if v.sum() >= 4:
            ys = seq[t, v, 1]
            xs = seq[t, v, 0]
            heights.append(max(float(ys.max() - ys.min()), 0.5 * float(xs.max() - xs.min())))
    scale = float(np.median(heights)) if heights else 0.0
    if scale < 1e-3:
        pts = seq[..., :2][valid]
        scale = float(max(np.ptp(pts[:, 0]), np.ptp(pts[:, 1]), 1.0))
    out[..., :2] = (seq[..., :2] - centre) / scale
    out[..., 2] = seq[..., 2]
    out[~valid] = 0.0
    return out


def features(norm: np.ndarray, streams: Sequence[str] = ("joint", "motion")) -> np.ndarray:
    """Model input ``(C, T, V)`` float32 from a normalised ``(T, V, 3)`` sequence.

    joint: x, y, conf; bone: vector to the parent joint and the smaller of the two confidences;
    motion: displacement to the next instant and the product of confidences (0 when a joint is
    missing at either end). Streams are stacked along channels (early fusion).
    """
    norm = np.asarray(norm, np.float32)
    parts = []
    conf = norm[..., 2]
    for s in check_streams(streams):
        if s == "joint":
            parts.append(norm)
        elif s == "bone":
            par = norm[:, list(PARENTS)]
            b = np.empty_like(norm)
            b[..., :2] = norm[..., :2] - par[..., :2]
            b[..., 2] = np.minimum(conf, par[..., 2])
            b[..., :2] *= (b[..., 2] > 0)[..., None]
            parts.append(b)
        else:
            m = np.zeros_like(norm)
            both = conf[1:] * conf[:-1]
            m[:-1, :, :2] = (norm[1:, :, :2] - norm[:-1, :, :2]) * (both > 0)[..., None]
            m[:-1, :, 2] = both
            parts.append(m)
    x = np.concatenate(parts, axis=-1)  # (T, V, C)
    return np.ascontiguousarray(x.transpose(2, 0, 1), dtype=np.float32)


def n_channels(streams: Sequence[str]) -> int:
    return CHANNELS_PER_STREAM * len(check_streams(streams))


def coverage(seq: np.ndarray, conf_thr: float = 0.05) -> float:
    """Fraction of instants where the person is seen (any joint above ``conf_thr``)."""
    if len(seq) == 0:
        return 0.0
    return float((np.asarray(seq)[..., 2] > conf_thr).any(axis=1).mean())
