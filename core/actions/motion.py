"""Dense motion for the starter action detector: a coarse grid of moving-pixel fractions.

Poses are sampled at 2-4 fps (the persons stage), too sparse to place an action's onset and end
to a tenth of a second. This decode-pass sink adds what is cheap at a denser rate: every frame
(up to ``MAX_FPS``) is taken small and grey, differenced with the previous one, and the fraction
of changed pixels is kept per ``CELL`` x ``CELL`` cell. Stored as the ``actions.motion`` signal:
``(N, 1 + GH * GW)`` uint8 rows, column 0 unused (0), the grid quantised to 0..255; the frame
indices as the ``actions.motion_frames`` signal. With the person's box interpolated between pose
samples, :func:`box_energy` gives the moving fraction inside (upper / lower half of) the box at
each motion frame. Sink methods run on the sink's thread; the rest are pure functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from core.media.decode import FrameSpec, Sink

MOTION_SIGNAL = "actions.motion"
MOTION_FRAMES = "actions.motion_frames"
WIDTH = 320  # grey frame width for differencing
CELL = 5  # pixels per grid cell side (at WIDTH)
MAX_FPS = 15.0
DIFF_THRESHOLD = 14  # grey-level change that counts as motion
KEY = f"grid@2:w{WIDTH}c{CELL}f{MAX_FPS:g}t{DIFF_THRESHOLD}"


@dataclass
class MotionGrid:
    """Motion of one video: ``frames`` (N,) decoded frame indices, ``grid`` (N, GH, GW) fractions
    0..1 of pixels that changed since the previous sampled frame, and the source size the grid
    covers (display pixels)."""

    frames: np.ndarray
    grid: np.ndarray
    width: int
    height: int

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.grid.shape[1]), int(self.grid.shape[2])

    def pack(self) -> tuple[np.ndarray, np.ndarray]:
        n, gh, gw = self.grid.shape
        q = np.clip(np.round(self.grid * 255), 0, 255).astype(np.uint8).reshape(n, gh * gw)
        meta = np.array([self.width, self.height, gh, gw], np.int64)
        return q, np.concatenate([meta, self.frames.astype(np.int64)])

    @classmethod
    def unpack(cls, q: np.ndarray, frames: np.ndarray) -> "MotionGrid":
        w, h, gh, gw = (int(v) for v in frames[:4])
        return cls(np.asarray(frames[4:], np.int64), np.asarray(q, np.float32).reshape(-1, gh, gw) / 255.0, w, h)


def _shift_1d(a: np.ndarray, b: np.ndarray, max_shift: int) -> int:
    """Integer shift ``k`` so that ``a`` moved by ``k`` best matches ``b`` (normalised cross
    correlation of the profiles' gradients, which ignores brightness changes)."""
    ga, gb = np.diff(a), np.diff(b)
    n = len(ga)
    full = np.correlate(gb, ga, mode="full")  # index n - 1 + k: gb[i + k] * ga[i]
    ks = np.arange(-max_shift, max_shift + 1)
    score = full[n - 1 + ks] / (n - np.abs(ks))
    return int(ks[int(np.argmax(score))])


def global_shift(prev: np.ndarray, cur: np.ndarray, max_shift: int = 16) -> tuple[int, int]:
    """Integer ``(dy, dx)`` that best aligns ``prev`` onto ``cur``: the camera's pan or shake
    between two frames, from the row and column profiles (cheap: two 1-D searches)."""
    p, c = prev.astype(np.float32), cur.astype(np.float32)
    dy = _shift_1d(p.mean(axis=1), c.mean(axis=1), max_shift)
    dx = _shift_1d(p.mean(axis=0), c.mean(axis=0), max_shift)
    return dy, dx


def motion_cells(prev: np.ndarray, cur: np.ndarray, cell: int = CELL, threshold: int = DIFF_THRESHOLD,
                 align: bool = True) -> np.ndarray:
    """Fraction of pixels per ``cell`` x ``cell`` block whose grey level changed by more than
    ``threshold`` between two frames ``(H, W)`` uint8, after shifting ``prev`` by the camera's
    motion (``align``); the uncovered border counts as still."""
    import cv2

    h, w = cur.shape[:2]
    gh, gw = h // cell, w // cell
    dy, dx = global_shift(prev, cur) if align else (0, 0)
    d = np.zeros((h, w), np.uint8)
    ys, yp = (slice(dy, h), slice(0, h - dy)) if dy >= 0 else (slice(0, h + dy), slice(-dy, h))
    xs, xp = (slice(dx, w), slice(0, w - dx)) if dx >= 0 else (slice(0, w + dx), slice(-dx, w))
    d[ys, xs] = cv2.absdiff(np.ascontiguousarray(cur[ys, xs]), np.ascontiguousarray(prev[yp, xp]))
    _, m = cv2.threshold(d[:gh * cell, :gw * cell], threshold, 255, cv2.THRESH_BINARY)
    return cv2.resize(m, (gw, gh), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


class MotionSink(Sink):
    """Collects the motion grid during the decode pass (see the module docstring)."""

    name = "actions.motion"

    def __init__(self, fps: float | None) -> None:
        self.video = FrameSpec(width=WIDTH, fmt="gray", fps=min(MAX_FPS, fps) if fps else MAX_FPS)
        self.frames: list[int] = []
        self.rows: list[np.ndarray] = []
        self._prev: np.ndarray | None = None
        self.size = (0, 0)

    def begin(self, info: Any) -> None:
        self.size = tuple(int(v) for v in info.display_size)  # type: ignore[assignment]

    def frame(self, index: int, time: float, image: np.ndarray) -> None:
        img = image[..., 0] if image.ndim == 3 else image
        if self._prev is not None and self._prev.shape == img.shape:
            self.frames.append(index)
            # kept quantised as stored (one byte a cell): a 90-minute video at 15 fps is ~190 MB
            self.rows.append(np.round(motion_cells(self._prev, img) * 255).astype(np.uint8))
        self._prev = img.copy()

    def result(self) -> MotionGrid:
        if not self.rows:
            return MotionGrid(np.zeros(0, np.int64), np.zeros((0, 1, 1), np.float32), *self.size)
        return MotionGrid(np.asarray(self.frames, np.int64), np.stack(self.rows).astype(np.float32) / 255.0,
                          *self.size)


def box_energy(motion: MotionGrid, frames: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Moving fraction inside each box at each motion frame: ``(len(frames), 4)`` columns whole
    box, upper half, lower half, and the band above the head (from 0.45 box heights above the box
    to its top: raised arms, a ball thrown, a racket over the head), each minus the frame's median
    cell (camera motion). ``boxes`` are ``(len(frames), 4)`` x1 y1 x2 y2 in source pixels (NaN:
    no box, energy 0)."""
    gh, gw = motion.shape
    sx, sy = gw / max(1, motion.width), gh / max(1, motion.height)
    idx = np.searchsorted(motion.frames, frames)
    ok = (idx < len(motion.frames))
    ok[ok] &= motion.frames[idx[ok]] == frames[ok]
    out = np.zeros((len(frames), 4), np.float32)
    for i in np.flatnonzero(ok & np.isfinite(boxes).all(axis=1)):
        g = motion.grid[idx[i]]
        x1, y1, x2, y2 = boxes[i]
        c1, c2 = int(np.floor(x1 * sx)), int(np.ceil(x2 * sx))
        r1, r2 = int(np.floor(y1 * sy)), int(np.ceil(y2 * sy))
        c1, r1 = max(0, c1), max(0, r1)
        c2, r2 = min(gw, max(c2, c1 + 1)), min(gh, max(r2, r1 + 1))
        if c1 >= gw or r1 >= gh:
            continue
        base = float(np.median(g))
        rm = (r1 + r2 + 1) // 2
        sub = g[r1:r2, c1:c2]
        out[i, 0] = sub.mean() - base
        out[i, 1] = (g[r1:rm, c1:c2].mean() if rm > r1 else sub.mean()) - base
        out[i, 2] = (g[rm:r2, c1:c2].mean() if r2 > rm else sub.mean()) - base
        a0 = max(0, int(np.floor((y1 - 0.45 * (y2 - y1)) * sy)))
        a1 = max(a0 + 1, int(np.floor(y1 * sy)))
        if a0 < gh:
            out[i, 3] = g[a0:min(gh, a1), c1:c2].mean() - base
    return np.maximum(out, 0.0)


__all__ = ["KEY", "MOTION_FRAMES", "MOTION_SIGNAL", "MotionGrid", "MotionSink", "box_energy", "motion_cells"]
