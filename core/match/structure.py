"""Match structure from the scoreboard clock: first half, half-time, second half (and extra time)
as ``scene`` segments.

A *period* is a stretch where the clock read off the board advances with the video (the clock
minus the video time stays constant within ``tolerance_s``); where it stops, disappears or jumps,
the period ends. Periods shorter than ``min_period_s`` are noise (a replay graphic, a misread).
Each period is named by the clock at its start (before 45:00 first half, before 90:00 second
half, then extra time); the gap between the first and second half is ``half_time``.
:func:`periods_from_marks` does the same from moments that reference images (kick-off,
half-time and full-time graphics) were found at (``models.search.index.reference_marks``).
Pure functions over arrays; any thread.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from numpy.typing import ArrayLike

from core.segments import SCENE, Segment

FIRST_HALF = "first_half"
HALF_TIME = "half_time"
SECOND_HALF = "second_half"
EXTRA_FIRST = "extra_time_first"
EXTRA_SECOND = "extra_time_second"


def period_label(clock_start: float) -> str:
    if clock_start < 45 * 60:
        return FIRST_HALF
    if clock_start < 90 * 60:
        return SECOND_HALF
    if clock_start < 105 * 60:
        return EXTRA_FIRST
    return EXTRA_SECOND


def running_periods(frames: ArrayLike, times: ArrayLike, clocks: ArrayLike,
                    tolerance_s: float = 1.5, max_gap_s: float = 30.0, max_skip: int = 3
                    ) -> list[tuple[int, int, float, float]]:
    """Stretches of a running clock: (first frame, last frame, clock at start, clock at end).

    ``clocks`` holds clock seconds per read (NaN where unread). Consecutive reads whose clock
    advanced by the elapsed video time are *running*; runs split by up to ``max_skip`` misreads
    are joined when the clock-minus-time offset is unchanged across the split.
    """
    f = np.asarray(frames, dtype=np.int64)
    t = np.asarray(times, dtype=np.float64)
    c = np.asarray(clocks, dtype=np.float64)
    ok = ~np.isnan(c)
    f, t, c = f[ok], t[ok], c[ok]
    runs: list[list[int]] = []
    cur: list[int] | None = None
    for j in range(1, len(c)):
        dc, dt = c[j] - c[j - 1], t[j] - t[j - 1]
        if dc > 0 and abs(dc - dt) <= tolerance_s and dt <= max_gap_s:
            if cur is None:
                cur = [j - 1, j]
            else:
                cur[1] = j
        elif cur is not None:
            runs.append(cur)
            cur = None
    if cur is not None:
        runs.append(cur)
    merged: list[list[int]] = []
    for r in runs:
        if merged:
            a = merged[-1]
            off_a, off_b = c[a[1]] - t[a[1]], c[r[0]] - t[r[0]]
            if r[0] - a[1] <= max_skip and abs(off_a - off_b) <= tolerance_s:
                a[1] = r[1]
                continue
        merged.append(list(r))
    return [(int(f[a]), int(f[b]), float(c[a]), float(c[b])) for a, b in merged]


def match_periods(frames: ArrayLike, times: ArrayLike, clocks: ArrayLike,
                  frame_count: int, min_period_s: float = 60.0, source: str = "user:local"
                  ) -> list[Segment]:
    """``scene`` segments for the match periods found on the clock, plus half-time."""
    periods = [p for p in running_periods(frames, times, clocks) if p[3] - p[2] >= min_period_s]
    segs: list[Segment] = []
    all_frames = np.sort(np.asarray(frames, dtype=np.int64))
    for f0, f1, c0, c1 in periods:
        # the period lasts until the next read (where the clock was seen stopped or gone)
        later = all_frames[all_frames > f1]
        end = int(later[0]) if len(later) else frame_count
        segs.append(Segment(SCENE, f0, end, period_label(c0), 0.9,
                            {"clock_start": _fmt(c0), "clock_end": _fmt(c1)}, source))
    halves = [s for s in segs if s.label in (FIRST_HALF, SECOND_HALF)]
    first = next((s for s in halves if s.label == FIRST_HALF), None)
    second = next((s for s in halves if s.label == SECOND_HALF), None)
    if first is not None and second is not None and second.start_frame > first.end_frame:
        segs.append(Segment(SCENE, first.end_frame, second.start_frame, HALF_TIME, 0.8, {}, source))
    segs.sort(key=lambda s: s.start_frame)
    return segs


KICK_OFF = "kick_off"
HALF_TIME_MARK = "half_time"
FULL_TIME = "full_time"


def periods_from_marks(marks: Sequence[tuple[str, int]], frame_count: int,
                       source: str = "user:local") -> list[Segment]:
    """Halves from moments found by reference images: ``(kind, frame)`` with kind ``kick_off``
    (starts a half), ``half_time`` or ``full_time`` (a graphic that ends one). The first half
    runs from the first kick-off to the first half-time mark after it (or the next kick-off);
    the second from the next kick-off to full time (or the end of the video)."""
    ko = sorted(f for k, f in marks if k == KICK_OFF)
    ht = sorted(f for k, f in marks if k == HALF_TIME_MARK)
    ft = sorted(f for k, f in marks if k == FULL_TIME)
    if not ko:
        return []
    s1 = ko[0]
    e1 = next((f for f in ht if f > s1), None)
    if e1 is None:
        e1 = next((f for f in ko if f > s1), None)
    segs: list[Segment] = []
    if e1 is None:  # one kick-off only: a half running to full time or the end
        e = next((f for f in ft if f > s1), frame_count)
        return [Segment(SCENE, s1, e, FIRST_HALF, 0.6, {"from": "reference"}, source)]
    segs.append(Segment(SCENE, s1, e1, FIRST_HALF, 0.6, {"from": "reference"}, source))
    s2 = next((f for f in ko if f >= e1 and f > s1), None)
    if s2 is not None:
        e2 = next((f for f in ft if f > s2), frame_count)
        if s2 > e1:
            segs.append(Segment(SCENE, e1, s2, HALF_TIME, 0.6, {"from": "reference"}, source))
        segs.append(Segment(SCENE, s2, e2, SECOND_HALF, 0.6, {"from": "reference"}, source))
    return segs


def _fmt(sec: float) -> str:
    s = int(round(sec))
    return f"{s // 60:02d}:{s % 60:02d}"


__all__ = ["EXTRA_FIRST", "EXTRA_SECOND", "FIRST_HALF", "FULL_TIME", "HALF_TIME", "HALF_TIME_MARK",
           "KICK_OFF", "SECOND_HALF", "match_periods", "period_label", "periods_from_marks",
           "running_periods"]
