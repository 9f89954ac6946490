"""Linking sparse person detections into tracks: motion + size + kit colour, re-found after a gap.

At a few samples per second a running player's boxes on consecutive samples often do not overlap
(and a 10-pixel player on a wide football view never does), so IoU trackers lose them. Here each
track predicts its centre with a constant velocity; a detection matches it when its centre lies
within a distance that grows with the time since the track was last seen (in units of the
person's height: scale-free, so it works for a 20-px player and a 500-px close-up alike), its
height is similar, and its kit colour (Lab, when known) is not far. Assignment is optimal per
sample (Hungarian). A track not seen for ``max_gap_s`` is no longer followed by motion, but it is
kept for ``max_lost_s`` as a lost track: a detection nobody else takes, of a similar size, near
where it was lost (``lost_reach`` heights) and of the same kit colour (``lost_colour``, Lab) gets
its id back (re-identification after an occlusion, a long missed stretch of a distant player or
the player leaving the frame for a moment). A fresh set of tracks starts at every shot.

Rows are the ``models.persons.pose`` detection layout (box x1 y1 x2 y2, score, 17 × (x, y,
conf)) plus any extra columns (``core.persons.roles``: the kit colour sits at ``colour_col``);
the result is the ``core.persons.poses`` array and the extras, row-aligned. Pure NumPy/SciPy;
deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

N_KPT = 17
DET_COLS = 5 + 3 * N_KPT
COLS = 7 + 3 * N_KPT
_BIG = 1e6


@dataclass
class _Track:
    tid: int
    frame: int
    c: np.ndarray  # centre x, y
    h: float
    v: np.ndarray = field(default_factory=lambda: np.zeros(2))  # px per frame
    colour: np.ndarray | None = None
    hits: int = 1


def _centre(b: np.ndarray) -> np.ndarray:
    return np.array([(b[0] + b[2]) / 2, (b[1] + b[3]) / 2], np.float64)


def link_tracks(samples: Sequence[tuple[int, np.ndarray]], shots: Sequence[tuple[int, int]], fps: float,
                first_id: int = 1, max_gap_s: float = 2.0, colour_col: int | None = None,
                reach: float = 1.0, reach_per_s: float = 2.5, max_colour: float = 40.0,
                max_lost_s: float = 8.0, lost_reach: float = 8.0, lost_colour: float = 25.0
                ) -> tuple[np.ndarray, np.ndarray]:
    """Tracks from ``(frame, detections)`` samples in frame order; see the module docstring.

    ``colour_col``: index among the extra columns (after the 56) of the Lab kit colour's first
    channel. ``reach`` + ``reach_per_s`` × seconds since last seen: the gate, in person heights,
    around the predicted centre. Returns ``(poses (M, 58), extras (M, E))``."""
    width = max([DET_COLS] + [np.asarray(d).shape[1] for _, d in samples if np.asarray(d).ndim == 2])
    n_extra = width - DET_COLS
    fps = max(1.0, float(fps))
    max_gap = max_gap_s * fps
    max_lost = max(max_gap, max_lost_s * fps)
    bounds = np.asarray(sorted(int(s) for s, _ in shots) or [0], np.int64)
    rows: list[np.ndarray] = []
    extras: list[np.ndarray] = []
    tracks: list[_Track] = []
    next_id = first_id
    shot = None
    for frame, dets in samples:
        k = int(np.searchsorted(bounds, int(frame), side="right")) - 1
        if k != shot:
            tracks, shot = [], k
        d = np.asarray(dets, np.float32).reshape(-1, width)
        live = [t for t in tracks if frame - t.frame <= max_lost]
        tracks = live
        assign: dict[int, int] = {}
        if len(d) and live:
            cost = np.full((len(live), len(d)), _BIG)
            cs = np.stack([_centre(b) for b in d[:, 0:4]])
            hs = np.maximum(1.0, d[:, 3] - d[:, 1]).astype(np.float64)
            cols = None
            if colour_col is not None and n_extra >= colour_col + 3:
                cols = d[:, DET_COLS + colour_col:DET_COLS + colour_col + 3].astype(np.float64)
            for i, t in enumerate(live):
                dt = float(frame - t.frame)
                lost = dt > max_gap
                pred = t.c + t.v * dt
                scale = np.maximum(t.h, hs)
                # the nearer of where the motion says and where it was last: a player who stops
                # or turns (or a camera that stops panning) is not lost to a stale velocity
                dist = np.minimum(np.hypot(cs[:, 0] - pred[0], cs[:, 1] - pred[1]),
                                  np.hypot(cs[:, 0] - t.c[0], cs[:, 1] - t.c[1])) / scale
                gate = reach + reach_per_s * dt / fps
                if lost:  # motion says nothing any more: near where it was lost, same kit
                    dist = np.hypot(cs[:, 0] - t.c[0], cs[:, 1] - t.c[1]) / scale
                    gate = min(gate, lost_reach)
                ratio = hs / max(1.0, t.h)
                ok = (dist <= gate) & (ratio >= 0.5) & (ratio <= 2.0)
                c = dist / gate
                if cols is not None and t.colour is not None:
                    cd = np.linalg.norm(cols - t.colour, axis=1)
                    known = np.isfinite(cd)
                    ok &= ~known | (cd <= max_colour)
                    if lost:
                        ok &= known & (cd <= lost_colour)
                    c = c + np.where(known, cd / max_colour, 0.5) * 0.5
                elif lost:
                    ok &= False  # no colour to tell who it is: a new track
                c = c + 0.1 * np.abs(np.log(np.clip(ratio, 1e-3, None)))
                if lost:
                    c = c + 1.0  # a followed track first
                    if int(ok.sum()) > 1:  # two look-alikes where it was lost (a crowded tactical
                        ok[:] = False      # view): which one it is cannot be told, a new track
                cost[i] = np.where(ok, c, _BIG)
            # matching cascade: the tracks seen most recently choose first, each age among the
            # detections the younger ones left. One assignment over all made a track unseen for
            # a second (a wide gate) take the person next to a track seen a moment ago, which
            # then took a stranger: swapped ids (the near tennis player after a missed sample)
            ages = np.array([frame - t.frame for t in live])
            free = np.ones(len(d), bool)
            for age in np.unique(ages):
                rows_i = np.flatnonzero(ages == age)
                cols_j = np.flatnonzero(free)
                if not len(cols_j):
                    break
                sub = cost[np.ix_(rows_i, cols_j)]
                ri, ci = linear_sum_assignment(sub)
                for i, j in zip(ri, ci):
                    if sub[i, j] < _BIG:
                        assign[int(cols_j[j])] = int(rows_i[i])
                        free[cols_j[j]] = False
        for j in range(len(d)):
            det = d[j]
            c = _centre(det[0:4])
            h = float(max(1.0, det[3] - det[1]))
            col = None
            if colour_col is not None and n_extra >= colour_col + 3:
                cc = det[DET_COLS + colour_col:DET_COLS + colour_col + 3].astype(np.float64)
                col = cc if np.isfinite(cc).all() else None
            if j in assign:
                t = live[assign[j]]
                dt = max(1.0, float(frame - t.frame))
                v = (c - t.c) / dt
                t.v = np.zeros(2) if dt > max_gap else v if t.hits == 1 else 0.5 * t.v + 0.5 * v
                t.c, t.frame, t.hits = c, int(frame), t.hits + 1
                t.h = 0.7 * t.h + 0.3 * h
                if col is not None:
                    t.colour = col if t.colour is None else 0.8 * t.colour + 0.2 * col
            else:
                t = _Track(next_id, int(frame), c, h, colour=col)
                next_id += 1
                tracks.append(t)
            row = np.empty(COLS, np.float32)
            row[0], row[1], row[2] = frame, t.tid, det[4]
            row[3:7] = det[0:4]
            row[7:] = det[5:DET_COLS]
            rows.append(row)
            extras.append(det[DET_COLS:width])
    if not rows:
        return np.zeros((0, COLS), np.float32), np.zeros((0, n_extra), np.float32)
    a = np.stack(rows)
    e = np.stack(extras).astype(np.float32).reshape(len(a), n_extra)
    order = np.lexsort((a[:, 1], a[:, 0]))
    return a[order], e[order]


def fill_gaps(poses: np.ndarray, extras: np.ndarray, sampled: Sequence[int], max_gap: int,
              score_factor: float = 0.5, move: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Rows for samples a track skipped (a missed detection between two found ones, at most
    ``max_gap`` frames apart, the person moved at most ``move`` heights): box and keypoints
    interpolated, score × ``score_factor``, keypoint confidences halved; extras copied from the
    row before. A player keeps a box on the frame the detector lost him."""
    a = np.asarray(poses, np.float32)
    e = np.asarray(extras, np.float32)
    if len(a) < 2:
        return a, e
    e = e.reshape(len(a), -1)
    samp = np.asarray(sorted(set(int(f) for f in sampled)), np.int64)
    new_rows: list[np.ndarray] = []
    new_ex: list[np.ndarray] = []
    for tid in np.unique(a[:, 1]):
        idx = np.flatnonzero(a[:, 1] == tid)
        idx = idx[np.argsort(a[idx, 0], kind="stable")]
        for i0, i1 in zip(idx[:-1], idx[1:]):
            f0, f1 = int(a[i0, 0]), int(a[i1, 0])
            if f1 - f0 > max_gap or f1 - f0 < 2:
                continue
            h = max(1.0, float(a[i0, 6] - a[i0, 4]))
            c0 = np.array([a[i0, 3] + a[i0, 5], a[i0, 4] + a[i0, 6]]) / 2
            c1 = np.array([a[i1, 3] + a[i1, 5], a[i1, 4] + a[i1, 6]]) / 2
            if float(np.hypot(*(c1 - c0))) > move * h:
                continue  # moved far meanwhile: a straight line between would be a guess
            lo, hi = np.searchsorted(samp, [f0 + 1, f1])
            for f in samp[lo:hi]:
                w = (float(f) - f0) / (f1 - f0)
                row = (1 - w) * a[i0] + w * a[i1]
                row[0], row[1] = f, tid
                row[2] = min(a[i0, 2], a[i1, 2]) * score_factor
                row[9::3] = np.minimum(a[i0, 9::3], a[i1, 9::3]) * 0.5
                new_rows.append(row.astype(np.float32))
                new_ex.append(e[i0])
    if not new_rows:
        return a, e
    a2 = np.concatenate([a, np.stack(new_rows)])
    e2 = np.concatenate([e, np.stack(new_ex)])
    order = np.lexsort((a2[:, 1], a2[:, 0]))
    return a2[order], e2[order]
