"""Highlight proposal and the reel: settings, ranking, placement, target durations, reel order.

:func:`propose` turns :class:`~core.highlights.cues.Material` into ``highlight`` segments: cues
are grouped into candidate moments (:mod:`.candidates`), the best are placed first
(:func:`core.highlights.bounds.place`, each clear of those already placed), and highlights are
kept best-first while they fit the reel budget (``reel_s``) and ``max_count``. The result is in
time order with ``attrs["order"]`` = position in the reel (1-based), plus ``score``, ``why`` (a
list of readable sentences), ``signals`` (the numbers behind them), ``bounds`` (what each edge
snapped to) and ``anchor``.

Settings come from the project setting ``"highlights"``: a preset name (``"15s"``, ``"30s"``,
``"60s"``, ``"reel"``) or a dict of :class:`HighlightSettings` fields.

The reel (:func:`reel_segments`) is the accepted highlights by ``attrs["order"]``; until a
person has accepted any, the proposed (not rejected) ones stand in. Pure functions except
:func:`reel_segments` (reads a project); any thread.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any, Sequence

from core.errors import ClipDeskError
from core.highlights.bounds import CutPoints, SpeechIndex, cut_points, place
from core.highlights.candidates import Candidate, group_cues
from core.highlights.cues import Material, all_cues
from core.segments import ACCEPTED, HIGHLIGHT, REJECTED, Segment
from core.timebase import FrameClock

if TYPE_CHECKING:
    from core.store.project import Project

SETTING_KEY = "highlights"
_WHERE = {"shot": "a shot cut", "edge": "the video's edge", "pause": "a speech pause", "free": "a free frame"}


@dataclass(frozen=True)
class HighlightSettings:
    """``clip_s``: target length of each highlight (capped at half the video); ``reel_s``: total
    length budget of the reel (``None``: no budget); ``max_count``; ``min_score``: weakest
    moment worth proposing; ``gap_s``: cues closer than this form one moment."""

    clip_s: float = 30.0
    reel_s: float | None = 180.0
    max_count: int = 12
    min_score: float = 0.3
    gap_s: float = 8.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


PRESETS: dict[str, HighlightSettings] = {
    "15s": HighlightSettings(clip_s=15.0, reel_s=None),
    "30s": HighlightSettings(clip_s=30.0, reel_s=None),
    "60s": HighlightSettings(clip_s=60.0, reel_s=None),
    "reel": HighlightSettings(clip_s=20.0, reel_s=180.0),
}


def settings_from(value: Any) -> HighlightSettings:
    """Settings from a preset name, a dict of fields (unknown keys refused) or ``None``."""
    if value is None:
        return HighlightSettings()
    if isinstance(value, HighlightSettings):
        return value
    if isinstance(value, str):
        if value not in PRESETS:
            raise ClipDeskError(f"unknown highlights preset '{value}' (choose from {', '.join(PRESETS)})")
        return PRESETS[value]
    if isinstance(value, dict):
        base = settings_from(value.get("preset")) if "preset" in value else HighlightSettings()
        known = {f.name for f in fields(HighlightSettings)}
        bad = sorted(set(value) - known - {"preset"})
        if bad:
            raise ClipDeskError(f"unknown highlights setting(s): {', '.join(bad)}")
        merged = {**base.to_dict(), **{k: v for k, v in value.items() if k in known}}
        if float(merged["clip_s"]) <= 0:
            raise ClipDeskError("highlights clip_s must be positive")
        return HighlightSettings(**merged)
    raise ClipDeskError(f"highlights setting must be a preset name or a dict, not {type(value).__name__}")


@dataclass
class _Placed:
    cand: Candidate
    start: int
    end: int
    kinds: tuple[str, str]
    notes: list[str]
    cuts_speech: bool
    extra_why: list[str]
    need_start: int
    need_end: int


def _absorb(host: _Placed, c: Candidate, taken: list[tuple[int, int]], target: float, points: CutPoints,
            speech: SpeechIndex, clk: FrameClock, n: int) -> None:
    """Merge a weaker overlapping moment into ``host``: its why is added and, when the moment is
    not inside the host already, the host is placed again to hold both (if the room allows)."""
    host.extra_why.extend(f"also: {w}" for w in c.why)
    a, b = min(host.need_start, c.start), max(host.need_end, c.end)
    if host.start <= c.start and c.end <= host.end:
        return
    others = [t for t in taken if t != (host.start, host.end)]
    room = _limits(others, a, b, n)
    if room is None:
        return
    pl = place(a, b, host.cand.anchor, target, host.cand.pre_share, points, speech, clk,
               lo=room[0], hi=room[1])
    taken[taken.index((host.start, host.end))] = (pl.start, pl.end)
    host.start, host.end, host.need_start, host.need_end = pl.start, pl.end, a, b
    host.kinds, host.notes, host.cuts_speech = (pl.start_kind, pl.end_kind), pl.notes, pl.cuts_speech


def _limits(placed: Sequence[tuple[int, int]], a: int, b: int, n: int) -> tuple[int, int] | None:
    """Room ``[lo, hi)`` around ``[a, b)`` between placed spans; ``None`` if it overlaps one."""
    lo, hi = 0, n
    for s, e in placed:
        if s < b and a < e:
            return None
        if e <= a:
            lo = max(lo, e)
        elif s >= b:
            hi = min(hi, s)
    return lo, hi


def propose(m: Material, settings: HighlightSettings | None = None, source: str = "model:highlights@1",
            avoid: Sequence[tuple[int, int]] = ()) -> list[Segment]:
    """Proposed highlights (see module docstring). ``avoid``: spans already taken (kept or
    rejected highlights) that new proposals must not overlap."""
    st = settings or HighlightSettings()
    n = m.frame_count
    if n <= 1:
        return []
    clk = m.clock
    target = max(0.5, min(st.clip_s, 0.5 * clk.duration))
    cands = [c for c in group_cues(all_cues(m), clk, gap_s=st.gap_s, max_span_s=target)
             if c.score >= st.min_score]
    cands.sort(key=lambda c: (-c.score, c.start))
    points: CutPoints = cut_points(m.shots, m.transitions, n)
    speech = SpeechIndex(m.speech)
    taken: list[tuple[int, int]] = [(int(a), int(b)) for a, b in avoid]
    placed: list[_Placed] = []
    for c in cands:
        room = _limits(taken, c.start, c.end, n)
        if room is None:  # the moment overlaps a highlight already placed: that one grows to hold it
            host = next((p for p in placed if p.start < c.end and c.start < p.end), None)
            if host is not None:
                _absorb(host, c, taken, target, points, speech, clk, n)
            continue
        pl = place(c.start, c.end, c.anchor, target, c.pre_share, points, speech, clk,
                   lo=room[0], hi=room[1])
        placed.append(_Placed(c, pl.start, pl.end, (pl.start_kind, pl.end_kind), pl.notes,
                              pl.cuts_speech, [], c.start, c.end))
        taken.append((pl.start, pl.end))
    chosen: list[_Placed] = []
    total = 0.0
    for p in placed:  # best first
        length = clk.time(p.end) - clk.time(p.start)
        if len(chosen) >= st.max_count:
            break
        if st.reel_s is not None and chosen and total + length > st.reel_s:
            continue
        chosen.append(p)
        total += length
    chosen.sort(key=lambda p: p.start)
    out: list[Segment] = []
    for i, p in enumerate(chosen, 1):
        c = p.cand
        why = c.why + p.extra_why
        why.append(f"in at {_WHERE[p.kinds[0]]}, out at {_WHERE[p.kinds[1]]}; "
                   f"{clk.time(p.end) - clk.time(p.start):.1f} s (target {target:.1f} s)")
        why.extend(p.notes)
        attrs: dict[str, Any] = {
            "score": c.score, "why": why, "signals": c.signals, "order": i, "anchor": c.anchor,
            "bounds": {"start": p.kinds[0], "end": p.kinds[1]}, "target_s": round(target, 2)}
        if p.cuts_speech:
            attrs["cuts_speech"] = True
        out.append(Segment(HIGHLIGHT, p.start, p.end, c.label, c.score, attrs, source=source))
    return out


def _order_key(s: Segment) -> tuple[float, int]:
    o = s.attrs.get("order")
    return (float(o) if isinstance(o, (int, float)) else float("inf"), s.start_frame)


def reel_order(segments: Sequence[Segment]) -> list[Segment]:
    """Segments by ``attrs["order"]`` (then time)."""
    return sorted(segments, key=_order_key)


def reel_segments(project: "Project", video_id: int) -> tuple[list[Segment], bool]:
    """``(reel, reviewed)``: the accepted highlights in reel order (``reviewed=True``), or, when
    none is accepted yet, every highlight not rejected (``reviewed=False``)."""
    hs = project.segments(video_id, HIGHLIGHT)
    accepted = [s for s in hs if s.status == ACCEPTED]
    if accepted:
        return reel_order(accepted), True
    return reel_order([s for s in hs if s.status != REJECTED]), False


__all__ = ["PRESETS", "SETTING_KEY", "HighlightSettings", "propose", "reel_order", "reel_segments",
           "settings_from"]
