"""The one decode pass: demux and decode a video once, fan frames and audio out to every sink.

Each :class:`Sink` says what it wants (frame size, pixel format, sampling rate, audio) and gets
its own worker thread fed through a bounded queue, so a slow analyzer applies back-pressure
instead of growing memory, and analyzers run concurrently with decoding (NumPy, OpenCV, ONNX and
torch release the GIL). The first exception in any sink stops the pass and is re-raised in the
caller; cancel stops it too. Modelled on PySceneDetect's ``scene_manager`` decode thread.
:func:`ends_early` compares where the decoded frames end with the duration the container
declares (a cut download, a recording still being written).

Called from a worker thread (CLI main thread or an app worker); never from the GUI thread.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from core.audio.mix import DialogueMixer, mono_resampler
from core.errors import Cancelled, MediaError
from core.media.reader import MediaInfo, open_container, rotate_image
from core.progress import Task, ensure_task

AUDIO_RATE = 16000
_QUEUE_SIZE = 48
VIDEO_THREADS = 0
"""FFmpeg's frame threads for the video decoder: 0 lets FFmpeg choose (cores + 1); a process that
is one of several sharing the cores (an archive worker with one CPU) sets 1."""
_END = object()


@dataclass(frozen=True)
class FrameSpec:
    """What frames a sink wants.

    ``width``/``height``: output size (``None`` keeps the source size; one of them ``None`` keeps
    the display aspect). ``fps``: sampling rate in frames per second of presentation time
    (``None`` = every frame). ``fmt``: PyAV pixel format (``rgb24``, ``gray``, ``bgr24``).
    """

    width: int | None = None
    height: int | None = None
    fmt: str = "rgb24"
    fps: float | None = None

    def size_for(self, info: MediaInfo) -> tuple[int, int]:
        dw, dh = info.display_size
        w, h = self.width, self.height
        if w is None and h is None:
            return dw, dh
        if w is None:
            assert h is not None
            w = max(2, int(round(dw * h / dh)))
        if h is None:
            h = max(2, int(round(dh * w / dw)))
        return int(w), int(h)


class Sink:
    """Base class for analyzers fed by the decode pass. Methods run on the sink's own thread."""

    name: str = "sink"
    video: FrameSpec | None = None
    audio: bool = False

    def begin(self, info: MediaInfo) -> None:
        """Called once before any data."""

    def frame(self, index: int, time: float, image: np.ndarray) -> None:
        """A decoded frame: its index among all decoded frames and its presentation time."""

    def samples(self, start: int, data: np.ndarray) -> None:
        """Mono float32 audio at 16 kHz; ``start`` is the index of ``data[0]``."""

    def end(self, result: "DecodeResult") -> None:
        """Called once after the last data, with what the pass learned about the video."""


@dataclass
class DecodeResult:
    frame_count: int = 0
    frame_times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    audio_samples: int = 0
    corrupt_packets: int = 0
    audio_error: str | None = None
    audio_dialogue_mix: bool = False  # multichannel mixed centre-first (core.audio.mix)
    ends_at: float = 0.0  # end of the last decoded frame, seconds from the first
    declared_duration: float = 0.0  # what the probe read from the container

    @property
    def ends_early(self) -> str | None:
        """One line when the decoded frames stop well before the declared duration."""
        return ends_early(self.ends_at, self.declared_duration)


# A shortfall under this is container rounding, edit lists or a last frame's duration, not a cut file.
SHORT_MIN_S = 0.5
SHORT_FRACTION = 0.02
SHORT_MAX_S = 5.0


def ends_early(ends_at: float, declared: float) -> str | None:
    """``"the file ends at 2.96 s but declares 10.00 s (...)"`` when it is short by more than
    0.5 s and 2 % of the declared duration (2 % capped at 5 s), else ``None``."""
    if declared <= 0 or ends_at <= 0:
        return None
    limit = max(SHORT_MIN_S, min(SHORT_FRACTION * declared, SHORT_MAX_S))
    if declared - ends_at <= limit:
        return None
    return (f"the file ends at {ends_at:.2f} s but declares {declared:.2f} s "
            "(truncated or still being written?)")


class _Worker(threading.Thread):
    def __init__(self, sink: Sink, errors: list[BaseException], stop: threading.Event) -> None:
        super().__init__(name=f"sink-{sink.name}", daemon=True)
        self.sink = sink
        self.q: queue.Queue[Any] = queue.Queue(maxsize=_QUEUE_SIZE)
        self.errors = errors
        self.stop = stop
        self.result: DecodeResult | None = None

    def put(self, item: Any) -> None:
        while not self.stop.is_set():
            try:
                self.q.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def run(self) -> None:
        try:
            while True:
                try:
                    item = self.q.get(timeout=0.1)
                except queue.Empty:
                    if self.stop.is_set():  # another sink failed or the pass was cancelled
                        return
                    continue
                if self.stop.is_set():
                    return
                if item is _END:
                    assert self.result is not None
                    self.sink.end(self.result)
                    return
                kind = item[0]
                if kind == "f":
                    self.sink.frame(item[1], item[2], item[3])
                elif kind == "a":
                    self.sink.samples(item[1], item[2])
                elif not self.other(item):
                    return
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller
            self.errors.append(e)
            self.stop.set()

    def other(self, item: Any) -> bool:
        """An item that is neither a frame nor audio (a subclass's, e.g. the live commit gate);
        False ends the worker."""
        raise ValueError(f"sink worker: unknown item {item[0]!r}")


class _Sampler:
    """Decides whether a frame at time ``t`` is sampled for a given fps."""

    def __init__(self, fps: float | None) -> None:
        self.step = None if not fps else 1.0 / fps
        self.next_t = -1e9

    def take(self, t: float) -> bool:
        if self.step is None:
            return True
        if t + 1e-6 >= self.next_t:
            nxt = self.next_t + self.step
            # Stay on the regular grid; after a gap (VFR, dropped frames) restart from here.
            self.next_t = nxt if nxt > t + 1e-6 else t + self.step
            return True
        return False


class _FanOut:
    """One demux/decode loop's fan-out, shared by :func:`run_decode` and the live follower
    (``core.live.decode``): opens the streams, aligns audio sample 0 with video frame 0, resamples
    audio to the audio sinks, and converts each video frame once per (size, format) for the video
    sinks. ``times`` and ``audio_pos`` are what the pass has delivered so far."""

    def __init__(self, info: MediaInfo, workers: list[Any], result: DecodeResult) -> None:
        self.info = info
        self.result = result
        self.video_workers = [(w, w.sink.video.size_for(info), w.sink.video.fmt, _Sampler(w.sink.video.fps))
                              for w in workers if w.sink.video is not None]
        self.audio_workers = [w for w in workers if w.sink.audio]
        self.times: list[float] = []
        self.audio_pos = 0
        self.scalers: dict[tuple[int, int, str], VideoReformatter] = {}
        self.ast: Any = None
        self.resampler: Any = None
        self._skip_audio = 0
        self._t0: float | None = None

    def open(self, c: Any) -> list[Any]:
        """The streams to demux from the open container ``c``."""
        vs = c.streams.video[0]
        vs.thread_type = "AUTO"
        if VIDEO_THREADS:
            vs.thread_count = VIDEO_THREADS
        streams = [vs]
        if self.audio_workers and c.streams.audio:
            self.ast = c.streams.audio[0]
            streams.append(self.ast)
            # Centre-channel layouts (5.1, 7.1...) get the dialogue-first mix; others ffmpeg's.
            self.resampler = mono_resampler(self.ast.codec_context.layout, AUDIO_RATE)
            self.result.audio_dialogue_mix = isinstance(self.resampler, DialogueMixer)
        elif self.audio_workers:
            self.result.audio_error = "no audio stream"
        # Audio sample 0 must be the instant of video frame 0: pad or drop the difference
        # between the streams' start times (e.g. AAC priming, late-starting commentary).
        if self.ast is not None:
            ast = self.ast
            v_start = float(vs.start_time * vs.time_base) if vs.start_time is not None else 0.0
            a_start = float(ast.start_time * ast.time_base) if ast.start_time is not None else v_start
            offset = int(round((a_start - v_start) * AUDIO_RATE))
            if offset > 0:
                self._push_audio(np.zeros(min(offset, AUDIO_RATE * 3600), np.float32))
            else:
                self._skip_audio = -offset
        return streams

    def _push_audio(self, data: np.ndarray) -> None:
        for w in self.audio_workers:
            w.put(("a", self.audio_pos, data))
        self.audio_pos += data.size

    def video_frames(self, c: Any, streams: list[Any], stop: threading.Event, task: Task) -> Any:
        """Demux and decode: audio goes to the audio sinks here; video frames are yielded.
        Undecodable packets are counted in ``result.corrupt_packets`` and skipped."""
        for pkt in c.demux(*streams):
            if stop.is_set():
                return
            task.check()
            try:
                decoded = pkt.decode()
            except (av.error.FFmpegError, ValueError):
                self.result.corrupt_packets += 1
                continue
            if self.ast is not None and pkt.stream.index == self.ast.index:
                for af in decoded:
                    try:
                        outs = self.resampler.resample(af)
                    except (av.error.FFmpegError, ValueError):
                        self.result.corrupt_packets += 1
                        continue
                    for out in outs:
                        data = out.astype(np.float32, copy=False)
                        if self._skip_audio:
                            cut = min(self._skip_audio, data.size)
                            data, self._skip_audio = data[cut:], self._skip_audio - cut
                            if not data.size:
                                continue
                        self._push_audio(data)
                continue
            yield from decoded

    def time_of(self, fr: Any) -> float:
        """A frame's time from the first frame, strictly after the previous one (broken
        timestamps keep their order)."""
        times = self.times
        t = fr.time if fr.time is not None else (times[-1] + 1 / self.info.rate.fps if times else 0.0)
        if self._t0 is None:
            self._t0 = t
        t -= self._t0
        if times and t <= times[-1]:
            t = times[-1] + 1e-4
        return float(t)

    def push(self, fr: Any, t: float) -> int:
        """Deliver frame ``fr`` at time ``t`` to the video sinks that sample it; its index."""
        index = len(self.times)
        self.times.append(t)
        rot = self.info.rotation
        cache: dict[tuple[int, int, str], np.ndarray] = {}  # one conversion per spec
        for w, (sw, sh), fmt, sampler in self.video_workers:
            if not sampler.take(t):
                continue
            key = (sw, sh, fmt)
            img = cache.get(key)
            if img is None:
                # Sizes are given in display orientation; decode-side size is pre-rotation.
                dw, dh = (sh, sw) if rot in (90, 270) else (sw, sh)
                conv = self.scalers.get(key)
                if conv is None:  # a reused scaler keeps its swscale context:
                    conv = self.scalers[key] = VideoReformatter()  # ~4x cheaper per frame
                img = conv.reformat(fr, width=dw, height=dh, format=fmt).to_ndarray()
                img = rotate_image(img, rot)
                cache[key] = img
            w.put(("f", index, t, img))
        return index

    def end_audio(self) -> None:
        """Flush the resampler; note an audio stream that gave nothing."""
        if self.resampler is not None:
            try:
                for out in self.resampler.resample(None):
                    self._push_audio(out.astype(np.float32, copy=False))
            except (av.error.FFmpegError, ValueError):
                pass
        if self.ast is not None and self.audio_pos == 0:
            self.result.audio_error = "audio stream could not be decoded"

    def finish(self, declared_duration: float | None) -> DecodeResult:
        """Fill the result from what was delivered (``declared_duration`` None: where it ended)."""
        times, result, info = self.times, self.result, self.info
        result.frame_count = len(times)
        result.frame_times = np.asarray(times, dtype=np.float64)
        step = times[-1] - times[-2] if len(times) > 1 else 1 / info.rate.fps
        result.ends_at = float(times[-1] + min(step, 1 / info.rate.fps)) if times else 0.0
        result.declared_duration = result.ends_at if declared_duration is None else float(declared_duration)
        result.audio_samples = self.audio_pos
        return result


def run_decode(info: MediaInfo, sinks: list[Sink], task: Task | None = None,
               stage: str = "decode") -> DecodeResult:
    """Decode ``info.path`` once and feed all ``sinks``; returns what the pass learned.

    Raises :class:`MediaError` if no frame decodes, :class:`Cancelled` on cancel, or the first
    exception a sink raised.
    """
    task = ensure_task(task)
    stop = threading.Event()
    errors: list[BaseException] = []
    workers = [_Worker(s, errors, stop) for s in sinks]
    for s in sinks:
        s.begin(info)
    for w in workers:
        w.start()
    result = DecodeResult()
    fan = _FanOut(info, workers, result)
    try:
        with open_container(info.path) as c:
            streams = fan.open(c)
            total = max(1, info.frame_count)
            for fr in fan.video_frames(c, streams, stop, task):
                index = fan.push(fr, fan.time_of(fr))
                if index % 8 == 0:
                    task.progress(stage, min(0.999, index / total), f"frame {index}/{total}")
            fan.end_audio()
        _end_pass(fan, workers, errors, float(info.duration))
    except BaseException:
        _abort(workers, errors, stop)
        raise
    _join_workers(workers, errors, stop, task)
    task.progress(stage, 1.0, f"{result.frame_count} frames", force=True)
    return result


def _end_pass(fan: _FanOut, workers: list[Any], errors: list[BaseException], declared: float | None) -> None:
    """The pass read everything: fill the result and tell each sink to end."""
    if not errors and not fan.times:
        raise MediaError(f"{fan.info.path}: no decodable video frames (corrupt or truncated file)")
    fan.finish(declared)
    for w in workers:
        w.result = fan.result
        w.put(_END)


def _abort(workers: list[Any], errors: list[BaseException], stop: threading.Event) -> None:
    """The pass failed or was cancelled: stop the sinks; a sink's own error wins (raised here)."""
    stop.set()
    for w in workers:
        w.join(timeout=5)
    if errors:
        raise errors[0] from None


def _join_workers(workers: list[Any], errors: list[BaseException], stop: threading.Event, task: Task) -> None:
    """Wait for the sinks to drain (a cancel stops them); re-raise a sink's error."""
    for w in workers:
        while w.is_alive():
            w.join(timeout=0.2)
            if task.cancelled:
                stop.set()
    if errors:
        raise errors[0]
    task.check()


__all__ = ["AUDIO_RATE", "Cancelled", "DecodeResult", "FrameSpec", "Sink", "ends_early", "run_decode"]
