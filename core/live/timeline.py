"""Where the seconds from the end of a followed stream to a ready reel go.

:class:`EndTimeline` starts at the moment the recording last grew (the writer's last bytes, the
reader's clock) and the follower marks each step of its end after it: the end seen (the
``--idle`` wait, or the writer closing the file), the decode's catch-up (the sinks' own ends),
the frame table, each stage's finish, the reel's cuts, the reel. Each mark is one log line
(``follow: end +12.3 s: persons finished (3.2 s)``) and a row of the live state's ``timeline``
(``bench/live`` prints it), so every second of end -> reel is attributed to one step.
"""

from __future__ import annotations

import logging
import time

log = logging.getLogger(__name__)


class EndTimeline:
    """Steps ``[what, seconds since the stream's end, seconds the step took]``."""

    def __init__(self, zero: float | None = None) -> None:
        self.zero = time.monotonic() if zero is None else float(zero)
        self.steps: list[list[object]] = []
        self._last = self.zero

    def mark(self, what: str, at: float | None = None) -> float:
        """The step ``what`` ended now (or at the monotonic time ``at``); its duration."""
        now = time.monotonic() if at is None else float(at)
        took = max(0.0, now - self._last)
        self.steps.append([what, round(now - self.zero, 2), round(took, 2)])
        self._last = max(self._last, now)
        log.info("follow: end +%.1f s: %s (%.1f s)", now - self.zero, what, took)
        return took

    def total(self) -> float:
        return float(self.steps[-1][1]) if self.steps else 0.0  # type: ignore[arg-type]


__all__ = ["EndTimeline"]
