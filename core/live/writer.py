"""Simulated recorders for tests and benchmarks: write a finished recording out as a live one.

:class:`FileWriter` appends a finished file's bytes to a growing file at ``speed`` times real time
(the byte rate of the source's duration), then closes it. :class:`HlsWriter` publishes a finished
HLS rendition (playlist + segments made by ffmpeg) segment by segment into a folder, rewriting
the playlist after each one, at ``speed`` times real time, and adds ``#EXT-X-ENDLIST`` at the end;
it can replace a segment's bytes with garbage (a corrupt segment), stop mid-stream, or hold
(publish some segments, then wait for ``resume``).
Each runs on its own thread; ``join()`` waits for the end. Never imported by product code.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

from core.live.source import parse_playlist


class FileWriter(threading.Thread):
    def __init__(self, src: str | os.PathLike[str], dst: str | os.PathLike[str], duration_s: float,
                 speed: float = 1.0, chunk: int = 1 << 15, stop_at: float | None = None) -> None:
        super().__init__(name="live-file-writer", daemon=True)
        self.src, self.dst = Path(src), Path(dst)
        self.data = self.src.read_bytes()
        self.speed = speed
        self.chunk = chunk
        self.rate = len(self.data) / max(duration_s, 1e-3) * speed  # bytes per wall second
        self.stop_at = stop_at  # fraction of the file after which the writer stops (a cut stream)
        self.halt = threading.Event()
        self.started_at = 0.0
        self.finished_at = 0.0

    def run(self) -> None:
        end = len(self.data) if self.stop_at is None else int(len(self.data) * self.stop_at)
        self.started_at = time.monotonic()
        with open(self.dst, "ab") as f:
            pos = 0
            while pos < end and not self.halt.is_set():
                due = self.started_at + (pos + self.chunk) / self.rate
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                part = self.data[pos:min(end, pos + self.chunk)]
                f.write(part)
                f.flush()
                pos += len(part)
        self.finished_at = time.monotonic()


class HlsWriter(threading.Thread):
    def __init__(self, rendition: str | os.PathLike[str], out_dir: str | os.PathLike[str], speed: float = 1.0,
                 corrupt: set[int] | None = None, end: bool = True, stop_after: int | None = None,
                 hold_after: int | None = None) -> None:
        super().__init__(name="live-hls-writer", daemon=True)
        self.rendition = Path(rendition)
        self.out_dir = Path(out_dir)
        self.speed = speed
        self.corrupt = corrupt or set()
        self.end = end
        self.stop_after = stop_after
        self.hold_after = hold_after  # publish this many segments, then wait for resume.set()
        self.resume = threading.Event()
        self.playlist = self.out_dir / self.rendition.name
        text = self.rendition.read_text()
        self.header = [ln for ln in text.splitlines() if ln.startswith(("#EXTM3U", "#EXT-X-VERSION",
                                                                        "#EXT-X-TARGETDURATION",
                                                                        "#EXT-X-MEDIA-SEQUENCE",
                                                                        "#EXT-X-MAP", "#EXT-X-INDEPENDENT"))]
        self.entries, _ = parse_playlist(text)
        lines = text.splitlines()
        self.durations = [float(ln.split(":", 1)[1].split(",")[0]) for ln in lines if ln.startswith("#EXTINF")]

    def _write_playlist(self, n: int, ended: bool) -> None:
        body = list(self.header)
        for e, d in zip(self.entries[:n], self.durations[:n], strict=False):
            body += [f"#EXTINF:{d:.6f},", e.uri]
        if ended:
            body.append("#EXT-X-ENDLIST")
        tmp = self.playlist.with_name(self.playlist.name + ".tmp")
        tmp.write_text("\n".join(body) + "\n")
        os.replace(tmp, self.playlist)

    def run(self) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for e in self.entries[:1]:
            if e.init:
                shutil.copy(self.rendition.parent / e.init, self.out_dir / e.init)
        self._write_playlist(0, False)
        t0 = time.monotonic()
        media = 0.0
        count = len(self.entries) if self.stop_after is None else min(self.stop_after, len(self.entries))
        for i, (e, d) in enumerate(zip(self.entries[:count], self.durations[:count], strict=False)):
            if self.hold_after is not None and i == self.hold_after:
                held = time.monotonic()
                self.resume.wait()
                t0 += time.monotonic() - held
            media += d
            delay = t0 + media / self.speed - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            data = (self.rendition.parent / e.uri).read_bytes()
            if i in self.corrupt:
                data = bytes((b * 7 + 13) % 256 for b in data[:4096]) + data[4096:]
            (self.out_dir / e.uri).write_bytes(data)
            self._write_playlist(i + 1, self.end and i + 1 == len(self.entries))


__all__ = ["FileWriter", "HlsWriter"]
