"""Base for background workers: a core function run on its own thread with a ``Task``.

The thread owns the Task (progress and cancel) and never touches widgets: results go back through
Qt signals, which Qt delivers on the GUI thread. Subclasses add their own result signals and call
:meth:`launch` with the function to run; the function receives the Task as its last argument.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal

from core.progress import Task


class TaskWorker(QObject):
    progress = Signal(str, float, str)  # stage, fraction 0..1, message

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._task: Task | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def launch(self, name: str, fn: Callable[..., None], *args: Any) -> None:
        """Run ``fn(*args, task)`` on a new daemon thread named ``name``."""
        if self._thread is not None:  # a finished run's thread may still be unwinding
            self._thread.join(10)
        self._task = Task(on_progress=lambda s, f, m: self.progress.emit(s, f, m))
        self._thread = threading.Thread(target=fn, args=(*args, self._task), name=name, daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running
