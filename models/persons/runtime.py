"""The pose model on ONNX Runtime: the same detections as ultralytics' torch predictor, for less CPU.

YOLO11n-pose on one CPU thread costs ~120 ms of CPU per 384x640 sample through torch and ~70 ms
through ONNX Runtime (docs/benchmarks.md, "Persons speed, round 4"). The network is exported once,
from the weights the detector already loaded (weights-only, ``models.safe_load``), with
``torch.onnx.export`` (TorchScript exporter, dynamic input size) into the user's cache folder, keyed by
the weights' sha256, the exporter version and the torch version: a small JSON card names the exported
file (itself named by its sha256) and holds that hash, and the file is loaded only when its bytes
match it (a truncated or altered file is exported again). Nothing downloads.

:class:`OnnxPose` reproduces ultralytics' predictor around the network: the letterbox (minimum
rectangle, stride 32, grey 114 padding), 0-1 float input, confidence filter, class-agnostic NMS
at IoU 0.7 (torchvision's rule), at most 300 rows, and the scaling of boxes and keypoints back to
the image (clipped to it). Rows agree with the torch path to float noise (tests/models/test_pose_runtime.py).
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from core.persons.poses import N_KPT
from core.userdirs import cache_dir as user_cache_dir
from models.trust import sha256_file as file_sha256

log = logging.getLogger(__name__)

EXPORTER_VERSION = "1"  # bump when the exported graph changes (head flags, opset, wrapper)
OPSET = 17
IOU = 0.7  # ultralytics' predict default
MAX_DET = 300
PAD_VALUE = 114
DET_COLS = 5 + 3 * N_KPT


def cache_dir() -> Path:
    """``$CLIPDESK_CACHE_DIR/pose`` or the user's cache folder (``XDG_CACHE_HOME/ClipDesk/pose``)."""
    return user_cache_dir("pose")


def _torch_version() -> str:
    import torch

    return str(torch.__version__).split("+")[0]


def card_path(weights_sha: str) -> Path:
    """The JSON card that names the exported file for these weights (this exporter, this torch)."""
    return cache_dir() / f"yolo-pose-{weights_sha[:16]}-x{EXPORTER_VERSION}-t{_torch_version()}.json"


def verified(card: Path, weights_sha: str) -> Path | None:
    """The exported file the card names, when the card is for these weights and this exporter and
    the file's bytes hash to the card's sha256; else ``None``."""
    try:
        c = json.loads(card.read_text())
        if c.get("weights_sha256") != weights_sha or c.get("exporter") != EXPORTER_VERSION:
            return None
        path = card.parent / Path(str(c.get("file", ""))).name  # only inside the cache folder
        if path.suffix == ".onnx" and path.is_file() and file_sha256(path) == c.get("onnx_sha256"):
            return path
    except (OSError, ValueError, AttributeError):
        pass
    return None


def _atomic_tmp(dest: Path, suffix: str) -> str:
    fd, tmp = tempfile.mkstemp(prefix=dest.name + ".", suffix=suffix, dir=dest.parent)
    os.close(fd)
    return tmp


def export_onnx(nn_model: Any, dest: Path) -> None:
    """Export an ultralytics pose ``nn.Module`` (fused, float32, eval) to ``dest`` with a dynamic
    input height and width; output ``(1, 5 + 3K, anchors)`` as the torch predictor sees it."""
    import copy
    import warnings

    import torch

    m = copy.deepcopy(nn_model).float().eval()
    if hasattr(m, "fuse"):
        m = m.fuse(verbose=False)
    for p in m.parameters():
        p.requires_grad_(False)
    head = m.model[-1]
    head.export, head.dynamic, head.format = True, True, "onnx"  # anchors from the input's shape

    class _First(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, x: Any) -> Any:
            y = self.inner(x)
            return y[0] if isinstance(y, (tuple, list)) else y

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(_First(m).eval(), (torch.zeros(1, 3, 384, 640),), str(dest), dynamo=False,
                          opset_version=OPSET, input_names=["images"], output_names=["output"],
                          dynamic_axes={"images": {2: "height", 3: "width"}, "output": {2: "anchors"}})


def ensure_onnx(weights: str | os.PathLike[str], nn_model: Any) -> Path:
    """The exported network for ``weights`` from the cache, exported (and recorded) when missing or
    when its bytes do not match its card. The file is named by its own hash and the card is
    replaced atomically: processes exporting at the same time each leave a complete, matching pair."""
    wsha = file_sha256(weights)
    card = card_path(wsha)
    path = verified(card, wsha)
    if path is not None:
        return path
    card.parent.mkdir(parents=True, exist_ok=True)
    tmp = _atomic_tmp(card, ".onnx.part")
    try:
        export_onnx(nn_model, Path(tmp))
        osha = file_sha256(tmp)
        path = card.with_name(f"{card.stem}-{osha[:16]}.onnx")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    info = {"weights": Path(weights).name, "weights_sha256": wsha, "exporter": EXPORTER_VERSION,
            "torch": _torch_version(), "opset": OPSET, "file": path.name, "onnx_sha256": osha}
    tmp = _atomic_tmp(card, ".json.part")
    try:
        Path(tmp).write_text(json.dumps(info, indent=1))
        os.replace(tmp, card)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    got = verified(card, wsha)
    if got is None:
        raise RuntimeError("exported pose model does not verify")
    return got


def letterbox(rgb: np.ndarray, imgsz: tuple[int, int], stride: int = 32) -> np.ndarray:
    """ultralytics' ``LetterBox(imgsz, auto=True, stride)``: scaled to fit, padded to the minimum
    rectangle of ``stride`` multiples, centred, grey 114."""
    h0, w0 = rgb.shape[:2]
    nh, nw = imgsz
    r = min(nh / h0, nw / w0)
    uw, uh = max(round(w0 * r), 1), max(round(h0 * r), 1)
    dw, dh = (nw - uw) % stride / 2, (nh - uh) % stride / 2
    img = rgb if (w0, h0) == (uw, uh) else cv2.resize(rgb, (uw, uh), interpolation=cv2.INTER_LINEAR)
    top, bottom = round(dh - 0.1), round(dh + 0.1)
    left, right = round(dw - 0.1), round(dw + 0.1)
    if top or bottom or left or right:
        img = cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(PAD_VALUE,) * 3)
    return img


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float) -> np.ndarray:
    """Indices kept by greedy NMS, best first (torchvision's rule: a box goes when its IoU with a
    kept, better box is above ``iou``)."""
    order = np.argsort(-scores, kind="stable")
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    areas = (x2 - x1) * (y2 - y1)
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        w = np.clip(np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]), 0, None)
        h = np.clip(np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]), 0, None)
        inter = w * h
        order = rest[inter / (areas[i] + areas[rest] - inter) <= iou]
    return np.asarray(keep, np.int64)


def decode(out: np.ndarray, input_hw: tuple[int, int], image_hw: tuple[int, int], conf: float,
           iou: float = IOU, max_det: int = MAX_DET) -> np.ndarray:
    """``(N, 56)`` rows in image pixels from the network's ``(1, 56, anchors)`` output."""
    p = np.asarray(out[0], np.float32).T
    p = p[p[:, 4] > conf]
    if not len(p):
        return np.zeros((0, DET_COLS), np.float32)
    xy, wh = p[:, 0:2], p[:, 2:4] / 2
    boxes = np.concatenate([xy - wh, xy + wh], axis=1)
    keep = nms(boxes, p[:, 4], iou)[:max_det]
    boxes, p = boxes[keep], p[keep]
    h0, w0 = image_hw
    gain = min(input_hw[0] / h0, input_hw[1] / w0)
    nh, nw = max(round(h0 * gain), 1), max(round(w0 * gain), 1)
    gy, gx = nh / h0, nw / w0
    px, py = round((input_hw[1] - nw) / 2 - 0.1), round((input_hw[0] - nh) / 2 - 0.1)
    rows = np.empty((len(p), DET_COLS), np.float32)
    rows[:, 0] = np.clip((boxes[:, 0] - px) / np.float32(gx), 0, w0)
    rows[:, 1] = np.clip((boxes[:, 1] - py) / np.float32(gy), 0, h0)
    rows[:, 2] = np.clip((boxes[:, 2] - px) / np.float32(gx), 0, w0)
    rows[:, 3] = np.clip((boxes[:, 3] - py) / np.float32(gy), 0, h0)
    rows[:, 4] = p[:, 4]
    k = p[:, 5:5 + 3 * N_KPT].reshape(-1, N_KPT, 3).copy()
    k[:, :, 0] = np.clip((k[:, :, 0] - px) / np.float32(gx), 0, w0)
    k[:, :, 1] = np.clip((k[:, :, 1] - py) / np.float32(gy), 0, h0)
    rows[:, 5:] = k.reshape(len(p), -1)
    return rows


class OnnxPose:
    """The exported pose network on ONNX Runtime's CPU provider, ``threads`` intra-op threads."""

    def __init__(self, onnx_path: str | os.PathLike[str], threads: int | None = None, conf: float = 0.25,
                 stride: int = 32) -> None:
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = max(1, int(threads or 1))
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # no busy-waiting workers: the decode pass and the other sinks share the cores
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        so.log_severity_level = 3
        self.session = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name
        self.conf = conf
        self.stride = int(stride)
        self._lock = threading.Lock()

    def input_size(self, imgsz: tuple[int, int]) -> tuple[int, int]:
        """ultralytics' ``check_imgsz``: each side up to a multiple of the stride."""
        s = self.stride
        return (max(math.ceil(imgsz[0] / s) * s, s), max(math.ceil(imgsz[1] / s) * s, s))

    def __call__(self, rgb: np.ndarray, imgsz: tuple[int, int], conf: float | None = None) -> np.ndarray:
        """``(N, 56)`` float32 rows in ``rgb``'s pixels (not scaled)."""
        img = letterbox(rgb, self.input_size(imgsz), self.stride)
        x = np.ascontiguousarray(img.transpose(2, 0, 1))[None].astype(np.float32) / np.float32(255)
        with self._lock:
            out = self.session.run(None, {self.input: x})[0]
        return decode(out, img.shape[:2], rgb.shape[:2], self.conf if conf is None else conf)
