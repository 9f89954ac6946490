"""Evaluation helpers for voice activity: the shared hand labels and a crowd-like noise signal.

Used by the speech tests and ``bench/speech.py`` alike (pure functions, any thread).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from core.media.decode import AUDIO_RATE

# (audio file, hand-label file) pairs in ../shared/media (audio/ and groundtruth/).
VAD_FILES = [("speechbrain__VAD_valid.wav", "VAD_dev.json"), ("speechbrain__VAD_train.wav", "VAD_train.json")]


def crowd_noise(n: int, seed: int = 0, rate: int = AUDIO_RATE) -> np.ndarray:
    """Pink noise swelling slowly like a stadium crowd (unit RMS)."""
    rng = np.random.default_rng(seed)
    spec = np.fft.rfft(rng.standard_normal(n))
    spec /= np.sqrt(np.arange(1, spec.size + 1))
    x = np.fft.irfft(spec, n)
    x *= 1.0 + 0.5 * np.sin(2 * np.pi * 0.3 * np.arange(n) / rate)
    return np.asarray(x / np.sqrt(np.mean(x ** 2)))


def hand_labels(path: Path, rate: int = AUDIO_RATE) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """(speech intervals, labelled spans) in seconds from a speechbrain VAD json."""
    speech: list[tuple[float, float]] = []
    spans: list[tuple[float, float]] = []
    for ex in json.loads(Path(path).read_text()).values():
        off = ex["wav"]["start"] / rate
        spans.append((off, ex["wav"]["stop"] / rate))
        xs = [float(v) for v in ex["speech"].split()]
        speech += [(off + xs[i], off + xs[i + 1]) for i in range(0, len(xs), 2)]
    return speech, spans
