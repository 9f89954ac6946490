"""Readable names for what the window shows instead of raw internals.

A highlight's name from its cues ("goal 2-1", "applause 0:42"), its "why" sentences with the
clip length recomputed from the current bounds, a segment's attributes as short ``key: value``
lines, and label-history rows as sentences ("label: kick -> header", "trimmed 7.0 s -> 4.8 s").
Pure functions (no Qt); any thread.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Sequence

from core import segments as sg
from core.segments import Segment
from core.timebase import FrameClock, clock

ARROW = "\u2192"
# the one "why" sentence whose number is the clip's length (core.highlights.reel)
_LENGTH_RE = re.compile(r"(; )(\d+(?:\.\d+)?) s( \(target)")
_SCORE_RE = re.compile(r"score changed (\S+) \u2192 (\S+)")
_MACHINE_LABELS = {None, "", "moment"}
_EXCITEMENT = "applause"
_RHYTHM = "fast cutting"
# attributes shown elsewhere (the why, the name) or only meaningful to the code
_HIDDEN = {"why", "signals", "order", "anchor", "bounds", "target_s", "cover", "score", "title",
           "edges", "green"}  # edges/green: the shot-type classifier's inputs (behind "Raw")


def _at(clk: FrameClock | None, frame: int) -> str:
    return clock(clk.time(frame) if clk is not None else 0.0, millis=False)


def highlight_name(seg: Segment, clk: FrameClock | None) -> str:
    """A highlight's title if the editor typed one, its label if a person or a model gave a real
    one, else a name from its cues."""
    a = seg.attrs or {}
    if isinstance(a.get("title"), str) and a["title"].strip():
        return str(a["title"]).strip()
    sig = a.get("signals") if isinstance(a.get("signals"), dict) else {}
    assert isinstance(sig, dict)
    anchor = a.get("anchor")
    where = _at(clk, int(anchor) if isinstance(anchor, (int, float)) else seg.start_frame)
    label = seg.label if seg.label not in _MACHINE_LABELS else None
    events = [str(e) for e in sig.get("events", []) if e]
    if label is None and events:
        label = events[0]
    if label is None:
        acts = [x for x in sig.get("actions", []) if isinstance(x, (list, tuple)) and x and x[0]]
        if acts:
            label = str(max(acts, key=lambda x: float(x[1]) if len(x) > 1 else 0.0)[0])
    if label is not None:
        score = next((m for w in a.get("why", []) if (m := _SCORE_RE.search(str(w)))), None)
        text = label.replace("_", " ")
        return f"{text} {score.group(2)}" if score is not None else f"{text} {where}"
    if "excitement" in sig or "excitement" in sig.get("kinds", []):
        return f"{_EXCITEMENT} {where}"
    if "shot_rhythm" in sig:
        return f"{_RHYTHM} {where}"
    if "replay" in sig.get("kinds", []):
        return f"replay {where}"
    return f"highlight {where}"


def display_label(seg: Segment, index: int, clk: FrameClock | None) -> str:
    """What a timeline block says: the label, a highlight's name, "shot N"; never a confidence."""
    if seg.track == sg.HIGHLIGHT:
        return highlight_name(seg, clk)
    if seg.label:
        return seg.label.replace("_", " ") if seg.track != sg.SPEECH else seg.label
    if seg.track == sg.SHOT:
        return f"shot {index + 1}"
    return ""


def why_lines(seg: Segment, clk: FrameClock | None) -> list[str]:
    """The "why" sentences, the clip length in them recomputed from the current bounds."""
    out = [str(w) for w in (seg.attrs or {}).get("why", [])]
    if clk is None:
        return out
    length = clk.time(seg.end_frame) - clk.time(seg.start_frame)
    return [_LENGTH_RE.sub(lambda m: f"{m.group(1)}{length:.1f} s{m.group(3)}", w) for w in out]


def signal_line(seg: Segment) -> str | None:
    """Which signals fired for a fused event ("signals fired: action, excitement, score")."""
    sig = (seg.attrs or {}).get("signals")
    if seg.track != sg.EVENT or not isinstance(sig, list) or not sig:
        return None
    return "signals fired: " + ", ".join(str(k) for k in sig)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, (list, tuple)):
        return ", ".join(_value(x) for x in v) if v else "-"
    if isinstance(v, dict):
        return ", ".join(f"{k} {_value(x)}" for k, x in v.items()) if v else "-"
    return str(v).replace("_", " ")


def attr_lines(seg: Segment, clk: FrameClock | None,
               at: Callable[[int], str] | None = None) -> list[str]:
    """Attributes as short readable lines: the why first, then ``key: value`` (frames as times,
    by ``at`` when given: the window's time format)."""
    a = seg.attrs or {}
    lines = why_lines(seg, clk)
    fired = signal_line(seg)
    if fired:
        lines.append(fired)
    for k in sorted(a):
        if k in _HIDDEN:
            continue
        v = a[k]
        if k.endswith("frame") and isinstance(v, (int, float)) and clk is not None:
            text = at(int(v)) if at is not None else f"{_at(clk, int(v))} (frame {int(v)})"
        else:
            text = _value(v)
        lines.append(f"{k.replace('_', ' ')}: {text}")
    return lines


def _secs(clk: FrameClock | None, a: int, b: int) -> str:
    return f"{(clk.time(b) - clk.time(a)) if clk is not None else float(b - a):.1f} s"


def _change(field: str, old: Any, new: Any, at: Callable[[int], str]) -> str:
    if field in ("start_frame", "end_frame") and isinstance(old, int) and isinstance(new, int):
        side = "start" if field == "start_frame" else "end"
        return f"{side}: {at(old)} {ARROW} {at(new)}"
    if field == "attrs" and isinstance(old, dict) and isinstance(new, dict):
        keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        parts = [f"{k.replace('_', ' ')}: {_value(old.get(k, '-'))} {ARROW} {_value(new.get(k, '-'))}"
                 for k in keys if k not in ("why", "signals")]
        return "; ".join(parts) or "attributes changed"
    if field == "label":
        return f"label: {old or '(none)'} {ARROW} {new or '(none)'}"
    return f"{field}: {_value(old) if old is not None else '-'} {ARROW} {_value(new) if new is not None else '-'}"


def _group(rows: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    groups: list[list[dict[str, Any]]] = []
    for r in rows:
        if groups and r.get("batch") is not None and groups[-1][0].get("batch") == r.get("batch"):
            groups[-1].append(r)
        else:
            groups.append([r])
    return groups


def history_lines(rows: Sequence[dict[str, Any]], clk: FrameClock | None,
                  segment: Segment | None = None,
                  at: Callable[[int], str] | None = None) -> list[dict[str, Any]]:
    """Label-history rows of one segment as ``{"at", "who", "change"}`` sentences, one per edit:
    a bound moved reads "trimmed 7.0 s -> 4.8 s" (or "moved 0:10 -> 0:12" when the length stays).
    ``segment`` (its current bounds) lets a one-sided trim say the lengths too; ``at`` formats a
    frame (the window's time format)."""
    fmt: Callable[[int], str] = at if at is not None else (lambda f: _at(clk, f))
    groups = _group(rows)
    # the bounds after each edit, walked back from the segment's current bounds
    after: list[tuple[int | None, int | None]] = [(None, None)] * len(groups)
    cur: tuple[int | None, int | None] = ((segment.start_frame, segment.end_frame)
                                          if segment is not None else (None, None))
    for i in range(len(groups) - 1, -1, -1):
        after[i] = cur
        start, end = cur
        for r in groups[i]:
            if r.get("op") == "update" and r["field"] == "start_frame":
                start = r["old_value"]
            elif r.get("op") == "update" and r["field"] == "end_frame":
                end = r["old_value"]
        cur = (start, end)
    out: list[dict[str, Any]] = []
    for i, g in enumerate(groups):
        first = g[0]
        fields = {r["field"]: r for r in g if r.get("op") == "update"}
        parts: list[str] = []
        bounds = {k: fields.pop(k) for k in ("start_frame", "end_frame") if k in fields}
        if bounds:
            s1 = bounds["start_frame"]["new_value"] if "start_frame" in bounds else after[i][0]
            e1 = bounds["end_frame"]["new_value"] if "end_frame" in bounds else after[i][1]
            s0 = bounds["start_frame"]["old_value"] if "start_frame" in bounds else s1
            e0 = bounds["end_frame"]["old_value"] if "end_frame" in bounds else e1
            if all(isinstance(x, int) for x in (s0, s1, e0, e1)):
                assert isinstance(s0, int) and isinstance(s1, int)
                assert isinstance(e0, int) and isinstance(e1, int)
                if e1 - s1 == e0 - s0:
                    parts.append(f"moved {fmt(s0)} {ARROW} {fmt(s1)}")
                else:
                    parts.append(f"trimmed {_secs(clk, s0, e0)} {ARROW} {_secs(clk, s1, e1)}")
            else:
                parts.extend(_change(k, r["old_value"], r["new_value"], fmt) for k, r in bounds.items())
        parts.extend(_change(k, r["old_value"], r["new_value"], fmt) for k, r in fields.items())
        parts.extend(_op(r) for r in g if r.get("op") != "update")
        out.append({"at": str(first.get("at", ""))[:19].replace("T", " "),
                    "who": str(first.get("who", "")), "change": "; ".join(p for p in parts if p)})
    return out


_OPS = {"create": "created", "delete": "deleted", "restore": "restored"}


def _op(r: dict[str, Any]) -> str:
    op = str(r.get("op"))
    return _OPS.get(op, op.replace("_", " "))


def person_summary(rows: Any, track_id: int, size: tuple[int, int]) -> str:
    """A person of a shot for the Follow list: "#3 - 82 % of frames, large, left".

    ``rows`` are the poses rows of one shot (``core.persons.poses`` layout: frame, track id,
    score, box x1 y1 x2 y2...), ``size`` the source (width, height)."""
    import numpy as np

    a = np.asarray(rows)
    if not len(a):
        return f"#{track_id}"
    mine = a[a[:, 1] == track_id]
    frames = len(np.unique(a[:, 0]))
    share = len(np.unique(mine[:, 0])) / max(1, frames)
    w, h = max(1, size[0]), max(1, size[1])
    height = float(np.median(mine[:, 6] - mine[:, 4])) / h if len(mine) else 0.0
    cx = float(np.median((mine[:, 3] + mine[:, 5]) / 2)) / w if len(mine) else 0.5
    big = "large" if height >= 0.45 else "medium" if height >= 0.2 else "small"
    where = "left" if cx < 0.36 else "right" if cx > 0.64 else "centre"
    return f"#{track_id} \u2013 {share * 100:.0f} % of frames, {big}, {where}"


__all__ = ["person_summary", "attr_lines", "display_label", "highlight_name", "history_lines", "signal_line",
           "why_lines"]
