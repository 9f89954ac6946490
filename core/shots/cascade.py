"""The shot sink: classical features on every frame, the learned refiner only where they are unsure.

:class:`ShotSink` is fed 48x27 RGB frames by the one decode pass. Per frame it computes the
classical signals (:mod:`core.shots.features`), keeps the last ``RING`` thumbnails in a ring
buffer, and runs the gate (:func:`core.shots.detect.uncertain`) ``LAG`` frames behind the decoder
(the gate looks ahead). Unsure frames are merged into regions; each closed region, padded with
``CONTEXT`` frames of real context, is handed to the injected ``refiner`` (e.g. TransNetV2 from
``models.shots.transnet``: ``(T, 27, 48, 3) uint8 -> (T,) probabilities``) and its probabilities are
stored for those frames only (NaN elsewhere). With ``refine_all`` (a GPU) every frame is refined.
Memory is flat in video length except for the compact per-frame signals.

Runs on the sink's worker thread (see core.media.decode); the refiner is called on that thread.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from core.media.decode import DecodeResult, FrameSpec, Sink
from core.media.reader import MediaInfo
from core.shots import features as F
from core.shots.detect import GRAD_K, DetectParams, uncertain
from core.shots.features import FrameFeatures, GrowingArray, ShotSignals

Refiner = Callable[[np.ndarray], np.ndarray]

LAG = 2 * GRAD_K + 8  # the gate needs this many frames after the one it judges
MERGE_GAP = 25  # unsure frames closer than this share one refiner window
CONTEXT = 12  # real frames of context on each side of a region
MAX_REGION = 300  # longer unsure stretches are refined in pieces
RING = 512  # thumbnails kept (> MAX_REGION + 2 * CONTEXT + LAG + MERGE_GAP)
_TRUST_EDGE = 8  # refiner outputs this close to a window's inner edge are not stored


class ShotSink(Sink):
    name = "shots"
    video = FrameSpec(F.THUMB_W, F.THUMB_H, "rgb24")

    def __init__(self, refiner: Refiner | None = None, params: DetectParams | None = None,
                 refine_all: bool = False) -> None:
        self.refiner = refiner
        self.params = params or DetectParams()
        self.refine_all = refine_all
        self.signals: ShotSignals | None = None
        self.refined_frames = 0
        self.refiner_error: str | None = None  # set if the refiner failed: fast pass from there on
        self._reset()

    def _reset(self) -> None:
        self._feat = FrameFeatures()
        self._scalars = GrowingArray(F.N_SCALARS, np.float32)
        self._hist = GrowingArray(F.N_HIST, np.float16)
        self._probs = GrowingArray(1, np.float32, fill=np.nan)
        self._ring = np.zeros((RING, F.THUMB_H, F.THUMB_W, 3), np.uint8) if self.refiner else None
        self._gated = 0  # next frame the gate will judge
        self._region: list[int] | None = None  # [start, end) of the open unsure region
        self._n = 0

    def begin(self, info: MediaInfo) -> None:
        self._reset()

    # -- per frame ----------------------------------------------------------------------------
    def frame(self, index: int, time: float, image: np.ndarray) -> None:
        row, hist, lin = self._feat(image)
        row[F.MID_ERR] = 1.0
        self._scalars.append(row)
        self._hist.append(hist)
        self._probs.append(np.array([np.nan], np.float32))
        self._n = index + 1
        if lin is not None and index >= F.LIN_K:
            self._scalars.raw[index - F.LIN_K, F.MID_ERR] = lin[0]
            self._scalars.raw[index - F.LIN_K, F.SPAN_DIFF] = lin[1]
        if self._ring is None:
            return
        self._ring[index % RING] = image if image.shape[:2] == (F.THUMB_H, F.THUMB_W) else \
            _thumb(image)
        while self._gated <= index - LAG:
            self._gate(self._gated)
            self._gated += 1

    def _view(self) -> ShotSignals:
        return ShotSignals(self._scalars.data, self._hist.data, self._probs.data[:, 0])

    def _gate(self, j: int) -> None:
        if self.refine_all:
            unsure = True
        else:
            unsure = uncertain(self._view(), j, self.params)
        r = self._region
        if unsure:
            if r is not None and j <= r[1] + MERGE_GAP and j - r[0] < MAX_REGION:
                r[1] = j + 1
            else:
                if r is not None:
                    self._refine(r[0], r[1])
                self._region = [j, j + 1]
        elif r is not None and j > r[1] + MERGE_GAP:
            self._refine(r[0], r[1])
            self._region = None

    def _refine(self, start: int, end: int, final: bool = False) -> None:
        assert self.refiner is not None and self._ring is not None
        n = self._n
        a = max(0, start - CONTEXT, n - RING)
        b = min(n, end + CONTEXT)
        if b - a < 2:
            return
        if self.refiner_error is not None:
            return
        idx = np.arange(a, b) % RING
        try:
            probs = np.asarray(self.refiner(self._ring[idx]), np.float32).reshape(-1)
        except Exception as e:  # noqa: BLE001 - a broken model must not lose the classical result
            self.refiner_error = f"{type(e).__name__}: {e}"[:300]
            return
        lo = a if a == 0 else min(start, a + _TRUST_EDGE)
        hi = b if (final and b == n) else max(end, b - _TRUST_EDGE)
        self._probs.raw[lo:hi, 0] = probs[lo - a:hi - a]
        self.refined_frames += b - a

    # -- end ----------------------------------------------------------------------------------
    def end(self, result: DecodeResult) -> None:
        if self._ring is not None:
            while self._gated < self._n:
                self._gate(self._gated)
                self._gated += 1
            if self._region is not None:
                self._refine(self._region[0], self._region[1], final=True)
                self._region = None
        self.signals = ShotSignals(self._scalars.data.copy(), self._hist.data.copy(),
                                   self._probs.data[:, 0].copy())


def _thumb(image: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.resize(image, (F.THUMB_W, F.THUMB_H), interpolation=cv2.INTER_AREA)


def refine_all_frames(sig: ShotSignals, thumbs: np.ndarray, refiner: Refiner) -> ShotSignals:
    """Signals with the refiner's probabilities everywhere (for benchmarks: the model alone)."""
    probs = np.asarray(refiner(thumbs), np.float32).reshape(-1)
    return ShotSignals(sig.scalars, sig.hist, probs)
