"""The crop path as data: keyframes ``[frame, cx, cy, w, h]`` per shot, evaluated per frame.

A :class:`CropPath` holds the keyframes of one shot (linear between keyframes, held before the
first and after the last); :class:`VideoCropPath` strings the shots of a video together, so a cut
in the video is a clean cut in the path. :func:`simplify` turns a per-frame solution into few
keyframes within a pixel tolerance; :func:`crop_path_json` writes the INTERFACES.md sidecar.
Pure data; any thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from core.reframe.aspect import Rect


def simplify(values: np.ndarray, tol: float = 0.75) -> list[int]:
    """Indices of keyframes so linear interpolation stays within ``tol`` of every column of
    ``values`` (``(n, k)``); always keeps the first and last (iterative Douglas-Peucker)."""
    v = np.asarray(values, np.float64)
    if v.ndim == 1:
        v = v[:, None]
    n = len(v)
    if n <= 2:
        return list(range(n))
    keep = {0, n - 1}
    stack = [(0, n - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        idx = np.arange(a + 1, b)
        w = (idx - a) / (b - a)
        line = v[a] + w[:, None] * (v[b] - v[a])
        err = np.abs(v[a + 1:b] - line).max(axis=1)
        j = int(np.argmax(err))
        if err[j] > tol:
            m = a + 1 + j
            keep.add(m)
            stack += [(a, m), (m, b)]
    return sorted(keep)


@dataclass
class CropPath:
    """Keyframes of one shot ``[start, end)``, each ``[frame, cx, cy, w, h]`` in source pixels."""

    start: int
    end: int
    keyframes: np.ndarray  # (k, 5)
    bounds: Rect  # the crop window never leaves this (the picture without black bars)

    @classmethod
    def from_attrs(cls, start: int, end: int, attrs: dict[str, Any], source: tuple[int, int]) -> "CropPath":
        kf = np.asarray(attrs.get("keyframes") or [], np.float64).reshape(-1, 5)
        if not len(kf):
            w, h = source
            kf = np.array([[start, w / 2, h / 2, w, h]], np.float64)
        c = attrs.get("content")
        bounds = Rect(*[int(v) for v in c]) if c else Rect(0, 0, source[0], source[1])
        return cls(start, end, kf[np.argsort(kf[:, 0], kind="stable")], bounds)

    def centers(self, frames: np.ndarray) -> np.ndarray:
        """``(n, 4)`` cx, cy, w, h at ``frames`` (linear between keyframes)."""
        kf = self.keyframes
        f = np.asarray(frames, np.float64)
        return np.stack([np.interp(f, kf[:, 0], kf[:, c]) for c in range(1, 5)], axis=1)

    def rects(self, frames: np.ndarray) -> np.ndarray:
        """``(n, 4)`` integer x, y, w, h: even-sized, even-aligned, inside the bounds."""
        c = self.centers(frames)
        b = self.bounds
        w = np.minimum(np.round(c[:, 2]).astype(np.int64), b.w)
        h = np.minimum(np.round(c[:, 3]).astype(np.int64), b.h)
        w -= w % 2
        h -= h % 2
        x = np.round(c[:, 0] - w / 2).astype(np.int64)
        y = np.round(c[:, 1] - h / 2).astype(np.int64)
        x = np.clip(x, b.x, b.x + b.w - w)
        y = np.clip(y, b.y, b.y + b.h - h)
        x -= x % 2
        y -= y % 2
        x = np.maximum(x, b.x)
        y = np.maximum(y, b.y)
        return np.stack([x, y, w, h], axis=1)


class VideoCropPath:
    """The crop of every frame of a video, from one :class:`CropPath` per shot."""

    def __init__(self, paths: Sequence[CropPath], source: tuple[int, int]) -> None:
        self.paths = sorted(paths, key=lambda p: p.start)
        self.source = source
        self._starts = np.array([p.start for p in self.paths], np.int64)

    def rects(self, start: int, end: int) -> np.ndarray:
        frames = np.arange(start, end)
        out = np.zeros((len(frames), 4), np.int64)
        w, h = self.source
        out[:] = (0, 0, w - w % 2, h - h % 2)
        if not self.paths:
            return out
        k = np.searchsorted(self._starts, frames, side="right") - 1
        for i, p in enumerate(self.paths):
            m = (k == i) & (frames < p.end)
            if m.any():
                out[m] = p.rects(frames[m])
        # frames after a gap in the shot list keep the last shot's path (held)
        miss = (k < 0) | (frames >= np.array([self.paths[max(0, j)].end for j in k]))
        if miss.any():
            for j in np.flatnonzero(miss):
                kk = int(np.clip(k[j], 0, len(self.paths) - 1))
                out[j] = self.paths[kk].rects(np.array([frames[j]]))[0]
        return out


def crop_path_json(aspect: str, source: tuple[int, int], frames: Sequence[int], times: Sequence[float],
                   rects: np.ndarray, output: tuple[int, int] | None = None) -> dict[str, Any]:
    """The INTERFACES.md sidecar: one entry per output frame, crop in source pixels."""
    out: dict[str, Any] = {"aspect": aspect, "source": {"width": int(source[0]), "height": int(source[1])}}
    if output is not None:
        out["output"] = {"width": int(output[0]), "height": int(output[1])}
    out["frames"] = [
        {"frame": int(f), "time": round(float(t), 6), "x": int(r[0]), "y": int(r[1]), "w": int(r[2]),
         "h": int(r[3])}
        for f, t, r in zip(frames, times, rects, strict=True)
    ]
    return out
