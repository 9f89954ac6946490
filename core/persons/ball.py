"""Classical ball detection on a pitch: a small bright round blob on green, field lines masked out.

Used when no ``sports ball`` detector weights are configured. :func:`pitch_mask` finds the grass,
:func:`field_line_mask` the painted lines on it (long thin bright structures), and
:func:`detect_ball` returns ball candidates that are compact, bright, surrounded by grass and not
on a line; :func:`track_ball` keeps the candidate that continues the previous position. Ball
rows stored in the signals table (name ``ball``): ``frame, x, y, radius, score`` in source pixels.
Pure OpenCV/NumPy; any thread.
"""

from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

BALL_SIGNAL = "ball"
BALL_COLS = 5


# Grass hue band in OpenCV's 0-180 scale; yellow balls sit just below it (about 30).
_GREEN_LO, _GREEN_HI = 36, 90


def _green(hsv: np.ndarray) -> np.ndarray:
    lo, hi = np.array([_GREEN_LO, 40, 40], np.uint8), np.array([_GREEN_HI, 255, 255], np.uint8)
    return cv2.inRange(hsv, lo, hi)


def pitch_mask(rgb: np.ndarray) -> np.ndarray:
    """uint8 mask of grass (green, saturated), holes (players, ball, lines) filled."""
    green = _green(cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV))
    k = max(3, (min(rgb.shape[:2]) // 40) | 1)
    closed = cv2.morphologyEx(green, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    # fill everything enclosed by grass (players with the ball at their feet make large holes)
    contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros_like(closed)
    min_area = 0.01 * closed.size
    big = [c for c in contours if cv2.contourArea(c) >= min_area]
    cv2.drawContours(filled, big, -1, 255, thickness=cv2.FILLED)
    return filled


def _bright(rgb: np.ndarray) -> np.ndarray:
    """Bright pixels that are not grass: white (lines, white balls) or coloured (yellow balls)."""
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    light = cv2.inRange(hsv, np.array([0, 0, 150], np.uint8), np.array([180, 255, 255], np.uint8))
    white = cv2.inRange(hsv, np.array([0, 0, 150], np.uint8), np.array([180, 90, 255], np.uint8))
    return cv2.bitwise_and(light, cv2.bitwise_or(white, cv2.bitwise_not(_green(hsv))))


def field_line_mask(rgb: np.ndarray, pitch: np.ndarray | None = None) -> np.ndarray:
    """uint8 mask of painted lines: bright pixels on the pitch forming long thin segments."""
    pitch = pitch_mask(rgb) if pitch is None else pitch
    bright = cv2.bitwise_and(_bright(rgb), pitch)
    h, w = bright.shape
    min_len = max(12, int(0.06 * max(h, w)))
    lines = cv2.HoughLinesP(bright, 1, np.pi / 180, threshold=max(10, min_len // 2), minLineLength=min_len,
                            maxLineGap=max(2, min_len // 6))
    mask = np.zeros_like(bright)
    thick = max(3, int(0.006 * max(h, w)))
    if lines is not None:
        for x1, y1, x2, y2 in np.asarray(lines).reshape(-1, 4):
            cv2.line(mask, (int(x1), int(y1)), (int(x2), int(y2)), 255, thick)
    return mask


def detect_ball(rgb: np.ndarray, max_candidates: int = 5) -> np.ndarray:
    """Ball candidates ``(N, 4)``: x, y, radius, score (best first), in ``rgb`` pixels."""
    h, w = rgb.shape[:2]
    pitch = pitch_mask(rgb)
    if pitch.mean() < 0.15 * 255:  # not a pitch view (close-up, crowd): no classical evidence
        return np.zeros((0, 4), np.float32)
    bright = cv2.bitwise_and(_bright(rgb), pitch)
    bright[field_line_mask(rgb, pitch) > 0] = 0
    n, lab, stats, cents = cv2.connectedComponentsWithStats(bright, connectivity=8)
    scale = max(h, w)
    a_min, a_max = max(2.0, (0.0015 * scale) ** 2), (0.02 * scale) ** 2 * 3.2
    raw_green = _green(cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV))
    big = np.flatnonzero(stats[1:, 4] >= a_min) + 1
    big_c = cents[big]
    out = []
    for i in range(1, n):
        x, y, bw, bh, area = (int(v) for v in stats[i])
        if not a_min <= area <= a_max:
            continue
        aspect = max(bw, bh) / max(1, min(bw, bh))
        fill = area / max(1, bw * bh)
        if aspect > 1.8 or fill < 0.45:
            continue
        r = max(bw, bh) / 2
        pad = int(max(2, r * 1.5))
        x0, y0, x1, y1 = max(0, x - pad), max(0, y - pad), min(w, x + bw + pad), min(h, y + bh + pad)
        ring = raw_green[y0:y1, x0:x1].astype(bool)
        ring_area = ring.size - area
        green_frac = ring.sum() / max(1, ring_area)
        if green_frac < 0.4:  # a ball sits on grass; bright blobs on players (socks, shirts) do not
            continue
        size = min(1.0, r / max(1.0, 0.004 * scale))  # specks of one or two pixels are noise
        # a ball is isolated; letters of pitch-side text come in rows of similar blobs
        d = np.hypot(big_c[:, 0] - cents[i][0], big_c[:, 1] - cents[i][1])
        crowd = int(np.sum(d < max(4 * r, 0.02 * scale))) - 1
        score = float(green_frac * fill * size / aspect / (1 + max(0, crowd)))
        out.append((float(cents[i][0]), float(cents[i][1]), float(r), score))
    out.sort(key=lambda c: -c[3])
    return np.asarray(out[:max_candidates], np.float32).reshape(-1, 4)


def track_ball(samples: Sequence[tuple[int, np.ndarray]], max_jump: float,
               min_score: float = 0.2) -> np.ndarray:
    """One ball per frame from candidate lists: the candidate continuing the last position.

    ``samples``: ``(frame, (N, 4) candidates)``; ``max_jump``: pixels per frame the ball may move.
    Returns ``(M, 5)`` rows frame, x, y, radius, score.
    """
    rows: list[tuple[float, float, float, float, float]] = []
    last: tuple[int, float, float] | None = None
    for frame, cands in samples:
        c = np.asarray(cands, np.float32).reshape(-1, 4)
        c = c[c[:, 3] >= min_score]
        if not len(c):
            continue
        if last is not None:
            gap = max(1, frame - last[0])
            d = np.hypot(c[:, 0] - last[1], c[:, 1] - last[2])
            near = d <= max_jump * gap
            if near.any():
                j = int(np.argmin(np.where(near, d, np.inf)))
            elif gap > 30 or len(rows) < 2:
                j = 0  # lost for long: restart from the best candidate
            else:
                continue
        else:
            j = 0
        rows.append((float(frame), float(c[j, 0]), float(c[j, 1]), float(c[j, 2]), float(c[j, 3])))
        last = (frame, float(c[j, 0]), float(c[j, 1]))
    return np.asarray(rows, np.float32).reshape(-1, BALL_COLS)
