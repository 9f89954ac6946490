"""The ``search`` pipeline stage: frame embeddings for "find similar".

Fed by the one decode pass at 2 fps (RGB, 480 px wide): a frame is kept once a second,
whenever the picture changes abruptly (a shot start), and when it has drifted far from the last
kept frame (a short shot between two gradual transitions). Kept frames get a deep embedding
of the whole frame and one of its centre (5 % off each side: a query cropped from another copy
matches it better; ``models.search.embeddings``) and an ORB+VLAD local embedding
(``core.search.local_features``) with the project's codebook (trained on the first video
analyzed, stored in the project settings).
Embeddings are stored as project signals (float16); the faiss index is built from them on
demand (``models.search.index``).

Memory stays flat on long videos: with the project's codebook known, each kept frame's VLAD
vector is computed at once and its descriptors dropped; only the first video of a project (which
trains the codebook on all its descriptors) keeps them, packed (12.8 KB per kept frame).

The sink runs on its decode worker thread; ``finish`` on the pipeline's thread.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from core.media.decode import DecodeResult, FrameSpec, Sink
from core.search.local_features import KEY as LOCAL_KEY
from core.search.local_features import VladModel, orb_packed, train_model, vlad
from core.media.reader import MediaInfo
from core.pipeline import Stage, StageContext
from models.search.embeddings import DEEP_KEY
from models.search.index import (
    CODEBOOK_SETTING,
    DEEP_CROP_SIGNAL,
    DEEP_SIGNAL,
    FRAMES_SIGNAL,
    LOCAL_SIGNAL,
    SIGNAL_KEY,
    register_project,
)

SAMPLE_FPS = 2.0
WIDTH = 480
# mean abs difference (32x18 grey) from the last kept frame that keeps a frame early; v4: 6 (was
# 12): a short graded shot (dark, low contrast) that differs little from the dissolve before it,
# or a moving picture whose moments look alike (one camera on a court), gets frames of its own
# (tuning seeds 20-55: top-1 96.7 -> 97.8 % of 1443 queries for ~13 % more kept frames)
DRIFT = 6.0
CROP = 0.05  # a second deep vector per kept frame of its centre: this share cut off each side


def centre_crop(image: np.ndarray, share: float) -> np.ndarray:
    h, w = image.shape[:2]
    dy, dx = int(round(share * h)), int(round(share * w))
    return image[dy:h - dy, dx:w - dx]


class EmbeddingSink(Sink):
    name = "search"

    def __init__(self, every_s: float, device: str, model: VladModel | None = None) -> None:
        self.video = FrameSpec(width=WIDTH, fmt="rgb24", fps=SAMPLE_FPS)
        self.every_s = every_s
        self.device = device
        self.model = model  # the project's codebook; None: train it from this video
        self.frames: list[int] = []
        self.deep: list[np.ndarray] = []
        self.deep_crop: list[np.ndarray] = []  # the same frames' centres (``CROP`` off each side)
        self.descs: list[np.ndarray] = []  # packed ORB descriptors, only while training
        self.local: list[np.ndarray] = []  # VLAD vectors (float16), when the model is known
        self._pending: list[np.ndarray] = []
        self._last_t = -1e9
        self._thumb: np.ndarray | None = None
        self._kept: np.ndarray | None = None
        self._embedder: Any = None

    def begin(self, info: MediaInfo) -> None:
        from models.search.embeddings import DeepEmbedder

        self._embedder = DeepEmbedder(device=self.device)

    def _flush(self) -> None:
        if self._pending:
            self.deep.append(self._embedder.embed(self._pending))
            if CROP > 0:
                self.deep_crop.append(self._embedder.embed([centre_crop(f, CROP) for f in self._pending]))
            self._pending = []

    def frame(self, index: int, time: float, image: np.ndarray) -> None:
        small = cv2.resize(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), (32, 18),
                           interpolation=cv2.INTER_AREA).astype(np.int16)
        cut = self._thumb is not None and float(np.abs(small - self._thumb).mean()) > 20.0
        # a picture far from the last kept one (a short shot between two gradual transitions,
        # which no single step between samples marks as a cut)
        drift = self._kept is not None and float(np.abs(small - self._kept).mean()) > DRIFT
        self._thumb = small
        if not cut and not drift and time - self._last_t < self.every_s - 1e-6:
            return
        self._last_t = time
        self._kept = small
        self.frames.append(index)
        packed = orb_packed(image)
        if self.model is None:
            self.descs.append(packed)
        else:
            self.local.append(vlad(packed, self.model).astype(np.float16))
        self._pending.append(image)
        if len(self._pending) >= 16:
            self._flush()

    def end(self, result: DecodeResult) -> None:
        self._flush()


class SearchStage(Stage):
    name = "search"
    model = "search-embed"
    version = "4"  # 4: drift 6 (was 12)
    tracks = ()

    def __init__(self, every_s: float = 1.0, device: str = "cpu") -> None:
        self.every_s = float(every_s)
        self.device = device

    def params(self) -> dict[str, Any]:
        return {"every_s": self.every_s, "deep": DEEP_KEY, "local": LOCAL_KEY, "drift": DRIFT, "crop": CROP}

    def sinks(self, ctx: StageContext) -> list[Sink]:
        stored = ctx.project.get_setting(CODEBOOK_SETTING)
        model = VladModel.from_json(stored) if stored is not None else None
        sink = EmbeddingSink(self.every_s, self.device, model)
        ctx.shared["search_sink"] = sink
        return [sink]

    def finish(self, ctx: StageContext) -> None:
        sink: EmbeddingSink = ctx.shared["search_sink"]
        proj = ctx.project
        vid = ctx.video.id
        frames = np.asarray(sink.frames, np.int32)
        deep = np.concatenate(sink.deep) if sink.deep else np.zeros((0, 256), np.float32)
        model = sink.model
        if model is None:  # the first video trains the project's model; later ones reuse it
            trained = train_model(np.concatenate(sink.descs) if sink.descs else np.zeros((0, 32), np.uint8))
            with proj.transaction():  # another analysis may have stored one meanwhile: theirs wins
                stored = proj.get_setting(CODEBOOK_SETTING)
                model = VladModel.from_json(stored) if stored is not None else trained
                if stored is None:
                    proj.set_setting(CODEBOOK_SETTING, model.to_json())
            sink.local = [vlad(d, model).astype(np.float16) for d in sink.descs]
            sink.descs = []
        local = np.stack(sink.local) if sink.local else np.zeros((0, model.centres.size), np.float16)
        proj.put_signal(vid, FRAMES_SIGNAL, SIGNAL_KEY, frames)
        proj.put_signal(vid, DEEP_SIGNAL, SIGNAL_KEY, deep.astype(np.float16))
        proj.put_signal(vid, LOCAL_SIGNAL, SIGNAL_KEY, local)
        if sink.deep_crop:
            proj.put_signal(vid, DEEP_CROP_SIGNAL, SIGNAL_KEY, np.concatenate(sink.deep_crop).astype(np.float16))
        try:
            register_project(proj.path)
        except OSError:
            pass  # the library is a convenience; the project's own search still works


__all__ = ["EmbeddingSink", "SearchStage"]
