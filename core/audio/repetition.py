"""Repetition loops in speech recognition output: detect them in a word list and cut them back.

Whisper sometimes falls into a loop and repeats a word or phrase until the window ends ("The
Lord of the Lord of the Lord of ..."). Its own guard (gzip compression ratio above 2.4) only
triggers a re-decode, and the segment filter in :mod:`models.speech.asr` drops a segment only
when the log probability is poor too, so a confident loop reached the transcript.

:func:`find_loop` finds the first run where a unit of 1..``max_unit`` words repeats back to back:
at least three times (the third may lack its last word) covering ``min_words`` words, or, for a
single word, ``single_repeats`` times ("no, no, no" and "goal goal goal" are speech, not loops).
:func:`strip_loops` keeps one occurrence of every loop. Words compare case- and
punctuation-insensitively. Pure functions on plain data; safe from any thread.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Sequence, TypeVar

T = TypeVar("T")

MIN_WORDS = 6
SINGLE_REPEATS = 5
MAX_UNIT = 8
COMPRESSION_LIMIT = 2.4  # Whisper's compression_ratio_threshold


@dataclass(frozen=True)
class Loop:
    """Words ``[start, end)`` are a unit of ``unit`` words repeated back to back."""

    start: int
    unit: int
    end: int

    @property
    def repeats(self) -> float:
        return (self.end - self.start) / self.unit


def normalise(word: str) -> str:
    """Lower case without surrounding punctuation (``"Lord,"`` -> ``"lord"``)."""
    return word.strip().strip(".,;:!?\"'()[]-…").lower()


def _run_end(keys: Sequence[str], start: int, unit: int) -> int:
    """Index after the last word that continues the repetition of ``keys[start:start+unit]``."""
    end = start + unit
    while end < len(keys) and keys[end] == keys[start + (end - start) % unit]:
        end += 1
    return end


def find_loop(words: Sequence[str], min_words: int = MIN_WORDS, single_repeats: int = SINGLE_REPEATS,
              max_unit: int = MAX_UNIT, start: int = 0) -> Loop | None:
    """The first repetition loop in ``words`` at or after ``start`` (the shortest unit wins)."""
    keys = [normalise(w) for w in words]
    n = len(keys)
    for i in range(start, n):
        if not keys[i]:
            continue
        for unit in range(1, max_unit + 1):
            if i + 2 * unit > n:
                break
            end = _run_end(keys, i, unit)
            covered = end - i
            if unit == 1:
                if covered >= single_repeats:
                    return Loop(i, 1, end)
                continue
            if covered >= 3 * unit - 1 and covered >= min_words and len(set(keys[i:i + unit])) > 1:
                return Loop(i, unit, end)
    return None


def strip_loops(items: Sequence[T], words: Sequence[str] | None = None,
                **kw: int) -> tuple[list[T], list[Loop]]:
    """``items`` with every loop cut back to its first occurrence, and the loops found.

    ``words`` are the texts of ``items`` (default: ``items`` themselves, when they are strings);
    ``kw`` go to :func:`find_loop`. Whatever follows a loop is kept.
    """
    texts = list(words) if words is not None else [str(x) for x in items]
    if len(texts) != len(items):
        raise ValueError("strip_loops: items and words differ in length")
    keep = list(range(len(items)))
    loops: list[Loop] = []
    pos = 0
    while True:
        loop = find_loop([texts[k] for k in keep], start=pos, **kw)
        if loop is None:
            break
        loops.append(loop)
        keep = keep[:loop.start + loop.unit] + keep[loop.end:]
        pos = loop.start + loop.unit
    return [items[k] for k in keep], loops


def compression_ratio(text: str) -> float:
    """Whisper's measure: UTF-8 length over zlib-compressed length (loops compress well)."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def is_repetitive(text: str) -> bool:
    """A word loop in ``text`` or a compression ratio above Whisper's limit."""
    return find_loop(text.split()) is not None or compression_ratio(text) > COMPRESSION_LIMIT


__all__ = ["COMPRESSION_LIMIT", "Loop", "compression_ratio", "find_loop", "is_repetitive", "normalise",
           "strip_loops"]
