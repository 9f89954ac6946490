"""Decodes frames for the player on its own thread; the GUI thread never decodes.

``FrameServer.request(frame, exact)`` is non-blocking: only the latest request is kept (older
ones are dropped while the decoder is busy), so scrubbing never queues up work. ``exact=False``
shows the nearest earlier keyframe (fast, while dragging); ``exact=True`` the frame itself, found
by presentation timestamp through :class:`core.media.reader.FrameReader`. Small jumps forward decode on
without seeking, so playback is sequential decoding. Results arrive on the GUI thread through the
``frameReady(requested, shown, QImage)`` signal. Call ``request``/``close`` from the GUI thread.

Reverse playback (J) would otherwise seek to a keyframe and decode forward for every frame. So
exact frames are kept in a small cache (bounded in bytes), and once requests run backwards the
server decodes whole chunks forward from one seek and, while idle, prefetches the chunk before
the earliest cached frame; frames requested during a prefetch are answered from the cache at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from core.media.reader import FrameReader
from core.timebase import FrameClock

log = logging.getLogger(__name__)

CACHE_BYTES = 256 * 1024 * 1024  # decoded frames kept for reverse playback and back-and-forth


def to_qimage(rgb: np.ndarray) -> QImage:
    """A QImage owning a copy of an RGB24 array."""
    rgb = np.ascontiguousarray(rgb)
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, rgb.strides[0], QImage.Format.Format_RGB888).copy()


def display_size(width: int, height: int, max_width: int = 1280) -> tuple[int, int]:
    """Decode size for the screen: never upscale, even dimensions."""
    if width <= max_width:
        return width - width % 2, height - height % 2
    h = int(round(height * max_width / width))
    return max_width, h - h % 2


class FrameServer(QObject):
    frameReady = Signal(int, int, QImage)  # requested frame, frame shown, image
    failed = Signal(str)

    def __init__(self, path: str, clock: FrameClock, size: tuple[int, int],
                 rotation: int = 0, parent: QObject | None = None,
                 cache_bytes: int = CACHE_BYTES) -> None:
        super().__init__(parent)
        self._path = path
        self._clock = clock
        self._size = size
        self._rotation = rotation
        self._cond = threading.Condition()
        self._pending: tuple[int, bool] | None = None
        self._closed = False
        self._proxy: str | None = None
        self.last_latency = 0.0
        w, h = size
        self._capacity = max(8, cache_bytes // max(1, w * h * 3))
        fps = max(1, round(clock.rate.fps))
        self._chunk = max(4, min(self._capacity // 2, 3 * fps))  # frames decoded per seek in reverse
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._reverse = False
        self._last_request: int | None = None
        self.seeks = 0  # container seeks by the exact-frame reader (for tests and benchmarks)
        self._thread = threading.Thread(target=self._run, name="clipdesk-frames", daemon=True)
        self._thread.start()

    def request(self, frame: int, exact: bool = True) -> None:
        with self._cond:
            self._pending = (int(frame), exact)
            self._cond.notify()

    def set_proxy(self, path: str | None) -> None:
        """Scrub on this proxy's exact frames (same timing, smaller, short GOP)."""
        with self._cond:
            self._proxy = path

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(timeout=0.5)  # a long seek is not waited for on Quit

    @property
    def busy(self) -> bool:
        with self._cond:
            return self._pending is not None

    # -- decode thread -----------------------------------------------------------------------
    def _remember(self, index: int, img: np.ndarray) -> None:
        self._cache[index] = img
        self._cache.move_to_end(index)
        while len(self._cache) > self._capacity:
            if self._reverse:  # frames already played lie above the playhead
                del self._cache[max(self._cache)]
            else:
                self._cache.popitem(last=False)

    def _take_pending(self, block: bool) -> tuple[int, bool, str | None] | None:
        """The latest request (waits for one if ``block``); ``None`` when closed or none waiting."""
        with self._cond:
            while block and self._pending is None and not self._closed:
                self._cond.wait()
            if self._closed or self._pending is None:
                return None
            frame, exact = self._pending
            self._pending = None
            return frame, exact, self._proxy

    def _emit(self, requested: int, shown: int, img: np.ndarray, t0: float) -> None:
        self.last_latency = time.perf_counter() - t0
        self.frameReady.emit(requested, shown, to_qimage(img))

    def _answer_from_cache(self, upcoming: range) -> bool:
        """During a prefetch: answer a waiting exact request from the cache. False when the
        server is closing or a request waits that neither the cache nor the frames about to be
        decoded (``upcoming``) can answer: the prefetch should stop."""
        with self._cond:
            if self._closed:
                return False
            if self._pending is None:
                return True
            frame, exact = self._pending
            img = self._cache.get(frame) if exact else None
            if img is None:
                return exact and frame in upcoming  # decoded in a moment: keep going
            self._pending = None
        self._last_request = frame
        self._emit(frame, frame, img, time.perf_counter())
        return True

    def _read_span(self, reader: FrameReader, lo: int, hi: int,
                   prefetch: bool) -> tuple[int, np.ndarray] | None:
        """Decode frames ``lo..hi`` from one seek, caching each; a prefetch answers requests as
        their frames arrive and stops for one it cannot answer. Returns the last frame read, or
        ``None`` if none was."""
        out = None
        for i in range(lo, hi + 1):
            if prefetch and not self._answer_from_cache(range(i, hi + 1)):
                break
            before = reader.seeks
            # a long-GOP seek decodes many frames first: keep answering from the cache meanwhile
            img = reader.read(i, (lambda: self._answer_from_cache(range(lo, hi + 1)))
                              if prefetch else None)
            self.seeks += reader.seeks - before
            self._remember(i, img)
            out = (i, img)
        else:
            if prefetch:
                self._answer_from_cache(range(0))
        return out

    def _prefetch_back(self, reader: FrameReader) -> int | None:
        """While playing backwards and idle: decode the chunk before the cached run that holds
        the playhead. Returns the last frame read (the reader is positioned after it)."""
        head = self._last_request
        if head is None or head not in self._cache:
            return None
        low = head
        while low - 1 in self._cache:
            low -= 1
        if low <= 0 or head - low >= self._chunk:
            return None  # at the start, or a chunk of frames still ahead of the playhead
        got = self._read_span(reader, max(0, low - self._chunk), low - 1, prefetch=True)
        return None if got is None else got[0]

    def _run(self) -> None:
        try:
            reader = FrameReader(self._path, self._clock, size=self._size, rotation=self._rotation)
        except Exception as e:  # noqa: BLE001 - reported to the window as one line
            self.failed.emit(str(e))
            return
        last: int | None = None  # last frame decoded exactly (reader is positioned after it)
        proxy_reader: FrameReader | None = None
        proxy_for: str | None = None
        fps = max(1, round(self._clock.rate.fps))
        try:
            while True:
                req = self._take_pending(block=False)
                if req is None:
                    if self._reverse:
                        try:
                            read_to = self._prefetch_back(reader)
                            if read_to is not None:
                                last = read_to
                        except Exception as e:  # noqa: BLE001 - a bad frame must not kill the thread
                            log.warning("prefetch: %s", e)
                            self._reverse, last = False, None
                    req = self._take_pending(block=True)
                    if req is None:
                        return
                frame, exact, proxy = req
                t0 = time.perf_counter()
                try:
                    if exact:
                        previous, self._last_request = self._last_request, frame
                        backwards = previous is not None and 0 < previous - frame <= 4 * self._chunk
                        if backwards:
                            self._reverse = True  # playing or stepping backwards: decode chunks
                        cached = self._cache.get(frame)
                        if cached is not None:
                            self._cache.move_to_end(frame)
                            self._emit(frame, frame, cached, t0)
                            continue
                        if backwards:
                            got = self._read_span(reader, max(0, frame - self._chunk + 1), frame,
                                                  prefetch=False)
                            assert got is not None
                            img = got[1]
                        else:
                            self._reverse = False
                            if last is not None and last < frame - 1 and frame - last <= 2 * fps:
                                for i in range(last + 1, frame):  # decode on, no seek
                                    self._remember(i, reader.read(i))
                            before = reader.seeks
                            img = reader.read(frame)
                            self.seeks += reader.seeks - before
                            self._remember(frame, img)
                        shown = frame
                        last = frame
                    elif proxy is not None:
                        if proxy_for != proxy:
                            if proxy_reader is not None:
                                proxy_reader.close()
                            proxy_reader = FrameReader(proxy, self._clock, size=self._size,
                                                       rotation=self._rotation)
                            proxy_for = proxy
                        assert proxy_reader is not None
                        img = proxy_reader.read(frame)  # exact frame, from the light copy
                        shown = frame
                    else:
                        shown, img = reader.read_keyframe(frame)
                        last = None
                except Exception as e:  # noqa: BLE001 - a bad frame must not kill the thread
                    log.warning("frame %d: %s", frame, e)
                    last = None
                    continue
                # a proxy frame is not the source frame: shown as a preview (requested != shown)
                self._emit(frame, shown if exact or proxy is None else -1 - shown, img, t0)
        finally:
            reader.close()
            if proxy_reader is not None:
                proxy_reader.close()
