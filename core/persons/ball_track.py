"""The ball as a moving track: three-frame differencing on small full-rate frames, then paths.

A tennis ball is a 4x10-pixel yellow-green streak on a 1080p broadcast, a football a 3-pixel
white dot on a tactical view: no colour or shape test tells it apart from a sock, a line or a
letter on an advertising board on one frame, but it moves, alone, fast and smoothly. So:

1. :class:`BallFinder` (fed every frame of the shot, at :data:`BALL_WIDTH` pixels wide, luma only)
   keeps the last three frames and, for the middle one, takes the pixels that are brighter there
   than on both neighbours (the classic TrackNet-free three-frame difference: a static bright
   spot never passes, a moving dark player neither), after a global shift between the frames
   (a panning camera) is compensated. Small compact blobs of those pixels that stand apart from
   other motion (a hand or a shoe is part of a moving body) are candidates ``x, y, r, score``.
2. :func:`link_ball` joins candidates of nearby frames into paths that continue a constant
   velocity within a few pixels (a ball in flight is ballistic: over a few frames its velocity
   changes little; a bounce or a hit starts a new path). A path counts only when it is long
   enough, actually travels and is smooth; then at most one path per frame is kept, best first.
   Frames between the paths are left empty: the track has gaps where the ball is not seen.

Rows ``frame, x, y, radius, score`` in source pixels (``core.persons.ball.BALL_COLS``). Pure
OpenCV/NumPy; the finder runs on the decode pass's sink thread, the linking after the pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import cv2
import numpy as np

from core.media.decode import FrameSpec, Sink

BALL_WIDTH = 640  # frame width the finder works at (TrackNet's input is 640x360 too)
BALL_MAX_FPS = 30.0  # at most this many frames per second are looked at


@dataclass
class FinderParams:
    """Candidate thresholds, at :data:`BALL_WIDTH` (areas scale with the square of the width)."""

    diff: int = 14  # grey levels brighter than on both neighbouring frames
    min_area: int = 2
    max_area: int = 90
    max_aspect: float = 4.5  # a motion-blurred streak is long
    max_joined: float = 12.0  # changed pixels joined to the blob, in blob areas (a ball: about 3)
    max_candidates: int = 12
    max_lit: float = 0.006  # share of pixels brightened on a frame above which it is skipped
    max_shift: int = 24  # global shift search between frames, pixels
    still: float = 1.5  # mean grey change of the coarse frames below which the camera is still


def _coarse(img: np.ndarray) -> np.ndarray:
    """The quarter-size float copy :func:`_global_shift` compares."""
    h, w = img.shape
    return cv2.resize(img, (max(8, w // 4), max(8, h // 4)), interpolation=cv2.INTER_AREA).astype(np.float32)


def _global_shift(a: np.ndarray, b: np.ndarray, max_shift: int, full_width: int) -> tuple[int, int]:
    """Whole-pixel translation of frame ``b`` relative to frame ``a`` from their :func:`_coarse`
    copies (phase correlation), in full-size pixels; (0, 0) when unsure or implausibly large."""
    k = full_width / a.shape[1]
    (dx, dy), resp = cv2.phaseCorrelate(a, b)
    if resp < 0.2 or abs(dx) * k > max_shift or abs(dy) * k > max_shift:
        return 0, 0
    return int(round(dx * k)), int(round(dy * k))


def _shifted(img: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """``img`` moved by whole pixels (the uncovered border repeats the edge)."""
    if dx == 0 and dy == 0:
        return img
    h, w = img.shape
    out = np.empty_like(img)
    sx0, sx1 = max(0, -dx), min(w, w - dx)
    sy0, sy1 = max(0, -dy), min(h, h - dy)
    out[sy0 + dy:sy1 + dy, sx0 + dx:sx1 + dx] = img[sy0:sy1, sx0:sx1]
    if dx > 0:
        out[:, :dx] = out[:, dx:dx + 1]
    elif dx < 0:
        out[:, w + dx:] = out[:, w + dx - 1:w + dx]
    if dy > 0:
        out[:dy] = out[dy:dy + 1]
    elif dy < 0:
        out[h + dy:] = out[h + dy - 1:h + dy]
    return out


def moving_bright(prev: np.ndarray, cur: np.ndarray, nxt: np.ndarray, p: FinderParams,
                  shifts: tuple[tuple[int, int], tuple[int, int]] | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mask (uint8 0/255) of the pixels of ``cur`` brighter than on both neighbours by ``p.diff``,
    and the neighbours aligned to ``cur``. ``shifts``: the whole-frame shift prev -> cur and
    cur -> nxt (a panning camera), taken out first."""
    if shifts is not None:
        (ax, ay), (bx, by) = shifts
        prev = _shifted(prev, ax, ay)
        nxt = _shifted(nxt, -bx, -by)
    both = cv2.min(cv2.subtract(cur, prev), cv2.subtract(cur, nxt))
    _, mask = cv2.threshold(both, p.diff, 255, cv2.THRESH_BINARY)
    return mask, prev, nxt


def find_candidates(prev: np.ndarray, cur: np.ndarray, nxt: np.ndarray, p: FinderParams | None = None,
                    shifts: tuple[tuple[int, int], tuple[int, int]] | None = None) -> np.ndarray:
    """Ball candidates ``(N, 4)`` x, y, radius, score on ``cur`` (grey frames of one size), best
    first, in the frames' pixels."""
    p = p or FinderParams()
    h, w = cur.shape
    k2 = (w / BALL_WIDTH) ** 2
    mask, prev, nxt = moving_bright(prev, cur, nxt, p, shifts)
    lit = cv2.countNonZero(mask)
    if lit == 0 or lit > p.max_lit * mask.size:
        # nothing moved, or too much brightened at once to single out a ball (a flash, a cut, a
        # shaking camera, film grain): nothing on this frame, and no time spent on it
        return np.zeros((0, 4), np.float32)
    # contours, not connected components: an order of magnitude cheaper on a sparse mask
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out = []
    a_min, a_max = p.min_area * k2, p.max_area * k2
    half = p.diff // 2
    rects = [cv2.boundingRect(cnt) for cnt in contours]
    for x, y, bw, bh in rects:
        if bw * bh < a_min or bw * bh > 4 * a_max or max(bw, bh) > p.max_aspect * min(bw, bh):
            continue
        box = mask[y:y + bh, x:x + bw]
        area = cv2.countNonZero(box)
        if not a_min <= area <= a_max:
            continue
        r = max(bw, bh) / 2.0
        # the moving context: the changed pixels joined to the blob in a window around it. A
        # ball's are its own footprints on the three frames; a hand's or a shoe's are a body
        pad = int(max(10, 6 * r))
        x0, y0, x1, y1 = max(0, x - pad), max(0, y - pad), min(w, x + bw + pad), min(h, y + bh + pad)
        cw = cur[y0:y1, x0:x1]
        anyd = cv2.max(cv2.absdiff(cw, prev[y0:y1, x0:x1]), cv2.absdiff(cw, nxt[y0:y1, x0:x1]))
        _, win = cv2.threshold(anyd, half, 255, cv2.THRESH_BINARY)
        _, wl, ws, _ = cv2.connectedComponentsWithStats(win, connectivity=8)
        own = wl[y - y0:y - y0 + bh, x - x0:x - x0 + bw][box > 0]
        own = np.flatnonzero(np.bincount(own, minlength=len(ws))[1:]) + 1
        joined = int(ws[own, 4].sum()) if len(own) else area
        if joined > p.max_joined * area:
            continue
        ring = joined / max(1.0, 3.0 * area) - 1.0  # 0: three footprints of the blob's size
        m = cv2.moments(box, binaryImage=True)
        cx, cy = x + m["m10"] / max(1e-9, m["m00"]), y + m["m01"] / max(1e-9, m["m00"])
        contrast = float(cv2.mean(cur[y:y + bh, x:x + bw], box)[0]) - float(np.median(cw))
        fill = area / max(1, bw * bh)
        score = min(1.0, max(0.0, contrast) / 40.0) * (0.5 + 0.5 * fill) / (1.0 + max(0.0, ring))
        out.append((float(cx), float(cy), r, float(score)))
    out.sort(key=lambda c: -c[3])
    return np.asarray(out[:p.max_candidates], np.float32).reshape(-1, 4)


class BallFinder:
    """Streaming finder: :meth:`push` every frame (grey, any size; resized to :data:`BALL_WIDTH`)
    of the video in order; candidates of frame ``i`` are known when frame ``i + 1`` arrives.
    ``scale``: source pixels per finder pixel (candidates are stored in source pixels)."""

    def __init__(self, scale: float, params: FinderParams | None = None, compensate: bool = True) -> None:
        self.scale = float(scale)
        self.params = params or FinderParams()
        self.compensate = compensate
        self._ring: list[tuple[int, np.ndarray, np.ndarray | None, tuple[int, int]]] = []
        self.candidates: list[tuple[int, np.ndarray]] = []

    def push(self, index: int, grey: np.ndarray) -> None:
        g = np.ascontiguousarray(grey)
        if self._ring and (index - self._ring[-1][0] > 3 or g.shape != self._ring[-1][1].shape):
            self._ring = []  # a jump (dropped frames) or a new size: start again
        small = _coarse(g) if self.compensate else None
        shift = (0, 0)
        if self._ring and small is not None and self._ring[-1][2] is not None:
            last = self._ring[-1][2]
            # a still camera (most of a broadcast rally): no phase correlation needed
            if float(cv2.norm(small, last, cv2.NORM_L1)) > self.params.still * small.size:
                shift = _global_shift(last, small, self.params.max_shift, g.shape[1])
        self._ring.append((index, g, small, shift))
        if len(self._ring) > 3:
            self._ring.pop(0)
        if len(self._ring) == 3:
            (_, a, _, _), (i, b, _, s01), (_, c, _, s12) = self._ring
            cands = find_candidates(a, b, c, self.params, (s01, s12) if self.compensate else None)
            if len(cands):
                cands[:, :3] *= self.scale
                self.candidates.append((i, cands))


@dataclass
class LinkParams:
    """Path rules, in finder pixels (:data:`BALL_WIDTH` wide) per frame."""

    max_step: float = 40.0  # the fastest ball: pixels per frame
    gate: float = 4.0  # distance from the constant-velocity prediction, pixels
    gate_per_frame: float = 2.0  # ... plus this per frame of gap
    max_acc: float = 3.0  # change of velocity, pixels per frame per frame (a third once curved)
    max_skip: int = 3  # frames a path may miss
    min_len: int = 6  # detections in a path
    min_travel: float = 12.0  # pixels between a path's ends
    min_speed: float = 1.0  # median pixels per frame
    max_resid: float = 2.5  # RMS distance of the points from a quadratic fit in time, pixels
    fill_gap: int = 4  # frames interpolated inside a path
    max_paths: int = 150  # hypotheses followed at once


@dataclass
class _Path:
    frames: list[int] = field(default_factory=list)
    pts: list[tuple[float, float, float, float]] = field(default_factory=list)

    def predict(self, frame: int) -> tuple[float, float]:
        """Where the path would be on ``frame``: a quadratic in time through its last points
        (gravity, perspective, a ball slowing down), a straight line through two, or the point."""
        f1, (x1, y1, _, _) = self.frames[-1], self.pts[-1]
        if len(self.frames) < 2:
            return x1, y1
        if len(self.frames) >= 4:
            t = np.asarray(self.frames[-6:], np.float64) - f1
            c = _quad_fit(t, np.asarray(self.pts[-6:], np.float64)[:, :2])
            dt = float(frame - f1)
            x, y = np.array([dt * dt, dt, 1.0]) @ c
            return float(x), float(y)
        f0, (x0, y0, _, _) = self.frames[-2], self.pts[-2]
        vx, vy = (x1 - x0) / (f1 - f0), (y1 - y0) / (f1 - f0)
        return x1 + vx * (frame - f1), y1 + vy * (frame - f1)


def _quad_fit(t: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Least-squares quadratics in ``t`` through the columns of ``v``: ``(3, k)`` coefficients."""
    a = np.stack([t * t, t, np.ones_like(t)], axis=1)
    return np.linalg.lstsq(a, v, rcond=None)[0]


def _smooth_resid(t: np.ndarray, xy: np.ndarray, window: int = 10) -> float:
    """Largest RMS distance of the points from a quadratic in time over windows of the path."""
    worst = 0.0
    for a in range(0, max(1, len(t) - window // 2), window // 2):
        tt, pp = t[a:a + window] - t[a], xy[a:a + window, :2]
        if len(tt) < 4:
            continue
        c = _quad_fit(tt, pp)
        fit = np.stack([tt * tt, tt, np.ones_like(tt)], axis=1) @ c
        worst = max(worst, float(np.sqrt(np.mean((fit - pp) ** 2, axis=0)).max()))
    return worst


def link_ball(candidates: Sequence[tuple[int, np.ndarray]], scale: float, shots: Sequence[tuple[int, int]] = (),
              params: LinkParams | None = None) -> np.ndarray:
    """One ball track from per-frame candidates (source pixels; ``scale`` source pixels per finder
    pixel): paths grown by constant-velocity prediction, kept when long, travelling and smooth,
    at most one per frame (longest, best scoring first), never across a shot boundary.
    Returns ``(M, 5)`` rows frame, x, y, radius, score."""
    p = params or LinkParams()
    s = max(1e-6, float(scale))
    bounds = np.asarray(sorted(int(a) for a, _ in shots) or [0], np.int64)
    active: list[_Path] = []
    done: list[_Path] = []
    shot = None
    for frame, cands in sorted(candidates, key=lambda fc: fc[0]):
        c = np.asarray(cands, np.float64).reshape(-1, 4).copy()
        c[:, :3] /= s
        k = int(np.searchsorted(bounds, int(frame), side="right")) - 1
        if k != shot:
            done.extend(active)
            active, shot = [], k
        still = []
        for path in active:
            if frame - path.frames[-1] > p.max_skip + 1:
                done.append(path)
            else:
                still.append(path)
        active = still
        used = np.zeros(len(c), bool)
        settled = np.zeros(len(c), bool)  # on a path of at least 4 points
        grown: list[_Path] = []
        for path in active:
            dt = frame - path.frames[-1]
            px, py = path.predict(frame)
            d = np.hypot(c[:, 0] - px, c[:, 1] - py)
            if len(path.frames) < 2:
                ok = d <= p.max_step * dt
            else:
                speed = np.hypot(path.pts[-1][0] - path.pts[-2][0], path.pts[-1][1] - path.pts[-2][1]) / max(
                    1, path.frames[-1] - path.frames[-2])
                acc = p.max_acc if len(path.frames) < 4 else p.max_acc / 3
                ok = d <= p.gate + p.gate_per_frame * (dt - 1) + 0.15 * speed * dt + 0.5 * acc * dt * dt
            if not ok.any():
                continue
            j = int(np.argmin(np.where(ok, d, np.inf)))
            if len(path.frames) < 2 and used[j]:
                # a second young path to the same point: branch it so both hypotheses live on
                grown.append(_Path(list(path.frames) + [int(frame)], list(path.pts) + [tuple(c[j])]))
                continue
            path.frames.append(int(frame))
            path.pts.append(tuple(c[j]))
            used[j] = True
            settled[j] |= len(path.frames) >= 5
        active.extend(grown)
        # every candidate not yet on an established path starts a path of its own: one that
        # joined a young path may be where the ball starts a new flight (a bounce, a hit, a toss)
        for jj in np.flatnonzero(~settled):
            active.append(_Path([int(frame)], [tuple(c[jj])]))
        if len(active) > p.max_paths:  # many hypotheses on a noisy frame: keep the longest
            active.sort(key=lambda q: -len(q.frames))
            done.extend(active[p.max_paths:])
            active = active[:p.max_paths]
    done.extend(active)
    good = []
    for path in done:
        if len(path.frames) < p.min_len:
            continue
        t = np.asarray(path.frames, np.float64)
        xy = np.asarray(path.pts, np.float64)
        travel = float(np.hypot(*(xy[-1, :2] - xy[0, :2])))
        speed = float(np.median(np.hypot(np.diff(xy[:, 0]), np.diff(xy[:, 1])) / np.diff(t)))
        if travel < p.min_travel or speed < p.min_speed:
            continue
        if _smooth_resid(t, xy) > p.max_resid:
            continue
        good.append((len(path.frames) * float(np.mean(xy[:, 3]) + 0.5), path))
    good.sort(key=lambda g: -g[0])
    taken: set[int] = set()
    rows: list[tuple[float, float, float, float, float]] = []
    for _, path in good:
        span = set(range(path.frames[0], path.frames[-1] + 1))
        if len(span & taken) > 2:
            continue
        taken |= span
        fr = np.asarray(path.frames)
        xy = np.asarray(path.pts, np.float64)
        for i, f in enumerate(fr):
            rows.append((float(f), xy[i, 0] * s, xy[i, 1] * s, xy[i, 2] * s, float(xy[i, 3])))
            if i + 1 < len(fr) and 1 < fr[i + 1] - f <= p.fill_gap:
                for g in range(int(f) + 1, int(fr[i + 1])):
                    w = (g - f) / (fr[i + 1] - f)
                    q = (1 - w) * xy[i] + w * xy[i + 1]
                    rows.append((float(g), q[0] * s, q[1] * s, q[2] * s, float(q[3]) * 0.5))
    out = np.asarray(sorted(rows), np.float32).reshape(-1, 5)
    if len(out):  # overlapping ends of two kept paths: one row per frame, the first kept
        _, first = np.unique(out[:, 0], return_index=True)
        out = out[np.sort(first)]
    return out


class BallSink(Sink):
    """Decode-pass sink: every frame (up to :data:`BALL_MAX_FPS`) small and grey into a
    :class:`BallFinder`; :attr:`candidates` after the pass, in source pixels."""

    name = "ball"

    def __init__(self, width: int = BALL_WIDTH, params: FinderParams | None = None) -> None:
        self.width = int(width)
        self.params = params
        self.video = FrameSpec(width=self.width, fmt="gray", fps=BALL_MAX_FPS)
        self.finder: BallFinder | None = None
        self.seconds = 0.0  # CPU time spent finding (thread time)

    @property
    def scale(self) -> float:
        return self.finder.scale if self.finder is not None else 1.0

    @property
    def candidates(self) -> list[tuple[int, np.ndarray]]:
        return self.finder.candidates if self.finder is not None else []

    def begin(self, info: Any) -> None:
        dw, _ = info.display_size
        self.finder = BallFinder(dw / float(self.width), self.params)

    def frame(self, index: int, time: float, image: np.ndarray) -> None:
        assert self.finder is not None
        t = _thread_time()
        self.finder.push(index, image if image.ndim == 2 else image[..., 0])
        self.seconds += _thread_time() - t


def _thread_time() -> float:
    import time

    return time.thread_time()
