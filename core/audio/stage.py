"""Audio in the one decode pass: a disk spool for the speech models and the ``audio`` lanes stage.

:class:`AudioSpool` is a decode-pass sink that writes the 16 kHz mono float32 stream to a
temporary file and reads it back slice by slice (:class:`SpooledAudio`), so hours of audio
never sit in memory.
:class:`AudioLanesStage` (stage ``audio``) computes the waveform/loudness/excitement lanes of
:mod:`core.audio.features` in the same pass. :func:`audio_warnings` turns what the probe and the
decode learned about the audio (none, undecodable, 8 kHz, 5.1, very long) into clear messages.

Sinks run on their own decode worker thread; ``finish`` runs on the pipeline's thread.
"""

from __future__ import annotations

import logging
import os
import tempfile
from typing import Any

import numpy as np

from core.audio.features import VERSION, AudioLaneBuilder, save_audio_lanes
from core.media.decode import AUDIO_RATE, DecodeResult, Sink
from core.media.reader import MediaInfo
from core.pipeline import Stage, StageContext

log = logging.getLogger(__name__)

LONG_AUDIO_S = 6 * 3600.0


class AudioSpool(Sink):
    """Collects the decoded audio on disk; :meth:`array` maps it back after the pass."""

    name = "audio-spool"
    audio = True

    def __init__(self, directory: str | None = None) -> None:
        fd, self.path = tempfile.mkstemp(prefix="clipdesk-audio-", suffix=".f32", dir=directory)
        self._file: Any = os.fdopen(fd, "wb")
        self.written = 0
        self.result: DecodeResult | None = None

    def samples(self, start: int, data: np.ndarray) -> None:
        if start > self.written:  # a gap (dropped packets): keep the timeline, fill with silence
            self._file.write(np.zeros(start - self.written, np.float32).tobytes())
            self.written = start
        elif start < self.written:  # overlap: keep what we have
            data = data[self.written - start:]
        self._file.write(np.ascontiguousarray(data, dtype=np.float32).tobytes())
        self.written += int(data.size)

    def end(self, result: DecodeResult) -> None:
        self._file.flush()
        self._file.close()
        self.result = result

    @property
    def duration(self) -> float:
        return self.written / AUDIO_RATE

    def array(self) -> "SpooledAudio":
        """The audio, read from disk slice by slice (see :class:`SpooledAudio`)."""
        if not self._file.closed:
            self._file.flush()
        return SpooledAudio(self.path, self.written)

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass


class SpooledAudio:
    """A float32 array on disk that reads only the slices asked for.

    Unlike a memmap, pages read once do not stay mapped (and counted as resident) for the rest of
    the analysis, so a two-hour match costs the same memory as a two-minute clip. Supports
    ``len()``, ``shape``, ``size`` and ``audio[a:b]`` (step 1), which is all the speech models use.
    """

    def __init__(self, path: str, samples: int) -> None:
        self.path = path
        self.size = int(samples)
        self.shape = (self.size,)
        self.dtype = np.dtype(np.float32)

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, key: slice) -> np.ndarray:
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("SpooledAudio supports contiguous slices only")
        a, b, _ = key.indices(self.size)
        if b <= a:
            return np.zeros(0, np.float32)
        with open(self.path, "rb") as f:
            f.seek(a * 4)
            return np.frombuffer(f.read((b - a) * 4), dtype=np.float32).copy()


def audio_warnings(info: MediaInfo, decode: DecodeResult | None, samples: int) -> tuple[bool, list[str]]:
    """``(usable, messages)`` about the first audio stream of a video after the decode pass."""
    msgs: list[str] = []
    if not info.audio:
        return False, ["no audio stream"]
    if decode is not None and decode.audio_error:
        return False, [decode.audio_error]
    if samples == 0:
        return False, ["audio stream could not be decoded"]
    a = info.audio[0]
    if a.sample_rate and a.sample_rate < AUDIO_RATE:
        msgs.append(f"audio is {a.sample_rate} Hz (below 16 kHz): upsampled, expect weaker speech results")
    if a.channels > 2:
        how = ", favouring the centre (dialogue) channel" if decode is not None and decode.audio_dialogue_mix else ""
        msgs.append(f"audio has {a.channels} channels: mixed down to mono for analysis{how}")
    if decode is not None and decode.corrupt_packets:
        msgs.append(f"{decode.corrupt_packets} corrupt packet(s) skipped; gaps filled with silence")
    if samples / AUDIO_RATE > LONG_AUDIO_S:
        msgs.append(f"audio is {samples / 3600 / AUDIO_RATE:.1f} h long")
    return True, msgs


def warn(ctx: StageContext, stage: str, message: str) -> None:
    """Record a stage warning: logged, shown in the progress line, kept in ``ctx.shared``."""
    text = f"{stage}: {message}"
    log.warning("%s: %s", ctx.video.name, text)
    ctx.shared.setdefault("warnings", []).append(text)
    ctx.task.progress(stage, 0.0, f"warning: {message}", force=True)


class _LanesSink(Sink):
    name = "audio-lanes"
    audio = True

    def __init__(self) -> None:
        self.builder = AudioLaneBuilder()
        self.expected = 0

    def samples(self, start: int, data: np.ndarray) -> None:
        if start > self.expected:
            self.builder.add(np.zeros(start - self.expected, np.float32))
            self.expected = start
        self.builder.add(data)
        self.expected += int(data.size)


class AudioLanesStage(Stage):
    """Stage ``audio``: envelope, loudness, flux and excitement lanes as project signals."""

    name = "audio"
    model = "clipdesk-audio"
    version = VERSION
    tracks = ()

    def __init__(self) -> None:
        self._sinks: dict[int, _LanesSink] = {}

    def sinks(self, ctx: StageContext) -> list[Sink]:
        sink = _LanesSink()
        self._sinks[ctx.run_id] = sink
        return [sink]

    def finish(self, ctx: StageContext) -> None:
        sink = self._sinks.pop(ctx.run_id, None)
        samples = sink.builder.samples if sink is not None else 0
        usable, msgs = audio_warnings(ctx.info, ctx.decode, samples)
        for m in msgs:
            if usable:
                warn(ctx, self.name, m)
        if not usable or sink is None:
            warn(ctx, self.name, f"{msgs[0] if msgs else 'no audio'}; no audio lanes")
            return
        ctx.progress(self.name, 0.5, "audio lanes")
        save_audio_lanes(ctx.project, ctx.video.id, sink.builder.finish())


__all__ = ["LONG_AUDIO_S", "AudioLanesStage", "AudioSpool", "SpooledAudio", "audio_warnings", "warn"]
