"""Per-frame shot-boundary signals computed on tiny frames (48x27 RGB, TransNetV2's input size).

Owns the feature extractor (:class:`FrameFeatures`, one instance per decode pass, fed frame by
frame in order) and the compact per-frame signal arrays (:class:`ShotSignals`) that the project
caches, so a new threshold never needs a new decode. Memory per frame: 11 float32 scalars, an
80-bin float16 histogram and one float32 refiner probability (~200 bytes; 2 h at 30 fps ~43 MB).

Called on the shot sink's worker thread (features) or any thread (arrays).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

FEATURE_MODEL = "shotfeat"
FEATURE_VERSION = "2"  # 2: contrast-normalised (dark and low-contrast shots look like normal ones)
THUMB_W, THUMB_H = 48, 27

# Columns of ShotSignals.scalars. MID_ERR/SPAN_DIFF compare frame i with the average of frames
# i-LIN_K and i+LIN_K: a dissolve or fade blends linearly, so the average matches the frame
# (MID_ERR ~ 0) while the two ends differ (SPAN_DIFF large); a pan, zoom or cut does not.
# CX/CY: centroid of the pixels that changed since the previous frame (a wipe's front moves).
D1, PIXDIFF, LUMA, LUMA_STD, CHANGED, CX, GREEN, EDGES, MID_ERR, SPAN_DIFF, CY = range(11)
N_SCALARS = 11
LIN_K = 5
_HSV_BINS = (8, 2, 4)
N_HIST = int(np.prod(_HSV_BINS)) + 16
_CHANGE_LEVEL = 25
# Contrast normalisation: a frame whose luma spread is below _STD_REF is stretched about its mean
# (at most _MAX_GAIN times) and its mean drawn toward mid-grey in proportion, continuously (gain
# 1 at _STD_REF). A darkened or flattened shot (x*a or x*a + b) then gives the histogram, pixel
# and blend evidence an ordinary shot gives; ordinary footage is left as it is.
_STD_REF = 40.0  # levels: ordinary footage has more; a darkened or flattened shot less
_MAX_GAIN = 5.0
_FLAT = 1.0  # mean luma deviation (levels) below which a frame is flat: not stretched; fully above 3x


def _ramp(x: float, lo: float, hi: float) -> float:
    return min(1.0, max(0.0, (x - lo) / (hi - lo)))


def normalise_contrast(rgb: np.ndarray) -> np.ndarray:
    """``rgb`` (uint8) with low-contrast frames stretched to an ordinary spread (see ``_STD_REF``)."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    m, sd = float(gray.mean()), float(gray.std())
    if sd >= _STD_REF:
        return rgb
    # Only texture spread over the frame is stretched: a flat field with a caption or a counter
    # (most pixels at one level: small mean deviation for its spread) is a graphic, and stretching
    # it would turn its text into a "shot"; a nearly black frame has nothing to stretch. Both
    # weights are continuous, so a fade stays smooth.
    dev = float(np.abs(gray.astype(np.float32) - float(np.median(gray))).mean())
    w = _ramp(dev, _FLAT, 3 * _FLAT) * _ramp(dev / max(sd, 1e-3), 0.5, 0.6)
    full = min(_MAX_GAIN, _STD_REF / max(sd, 1e-3))
    gain = 1.0 + (full - 1.0) * w
    if gain <= 1.0:
        return rgb
    # mean kept where the stretch reaches _STD_REF; drawn toward mid-grey where the gain is capped
    # (a very dark frame would otherwise clip at black)
    shift = w * (128.0 - m) * (1.0 - sd * full / _STD_REF)
    out = (rgb.astype(np.float32) - m) * gain + (m + shift)
    return np.clip(out, 0, 255).astype(np.uint8)


def hist_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray | float:
    """Distance in [0, 1] between histograms (last axis): half L1 of the colour and luma parts."""
    a32 = np.asarray(a, np.float32)
    b32 = np.asarray(b, np.float32)
    k = N_HIST - 16
    colour = 0.5 * np.abs(a32[..., :k] - b32[..., :k]).sum(-1)
    luma = 0.5 * np.abs(a32[..., k:] - b32[..., k:]).sum(-1)
    out = 0.6 * colour + 0.4 * luma
    return float(out) if np.ndim(out) == 0 else out


def frame_histogram(rgb: np.ndarray) -> np.ndarray:
    """80 bins: joint HSV 8x2x4 (normalised) followed by a 16-bin luma histogram (normalised)."""
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    h = cv2.calcHist([hsv], [0, 1, 2], None, list(_HSV_BINS), [0, 180, 0, 256, 0, 256]).ravel()
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    g = cv2.calcHist([gray], [0], None, [16], [0, 256]).ravel()
    n = float(rgb.shape[0] * rgb.shape[1])
    return np.concatenate([h / n, g / n]).astype(np.float32)


class FrameFeatures:
    """Turns consecutive frames into (scalars, histogram) rows. Feed frames strictly in order."""

    def __init__(self) -> None:
        self._ring: list[np.ndarray] = []  # last 2*LIN_K+1 frames as float32
        self._nring: list[np.ndarray] = []  # ... contrast-normalised
        self._prev_gray: np.ndarray | None = None
        self._prev_hist: np.ndarray | None = None
        w = np.linspace(0.0, 1.0, THUMB_W, dtype=np.float32)
        self._xs = np.broadcast_to(w, (THUMB_H, THUMB_W))
        h = np.linspace(0.0, 1.0, THUMB_H, dtype=np.float32)
        self._ys = np.broadcast_to(h[:, None], (THUMB_H, THUMB_W))

    def __call__(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[float, float] | None]:
        """Scalars and histogram of this frame, plus (MID_ERR, SPAN_DIFF) of the frame LIN_K back."""
        if rgb.shape[:2] != (THUMB_H, THUMB_W):
            rgb = cv2.resize(rgb, (THUMB_W, THUMB_H), interpolation=cv2.INTER_AREA)
        raw_gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        row = np.zeros(N_SCALARS, np.float32)
        row[LUMA] = raw_gray.mean() / 255.0  # luma and its spread stay raw: fades are read from them
        row[LUMA_STD] = raw_gray.std() / 255.0
        raw = rgb
        rgb = normalise_contrast(rgb)
        hist = frame_histogram(rgb)
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        row[CX] = row[CY] = 0.5
        if self._prev_gray is not None and self._prev_hist is not None:
            diff = cv2.absdiff(gray, self._prev_gray)
            row[D1] = hist_distance(hist, self._prev_hist)
            row[PIXDIFF] = diff.mean() / 255.0
            changed = diff > _CHANGE_LEVEL
            n = int(changed.sum())
            row[CHANGED] = n / changed.size
            if n:
                row[CX] = float(self._xs[changed].mean())
                row[CY] = float(self._ys[changed].mean())
        hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
        green = (hsv[..., 0] >= 35) & (hsv[..., 0] <= 85) & (hsv[..., 1] >= 60) & (hsv[..., 2] >= 50)
        row[GREEN] = float(green.mean())
        row[EDGES] = float(np.abs(cv2.Laplacian(gray, cv2.CV_16S)).mean()) / 255.0
        self._prev_gray, self._prev_hist = gray, hist
        self._ring.append(raw.astype(np.float32))
        self._nring.append(rgb.astype(np.float32))
        lin: tuple[float, float] | None = None
        if len(self._ring) > 2 * LIN_K + 1:
            self._ring.pop(0)
            self._nring.pop(0)
        if len(self._ring) == 2 * LIN_K + 1:
            # a fade blends linearly in raw pixels, a dissolve of darkened shots in normalised ones
            lin = min(_linear(self._ring), _linear(self._nring), key=lambda x: (x[1] < 0.04, x[0]))
        return row, hist, lin


def _linear(ring: list[np.ndarray]) -> tuple[float, float]:
    """(MID_ERR, SPAN_DIFF) of the middle frame of ``ring`` against its two ends."""
    a, m, b = ring[0], ring[LIN_K], ring[-1]
    span = float(np.abs(b - a).mean()) / 255.0
    err = float(np.abs(m - 0.5 * (a + b)).mean()) / 255.0
    return err / max(span, 0.02), span


@dataclass
class ShotSignals:
    """Per-frame signals of one video. ``probs`` is NaN where the refiner did not look."""

    scalars: np.ndarray  # (N, N_SCALARS) float32
    hist: np.ndarray  # (N, N_HIST) float16
    probs: np.ndarray  # (N,) float32

    @property
    def n(self) -> int:
        return int(self.scalars.shape[0])

    @classmethod
    def empty(cls) -> "ShotSignals":
        return cls(np.zeros((0, N_SCALARS), np.float32), np.zeros((0, N_HIST), np.float16),
                   np.zeros(0, np.float32))

    def col(self, c: int) -> np.ndarray:
        return self.scalars[:, c]

    def hist_dist(self, i: int | np.ndarray, j: int | np.ndarray) -> np.ndarray | float:
        n = self.n
        ii = np.clip(i, 0, n - 1)
        jj = np.clip(j, 0, n - 1)
        return hist_distance(self.hist[ii], self.hist[jj])


class GrowingArray:
    """An append-only array that doubles its capacity (amortised O(1), no per-frame lists)."""

    def __init__(self, width: int, dtype: type | np.dtype, fill: float = 0.0) -> None:
        self._a = np.full((1024, width), fill, dtype=dtype)
        self._n = 0
        self._fill = fill

    def append(self, row: np.ndarray) -> None:
        if self._n == self._a.shape[0]:
            extra = np.full_like(self._a, self._fill)
            self._a = np.concatenate([self._a, extra])
        self._a[self._n] = row
        self._n += 1

    def ensure(self, n: int) -> None:
        while self._a.shape[0] < n:
            self._a = np.concatenate([self._a, np.full_like(self._a, self._fill)])
        self._n = max(self._n, n)

    @property
    def data(self) -> np.ndarray:
        return self._a[: self._n]

    @property
    def raw(self) -> np.ndarray:
        return self._a

    def __len__(self) -> int:
        return self._n
