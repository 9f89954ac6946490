"""The one decode pass over a recording still being written, with commit points.

Same fan-out as :func:`core.media.decode.run_decode` (same sinks, same frame sampling, same audio
alignment, so the sinks see exactly the frames an offline pass over the finished file gives them),
read through a :class:`core.live.source.GrowingReader` instead of a finished file. Every
``every_s`` seconds of media a *commit point* passes down every sink's queue: once each sink has
taken everything before it, the sinks are parked, ``snapshot(point)`` copies what the follower
needs from them, the sinks go on, and ``commit(point, snap)`` stores the provisional results
while they work. ``until_s`` ends the pass at that media time.

Runs on the follower's thread; sinks on their own worker threads.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from core.audio.mix import DialogueMixer, mono_resampler
from core.errors import Cancelled, MediaError
from core.live.source import GrowingReader
from core.media.decode import _END, AUDIO_RATE, DecodeResult, Sink, _Sampler, _Worker
from core.media.reader import MediaInfo, rotate_image
from core.progress import Task, ensure_task


@dataclass
class CommitPoint:
    """Where the pass is at a commit: ``frames`` decoded (times in ``times``), audio samples,
    and the live edge: bytes of the source not read yet and the media seconds they hold."""

    index: int
    frames: int
    times: np.ndarray
    audio_samples: int
    media_s: float  # end of the last frame fed to the sinks
    behind_bytes: int
    byte_rate: float  # source bytes per media second so far
    wall: float  # time.monotonic() at the commit
    final: bool = False

    @property
    def lag_s(self) -> float:
        """Media seconds between the live edge and what the sinks have been fed."""
        return self.behind_bytes / self.byte_rate if self.byte_rate > 0 else 0.0


class _Gate:
    def __init__(self, n: int) -> None:
        self.arrived = threading.Semaphore(0)
        self.release = threading.Event()
        self.n = n


class _LiveWorker(_Worker):
    """A sink worker that also parks at commit gates."""

    def run(self) -> None:
        try:
            while True:
                try:
                    item = self.q.get(timeout=0.1)
                except Exception:  # noqa: BLE001 - queue.Empty
                    if self.stop.is_set():
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
                else:  # a commit gate: say we are here, wait until the snapshot is taken
                    gate: _Gate = item[1]
                    gate.arrived.release()
                    while not gate.release.wait(0.1):
                        if self.stop.is_set():
                            return
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller
            self.errors.append(e)
            self.stop.set()


def _guess_format(path: str) -> str | None:
    low = path.lower()
    if low.endswith((".ts", ".m2ts", ".mts")):
        return "mpegts"
    if low.endswith((".mkv", ".webm")):
        return "matroska"
    return None


def follow_decode(info: MediaInfo, reader: GrowingReader, sinks: list[Sink], task: Task | None,
                  snapshot: Callable[[CommitPoint], Any], commit: Callable[[CommitPoint, Any], None],
                  every_s: float = 10.0, until_s: float | None = None, stage: str = "follow") -> DecodeResult:
    """Decode the growing source once, feeding ``sinks`` and committing every ``every_s`` media
    seconds (see module docstring). Returns what the pass learned, like ``run_decode``; the sinks'
    ``end`` has run when it returns."""
    task = ensure_task(task)
    stop = threading.Event()
    errors: list[BaseException] = []
    workers = [_LiveWorker(s, errors, stop) for s in sinks]
    for s in sinks:
        s.begin(info)
    for w in workers:
        w.start()
    video_workers = [(w, w.sink.video.size_for(info), w.sink.video.fmt, _Sampler(w.sink.video.fps))
                     for w in workers if w.sink.video is not None]
    audio_workers = [w for w in workers if w.sink.audio]
    result = DecodeResult()
    times: list[float] = []
    scalers: dict[tuple[int, int, str], VideoReformatter] = {}
    commits = 0
    audio_pos = 0
    start_pos = reader.pos

    def point(final: bool = False) -> CommitPoint:
        media = float(times[-1] + 1 / info.rate.fps) if times else 0.0
        read = reader.pos - start_pos
        rate = read / media if media > 0 else 0.0
        return CommitPoint(commits, len(times), np.asarray(times, np.float64), audio_pos, media,
                           max(0, reader.size() - reader.pos), rate, time.monotonic(), final)

    def gate() -> None:
        nonlocal commits
        g = _Gate(len(workers))
        for w in workers:
            w.put(("b", g))
        for _ in workers:
            while not g.arrived.acquire(timeout=0.1):
                if stop.is_set():
                    g.release.set()
                    return
                task.check()
        cp = point()
        try:
            snap = snapshot(cp)
        finally:
            g.release.set()
        commit(cp, snap)
        commits += 1

    try:
        try:
            c = av.open(reader, mode="r", format=_guess_format(info.path), metadata_errors="ignore")
        except av.error.FFmpegError as e:
            raise MediaError(f"{info.path}: cannot be read as media ({e})") from None
        with c:
            vs = c.streams.video[0]
            vs.thread_type = "AUTO"
            streams = [vs]
            ast = None
            resampler = None
            if audio_workers and c.streams.audio:
                ast = c.streams.audio[0]
                streams.append(ast)
                resampler = mono_resampler(ast.codec_context.layout, AUDIO_RATE)
                result.audio_dialogue_mix = isinstance(resampler, DialogueMixer)
            elif audio_workers:
                result.audio_error = "no audio stream"
            t0: float | None = None
            skip_audio = 0
            if ast is not None:
                v_start = float(vs.start_time * vs.time_base) if vs.start_time is not None else 0.0
                a_start = float(ast.start_time * ast.time_base) if ast.start_time is not None else v_start
                offset = int(round((a_start - v_start) * AUDIO_RATE))
                if offset > 0:
                    pad = np.zeros(min(offset, AUDIO_RATE * 3600), np.float32)
                    for w in audio_workers:
                        w.put(("a", 0, pad))
                    audio_pos = pad.size
                else:
                    skip_audio = -offset
            rot = info.rotation
            next_commit = every_s
            done = False
            for pkt in c.demux(*streams):
                if stop.is_set() or done:
                    break
                task.check()
                is_audio = ast is not None and pkt.stream.index == ast.index
                try:
                    decoded = pkt.decode()
                except (av.error.FFmpegError, ValueError):
                    result.corrupt_packets += 1
                    continue
                if is_audio:
                    for af in decoded:
                        try:
                            outs = resampler.resample(af)  # type: ignore[union-attr]
                        except (av.error.FFmpegError, ValueError):
                            result.corrupt_packets += 1
                            continue
                        for out in outs:
                            data = out.astype(np.float32, copy=False)
                            if skip_audio:
                                cut = min(skip_audio, data.size)
                                data, skip_audio = data[cut:], skip_audio - cut
                                if not data.size:
                                    continue
                            for w in audio_workers:
                                w.put(("a", audio_pos, data))
                            audio_pos += data.size
                    continue
                for fr in decoded:
                    t = fr.time if fr.time is not None else (times[-1] + 1 / info.rate.fps if times else 0.0)
                    if t0 is None:
                        t0 = t
                    t -= t0
                    if times and t <= times[-1]:
                        t = times[-1] + 1e-4
                    if until_s is not None and t >= until_s:
                        done = True
                        reader.end_reason = reader.end_reason or f"--until {until_s:g} s reached"
                        break
                    if t >= next_commit:
                        gate()
                        next_commit = (int(t // every_s) + 1) * every_s
                    index = len(times)
                    times.append(t)
                    cache: dict[tuple[int, int, str], np.ndarray] = {}
                    for w, (sw, sh), fmt, sampler in video_workers:
                        if not sampler.take(t):
                            continue
                        key = (sw, sh, fmt)
                        img = cache.get(key)
                        if img is None:
                            dw, dh = (sh, sw) if rot in (90, 270) else (sw, sh)
                            conv = scalers.get(key)
                            if conv is None:
                                conv = scalers[key] = VideoReformatter()
                            img = conv.reformat(fr, width=dw, height=dh, format=fmt).to_ndarray()
                            img = rotate_image(img, rot)
                            cache[key] = img
                        w.put(("f", index, t, img))
                    if index % 8 == 0:
                        task.progress(stage, 0.5, f"{t:.0f} s read")
            if resampler is not None:
                try:
                    for out in resampler.resample(None):
                        data = out.astype(np.float32, copy=False)
                        for w in audio_workers:
                            w.put(("a", audio_pos, data))
                        audio_pos += data.size
                except (av.error.FFmpegError, ValueError):
                    pass
            if ast is not None and audio_pos == 0:
                result.audio_error = "audio stream could not be decoded"
        if not errors and not times:
            raise MediaError(f"{info.path}: no decodable video frames (corrupt or truncated file)")
        result.frame_count = len(times)
        result.frame_times = np.asarray(times, dtype=np.float64)
        step = times[-1] - times[-2] if len(times) > 1 else 1 / info.rate.fps
        result.ends_at = float(times[-1] + min(step, 1 / info.rate.fps)) if times else 0.0
        result.declared_duration = result.ends_at  # a live source declares nothing: it ends where it ends
        result.audio_samples = audio_pos
        for w in workers:
            w.result = result
            w.put(_END)
    except BaseException:
        stop.set()
        for w in workers:
            w.join(timeout=5)
        if errors:
            raise errors[0] from None
        raise
    for w in workers:
        while w.is_alive():
            w.join(timeout=0.2)
            if task.cancelled:
                stop.set()
    if errors:
        raise errors[0]
    task.check()
    return result


__all__ = ["Cancelled", "CommitPoint", "follow_decode"]
