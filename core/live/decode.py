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

from core.errors import Cancelled, MediaError
from core.live.source import GrowingReader
from core.media.decode import DecodeResult, Sink, _abort, _end_pass, _FanOut, _join_workers, _Worker
from core.media.reader import MediaInfo
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

    def other(self, item: Any) -> bool:
        """A commit gate: say we are here, wait until the snapshot is taken."""
        gate: _Gate = item[1]
        gate.arrived.release()
        while not gate.release.wait(0.1):
            if self.stop.is_set():
                return False
        return True


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
    result = DecodeResult()
    fan = _FanOut(info, workers, result)
    times = fan.times
    commits = 0
    start_pos = reader.pos

    def point(final: bool = False) -> CommitPoint:
        media = float(times[-1] + 1 / info.rate.fps) if times else 0.0
        read = reader.pos - start_pos
        rate = read / media if media > 0 else 0.0
        return CommitPoint(commits, len(times), np.asarray(times, np.float64), fan.audio_pos, media,
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
            streams = fan.open(c)
            next_commit = every_s
            for fr in fan.video_frames(c, streams, stop, task):
                t = fan.time_of(fr)
                if until_s is not None and t >= until_s:
                    reader.end_reason = reader.end_reason or f"--until {until_s:g} s reached"
                    break
                if t >= next_commit:
                    gate()
                    next_commit = (int(t // every_s) + 1) * every_s
                index = fan.push(fr, t)
                if index % 8 == 0:
                    task.progress(stage, 0.5, f"{t:.0f} s read")
            fan.end_audio()
        _end_pass(fan, workers, errors, None)  # a live source declares nothing: it ends where it ends
    except BaseException:
        _abort(workers, errors, stop)
        raise
    _join_workers(workers, errors, stop, task)
    return result


__all__ = ["Cancelled", "CommitPoint", "follow_decode"]
