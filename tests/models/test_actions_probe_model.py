"""The crop pose model in batches (models.actions.probe_model): each crop letterboxed into one
input shape, the detections mapped back to the crop's pixels."""

from __future__ import annotations

from typing import Any

import numpy as np

from models.actions.probe_model import CropPoser, batched


class _T:
    def __init__(self, a: np.ndarray) -> None:
        self.a = a

    def cpu(self) -> "_T":
        return self

    def numpy(self) -> np.ndarray:
        return self.a


class _Boxes:
    def __init__(self, xyxy: np.ndarray, conf: np.ndarray) -> None:
        self.xyxy, self.conf = _T(xyxy), _T(conf)

    def __len__(self) -> int:
        return len(self.conf.a)


class _Kp:
    def __init__(self, data: np.ndarray) -> None:
        self.data = _T(data)
        self.data.shape = data.shape  # type: ignore[attr-defined]


class _Result:
    def __init__(self, xyxy: np.ndarray, conf: np.ndarray, kp: np.ndarray) -> None:
        self.boxes, self.keypoints = _Boxes(xyxy, conf), _Kp(kp)


class _Model:
    """Finds the non-grey region of each input image (the letterboxed crop) as one person."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, Any]] = []

    def predict(self, images: list[np.ndarray], imgsz: Any, **kw: Any) -> list[_Result]:
        self.calls.append((len(images), imgsz))
        out = []
        for im in images:
            assert im.shape[:2] == tuple(imgsz)
            ys, xs = np.nonzero((im != 114).any(axis=2))
            box = np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]], np.float32)
            kp = np.zeros((1, 17, 3), np.float32)
            kp[0, :, 0], kp[0, :, 1], kp[0, :, 2] = box[0, 0], box[0, 3], 0.9  # every keypoint at the bottom left
            out.append(_Result(box, np.array([0.8], np.float32), kp))
        return out


class _Det:
    def __init__(self) -> None:
        self.model, self.conf, self.device = _Model(), 0.25, "cpu"

    def detect(self, rgb: np.ndarray) -> np.ndarray:  # the single-crop call batched() wraps
        raise AssertionError("not used")


def test_crops_in_one_call_map_back_to_each_crops_pixels() -> None:
    det = _Det()
    poser = batched(det.detect)
    assert isinstance(poser, CropPoser)
    crops = [np.full((300, 120, 3), 50, np.uint8), np.full((80, 100, 3), 60, np.uint8),
             np.full((31, 17, 3), 7, np.uint8)]
    out = poser.many(crops)
    assert det.model.calls == [(3, (160, 96))]
    for c, d in zip(crops, out):
        h, w = c.shape[:2]
        assert d.shape == (1, 56)
        assert np.allclose(d[0, :4], [0, 0, w, h], atol=max(h, w) / 40), (d[0, :4], (w, h))
        assert np.allclose(d[0, 5:].reshape(17, 3)[:, :2], [0, h], atol=max(h, w) / 40)
    assert poser(crops[0]).shape == (1, 56)
    assert poser.many([]) == []
    plain = batched(lambda rgb: np.zeros((0, 56), np.float32))  # not a YOLO detector: as it is
    assert not isinstance(plain, CropPoser)
    det.runtime = "onnx"  # type: ignore[attr-defined]  # a detector on another runtime: one crop per call, its own
    assert batched(det.detect) == det.detect
