"""A one-line terminal progress bar for the CLI (no Qt). Quiet when stderr is not a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class TerminalProgress:
    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self._t0 = time.monotonic()
        self._last_len = 0
        self._stage = ""

    def __call__(self, stage: str, fraction: float, message: str = "") -> None:
        if not self.enabled:
            return
        width = 28
        filled = int(width * fraction)
        bar = "#" * filled + "-" * (width - filled)
        el = time.monotonic() - self._t0
        line = f"\r{stage:<11} [{bar}] {fraction * 100:5.1f}%  {message[:40]:<40} {el:6.1f}s"
        self.stream.write(line)
        self._last_len = len(line)
        if fraction >= 1.0:
            self.stream.write("\n")
        self.stream.flush()

    def done(self) -> None:
        if self.enabled and self._last_len:
            self.stream.write("\n")
            self.stream.flush()
