"""Parse the text lines OCR read from a scoreboard crop into a :class:`BoardReading`.

Recognition drops the spaces between a board's cells (``"FRA10USA72:20"``, ``"DJOKOVIC610"``),
so parsing leans on each sport's grammar: football/basketball ``HOM 1-0 AWY [clock]``, tennis
two rows of ``[server] NAME sets.. games points``. Pure functions; any thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

FOOTBALL = "football"
BASKETBALL = "basketball"
TENNIS = "tennis"

_TENNIS_POINTS = ("15", "30", "40", "0")
_SERVER_MARKS = "›>▶►•*"
_CLOCK = re.compile(r"(\d{1,3})[:.;](\d{2})(?!\d)")
_TEAM_SCORE = re.compile(r"([A-Z][A-Z0]{2})(\d{1,3})[-:=]?(\d{1,3})([A-Z][A-Z0]{2})")
_TEAM_SCORE_SPACED = re.compile(
    r"\b([A-Z][A-Za-z0]{1,11})\s+(\d{1,3})\s*[-:]\s*(\d{1,3})\s+([A-Z][A-Za-z0]{1,11})\b")


@dataclass(frozen=True)
class BoardReading:
    """One reading of a board. ``label`` is the score as printed (``"1-0"``; tennis:
    ``"6 1 0 / 3 0 0"``); ``scores`` holds the numbers per side (tennis: sets/games, points)."""

    sport: str
    label: str
    home: str | None = None
    away: str | None = None
    clock: str | None = None
    scores: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
    server: int | None = None  # tennis: 0 home, 1 away
    raw: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def clock_seconds(self) -> int | None:
        return clock_seconds(self.clock)

    def totals(self) -> tuple[int, int] | None:
        """Football/basketball: (home, away) goals or points."""
        try:
            return int(self.scores[0][0]), int(self.scores[1][0])
        except (IndexError, ValueError):
            return None


def clock_seconds(clock: str | None) -> int | None:
    if not clock:
        return None
    m = _CLOCK.fullmatch(clock)
    return int(m.group(1)) * 60 + int(m.group(2)) if m else None


def _fix_digits(s: str) -> str:
    """Undo typical OCR confusions inside numbers (O/o/D -> 0, l/I/| -> 1 next to digits)."""
    s = re.sub(r"(?<=\d)[Oo]|[Oo](?=\d)", "0", s)
    s = re.sub(r"(?<=\d)[lI|]|[lI|](?=\d)", "1", s)
    return s


def parse_football(lines: Sequence[str]) -> BoardReading | None:
    """``HOM 1-0 AWY 35:12`` anywhere in the lines (spaces optional, clock optional)."""
    raw = " | ".join(lines)
    for line in lines:
        fixed = _fix_digits(line.strip())
        compact = re.sub(r"\s+", "", fixed)
        m = _TEAM_SCORE_SPACED.search(fixed)
        rest = fixed[m.end():] if m else ""
        if m is None:
            m = _TEAM_SCORE.search(compact)
            rest = compact[m.end():] if m else ""
        if m is None:
            continue
        # a zero inside a team code is the letter O (fonts draw them alike)
        home, away = m.group(1).replace("0", "O"), m.group(4).replace("0", "O")
        h, a = m.group(2), m.group(3)
        clk = _CLOCK.search(rest) or _CLOCK.search(" ".join(_fix_digits(x) for x in lines))
        clock = f"{int(clk.group(1)):02d}:{clk.group(2)}" if clk else None
        sport = BASKETBALL if max(int(h), int(a)) > 20 else FOOTBALL
        return BoardReading(sport, f"{int(h)}-{int(a)}", home.upper(), away.upper(), clock,
                            ((str(int(h)),), (str(int(a)),)), raw=raw)
    return None


def _split_tennis(digits: str) -> list[list[str]]:
    """All ways to cut a run of digits into tennis cells (games 0-7 / tiebreak up to 2 digits,
    the last cell may be points 0/15/30/40)."""
    out: list[list[str]] = []

    def rec(i: int, acc: list[str]) -> None:
        if i == len(digits):
            out.append(acc)
            return
        for n in (1, 2):
            cell = digits[i:i + n]
            if len(cell) < n or (n == 2 and cell[0] == "0"):
                continue
            last = i + n == len(digits)
            if n == 2 and not (last and cell in _TENNIS_POINTS) and int(cell) > 20:
                continue
            rec(i + n, acc + [cell])

    rec(0, [])
    return out


_TENNIS_ROW = re.compile(r"^\s*([" + re.escape(_SERVER_MARKS) + r"])?\s*([A-Za-z][A-Za-z .'\-]{1,30}?)\s*"
                         r"(\d(?:\d|\s|\bAD?\b)*)\s*$")


def parse_tennis(lines: Sequence[str]) -> BoardReading | None:
    """Two consecutive rows ``[>]NAME d d d [pts]``; digits are split consistently across rows."""
    rows = []
    for line in lines:
        m = _TENNIS_ROW.match(line.strip())
        rows.append(m)
    for i in range(len(rows) - 1):
        a, b = rows[i], rows[i + 1]
        if a is None or b is None:
            continue
        cells = _pair_cells(a.group(3), b.group(3))
        if cells is None:
            continue
        ca, cb = cells
        server = 0 if a.group(1) else 1 if b.group(1) else None
        na, nb = a.group(2).strip(" .'-"), b.group(2).strip(" .'-")
        label = f"{' '.join(ca)} / {' '.join(cb)}"
        return BoardReading(TENNIS, label, na, nb, None, (tuple(ca), tuple(cb)), server,
                            raw=" | ".join(lines))
    return None


def _cells_of(text: str) -> list[list[str]]:
    """Cells from a row's number part: spaces, when OCR kept them, are trusted."""
    parts = text.split()
    if not parts:
        return []
    options: list[list[str]] = [[]]
    for p in parts:
        if p in ("A", "AD"):
            options = [o + ["AD"] for o in options]
            continue
        splits = [[p]] if len(parts) > 1 and len(p) <= 2 else _split_tennis(p)
        options = [o + s for o in options for s in splits]
    return options


def _pair_cells(ta: str, tb: str) -> tuple[list[str], list[str]] | None:
    """Choose splits of both rows with the same number of cells; prefer points in the last
    column, then fewer two-digit game cells."""
    best: tuple[tuple[int, ...], list[str], list[str]] | None = None
    for ca in _cells_of(ta):
        for cb in _cells_of(tb):
            if len(ca) != len(cb) or not ca:
                continue
            two_digit_games = sum(len(c) == 2 for c in ca[:-1] + cb[:-1])
            pts = (ca[-1] in _TENNIS_POINTS + ("AD",)) + (cb[-1] in _TENNIS_POINTS + ("AD",))
            key = (two_digit_games, -pts, -len(ca))
            if best is None or key < best[0]:
                best = (key, ca, cb)
    return (best[1], best[2]) if best else None


def parse_board(lines: Sequence[str]) -> BoardReading | None:
    """Parse OCR lines (top to bottom) of one board; ``None`` if no score can be read."""
    lines = [ln for ln in (x.strip() for x in lines) if ln]
    if not lines:
        return None
    return parse_football(lines) or parse_tennis(lines)


__all__ = ["BASKETBALL", "FOOTBALL", "TENNIS", "BoardReading", "clock_seconds", "parse_board",
           "parse_football", "parse_tennis"]
