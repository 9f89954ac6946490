"""Smooth per-read board observations into segments of constant reading.

Rules: a new reading must persist for ``min_run`` consecutive reads about a second apart (one
misread never makes a segment); a score that goes *down*, or jumps (more than one goal, both
sides at once; compared with the last reading accepted, across the board's absences), must
persist twice as long (a correction, a change missed, or a misread);
the board disappearing for fewer than ``min_absent`` reads is a dropout, longer means it is gone
(replays, graphics) and the segment ends. The clock attribute is the clock at the segment start,
estimated from all reads in the segment that agree with a running (or stopped) clock.
Pure functions; any thread.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Sequence

from core.match.scoreboard.parse import BASKETBALL, BoardReading, clock_seconds
from core.segments import SCOREBOARD, Segment


@dataclass(frozen=True)
class Observation:
    """One read of the board at a decoded frame; ``reading`` is ``None`` if nothing parsed."""

    frame: int
    time: float
    reading: BoardReading | None
    box: tuple[int, int, int, int] | None = None
    board: int = 0  # which board was read (several can be on screen: a clip's own and the broadcaster's)


def _decrease(old: BoardReading | None, new: BoardReading | None) -> bool:
    if old is None or new is None:
        return False
    a, b = old.totals(), new.totals()
    if a is None or b is None:
        return False
    return b[0] < a[0] or b[1] < a[1]


def _jump(old: BoardReading | None, new: BoardReading | None) -> bool:
    """A change no single score makes: more than one goal (football; more than 3 points in
    basketball) or both sides at once. A misread looks like this more often than play does."""
    if old is None or new is None or old.sport != new.sport:
        return False
    a, b = old.totals(), new.totals()
    if a is None or b is None or a == b:
        return False
    dh, da = b[0] - a[0], b[1] - a[1]
    step = 3 if new.sport == BASKETBALL else 1
    return not ((dh == 0 and 0 < da <= step) or (da == 0 and 0 < dh <= step))


def stable_states(obs: Sequence[Observation], min_run: int = 2, min_absent: int = 3,
                  min_gap_s: float = 0.9) -> list[str | None]:
    """The accepted reading label at each observation (``None`` = no board). A new reading
    needs ``need`` consecutive agreeing reads spanning at least ``min_gap_s * (need - 1)``
    seconds: extra reads close together (a change located between two regular reads) never
    confirm a reading on their own."""
    keys = [o.reading.label if o.reading else None for o in obs]
    state: str | None = None
    last: BoardReading | None = None  # the last board reading accepted (across absences)
    out: list[str | None] = []
    n = len(keys)
    for i, k in enumerate(keys):
        if k != state:
            if k is None:
                need = min_absent
            else:
                rd = obs[i].reading
                need = min_run * 2 if _decrease(last, rd) or _jump(last, rd) else min_run
            span = min_gap_s * (need - 1) - 1e-6
            j = i
            while j < n and (j - i < need or obs[j - 1].time - obs[i].time < span):
                j += 1
            window = keys[i:j]
            complete = len(window) >= need and obs[j - 1].time - obs[i].time >= span
            # At the very end of the video accept what is there if it is unanimous.
            if complete or (j == n and len(window) >= 1 and state is None):
                if all(w == k for w in window):
                    state = k
                    last = obs[i].reading or last
        out.append(state)
    return out


def _clock_at(obs: Sequence[Observation], t0: float, first: int = 5) -> str | None:
    """Clock at time ``t0`` from the segment's first reads: if they advance with the video the
    clock is running (median of each read projected back to ``t0``), else the most common value."""
    pairs = [(o.time, clock_seconds(o.reading.clock)) for o in obs if o.reading and o.reading.clock]
    pairs_ok = [(t, c) for t, c in pairs if c is not None][:first]
    if not pairs_ok:
        return None
    if len(pairs_ok) >= 2 and pairs_ok[-1][1] > pairs_ok[0][1]:
        back = sorted(c - (t - t0) for t, c in pairs_ok)
        sec = int(round(back[len(back) // 2]))
    else:
        sec = Counter(c for _, c in pairs_ok).most_common(1)[0][0]
    sec = max(0, sec)
    return f"{sec // 60:02d}:{sec % 60:02d}"


def _mode(values: Sequence[Any]) -> Any:
    vals = [v for v in values if v is not None]
    return Counter(vals).most_common(1)[0][0] if vals else None


def smooth_readings(obs: Sequence[Observation], frame_count: int, min_run: int = 2,
                    min_absent: int = 3, source: str = "user:local") -> list[Segment]:
    """``scoreboard`` segments, one per constant accepted reading, tiling where the board is up;
    each board (``Observation.board``) on its own, in frame order (``attrs["board"]``)."""
    boards = sorted({o.board for o in obs})
    if len(boards) > 1:
        per_board = [s for b in boards for s in smooth_readings(
            sorted((o for o in obs if o.board == b), key=lambda o: o.frame), frame_count, min_run,
            min_absent, source)]
        return sorted(per_board, key=lambda s: (s.start_frame, s.attrs.get("board", 0)))
    if not obs:
        return []
    states = stable_states(obs, min_run, min_absent)
    segs: list[Segment] = []
    i = 0
    n = len(obs)
    while i < n:
        s = states[i]
        j = i
        while j < n and states[j] == s:
            j += 1
        if s is not None:
            members = [o for o in obs[i:j] if o.reading and o.reading.label == s]
            start = obs[i].frame
            end = obs[j].frame if j < n else frame_count  # still up at the last read
            first = members[0].reading if members else None
            boxes = [o.box for o in members if o.box]
            attrs: dict[str, Any] = {
                "clock": _clock_at(members, obs[i].time),
                "home": _mode([o.reading.home for o in members if o.reading]),
                "away": _mode([o.reading.away for o in members if o.reading]),
                "box": list(_mode(boxes)) if boxes else None,
                "raw": first.raw if first else "",
                "sport": first.sport if first else None,
                "server": _mode([(o.reading.home, o.reading.away)[o.reading.server] for o in members
                                 if o.reading and o.reading.server is not None]),
                "reads": len(members),
                "board": obs[i].board,
            }
            conf = len(members) / max(1, j - i)
            if end > start:
                segs.append(Segment(SCOREBOARD, start, end, s, round(conf, 3), attrs, source))
        i = j
    return segs


__all__ = ["Observation", "smooth_readings", "stable_states"]
