"""Boxes carried between pose samples by sparse optical flow (pyramidal Lucas-Kanade).

The pose model is the persons stage's cost; between two of its samples a person's box moves
little and rigidly enough that a few tracked points inside it say where it went. So a grid of
points on the upper body (the legs swing; the torso and head move with the box) is followed
with ``cv2.calcOpticalFlowPyrLK`` on small grey frames, forward and back (a point that does not
return to where it started is dropped), and the box is moved by the points' median shift. A box
with too few good points is *lost*: the caller runs the model again rather than trusting it.
Keypoints move with their box.

Pure OpenCV/NumPy; coordinates are the grey frame's pixels times ``scale`` (the persons stage's
source pixels), the rows the ``models.persons.pose`` detection layout (x1 y1 x2 y2 score, then
17 x, y, conf).
"""

from __future__ import annotations

import cv2
import numpy as np

GRID = 4  # points per box side on the upper body
MIN_POINTS = 3  # fewer good points: the box is lost
FB_MAX = 1.0  # forward-backward error above which a point is dropped, grey pixels
MIN_HEIGHT = 32  # boxes lower than this (grey pixels) are not carried: the window sees mostly ground
_LK = dict(winSize=(15, 15), maxLevel=3, criteria=(cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 20, 0.03))


def grey(rgb: np.ndarray) -> np.ndarray:
    """The grey frame the flow works on (the sink's RGB frame, same size)."""
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def box_points(box: np.ndarray, grid: int = GRID) -> np.ndarray:
    """``grid`` x ``grid`` points over the inner upper body of ``box`` (x1 y1 x2 y2, grey pixels):
    the middle 60 % of its width, 10-60 % of its height (head and torso; the legs swing)."""
    x1, y1, x2, y2 = (float(v) for v in box[:4])
    w, h = max(1.0, x2 - x1), max(1.0, y2 - y1)
    xs = np.linspace(x1 + 0.2 * w, x2 - 0.2 * w, grid)
    ys = np.linspace(y1 + 0.1 * h, y1 + 0.6 * h, grid)
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)


def carry(prev: np.ndarray, cur: np.ndarray, dets: np.ndarray, scale: float = 1.0,
          grid: int = GRID, min_points: int = MIN_POINTS, scaled: bool = False,
          min_height: float = MIN_HEIGHT) -> tuple[np.ndarray, np.ndarray]:
    """``dets`` (rows x1 y1 x2 y2 ... in grey pixels times ``scale``) moved from grey frame ``prev``
    to ``cur``. Returns the moved rows (keypoints moved and scaled with their box, everything else
    kept) and a boolean per row: whether enough points followed it (a lost row is returned unmoved).
    A box lower than ``min_height`` grey pixels is lost too: on a far tennis player (17 px) the
    points' windows are mostly court, and the box stayed behind while he ran.
    ``scaled``: also scale each box by its points' spread (off by default: on a far tennis player,
    whose points are half court, the estimate shrank the box by a few per cent a step)."""
    dets = np.asarray(dets, np.float32)
    out = dets.copy()
    ok = np.zeros(len(dets), bool)
    if not len(dets) or prev.shape != cur.shape:
        return out, ok
    boxes = dets[:, :4] / scale
    pts = np.concatenate([box_points(b, grid) for b in boxes])
    h, w = prev.shape[:2]
    pts[:, 0] = np.clip(pts[:, 0], 0, w - 1)
    pts[:, 1] = np.clip(pts[:, 1], 0, h - 1)
    p0 = pts.reshape(-1, 1, 2)
    p1, st1, _ = cv2.calcOpticalFlowPyrLK(prev, cur, p0, None, **_LK)
    p0r, st2, _ = cv2.calcOpticalFlowPyrLK(cur, prev, p1, None, **_LK)
    fb = np.linalg.norm((p0r - p0).reshape(-1, 2), axis=1)
    good = (st1.ravel() == 1) & (st2.ravel() == 1) & (fb <= FB_MAX)
    a, b = p0.reshape(-1, 2), p1.reshape(-1, 2)
    n = grid * grid
    for i in range(len(dets)):
        if boxes[i, 3] - boxes[i, 1] < min_height:
            continue
        g = good[i * n:(i + 1) * n]
        if int(g.sum()) < min_points:
            continue
        s0, s1 = a[i * n:(i + 1) * n][g], b[i * n:(i + 1) * n][g]
        shift = np.median(s1 - s0, axis=0)
        k = 1.0
        if scaled:
            d0 = np.linalg.norm(s0 - s0.mean(axis=0), axis=1)
            d1 = np.linalg.norm(s1 - s1.mean(axis=0), axis=1)
            m = d0 > 1e-3
            k = float(np.clip(np.median(d1[m] / d0[m]), 0.8, 1.25)) if int(m.sum()) >= min_points else 1.0
        out[i] = _moved(dets[i], shift * scale, k)
        ok[i] = True
    return out, ok


def _moved(row: np.ndarray, shift: np.ndarray, k: float) -> np.ndarray:
    """``row`` with its box and keypoints scaled by ``k`` about the box centre, then shifted."""
    r = row.copy()
    cx, cy = (row[0] + row[2]) / 2, (row[1] + row[3]) / 2
    nx, ny = cx + shift[0], cy + shift[1]
    r[[0, 2]] = nx + (row[[0, 2]] - cx) * k
    r[[1, 3]] = ny + (row[[1, 3]] - cy) * k
    if len(row) >= 56:
        kx, ky = row[5:56:3], row[6:56:3]
        seen = (kx != 0) | (ky != 0)
        r[5:56:3] = np.where(seen, nx + (kx - cx) * k, kx)
        r[6:56:3] = np.where(seen, ny + (ky - cy) * k, ky)
    return r


def is_cut(prev: np.ndarray, cur: np.ndarray, threshold: float = 30.0) -> bool:
    """Whether two grey frames are too different to carry boxes between (a cut, a flash): the mean
    absolute difference of their eighth-size copies above ``threshold`` grey levels."""
    if prev.shape != cur.shape:
        return True
    h, w = prev.shape[:2]
    size = (max(8, w // 8), max(8, h // 8))
    a = cv2.resize(prev, size, interpolation=cv2.INTER_AREA)
    b = cv2.resize(cur, size, interpolation=cv2.INTER_AREA)
    return float(cv2.absdiff(a, b).mean()) > threshold
