"""Temporal localisation: window class probabilities -> action spans with refined boundaries.

Each sliding window votes for its centre; per-frame class scores are the linear interpolation
between window centres (windows are labelled by their centre in training, so scores rise and
fall at the action's edges). A span is a run of frames whose class score stays above ``low``
and peaks above ``high`` (hysteresis); edges are placed where the interpolated score crosses
``low`` (boundary refinement at frame precision, finer than the window stride). Overlapping
spans of one person are resolved by temporal NMS; close same-class spans are merged. Pure
functions, any thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class Span:
    start: int
    end: int  # exclusive
    cls: int
    score: float


def frame_scores(centres: np.ndarray, probs: np.ndarray, first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame scores ``(F, C)`` for frames ``first..last`` from window probabilities."""
    frames = np.arange(first, last + 1)
    centres = np.asarray(centres, np.float64)
    probs = np.asarray(probs, np.float64)
    if len(centres) == 0:
        return frames, np.zeros((len(frames), probs.shape[1] if probs.ndim == 2 else 1))
    out = np.empty((len(frames), probs.shape[1]))
    for c in range(probs.shape[1]):
        out[:, c] = np.interp(frames, centres, probs[:, c])
    return frames, out


def hysteresis_runs(score: np.ndarray, high: float, low: float) -> list[tuple[int, int]]:
    """Index runs ``[a, b)`` where ``score >= low`` and the run's maximum is ``>= high``."""
    active = score >= low
    if not active.any():
        return []
    d = np.diff(np.concatenate([[0], active.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    return [(int(a), int(b)) for a, b in zip(starts, ends) if score[a:b].max() >= high]


def tiou(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


def nms(spans: Sequence[Span], iou: float = 0.3) -> list[Span]:
    """Greedy temporal non-maximum suppression across classes (best score first)."""
    kept: list[Span] = []
    for s in sorted(spans, key=lambda s: -s.score):
        if all(tiou((s.start, s.end), (k.start, k.end)) <= iou for k in kept):
            kept.append(s)
    return sorted(kept, key=lambda s: s.start)


def merge_close(spans: Sequence[Span], gap: int) -> list[Span]:
    """Join same-class spans separated by at most ``gap`` frames (length-weighted score)."""
    out: list[Span] = []
    for s in sorted(spans, key=lambda s: (s.cls, s.start)):
        if out and out[-1].cls == s.cls and s.start - out[-1].end <= gap:
            p = out[-1]
            la, lb = p.end - p.start, s.end - s.start
            out[-1] = Span(p.start, max(p.end, s.end), s.cls, (p.score * la + s.score * lb) / max(1, la + lb))
        else:
            out.append(s)
    return sorted(out, key=lambda s: s.start)


def localise(centres: np.ndarray, probs: np.ndarray, first: int, last: int, high: float = 0.5,
             low: float = 0.35, min_len: int = 3, merge_gap: int = 4, nms_iou: float = 0.3,
             background: int = 0) -> list[Span]:
    """Action spans of one person from its window probabilities ``(W, C)`` (column
    ``background`` is the no-action class)."""
    frames, sc = frame_scores(centres, probs, first, last)
    spans: list[Span] = []
    for c in range(sc.shape[1]):
        if c == background:
            continue
        for a, b in hysteresis_runs(sc[:, c], high, low):
            spans.append(Span(int(frames[a]), int(frames[b - 1]) + 1, c, float(sc[a:b, c].mean())))
    spans = merge_close(nms(spans, nms_iou), merge_gap)
    return [s for s in spans if s.end - s.start >= min_len]
