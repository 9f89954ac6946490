"""Per-frame loudness for the timeline's audio lane.

Uses the waveform envelope the ``audio`` stage stores (``core.audio.features``: min/max per
10 ms) turned into peak dBFS per video frame; without it computes RMS in dB per video frame from
the audio on a background thread and caches it in the project as ``ui.loudness``.
``LoudnessLoader`` is created and read on the GUI thread; the computation runs on its thread.
"""

from __future__ import annotations

import logging
import threading

import numpy as np
from PySide6.QtCore import QObject, Signal

from core.media.reader import load_audio
from core.store.project import Project
from core.timebase import FrameClock

log = logging.getLogger(__name__)

SIGNAL = "ui.loudness"
MAX_FALLBACK_S = 1800.0  # computing the lane here holds the audio in memory: short videos only
KEY = "rms_db@1"


def envelope_per_frame(envelope: np.ndarray, hop_s: float, clock: FrameClock) -> np.ndarray:
    """Peak level in dBFS per video frame from a ``(n, 2)`` min/max envelope."""
    n = clock.frame_count
    out = np.full(n, -90.0, np.float32)
    if envelope.size == 0 or n == 0:
        return out
    peak = np.abs(envelope.astype(np.float32)).max(axis=1)
    if clock.is_table:
        times = np.array([clock.time(i) for i in range(n)])
    else:
        times = np.arange(n) * (clock.rate.den / clock.rate.num)
    idx = (times / hop_s).astype(np.int64)
    inside = idx < peak.size
    if inside.any():
        starts = idx[inside]
        # each frame's loudest hop: reduceat over the hop ranges [idx[i], idx[i+1])
        vals = np.maximum.reduceat(peak, starts)
        out[inside] = 20 * np.log10(np.maximum(vals, 1e-5))
    return np.maximum(out, -90.0)


def stored_loudness(project: Project, video_id: int, clock: FrameClock) -> np.ndarray | None:
    try:
        from core.audio.features import load_audio_lanes

        lanes = load_audio_lanes(project, video_id)
    except ImportError:
        lanes = None
    if lanes is not None and lanes.envelope.size:
        return envelope_per_frame(lanes.envelope, lanes.envelope_hop, clock)
    arr = project.get_signal(video_id, SIGNAL, KEY)
    if arr is not None and arr.ndim == 1 and arr.size == clock.frame_count:
        return arr.astype(np.float32)
    return None


def loudness_per_frame(samples: np.ndarray, sample_rate: int, clock: FrameClock) -> np.ndarray:
    """RMS level in dBFS for each video frame (-90 for silence)."""
    n = clock.frame_count
    out = np.full(n, -90.0, np.float32)
    if samples.size == 0 or n == 0:
        return out
    bounds = np.array([int(clock.time(i) * sample_rate) for i in range(n + 1)])
    bounds = np.clip(bounds, 0, samples.size)
    sq = np.concatenate([[0.0], np.cumsum(samples.astype(np.float64) ** 2)])
    cnt = np.maximum(bounds[1:] - bounds[:-1], 1)
    ms = (sq[bounds[1:]] - sq[bounds[:-1]]) / cnt
    out[:] = 10 * np.log10(np.maximum(ms, 1e-9))
    return np.maximum(out, -90.0)


class LoudnessLoader(QObject):
    loaded = Signal(object)  # np.ndarray, on the GUI thread
    _done = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._done.connect(self._finish)
        self._target: tuple[Project, int] | None = None
        self._gen = 0

    def load(self, project: Project, video_id: int, path: str, clock: FrameClock,
             has_audio: bool) -> np.ndarray | None:
        """The stored curve now, or ``None`` and a computed one later through ``loaded``."""
        self._gen += 1
        arr = stored_loudness(project, video_id, clock)
        if arr is not None or not has_audio or clock.duration > MAX_FALLBACK_S:
            return arr  # long videos: wait for the analysis' audio stage instead
        self._target = (project, video_id)
        gen = self._gen
        threading.Thread(target=self._compute, args=(gen, path, clock), daemon=True,
                         name="clipdesk-loudness").start()
        return None

    def _compute(self, gen: int, path: str, clock: FrameClock) -> None:
        try:
            sr = 8000
            arr = loudness_per_frame(load_audio(path, sr), sr, clock)
        except Exception as e:  # noqa: BLE001 - no waveform lane, the rest works
            log.info("no loudness: %s", e)
            return
        try:
            self._done.emit((gen, arr))
        except RuntimeError:  # the timeline was closed meanwhile
            pass

    def _finish(self, result: tuple[int, np.ndarray]) -> None:
        gen, arr = result
        if gen != self._gen or self._target is None:
            return
        project, vid = self._target
        try:
            project.put_signal(vid, SIGNAL, KEY, arr)
        except Exception as e:  # noqa: BLE001 - caching is optional
            log.info("loudness not cached: %s", e)
        self.loaded.emit(arr)
