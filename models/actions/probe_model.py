"""The pose model on person crops for the starter's probes, several crops per model call.

The actions stage gets the persons stage's pose detector from ``models.stages`` (model families
stay independent: nothing of ``models.persons`` is imported here). One ultralytics call per crop
costs about twice the network itself on a 160 px input (torch); :class:`CropPoser` letterboxes each
crop into one input shape (tall: a person's crop) and runs a batch of them in one call
(``many``), mapping the detections back to each crop's pixels. Rows as
``PoseDetector.detect``: ``(N, 56)`` box, score, 17 x (x, y, conf).
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Sequence

import numpy as np

SHAPE = (160, 96)  # model input (height, width) for a person's crop (multiples of the stride, 32)
PAD = 114  # ultralytics' letterbox grey


class CropPoser:
    """``detect(crop)`` and ``detect.many(crops)`` over a YOLO pose detector with ``model``,
    ``conf``, ``device`` (and, optionally, ``threads`` and a ``_lock``) attributes."""

    def __init__(self, det: Any, shape: tuple[int, int] = SHAPE) -> None:
        self.det = det
        self.shape = shape

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        return self.many([rgb])[0]

    def many(self, crops: Sequence[np.ndarray]) -> list[np.ndarray]:
        import cv2
        import torch

        H, W = self.shape
        if not crops:
            return []
        batch = np.full((len(crops), H, W, 3), PAD, np.uint8)
        place = []
        for i, c in enumerate(crops):
            h, w = c.shape[:2]
            r = min(H / max(1, h), W / max(1, w))
            nh, nw = max(1, min(H, int(round(h * r)))), max(1, min(W, int(round(w * r))))
            top, left = (H - nh) // 2, (W - nw) // 2
            img = cv2.resize(c, (nw, nh), interpolation=cv2.INTER_AREA if r < 1 else cv2.INTER_LINEAR)
            batch[i, top:top + nh, left:left + nw] = img[..., ::-1]  # the model takes BGR
            place.append((r, left, top))
        lock = getattr(self.det, "_lock", None) or contextlib.nullcontext()
        with lock:
            n = getattr(self.det, "threads", None) or 1
            if torch.get_num_threads() != n:
                torch.set_num_threads(n)
            res = self.det.model.predict(list(batch), imgsz=(H, W), conf=self.det.conf, classes=[0],
                                         device=self.det.device, verbose=False)
        out = []
        for (r, left, top), q in zip(place, res):
            m = len(q.boxes)
            d = np.zeros((m, 56), np.float32)
            if m:
                d[:, 0:4] = q.boxes.xyxy.cpu().numpy()
                d[:, 4] = q.boxes.conf.cpu().numpy()
                if q.keypoints is not None and q.keypoints.data.shape[1] == 17:
                    k = q.keypoints.data.cpu().numpy().astype(np.float32)
                    if k.shape[2] == 2:
                        k = np.concatenate([k, np.ones(k.shape[:2] + (1,), np.float32)], axis=2)
                    d[:, 5:] = k.reshape(m, -1)
                d[:, [0, 2]] = (d[:, [0, 2]] - left) / r
                d[:, [1, 3]] = (d[:, [1, 3]] - top) / r
                d[:, 5::3] = (d[:, 5::3] - left) / r
                d[:, 6::3] = (d[:, 6::3] - top) / r
            out.append(d)
        return out


def batched(detect: Callable[[np.ndarray], np.ndarray], shape: tuple[int, int] = SHAPE) -> Any:
    """``detect`` (a pose detector's bound ``detect``) as a :class:`CropPoser` when the detector
    behind it runs its YOLO model through torch (ultralytics); anything else as it is, one crop
    per call (a detector on another runtime, e.g. ONNX Runtime: 6.7 ms a 160 px crop there against
    8.3 ms a crop in torch batches of 8, 2026-12-03)."""
    det = getattr(detect, "__self__", None)
    if det is None or not hasattr(getattr(det, "model", None), "predict") or not hasattr(det, "conf"):
        return detect
    if str(getattr(det, "runtime", "torch")) != "torch":
        return detect
    return CropPoser(det, shape)


__all__ = ["CropPoser", "SHAPE", "batched"]
