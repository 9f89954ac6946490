"""An editable title for each highlight, proposed from what analysis found.

"Goal: HOM 2-1 AWY, 21:11" (a scoreboard event, the teams and score on the board after it, the
match clock), "Shot on goal: person 3, 0:42" (an action and who did it), "Applause: \u201cwhat a
finish\u201d, 0:16" (crowd or commentary excitement with the commentator's words). A title the
editor typed lives in the highlight's ``attrs["title"]`` and always wins (:func:`title_of`);
exports use it for clip names (OTIO/FCPXML/FCP7/EDL), file names (:func:`slug`) and the MP4
title tag. Pure; any thread.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Sequence

from core import segments as sg
from core.segments import Segment
from core.timebase import FrameClock, clock

TITLE_KEY = "title"
_MACHINE = {None, "", "moment"}
_EVENT_NAMES = {"goal": "Goal", "score_change": "Score", "point": "Point", "chance": "Chance",
                "celebration": "Celebration", "foul": "Foul", "save": "Save"}
_QUOTE_WORDS = 6


def _overlaps(s: Segment, a: int, b: int) -> bool:
    return s.start_frame < b and s.end_frame > a if s.end_frame > s.start_frame else a <= s.start_frame < b


def _words(text: str, n: int) -> str:
    w = text.split()
    return " ".join(w[:n]) + ("\u2026" if len(w) > n else "")


def _nice(label: str) -> str:
    return _EVENT_NAMES.get(label, label.replace("_", " ").strip().capitalize())


def _same_shot(segments: Sequence[Segment], frame: int) -> tuple[int, int] | None:
    """The frames of the shot holding ``frame``, widened to its scene when one holds it (a board
    read in another shot of the same scene is the same match's); ``None`` without shots."""
    shot = next(((s.start_frame, s.end_frame) for s in segments
                 if s.track == sg.SHOT and s.start_frame <= frame < s.end_frame), None)
    scene = next(((s.start_frame, s.end_frame) for s in segments
                  if s.track == sg.SCENE and s.start_frame <= frame < s.end_frame), None)
    if shot is None:
        return scene
    return (min(shot[0], scene[0]), max(shot[1], scene[1])) if scene else shot


def _board_after(boards: Sequence[Segment], frame: int, within: tuple[int, int] | None = None,
                 fps: float = 25.0) -> Segment | None:
    """The board on screen at ``frame`` or the next one after it — only a board on screen in
    ``within`` (the event's shot or scene) for at least half a second or half of it (not the
    previous shot's board read a few frames past the cut): a title never borrows the score of
    another shot's match."""
    if within is not None:
        least = max(1, min(int(0.5 * fps), (within[1] - within[0]) // 2))
        boards = [b for b in boards if min(b.end_frame, within[1]) - max(b.start_frame, within[0]) >= least]
    best = None
    for b in boards:
        if b.start_frame <= frame < b.end_frame:
            return b
        if b.start_frame >= frame and (best is None or b.start_frame < best.start_frame):
            best = b
    return best


def _score_text(board: Segment | None, after: str | None) -> str:
    score = after or (board.label if board is not None else None)
    if not score:
        return ""
    a = board.attrs if board is not None else {}
    home, away = a.get("home"), a.get("away")
    return f"{home} {score} {away}" if home and away else str(score)


def propose_title(hl: Segment, segments: Sequence[Segment], clk: FrameClock | None) -> str:
    """The title the window proposes for highlight ``hl`` given every segment of its video."""
    a, b = hl.start_frame, hl.end_frame
    attrs = hl.attrs or {}
    anchor = attrs.get("anchor")
    at = int(anchor) if isinstance(anchor, (int, float)) and a <= anchor < b else (a + b) // 2
    live = [s for s in segments if s.status != sg.REJECTED and s.id != hl.id]
    when = clock(clk.time(at), millis=False) if clk is not None else ""
    events = sorted((s for s in live if s.track == sg.EVENT and _overlaps(s, a, b)),
                    key=lambda s: (s.label not in ("goal", "score_change", "point"), -(s.confidence or 0)))
    boards = sorted((s for s in live if s.track == sg.SCOREBOARD and s.label), key=lambda s: s.start_frame)
    speech = [s for s in live if s.track == sg.SPEECH and s.label and _overlaps(s, a, b)]
    quote = ""
    if speech:
        near = min(speech, key=lambda s: abs((s.start_frame + s.end_frame) // 2 - at))
        quote = f"\u201c{_words(str(near.label), _QUOTE_WORDS)}\u201d"
    if events:
        ev = events[0]
        ea = ev.attrs or {}
        board = _board_after(boards, ev.start_frame, _same_shot(live, ev.start_frame),
                             clk.rate.fps if clk is not None else 25.0)
        score = _score_text(board, ea.get("after"))
        match_clock = ea.get("clock") or ((board.attrs or {}).get("clock") if board is not None else None)
        head = _nice(ev.label or "event")
        who = ea.get("person")
        detail = score or (f"person {who}" if who is not None else quote)
        tail = str(match_clock) if match_clock else when
        return ", ".join(x for x in (f"{head}: {detail}" if detail else head, tail) if x)
    actions = sorted((s for s in live if s.track == sg.ACTION and s.label and _overlaps(s, a, b)),
                     key=lambda s: -(s.confidence or 0.0))
    label = hl.label if hl.label not in _MACHINE else None
    if actions and label is None:
        act = actions[0]
        who = (act.attrs or {}).get("person")
        head = _nice(str(act.label))
        return ", ".join(x for x in (f"{head}: person {who}" if who is not None else head, when) if x)
    sig = attrs.get("signals") if isinstance(attrs.get("signals"), dict) else {}
    kinds = set(sig.get("kinds", [])) if isinstance(sig, dict) else set()
    if label is not None:
        head = _nice(label)
    elif "excitement" in kinds or (isinstance(sig, dict) and "excitement" in sig):
        head = "Applause"
    elif "rhythm" in kinds or (isinstance(sig, dict) and "shot_rhythm" in sig):
        head = "Fast cutting"
    else:
        head = "Highlight"
    return ", ".join(x for x in (f"{head}: {quote}" if quote else head, when) if x)


def title_of(hl: Segment, segments: Sequence[Segment], clk: FrameClock | None) -> str:
    """The editor's title if one was typed, else the proposed one."""
    t = (hl.attrs or {}).get(TITLE_KEY)
    return str(t).strip() if isinstance(t, str) and t.strip() else propose_title(hl, segments, clk)


def slug(title: str, limit: int = 60) -> str:
    """A file-name part from a title: ASCII letters, digits, '-' and '_' ("Goal_HOM_2-1_AWY_21-11")."""
    t = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    t = re.sub(r"[:/\\]+", "-", t)
    t = re.sub(r"[^A-Za-z0-9\-]+", "_", t).strip("_-")
    t = re.sub(r"_?-_?", "-", t)
    return t[:limit].rstrip("_-") or "highlight"


def with_titles(project: object, video_id: int, reel: Sequence[Segment]) -> list[Segment]:
    """Copies of ``reel`` whose ``attrs["title"]`` holds :func:`title_of` (nothing is stored)."""
    segs = project.segments(video_id)  # type: ignore[attr-defined]
    clk = project.clock(video_id)  # type: ignore[attr-defined]
    return [s.with_(attrs={**(s.attrs or {}), TITLE_KEY: title_of(s, segs, clk)}) for s in reel]


__all__ = ["TITLE_KEY", "propose_title", "slug", "title_of", "with_titles"]
