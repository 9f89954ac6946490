"""Scoring shot boundaries against ground truth: precision, recall, F1 at a frame tolerance.

A detected transition ``[s, e)`` matches a true one ``[ts, te)`` when the detected span, widened
by ``tolerance`` frames on each side, meets the true one (a cut is the zero-length span at its
first new frame, so two cuts match when at most ``tolerance`` frames apart); matching
is one-to-one, nearest centres first. This is the usual shot-boundary protocol (TransNetV2's
evaluation) and works the same for cuts and gradual transitions. Pure functions; any thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence


@dataclass(frozen=True)
class Score:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: "Score") -> "Score":
        return Score(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)


Span = tuple[int, int]


def as_span(x: int | Sequence[int]) -> Span:
    """A cut frame ``f`` -> ``(f, f)``; a ``(start, end)`` pair stays as it is."""
    if isinstance(x, int):
        return (x, x)
    return (int(x[0]), int(x[1]))


def match(pred: Iterable[int | Sequence[int]], truth: Iterable[int | Sequence[int]],
          tolerance: int = 2) -> tuple[Score, list[tuple[Span, Span]]]:
    """One-to-one matching of predicted and true spans; returns the score and the pairs."""
    ps = [as_span(x) for x in pred]
    ts = [as_span(x) for x in truth]
    pairs: list[tuple[float, int, int]] = []
    for i, (a, b) in enumerate(ps):
        for j, (c, d) in enumerate(ts):
            if a - tolerance <= d and c <= b + tolerance:
                pairs.append((abs((a + b) / 2 - (c + d) / 2), i, j))
    pairs.sort()
    used_p: set[int] = set()
    used_t: set[int] = set()
    matched: list[tuple[Span, Span]] = []
    for _, i, j in pairs:
        if i in used_p or j in used_t:
            continue
        used_p.add(i)
        used_t.add(j)
        matched.append((ps[i], ts[j]))
    tp = len(matched)
    return Score(tp, len(ps) - tp, len(ts) - tp), matched


def f1(pred: Iterable[int | Sequence[int]], truth: Iterable[int | Sequence[int]],
       tolerance: int = 2) -> float:
    return match(pred, truth, tolerance)[0].f1
