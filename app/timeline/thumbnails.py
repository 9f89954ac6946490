"""Thumbnail strip images, decoded on a background thread and cached (LRU).

``ThumbnailCache.want(frames)`` replaces the pending request list with the frames the timeline
shows now (nearest first, in decode order); finished thumbnails arrive through ``ready(frame)``
on the GUI thread and are read with ``get(frame)``. Frames are decoded exactly (FrameReader,
by PTS) at a small size, consecutive frames decoding forward without seeking; when the slots are
more than 10 s apart (zoomed far out) the keyframe before each slot is shown instead. GUI thread calls
``want``/``get``/``close``; the decode thread owns its reader.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from app.player.frame_server import to_qimage
from core.media.reader import FrameReader
from core.timebase import FrameClock

log = logging.getLogger(__name__)


class ThumbnailCache(QObject):
    ready = Signal(int)
    _deliver = Signal(int, QImage)  # decode thread -> GUI thread (queued)

    def __init__(self, path: str, clock: FrameClock, size: tuple[int, int], rotation: int = 0,
                 capacity: int = 600, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.size = size
        self._images: OrderedDict[int, QImage] = OrderedDict()
        self._capacity = capacity
        self._pending: list[int] = []
        self._cond = threading.Condition()
        self._closed = False
        self._args = (path, clock, size, rotation)
        self._coarse = int(10 * clock.rate.fps)  # slots further apart than 10 s
        self._deliver.connect(self._store)
        self._thread = threading.Thread(target=self._run, name="clipdesk-thumbs", daemon=True)
        self._thread.start()

    def get(self, frame: int) -> QImage | None:
        img = self._images.get(frame)
        if img is not None:
            self._images.move_to_end(frame)
        return img

    def want(self, frames: list[int]) -> None:
        missing = sorted({f for f in frames if f not in self._images})
        with self._cond:
            self._pending = missing
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(timeout=0.5)  # a long seek is not waited for on Quit

    def _store(self, frame: int, img: QImage) -> None:
        self._images[frame] = img
        while len(self._images) > self._capacity:
            self._images.popitem(last=False)
        self.ready.emit(frame)

    def _run(self) -> None:
        path, clock, size, rotation = self._args
        try:
            reader = FrameReader(path, clock, size=size, rotation=rotation)
        except Exception as e:  # noqa: BLE001 - no thumbnails, the rest works
            log.warning("thumbnails off: %s", e)
            return
        try:
            while True:
                with self._cond:
                    while not self._pending and not self._closed:
                        self._cond.wait()
                    if self._closed:
                        return
                    frame = self._pending.pop(0)
                try:
                    # far apart (zoomed out): the keyframe before the slot is a fine overview
                    # and costs one seek instead of decoding a whole long GOP
                    coarse = bool(self._pending) and self._pending[0] - frame > self._coarse
                    img = to_qimage(reader.read_keyframe(frame)[1] if coarse else reader.read(frame))
                except Exception as e:  # noqa: BLE001
                    log.debug("thumbnail %d: %s", frame, e)
                    continue
                # the cache dict is only mutated on the GUI thread via a queued call
                self._deliver.emit(frame, img)
        finally:
            reader.close()

