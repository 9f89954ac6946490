"""What the window says and shows when a project opens: a one-line summary of what analysis
found ("12 shots (3 gradual), 2 highlights, 4 persons, 38 s of speech") and a representative
frame to open on (the first highlight's cover, else its middle, else the middle of the first
shot that is not a fade from black) instead of frame 0, which is often black. Pure functions over
the review context's segments; GUI thread.
"""

from __future__ import annotations

from typing import Any

from core import segments as sg
from core.segments import Segment


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def summary_line(segs: list[Segment], seconds_of: Any = None) -> str:
    """``segs``: every segment of the video; ``seconds_of(start, end)`` gives a span's length."""
    live = [s for s in segs if s.status != sg.REJECTED]
    by: dict[str, list[Segment]] = {}
    for s in live:
        by.setdefault(s.track, []).append(s)
    parts: list[str] = []
    shots = by.get(sg.SHOT, [])
    if shots:
        gradual = sum(1 for t in by.get(sg.TRANSITION, []) if t.label not in (None, "cut"))
        parts.append(_plural(len(shots), "shot") + (f" ({gradual} gradual)" if gradual else ""))
    if by.get(sg.SCENE):
        parts.append(_plural(len(by[sg.SCENE]), "scene"))
    if by.get(sg.HIGHLIGHT):
        parts.append(_plural(len(by[sg.HIGHLIGHT]), "highlight"))
    if by.get(sg.PERSON):
        parts.append(_plural(len(by[sg.PERSON]), "person"))  # one segment per tracked person
    if by.get(sg.ACTION):
        parts.append(_plural(len(by[sg.ACTION]), "action"))
    if by.get(sg.EVENT):
        parts.append(_plural(len(by[sg.EVENT]), "event"))
    speech = by.get(sg.SPEECH, [])
    if speech and seconds_of is not None:
        secs = sum(float(seconds_of(s.start_frame, s.end_frame)) for s in speech)
        parts.append(f"{secs:.0f} s of speech")
    todo = sum(1 for s in live if s.status == sg.SUGGESTED and s.track in
               (sg.HIGHLIGHT, sg.ACTION, sg.EVENT))
    if todo:
        parts.append(f"{todo} to review")
    return ", ".join(parts) if parts else "nothing found yet (File \u25b8 Analyze, Ctrl+R)"


def representative_frame(segs: list[Segment]) -> int | None:
    """The frame to open on (see module docstring); None when there is nothing to go by."""
    hl = sorted((s for s in segs if s.track == sg.HIGHLIGHT and s.status != sg.REJECTED),
                key=lambda s: s.start_frame)
    if hl:
        first = hl[0]
        cover = (first.attrs or {}).get("cover_frame")
        if isinstance(cover, (int, float)) and first.start_frame <= cover < first.end_frame:
            return int(cover)
        return (first.start_frame + first.end_frame) // 2
    shots = sorted((s for s in segs if s.track == sg.SHOT), key=lambda s: s.start_frame)
    for s in shots:
        if (s.attrs or {}).get("in") != "fade" or len(shots) == 1:
            return (s.start_frame + s.end_frame) // 2
    return None
