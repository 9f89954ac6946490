"""Audio lanes: waveform envelope, short-term loudness, spectral flux and an "excitement" curve.

Computed incrementally from the 16 kHz mono stream of the one decode pass (memory grows only
with the small per-hop results, never with the audio), stored as project signals and read back
with :func:`load_audio_lanes` by the timeline lane and the highlight ranking.

Signals (``project.put_signal(video_id, NAME, SIGNAL_KEY, array)``), all on the audio clock
(seconds from the first audio sample; ``index * hop``):

=====================  =========================  ==========  ======================================
name                   shape / dtype              hop         meaning
=====================  =========================  ==========  ======================================
``audio.envelope``     ``(n, 2)`` float16         10 ms       min and max sample value per hop
``audio.loudness``     ``(m,)`` float32           100 ms      EBU R128-style short-term loudness
                                                              (K-weighted, 400 ms window), LUFS
``audio.flux``         ``(m,)`` float32           100 ms      spectral flux (positive log-spectrum
                                                              change), mean over the hop
``audio.excitement``   ``(m,)`` float32           100 ms      0..1, loudness and flux normalised to
                                                              the video and smoothed over ~2 s
=====================  =========================  ==========  ======================================

``SIGNAL_KEY`` is ``"audio@<version>"``. A builder belongs to one thread (the sink's worker);
:func:`load_audio_lanes` may be called from any thread.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.signal import sosfilt

if TYPE_CHECKING:
    from core.store.project import Project

RATE = 16000
VERSION = "1"
SIGNAL_KEY = f"audio@{VERSION}"
ENVELOPE = "audio.envelope"
LOUDNESS = "audio.loudness"
FLUX = "audio.flux"
EXCITEMENT = "audio.excitement"
ENVELOPE_HOP = 160  # samples: 10 ms
LANE_HOP = 1600  # samples: 100 ms
_LOUD_BLOCKS = 4  # 400 ms short-term window
_FFT = 512
_FLUX_HOP = 160
SILENCE_LUFS = -70.0


def k_weighting(rate: int = RATE) -> np.ndarray:
    """ITU-R BS.1770 K-weighting (high shelf then high pass) as second-order sections."""
    g, q1, f1 = 3.99984385397, 0.7071752369554193, 1681.974450955533
    a = 10 ** (g / 40)
    w0 = 2 * math.pi * f1 / rate
    alpha = math.sin(w0) / (2 * q1)
    c = math.cos(w0)
    sa = 2 * math.sqrt(a) * alpha
    shelf = [a * ((a + 1) + (a - 1) * c + sa), -2 * a * ((a - 1) + (a + 1) * c),
             a * ((a + 1) + (a - 1) * c - sa),
             (a + 1) - (a - 1) * c + sa, 2 * ((a - 1) - (a + 1) * c), (a + 1) - (a - 1) * c - sa]
    q2, f2 = 0.5003270373253953, 38.13547087613982
    w0 = 2 * math.pi * f2 / rate
    alpha = math.sin(w0) / (2 * q2)
    c = math.cos(w0)
    hp = [(1 + c) / 2, -(1 + c), (1 + c) / 2, 1 + alpha, -2 * c, 1 - alpha]
    sos = np.array([shelf, hp], dtype=np.float64)
    sos[:, :3] /= sos[:, 3:4]
    sos[:, 3:] /= sos[:, 3:4]
    return sos


@dataclass
class AudioLanes:
    """The lanes of one video (see the module docstring for units)."""

    envelope: np.ndarray
    loudness: np.ndarray
    flux: np.ndarray
    excitement: np.ndarray
    envelope_hop: float = ENVELOPE_HOP / RATE
    lane_hop: float = LANE_HOP / RATE

    @property
    def duration(self) -> float:
        return max(self.envelope.shape[0] * self.envelope_hop, self.loudness.shape[0] * self.lane_hop)

    def at(self, name: str, seconds: float) -> float:
        """Value of a 100 ms lane (``loudness``, ``flux``, ``excitement``) at ``seconds``."""
        arr: np.ndarray = getattr(self, name)
        if arr.size == 0:
            return 0.0
        i = int(min(arr.size - 1, max(0, seconds / self.lane_hop)))
        return float(arr[i])

    def mean_between(self, name: str, start: float, end: float) -> float:
        """Mean of a 100 ms lane over ``[start, end)`` seconds (0 when empty)."""
        arr: np.ndarray = getattr(self, name)
        a = int(max(0, start / self.lane_hop))
        b = int(min(arr.size, max(a + 1, math.ceil(end / self.lane_hop))))
        return float(arr[a:b].mean()) if b > a else 0.0


class AudioLaneBuilder:
    """Feed 16 kHz mono float32 chunks in order with :meth:`add`; :meth:`finish` gives the lanes."""

    def __init__(self) -> None:
        self._sos = k_weighting(RATE)
        self._zi = np.zeros((self._sos.shape[0], 2))
        self._pending = np.zeros(0, dtype=np.float32)
        self._fft_tail = np.zeros(_FFT - _FLUX_HOP, dtype=np.float32)
        self._prev_spec: np.ndarray | None = None
        self._window = np.hanning(_FFT).astype(np.float32)
        self._env: list[np.ndarray] = []
        self._ms: list[np.ndarray] = []
        self._flux: list[np.ndarray] = []
        self.samples = 0

    def add(self, data: np.ndarray) -> None:
        data = np.asarray(data, dtype=np.float32).reshape(-1)
        self.samples += data.size
        buf = np.concatenate([self._pending, data]) if self._pending.size else data
        n = (buf.size // LANE_HOP) * LANE_HOP
        if n:
            self._blocks(buf[:n])
        self._pending = buf[n:].copy()

    def _blocks(self, x: np.ndarray) -> None:
        env = x.reshape(-1, ENVELOPE_HOP)
        self._env.append(np.stack([env.min(axis=1), env.max(axis=1)], axis=1).astype(np.float16))
        y, self._zi = sosfilt(self._sos, x.astype(np.float64), zi=self._zi)
        self._ms.append((y.reshape(-1, LANE_HOP) ** 2).mean(axis=1))
        # Spectral flux on 32 ms frames every 10 ms, continuing the previous chunk's frames.
        ext = np.concatenate([self._fft_tail, x])
        frames = np.lib.stride_tricks.sliding_window_view(ext, _FFT)[::_FLUX_HOP][: x.size // _FLUX_HOP]
        spec = np.log1p(np.abs(np.fft.rfft(frames * self._window, axis=1)) * 10.0)
        prev = spec[:1] if self._prev_spec is None else self._prev_spec[None, :]
        diff = np.diff(np.concatenate([prev, spec]), axis=0)
        flux = np.maximum(diff, 0.0).mean(axis=1)
        self._flux.append(flux.reshape(-1, LANE_HOP // _FLUX_HOP).mean(axis=1).astype(np.float32))
        self._prev_spec = spec[-1]
        self._fft_tail = ext[-(_FFT - _FLUX_HOP):].copy()

    def finish(self) -> AudioLanes:
        if self._pending.size:
            pad = LANE_HOP - self._pending.size
            # The last partial hop is zero-padded and summarised like a full one.
            self._blocks(np.pad(self._pending, (0, pad)))
            self._pending = np.zeros(0, dtype=np.float32)
        env = np.concatenate(self._env) if self._env else np.zeros((0, 2), np.float16)
        env = env[: math.ceil(self.samples / ENVELOPE_HOP)]
        ms = np.concatenate(self._ms) if self._ms else np.zeros(0)
        flux = np.concatenate(self._flux) if self._flux else np.zeros(0, np.float32)
        loud = short_term_loudness(ms)
        return AudioLanes(env, loud, flux, excitement(loud, flux))


def short_term_loudness(mean_square: np.ndarray) -> np.ndarray:
    """LUFS over a sliding 400 ms window from per-100 ms K-weighted mean squares."""
    if mean_square.size == 0:
        return np.zeros(0, np.float32)
    c = np.concatenate([[0.0], np.cumsum(mean_square, dtype=np.float64)])
    i = np.arange(1, mean_square.size + 1)
    lo = np.maximum(0, i - _LOUD_BLOCKS)
    ms = (c[i] - c[lo]) / (i - lo)  # the first blocks average over what exists so far
    with np.errstate(divide="ignore"):
        lufs = -0.691 + 10 * np.log10(np.maximum(ms, 1e-12))
    return np.maximum(lufs, SILENCE_LUFS).astype(np.float32)


def _normalise(x: np.ndarray) -> np.ndarray:
    lo, hi = np.percentile(x, 10), np.percentile(x, 98)
    if hi - lo < 1e-6:
        return np.zeros_like(x)
    return np.clip((x - lo) / (hi - lo), 0.0, 1.0)


def excitement(loudness: np.ndarray, flux: np.ndarray, smooth_s: float = 2.0) -> np.ndarray:
    """0..1 curve: loudness and spectral flux, each normalised to this video, blended and smoothed.

    Crowd roars and raised commentary are loud *and* spectrally busy; steady music is loud but
    has little flux, so both terms count.
    """
    n = min(loudness.size, flux.size)
    if n == 0:
        return np.zeros(0, np.float32)
    mix = 0.6 * _normalise(loudness[:n].astype(np.float64)) + 0.4 * _normalise(
        flux[:n].astype(np.float64))
    w = max(1, int(round(smooth_s * RATE / LANE_HOP)))
    k = np.ones(w) / w
    sm = np.convolve(np.pad(mix, (w // 2, w - 1 - w // 2), mode="edge"), k, mode="valid")
    return np.clip(sm, 0.0, 1.0).astype(np.float32)


def save_audio_lanes(project: "Project", video_id: int, lanes: AudioLanes) -> None:
    with project.transaction():
        project.put_signal(video_id, ENVELOPE, SIGNAL_KEY, lanes.envelope)
        project.put_signal(video_id, LOUDNESS, SIGNAL_KEY, lanes.loudness)
        project.put_signal(video_id, FLUX, SIGNAL_KEY, lanes.flux)
        project.put_signal(video_id, EXCITEMENT, SIGNAL_KEY, lanes.excitement)


def load_audio_lanes(project: "Project", video_id: int) -> AudioLanes | None:
    """The stored lanes of a video, or ``None`` if the ``audio`` stage has not stored them."""
    env = project.get_signal(video_id, ENVELOPE, SIGNAL_KEY)
    loud = project.get_signal(video_id, LOUDNESS, SIGNAL_KEY)
    flux = project.get_signal(video_id, FLUX, SIGNAL_KEY)
    exc = project.get_signal(video_id, EXCITEMENT, SIGNAL_KEY)
    if env is None or loud is None or flux is None or exc is None:
        return None
    return AudioLanes(env, loud, flux, exc)


__all__ = [
    "ENVELOPE", "ENVELOPE_HOP", "EXCITEMENT", "FLUX", "LANE_HOP", "LOUDNESS", "SIGNAL_KEY",
    "AudioLaneBuilder", "AudioLanes", "excitement", "k_weighting", "load_audio_lanes",
    "save_audio_lanes", "short_term_loudness",
]
