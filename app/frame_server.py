"""Decodes frames for the player on its own thread; the GUI thread never decodes.

``FrameServer.request(frame, exact)`` is non-blocking: only the latest request is kept (older
ones are dropped while the decoder is busy), so scrubbing never queues up work. ``exact=False``
shows the nearest earlier keyframe (fast, while dragging); ``exact=True`` the frame itself, found
by presentation timestamp through :class:`core.media.FrameReader`. Small jumps forward decode on
without seeking, so playback is sequential decoding. Results arrive on the GUI thread through the
``frameReady(requested, shown, QImage)`` signal. Call ``request``/``close`` from the GUI thread.
"""

from __future__ import annotations

import logging
import threading
import time

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from core.media import FrameReader
from core.timebase import FrameClock

log = logging.getLogger(__name__)


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
                 rotation: int = 0, parent: QObject | None = None) -> None:
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
        self._thread.join(timeout=5)

    @property
    def busy(self) -> bool:
        with self._cond:
            return self._pending is not None

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
                with self._cond:
                    while self._pending is None and not self._closed:
                        self._cond.wait()
                    if self._closed:
                        return
                    assert self._pending is not None
                    frame, exact = self._pending
                    self._pending = None
                    proxy = self._proxy
                t0 = time.perf_counter()
                try:
                    if exact:
                        if last is not None and last < frame - 1 and frame - last <= 2 * fps:
                            for i in range(last + 1, frame):  # decode on, no seek
                                reader.read(i)
                        img = reader.read(frame)
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
                self.last_latency = time.perf_counter() - t0
                # a proxy frame is not the source frame: shown as a preview (requested != shown)
                self.frameReady.emit(frame, shown if exact or proxy is None else -1 - shown,
                                     to_qimage(img))
        finally:
            reader.close()
            if proxy_reader is not None:
                proxy_reader.close()
