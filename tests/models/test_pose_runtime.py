"""The pose model on ONNX Runtime (models/persons/runtime.py) gives the torch predictor's rows: same
count, boxes and keypoints to float noise, on the bundled sample's people (always) and on real
tennis frames (shared media); the export is cached, verified by hash, and torch takes over with one
log line when the export or the runtime is unavailable."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import pytest

from core.errors import ClipDeskError

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample" / "clipdesk-sample.mp4"


def _frames(video: Path, seconds: list[float], width: int = 640) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(video))
    out = []
    for s in seconds:
        cap.set(cv2.CAP_PROP_POS_MSEC, s * 1000)
        ok, bgr = cap.read()
        assert ok, (video, s)
        h, w = bgr.shape[:2]
        bgr = cv2.resize(bgr, (width, int(round(h * width / w / 2)) * 2), interpolation=cv2.INTER_AREA)
        out.append(np.ascontiguousarray(bgr[:, :, ::-1]))
    cap.release()
    return out


@pytest.fixture(scope="module")
def detectors(tmp_path_factory: pytest.TempPathFactory):
    """(torch, onnx) detectors, the export in a private cache folder (module-scoped fixtures run
    before the per-test private folders are set)."""
    from models.persons.pose import PoseDetector

    cache = tmp_path_factory.mktemp("pose-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CLIPDESK_CACHE_DIR", str(cache))
        onnx = PoseDetector(threads=1, runtime="onnx")
    assert onnx.runtime == "onnx"
    torch_det = PoseDetector(threads=1, runtime="torch")
    assert torch_det.runtime == "torch"
    return torch_det, onnx, cache


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = lambda z: (z[:, 2] - z[:, 0]) * (z[:, 3] - z[:, 1])  # noqa: E731
    return inter / (area(a)[:, None] + area(b)[None] - inter + 1e-9)


def _same_rows(a: np.ndarray, b: np.ndarray) -> None:
    assert a.dtype == b.dtype == np.float32 and a.shape[1] == b.shape[1] == 56
    assert len(a) == len(b)
    if not len(a):
        return
    m = _iou(a, b)
    j = m.argmax(axis=1)
    assert len(set(j.tolist())) == len(a)
    assert m[np.arange(len(a)), j].min() >= 0.95
    d = np.abs(a - b[j])
    assert d[:, 0:4].max() < 0.5  # px
    assert d[:, 4].max() < 1e-3
    assert max(d[:, 5::3].max(), d[:, 6::3].max()) < 1.0  # keypoints within a pixel
    assert d[:, 7::3].max() < 1e-3


def test_onnx_rows_are_the_torch_rows_on_the_samples_people(detectors) -> None:
    torch_det, onnx, _ = detectors
    frames = _frames(SAMPLE, [15.5, 17.0, 18.5, 20.0, 6.0])  # the Chaplin excerpt (two men), a Bunny shot
    seen = 0
    for f in frames:
        a, b = torch_det.detect(f, 3.0), onnx.detect(f, 3.0)
        _same_rows(a, b)
        seen += len(a)
        h, w = f.shape[:2]  # a crop on a small model input, as the far tile does
        crop = np.ascontiguousarray(f[h // 4: h // 4 + 150, w // 4: w // 4 + 220])
        _same_rows(torch_det.detect_at(crop, 0.5, (160, 224)), onnx.detect_at(crop, 0.5, (160, 224)))
    assert seen >= 4  # the test saw people
    blank = np.random.default_rng(0).integers(0, 255, (360, 640, 3), dtype=np.uint8)
    _same_rows(torch_det.detect(blank), onnx.detect(blank))


@pytest.mark.shared_media
def test_onnx_rows_are_the_torch_rows_on_tennis_frames(detectors, shared_media: Path) -> None:
    torch_det, onnx, _ = detectors
    frames = _frames(shared_media / "video" / "tennis-tracking__video_input1.mp4", [0.5, 2.0, 4.0])
    for f in frames:
        _same_rows(torch_det.detect(f, 3.0), onnx.detect(f, 3.0))


def test_the_export_is_cached_and_verified_by_hash(detectors) -> None:
    import json

    from models.persons.pose import default_pose_weights
    from models.persons.runtime import card_path, ensure_onnx, file_sha256, verified

    _, onnx, cache = detectors
    weights = default_pose_weights()
    wsha = file_sha256(weights)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CLIPDESK_CACHE_DIR", str(cache))
        card = card_path(wsha)
        path = verified(card, wsha)
        assert path is not None and path.parent == cache / "pose" and path.suffix == ".onnx"
        assert ensure_onnx(weights, None) == path  # from the cache: no export (no model given)
    assert verified(card, "0" * 64) is None  # other weights
    info = json.loads(card.read_text())
    altered = path.with_name("altered.onnx")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    altered.write_bytes(bytes(data))
    other = card.with_name("other.json")
    other.write_text(json.dumps({**info, "file": altered.name}))
    assert verified(other, wsha) is None  # bytes that do not match the card are never loaded
    other.write_text(json.dumps({**info, "file": "../" + path.name}))
    assert verified(other, wsha) == path  # only a file inside the cache folder, by name
    other.write_text("{not json")
    assert verified(other, wsha) is None


def test_torch_takes_over_with_one_log_line(monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    import models.persons.runtime as rt
    from models.persons.pose import PoseDetector

    def broken(*a, **k):
        raise RuntimeError("no exporter here\nsecond line")

    monkeypatch.setattr(rt, "ensure_onnx", broken)
    with caplog.at_level(logging.WARNING, logger="models.persons.pose"):
        det = PoseDetector(threads=1, runtime="onnx")
    assert det.runtime == "torch"
    lines = [r.getMessage() for r in caplog.records if r.name == "models.persons.pose"]
    assert len(lines) == 1 and "RuntimeError: no exporter here" in lines[0] and "\n" not in lines[0]
    assert det.detect(np.zeros((64, 96, 3), np.uint8)).shape == (0, 56)
    with pytest.raises(ClipDeskError, match="unknown pose runtime"):
        PoseDetector(threads=1, runtime="tensorrt")


def test_letterbox_and_nms_follow_ultralytics() -> None:
    from models.persons.runtime import decode, letterbox, nms

    assert letterbox(np.zeros((360, 640, 3), np.uint8), (384, 640)).shape == (384, 640, 3)  # 12 px bands
    assert letterbox(np.zeros((240, 640, 3), np.uint8), (384, 640)).shape == (256, 640, 3)
    assert letterbox(np.zeros((150, 220, 3), np.uint8), (160, 224)).shape == (160, 224, 3)
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [20, 20, 30, 30]], np.float32)
    assert nms(boxes, np.array([0.5, 0.9, 0.7], np.float32), 0.7).tolist() == [1, 2]
    out = np.zeros((1, 56, 3), np.float32)
    out[0, 0:5, 0] = [320, 192, 100, 200, 0.9]  # centre, size, score in the 384x640 input
    out[0, 4, 1] = 0.1  # under the confidence threshold
    rows = decode(out, (384, 640), (360, 640), 0.25)
    assert rows.shape == (1, 56)
    np.testing.assert_allclose(rows[0, :5], [270, 80, 370, 280, 0.9])  # 12 px band removed
