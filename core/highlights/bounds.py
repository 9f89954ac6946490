"""Where a highlight starts and ends: on shot boundaries, never inside speech, near a target length.

Boundary rules, in order of strength:

1. never cut speech (a cut at ``f`` splits a speech block ``[a, b)`` when ``a < f < b``, see
   :mod:`core.audio.speech`); only when no speech-free point exists in reach is a cut allowed through
   speech, and then it is flagged (``cuts_speech``);
2. keep the moment whole: the clip contains every cue span of the candidate;
3. cut where the material cuts: in-points at shot starts (after a gradual transition, never in
   the middle of a dissolve), out-points at shot ends (before the next transition); video edges
   count as shot boundaries. When no shot boundary is near, a speech pause edge is used, and only
   then a free frame;
4. length near the target (15/30/60 s ...) with the right share before the anchor: the build-up
   before, the reaction after.

:func:`place` scores every pair of allowed in/out points with these as costs and keeps the
cheapest. Pure functions; any thread.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Sequence

from core.segments import Segment
from core.audio.speech import speech_blocks
from core.timebase import FrameClock

SHOT_CUT = "shot"
EDGE = "edge"
PAUSE = "pause"
FREE = "free"
_KIND_COST = {SHOT_CUT: 0.0, EDGE: 0.0, PAUSE: 0.6, FREE: 1.2}
_SPEECH_COST = 50.0
# Weight of the build-up/reaction balance against the length error: a clip that starts too late
# (no build-up) is worse than one a few seconds longer than the target.
_BALANCE = 1.5


@dataclass(frozen=True)
class Placement:
    start: int
    end: int
    start_kind: str
    end_kind: str
    cuts_speech: bool = False
    notes: list[str] = field(default_factory=list)


class SpeechIndex:
    """Merged speech blocks with O(log n) "does a cut here split speech?"."""

    def __init__(self, speech: Sequence[Segment]) -> None:
        self.blocks = [(a, b) for a, b, _ in speech_blocks(speech)]
        self._starts = [a for a, _ in self.blocks]

    def inside(self, frame: int) -> bool:
        i = bisect.bisect_left(self._starts, frame) - 1  # last block starting before frame
        return i >= 0 and self.blocks[i][0] < frame < self.blocks[i][1]

    def edges(self) -> list[int]:
        return sorted({f for ab in self.blocks for f in ab})


@dataclass(frozen=True)
class CutPoints:
    """Allowed in-points and out-points (sorted frame lists) of one video."""

    ins: list[int]
    outs: list[int]
    frame_count: int


def cut_points(shots: Sequence[Segment], transitions: Sequence[Segment], frame_count: int) -> CutPoints:
    """In/out points at shot boundaries, moved out of gradual transitions (see rule 3)."""
    grad = [(t.start_frame, t.end_frame) for t in transitions
            if t.end_frame - t.start_frame > 1 and (t.label or "cut") != "cut"]
    ins, outs = {0}, {frame_count}
    for s in shots:
        f = s.start_frame
        if f <= 0 or f >= frame_count:
            continue
        span = next(((a, b) for a, b in grad if a <= f < b), None)
        if span is None:
            ins.add(f)
            outs.add(f)
        else:
            ins.add(min(span[1], frame_count))
            outs.add(max(span[0], 0))
    return CutPoints(sorted(ins), sorted(outs), frame_count)


def _window(points: list[int], lo: int, hi: int) -> list[int]:
    return points[bisect.bisect_left(points, lo):bisect.bisect_right(points, hi)]


def place(need_start: int, need_end: int, anchor: int, target_s: float, pre_share: float,
          points: CutPoints, speech: SpeechIndex, clk: FrameClock, reach_s: float | None = None,
          lo: int = 0, hi: int | None = None) -> Placement:
    """Boundaries for a moment needing ``[need_start, need_end)`` (see module docstring).

    ``[lo, hi)`` limits the clip (e.g. to stay clear of a neighbouring highlight); ``reach_s`` is
    how far from the anchor a boundary may go (default: twice the target).
    """
    n = points.frame_count
    hi = n if hi is None else min(hi, n)
    lo = max(0, lo)
    need_start, need_end = max(lo, min(need_start, anchor)), min(hi, max(need_end, anchor + 1))
    if need_end <= need_start:
        need_end = min(hi, need_start + 1)
    reach = reach_s if reach_s is not None else 2.0 * target_s
    ta = clk.time(anchor)
    # Look at least a target's length beyond the span the moment needs, so a long moment still
    # finds a pause or a shot cut past its end instead of a forced cut.
    far_lo = max(lo, clk.frame_at(max(0.0, min(ta - reach, clk.time(need_start) - target_s))))
    far_hi = min(hi, clk.nearest_frame(max(ta + reach, clk.time(need_end) + target_s)))
    far_lo, far_hi = min(far_lo, need_start), max(far_hi, need_end)
    pauses = speech.edges()

    def options(shot_pts: list[int], a: int, b: int, desired: int) -> list[tuple[int, str]]:
        opts = [(f, EDGE if f in (0, n) else SHOT_CUT) for f in _window(shot_pts, a, b)]
        have = {f for f, _ in opts}
        opts += [(f, PAUSE) for f in _window(pauses, a, b) if f not in have]
        d = min(max(desired, a), b)
        if d not in have:
            opts.append((d, FREE))
        return opts

    t_pre = ta - pre_share * target_s
    want_s = min(need_start, clk.nearest_frame(max(0.0, t_pre)))
    want_e = max(need_end, clk.nearest_frame(t_pre + target_s))
    starts = options(points.ins, far_lo, need_start, want_s)
    ends = options(points.outs, need_end, far_hi, want_e)
    best: tuple[float, int, int, str, str] | None = None
    target = max(target_s, 1e-3)
    for s, ks in starts:
        ts = clk.time(s)
        s_cost = _KIND_COST[ks] + (_SPEECH_COST if speech.inside(s) else 0.0)
        for e, ke in ends:
            if e <= s:
                continue
            length = clk.time(e) - ts
            cost = (s_cost + _KIND_COST[ke] + (_SPEECH_COST if speech.inside(e) else 0.0)
                    + abs(length - target) / target
                    + _BALANCE * abs((ta - ts) / max(length, 1e-3) - pre_share))
            if best is None or cost < best[0]:
                best = (cost, s, e, ks, ke)
    assert best is not None  # need_start/need_end themselves are always options
    _, s, e, ks, ke = best
    notes: list[str] = []
    cut = speech.inside(s) or speech.inside(e)
    if cut:
        notes.append("speech runs through the whole reach; a boundary cuts speech")
    for side, kind in (("start", ks), ("end", ke)):
        if kind == PAUSE:
            notes.append(f"no shot boundary near the {side}: cut at a speech pause")
        elif kind == FREE:
            notes.append(f"no shot boundary or pause near the {side}: cut at a free frame")
    return Placement(s, e, ks, ke, cut, notes)


__all__ = ["EDGE", "FREE", "PAUSE", "SHOT_CUT", "CutPoints", "Placement", "SpeechIndex", "cut_points",
           "place"]
