"""Text detection and recognition with RapidOCR's PP-OCR ONNX models (bundled in the
``rapidocr-onnxruntime`` wheel; nothing is downloaded).

:class:`Ocr` offers the two operations the scoreboard reader needs: ``detect`` (full-frame text
detection plus a quick read of each box, used rarely to *find* the board) and ``recognize``
(recognition only, on small line crops, used at 1-2 Hz to *read* it). Returns plain core types.

Building one costs three ONNX Runtime sessions (detection, the unused angle classifier, recognition;
about 0.4-1 s): :func:`shared_ocr` builds one per settings for the whole process, so a folder of
videos, an archive worker or a second video in the app pays it once. An instance may be used from
several threads: its calls are serialised by its lock (RapidOCR keeps per-call state).
"""

from __future__ import annotations

import threading
from typing import Any, Sequence

import cv2
import numpy as np

from core.errors import ClipDeskError
from core.match.scoreboard.locate import TextBox

DET_MAX_SIDE = 960  # frames are downscaled to this before detection (boards stay >= 15 px)
REC_MIN_HEIGHT = 32  # line crops smaller than this are upscaled before recognition


class Ocr:
    """RapidOCR with one ONNX thread per session (several sinks run in parallel on 2 cores)."""

    def __init__(self, threads: int = 1) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as e:  # pragma: no cover - dependency of the package
            raise ClipDeskError(f"scoreboard reading needs rapidocr-onnxruntime ({e})") from None
        n = int(threads)
        # RapidOCR copies the *global* thread settings into every session (module-level ones
        # are overwritten), so they are set globally.
        # RapidOCR's default detection scales the short side up to 736 px: ~2x the cost of
        # detecting at 960x540, but at that size it also boxes lone digit cells, which read
        # worse than the name rows it finds here (the layout reads whole rows).
        self.threads = n
        self._engine: Any = RapidOCR(use_cls=False, print_verbose=False,
                                     intra_op_num_threads=n, inter_op_num_threads=1)
        self._lock = threading.Lock()  # RapidOCR's detector sets per-call state on itself

    def detect(self, image_bgr: np.ndarray) -> list[TextBox]:
        """Text boxes (axis-aligned, source pixels) with their text, over the whole frame."""
        h, w = image_bgr.shape[:2]
        scale = min(1.0, DET_MAX_SIDE / max(h, w))
        img = image_bgr if scale >= 1.0 else cv2.resize(
            image_bgr, (int(round(w * scale)), int(round(h * scale))), interpolation=cv2.INTER_AREA)
        with self._lock:
            result, _ = self._engine(img, use_cls=False)
        out: list[TextBox] = []
        for quad, text, score in result or []:
            pts = np.asarray(quad, dtype=np.float64) / scale
            x0, y0 = pts.min(axis=0)
            x1, y1 = pts.max(axis=0)
            out.append(TextBox(int(x0), int(y0), int(np.ceil(x1 - x0)), int(np.ceil(y1 - y0)),
                               str(text), float(score)))
        return out

    def recognize(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        """Recognition only: one (text, confidence) per line crop (BGR)."""
        imgs = []
        for c in crops:
            if c.size == 0:
                c = np.zeros((REC_MIN_HEIGHT, REC_MIN_HEIGHT, 3), np.uint8)
            if c.shape[0] < REC_MIN_HEIGHT:
                f = REC_MIN_HEIGHT / c.shape[0]
                c = cv2.resize(c, (max(1, int(c.shape[1] * f)), REC_MIN_HEIGHT),
                               interpolation=cv2.INTER_CUBIC)
            imgs.append(np.ascontiguousarray(c))
        if not imgs:
            return []
        with self._lock:
            res = self._engine.text_rec(imgs)
        rows = res[0] if isinstance(res, tuple) else res
        return [(str(t), float(s)) for t, s in rows]


_SHARED: dict[tuple[int], Ocr] = {}
_SHARED_LOCK = threading.Lock()


def shared_ocr(threads: int = 1) -> Ocr:
    """One :class:`Ocr` per ONNX thread count for the whole process, built on first use (the
    sessions are read-only at inference, so every video reads with the same models and gets the
    same text as with an engine of its own)."""
    key = (int(threads),)
    with _SHARED_LOCK:
        ocr = _SHARED.get(key)
        if ocr is None:
            ocr = _SHARED[key] = Ocr(threads=key[0])
        return ocr


def crop(image: np.ndarray, box: Sequence[int]) -> np.ndarray:
    x, y, w, h = (int(v) for v in box)
    H, W = image.shape[:2]
    return image[max(0, y):min(H, y + h), max(0, x):min(W, x + w)]


__all__ = ["Ocr", "crop", "shared_ocr"]
