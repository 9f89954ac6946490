"""Progress reporting and cancellation for long core work (thread-safe, no Qt).

Core functions take a ``Task`` (or ``None``). The CLI renders progress with a text bar, the app
forwards it to Qt signals from its worker thread. Modelled on Orange3's ``TaskState``.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

from core.errors import Cancelled

ProgressFn = Callable[[str, float, str], None]
"""``(stage, fraction 0..1, message)``."""


class Task:
    """Carries a cancel flag and a progress callback through core work."""

    def __init__(self, on_progress: ProgressFn | None = None, min_interval: float = 0.1) -> None:
        self._cancel = threading.Event()
        self._on_progress = on_progress
        self._min_interval = min_interval
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if cancel was requested."""
        if self._cancel.is_set():
            raise Cancelled()

    def progress(self, stage: str, fraction: float, message: str = "", force: bool = False) -> None:
        if self._on_progress is None:
            return
        now = time.monotonic()
        with self._lock:
            if not force and fraction < 1.0 and now - self._last.get(stage, 0.0) < self._min_interval:
                return
            self._last[stage] = now
        self._on_progress(stage, max(0.0, min(1.0, fraction)), message)


def ensure_task(task: Task | None) -> Task:
    return task if task is not None else Task()
