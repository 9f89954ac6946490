"""Snapping for timeline edits: uses ``core.edit.snapping`` when present, else the same rule locally.

Targets are frames an edge likes to land on: shot boundaries, speech pause edges, other segment
edges, the playhead and the in/out marks. ``Snapper.snap(frame, tolerance)`` returns the nearest
target within tolerance (or ``None``). GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from core.segments import Segment


@dataclass(frozen=True)
class LocalTarget:
    frame: int
    kind: str


class Snapper:
    def __init__(self, project: Any, video_id: int, playhead: int, exclude_ids: Sequence[int],
                 segments: Sequence[Segment], marks: Sequence[int | None] = ()) -> None:
        self._core: Any = None
        self._targets: Any = None
        try:
            from core.edit import snapping  # written by the core engineer; optional

            tracks = sorted({s.track for s in segments})
            self._targets = snapping.snap_targets(
                project, video_id, playhead=playhead, exclude_ids=list(exclude_ids),
                tracks=tracks, marks=[int(m) for m in marks if m is not None])
            self._core = snapping
        except Exception:  # noqa: BLE001 - fall back to the local rule below
            self._core = None
        excl = set(exclude_ids)
        frames: dict[int, str] = {}
        for s in segments:
            if s.id in excl:
                continue
            kind = "shot boundary" if s.track == "shot" else (
                "speech pause" if s.track == "speech" else "edge")
            for f in (s.start_frame, s.end_frame):
                frames.setdefault(int(f), kind)
        for m in marks:
            if m is not None:
                frames[int(m)] = "mark"
        frames[int(playhead)] = "playhead"
        self._frames = np.array(sorted(frames), dtype=np.int64)
        self._kinds = frames

    def snap(self, frame: int, tolerance: float) -> tuple[int, str] | None:
        if self._core is not None:
            try:
                t = self._core.snap(frame, self._targets, max(1, int(round(tolerance))))
                if t is None:
                    return None
                return int(t.frame), str(getattr(t, "kind", "snap"))
            except Exception:  # noqa: BLE001
                pass
        if not self._frames.size:
            return None
        i = int(np.searchsorted(self._frames, frame))
        best: int | None = None
        for j in (i - 1, i):
            if 0 <= j < self._frames.size:
                f = int(self._frames[j])
                if abs(f - frame) <= tolerance and (best is None or abs(f - frame) < abs(best - frame)):
                    best = f
        return None if best is None else (best, self._kinds[best])
