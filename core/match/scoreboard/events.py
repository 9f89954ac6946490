"""Score-change events from smoothed ``scoreboard`` segments. Pure functions; any thread."""

from __future__ import annotations

from typing import Any, Sequence

from core.segments import EVENT, Segment


def _ints(label: str | None) -> list[int] | None:
    if not label:
        return None
    parts = label.replace("/", " ").replace("-", " ").split()
    try:
        return [int(p) for p in parts]
    except ValueError:
        return None


def same_board(a: dict, b: dict) -> bool:
    """Two readings come from one board unless the sport differs or both names differ (one
    misread name is still the same board)."""
    if a.get("sport") and b.get("sport") and a.get("sport") != b.get("sport"):
        return False
    names = [(str(a.get(k) or "").upper(), str(b.get(k) or "").upper()) for k in ("home", "away")]
    return not all(x and y and x != y for x, y in names)


def score_events(segments: Sequence[Segment], source: str = "user:local",
                 length: int = 1) -> list[Segment]:
    """One ``event`` segment where the reading changes between consecutive segments of one
    board (``attrs["board"]``: several boards can be on screen at once; a board that disappears
    and comes back unchanged is no event, nor is a change to another board: another sport, or
    both team names different)."""
    segs = sorted((s for s in segments if s.label), key=lambda s: s.start_frame)
    pairs: list[tuple[Segment, Segment]] = []
    last: dict[Any, Segment] = {}
    for s in segs:
        key = s.attrs.get("board", 0)
        if key in last:
            pairs.append((last[key], s))
        last[key] = s
    out: list[Segment] = []
    for a, b in pairs:
        if a.label == b.label or not same_board(a.attrs, b.attrs):
            continue
        sport = b.attrs.get("sport")
        before, after = _ints(a.label), _ints(b.label)
        label = "score_change"
        attrs = {"before": a.label, "after": b.label, "clock": b.attrs.get("clock")}
        if sport in ("football", "basketball") and before and after and len(before) == len(after) == 2:
            dh, da = after[0] - before[0], after[1] - before[1]
            if dh >= 0 and da >= 0 and dh + da > 0:
                label = "goal" if sport == "football" else "score_change"
                attrs["team"] = b.attrs.get("home") if dh > 0 else b.attrs.get("away")
                attrs["side"] = "home" if dh > 0 else "away"
            elif dh < 0 or da < 0:
                attrs["correction"] = True
        elif sport == "tennis":
            label = "point"
        out.append(Segment(EVENT, b.start_frame, b.start_frame + length, label,
                           b.confidence, attrs, source))
    return out


__all__ = ["same_board", "score_events"]
