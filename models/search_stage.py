"""The ``search`` pipeline stage: frame embeddings for "find similar".

Fed by the one decode pass at 2 fps (RGB, 480 px wide): a frame is kept once a second and
whenever the picture changes abruptly (a shot start). Kept frames get a deep embedding
(``models.embeddings``) and an ORB+VLAD local embedding (``core.local_features``) with the
project's codebook (trained on the first video analyzed, stored in the project settings).
Embeddings are stored as project signals (float16); the faiss index is built from them on
demand (``models.search_index``).

The sink runs on its decode worker thread; ``finish`` on the pipeline's thread.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from core.decode import DecodeResult, FrameSpec, Sink
from core.local_features import KEY as LOCAL_KEY
from core.local_features import VladModel, orb_bits, train_model, vlad
from core.media import MediaInfo
from core.pipeline import Stage, StageContext
from models.embeddings import DEEP_KEY
from models.search_index import (
    CODEBOOK_SETTING,
    DEEP_SIGNAL,
    FRAMES_SIGNAL,
    LOCAL_SIGNAL,
    SIGNAL_KEY,
    register_project,
)

SAMPLE_FPS = 2.0
WIDTH = 480


class EmbeddingSink(Sink):
    name = "search"

    def __init__(self, every_s: float, device: str) -> None:
        self.video = FrameSpec(width=WIDTH, fmt="rgb24", fps=SAMPLE_FPS)
        self.every_s = every_s
        self.device = device
        self.frames: list[int] = []
        self.deep: list[np.ndarray] = []
        self.descs: list[np.ndarray] = []
        self._pending: list[np.ndarray] = []
        self._last_t = -1e9
        self._thumb: np.ndarray | None = None
        self._embedder: Any = None

    def begin(self, info: MediaInfo) -> None:
        from models.embeddings import DeepEmbedder

        self._embedder = DeepEmbedder(device=self.device)

    def _flush(self) -> None:
        if self._pending:
            self.deep.append(self._embedder.embed(self._pending))
            self._pending = []

    def frame(self, index: int, time: float, image: np.ndarray) -> None:
        small = cv2.resize(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), (32, 18),
                           interpolation=cv2.INTER_AREA).astype(np.int16)
        cut = self._thumb is not None and float(np.abs(small - self._thumb).mean()) > 20.0
        self._thumb = small
        if not cut and time - self._last_t < self.every_s - 1e-6:
            return
        self._last_t = time
        self.frames.append(index)
        self.descs.append(orb_bits(image))
        self._pending.append(image)
        if len(self._pending) >= 16:
            self._flush()

    def end(self, result: DecodeResult) -> None:
        self._flush()


class SearchStage(Stage):
    name = "search"
    model = "search-embed"
    version = "1"
    tracks = ()

    def __init__(self, every_s: float = 1.0, device: str = "cpu") -> None:
        self.every_s = float(every_s)
        self.device = device

    def params(self) -> dict[str, Any]:
        return {"every_s": self.every_s, "deep": DEEP_KEY, "local": LOCAL_KEY}

    def sinks(self, ctx: StageContext) -> list[Sink]:
        sink = EmbeddingSink(self.every_s, self.device)
        ctx.shared["search_sink"] = sink
        return [sink]

    def finish(self, ctx: StageContext) -> None:
        sink: EmbeddingSink = ctx.shared["search_sink"]
        proj = ctx.project
        vid = ctx.video.id
        frames = np.asarray(sink.frames, np.int32)
        deep = np.concatenate(sink.deep) if sink.deep else np.zeros((0, 256), np.float32)
        stored = proj.get_setting(CODEBOOK_SETTING)
        if stored is None:  # the first video trains the project's model; later ones reuse it
            alld = np.concatenate(sink.descs) if sink.descs else np.zeros((0, 256), np.float32)
            model = train_model(alld)
            proj.set_setting(CODEBOOK_SETTING, model.to_json())
        else:
            model = VladModel.from_json(stored)
        local = np.stack([vlad(d, model) for d in sink.descs]) if sink.descs \
            else np.zeros((0, model.centres.size), np.float32)
        proj.put_signal(vid, FRAMES_SIGNAL, SIGNAL_KEY, frames)
        proj.put_signal(vid, DEEP_SIGNAL, SIGNAL_KEY, deep.astype(np.float16))
        proj.put_signal(vid, LOCAL_SIGNAL, SIGNAL_KEY, local.astype(np.float16))
        try:
            register_project(proj.path)
        except OSError:
            pass  # the library is a convenience; the project's own search still works


__all__ = ["EmbeddingSink", "SearchStage"]
