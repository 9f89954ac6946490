"""Voice activity detection with the Silero VAD model bundled in faster-whisper (ONNX, offline).

Computes one speech probability per 32 ms window (512 samples at 16 kHz) over audio of any
length, reading it in blocks (the audio may be a disk-backed memmap) and carrying the model's
recurrent state across blocks, so memory stays flat and the result equals one whole-file pass.
Hysteresis and padding are in :func:`core.audio.speech.regions_from_probabilities`.

Call from a worker thread; one :class:`SileroVAD` per thread (ONNX sessions are not shared).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from core.audio.stage import SpooledAudio
from core.errors import ClipDeskError
from core.progress import Task, ensure_task
from core.audio.speech import VadParams, regions_from_probabilities

RATE = 16000
WINDOW = 512  # samples per probability (Silero v5/v6 at 16 kHz)
CONTEXT = 64  # samples of the previous window the model sees
_BLOCK_WINDOWS = 1024  # ~33 s of audio per model call: bounded memory, frequent cancel checks


def model_path() -> str:
    """The ONNX file shipped inside the faster-whisper wheel."""
    from faster_whisper.utils import get_assets_path

    path = os.path.join(get_assets_path(), "silero_vad_v6.onnx")
    if not os.path.exists(path):
        raise ClipDeskError(f"Silero VAD model missing from the faster-whisper install ({path})")
    return path


class SileroVAD:
    """Speech probabilities and regions for 16 kHz mono float32 audio."""

    version = "silero-v6"

    def __init__(self, threads: int = 1) -> None:
        import onnxruntime

        opts = onnxruntime.SessionOptions()
        opts.inter_op_num_threads = 1
        opts.intra_op_num_threads = max(1, threads)
        opts.enable_cpu_mem_arena = False
        opts.log_severity_level = 4
        self._session: Any = onnxruntime.InferenceSession(
            model_path(), providers=["CPUExecutionProvider"], sess_options=opts)

    def probabilities(self, audio: np.ndarray | SpooledAudio, task: Task | None = None,
                      stage: str = "speech") -> np.ndarray:
        """One probability per 512-sample window (the last window zero-padded)."""
        task = ensure_task(task)
        n = int(audio.shape[0])
        n_win = (n + WINDOW - 1) // WINDOW
        out = np.zeros(n_win, dtype=np.float32)
        h = np.zeros((1, 1, 128), dtype=np.float32)
        c = np.zeros((1, 1, 128), dtype=np.float32)
        prev_tail = np.zeros(CONTEXT, dtype=np.float32)
        for w0 in range(0, n_win, _BLOCK_WINDOWS):
            task.check()
            w1 = min(n_win, w0 + _BLOCK_WINDOWS)
            block = np.asarray(audio[w0 * WINDOW:min(n, w1 * WINDOW)], dtype=np.float32)
            if block.size < (w1 - w0) * WINDOW:
                block = np.pad(block, (0, (w1 - w0) * WINDOW - block.size))
            wins = block.reshape(-1, WINDOW)
            ctx = np.empty((wins.shape[0], CONTEXT), dtype=np.float32)
            ctx[0] = prev_tail
            ctx[1:] = wins[:-1, -CONTEXT:]
            batch = np.concatenate([ctx, wins], axis=1)
            prob, h, c = self._session.run(None, {"input": batch, "h": h, "c": c})
            out[w0:w1] = np.asarray(prob, dtype=np.float32).reshape(-1)[: w1 - w0]
            prev_tail = wins[-1, -CONTEXT:].copy()
            task.progress(stage, 0.1 * w1 / max(1, n_win), "voice activity")
        return out

    def regions(self, audio: np.ndarray | SpooledAudio, params: VadParams | None = None,
                task: Task | None = None) -> tuple[list[tuple[int, int]], np.ndarray]:
        """Speech regions in samples, and the per-window probabilities they came from."""
        probs = self.probabilities(audio, task)
        return regions_from_probabilities(probs, WINDOW, RATE, int(audio.shape[0]), params), probs


__all__ = ["CONTEXT", "RATE", "WINDOW", "SileroVAD", "model_path"]
