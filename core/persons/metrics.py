"""Scoring persons, identities and the ball against hand labels (``tests/data/persons_gt.json``).

Pure NumPy, used by ``bench/persons.py`` and its tests:

- :func:`match_frame` matches one frame's detections to labelled boxes at an IoU threshold
  (greedy, highest IoU first, one-to-one). Labelled boxes flagged ``ignore`` (a person too small,
  cut off or occluded to box reliably, a crowd band, a picture of a person) count neither as hits
  nor as misses: a detection left unmatched that overlaps one (IoU at the threshold, or at least
  half of the detection inside it) is dropped instead of counted as a false positive.
- :class:`Tally` adds frames up: person precision (every role), person recall, player recall,
  false persons on frames with no person.
- :func:`id_switches` counts, per labelled identity, how often the matched track id changes
  between consecutive labelled frames where the identity was found.
- :func:`ball_scores` compares a ball track with labelled ball centres.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np


def _overlap(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boxes as (N, 4)/(M, 4) xyxy arrays, their pairwise intersection areas (N, M) and ``a``'s areas."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    return b, inter, _area(a)


def _area(a: np.ndarray) -> np.ndarray:
    return np.clip(a[:, 2] - a[:, 0], 0, None) * np.clip(a[:, 3] - a[:, 1], 0, None)


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box in ``a`` (N, 4) with every box in ``b`` (M, 4), xyxy."""
    b, inter, area_a = _overlap(a, b)
    union = area_a[:, None] + _area(b)[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def inside_fraction(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Fraction of each box in ``a`` (N, 4) that lies inside each box in ``b`` (M, 4)."""
    _b, inter, area_a = _overlap(a, b)
    return np.where(area_a[:, None] > 0, inter / np.where(area_a[:, None] > 0, area_a[:, None], 1), 0.0)


@dataclass
class FrameMatch:
    """One frame's outcome; indices refer to the lists given to :func:`match_frame`."""

    pairs: list[tuple[int, int]]  # (label index, detection index)
    false_positives: list[int]  # detection indices
    misses: list[int]  # label indices (ignore labels never miss)
    ignored: list[int]  # detection indices dropped on ignore regions


def match_frame(labels: Sequence[Mapping[str, Any]], dets: np.ndarray, iou: float = 0.5) -> FrameMatch:
    """Match detections ``dets`` ((N, 4+) xyxy...) to ``labels`` (dicts with ``box`` and optional
    ``ignore``); see the module docstring."""
    d = np.asarray(dets, np.float64).reshape(len(dets), -1)[:, :4] if len(dets) else np.zeros((0, 4))
    real = [i for i, lab in enumerate(labels) if not lab.get("ignore")]
    ign = [i for i, lab in enumerate(labels) if lab.get("ignore")]
    boxes = np.asarray([labels[i]["box"] for i in real], np.float64).reshape(-1, 4)
    m = iou_matrix(boxes, d)
    pairs: list[tuple[int, int]] = []
    used_l: set[int] = set()
    used_d: set[int] = set()
    if m.size:
        order = np.argsort(-m, axis=None, kind="stable")
        for flat in order:
            li, di = divmod(int(flat), m.shape[1])
            if m[li, di] < iou:
                break
            if li in used_l or di in used_d:
                continue
            used_l.add(li)
            used_d.add(di)
            pairs.append((real[li], di))
    rest = [j for j in range(len(d)) if j not in used_d]
    ignored: list[int] = []
    if ign and rest:
        ib = np.asarray([labels[i]["box"] for i in ign], np.float64).reshape(-1, 4)
        hit = (iou_matrix(d[rest], ib) >= iou) | (inside_fraction(d[rest], ib) >= 0.5)
        ignored = [j for j, h in zip(rest, np.asarray(hit.any(axis=1)).tolist()) if h]
    fps = [j for j in rest if j not in set(ignored)]
    misses = [real[li] for li in range(len(real)) if li not in used_l]
    return FrameMatch(sorted(pairs), fps, misses, ignored)


@dataclass
class Tally:
    """Counts over many frames."""

    tp: int = 0
    fp: int = 0
    labelled: int = 0  # persons (not ignore) labelled
    found: int = 0
    players: int = 0
    players_found: int = 0
    frames: int = 0
    empty_frames: int = 0  # frames with no (non-ignore) person labelled
    empty_frames_with_persons: int = 0
    persons_on_empty: int = 0  # false persons on those frames

    def add(self, labels: Sequence[Mapping[str, Any]], match: FrameMatch) -> None:
        self.frames += 1
        self.tp += len(match.pairs)
        self.fp += len(match.false_positives)
        real = [lab for lab in labels if not lab.get("ignore")]
        self.labelled += len(real)
        self.found += len(match.pairs)
        hit = {li for li, _ in match.pairs}
        for i, lab in enumerate(labels):
            if lab.get("ignore") or lab.get("role") != "player":
                continue
            self.players += 1
            self.players_found += i in hit
        if not real:
            self.empty_frames += 1
            self.persons_on_empty += len(match.false_positives)
            self.empty_frames_with_persons += bool(match.false_positives)

    def merge(self, other: "Tally") -> "Tally":
        out = Tally()
        for k in self.__dataclass_fields__:
            setattr(out, k, getattr(self, k) + getattr(other, k))
        return out

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def recall(self) -> float:
        return self.found / self.labelled if self.labelled else float("nan")

    @property
    def player_recall(self) -> float:
        return self.players_found / self.players if self.players else float("nan")

    def row(self) -> dict[str, Any]:
        return {"frames": self.frames, "labelled": self.labelled, "players": self.players, "tp": self.tp,
                "fp": self.fp, "precision": self.precision, "recall": self.recall,
                "player_recall": self.player_recall, "empty_frames": self.empty_frames,
                "persons_on_empty": self.persons_on_empty,
                "empty_frames_with_persons": self.empty_frames_with_persons}


@dataclass
class IdScore:
    """Identity switches of labelled identities (e.g. the near and the far tennis player)."""

    switches: int = 0
    identities: int = 0
    minutes: float = 0.0  # summed time spans of the identities' labelled frames
    per_identity: dict[str, int] = field(default_factory=dict)

    @property
    def per_player_minute(self) -> float:
        return self.switches / self.minutes if self.minutes > 0 else float("nan")


def id_switches(sequence: Mapping[str, Sequence[tuple[int, int | None]]], fps: float) -> IdScore:
    """``sequence``: identity -> ``(frame, matched track id or None)`` over its labelled frames.

    A switch is a matched track id different from the identity's previous matched one (frames
    where it was not found are skipped, as in CLEAR-MOT). Time per identity: from its first to its
    last labelled frame, at least one frame."""
    out = IdScore()
    for ident, seq in sequence.items():
        seq = sorted(seq)
        if not seq:
            continue
        out.identities += 1
        last: int | None = None
        n = 0
        for _, tid in seq:
            if tid is None:
                continue
            if last is not None and tid != last:
                n += 1
            last = tid
        out.per_identity[ident] = n
        out.switches += n
        out.minutes += max(1, seq[-1][0] - seq[0][0] + 1) / max(1e-9, fps) / 60.0
    return out


@dataclass
class BallScore:
    visible: int = 0  # labelled frames where the ball is visible
    found: int = 0  # ... and the track has a ball within the radius
    not_visible: int = 0  # labelled frames where it is not
    false: int = 0  # labelled frames with a track position that is not the ball
    seconds: float = 0.0  # time the labelled frames stand for

    @property
    def recall(self) -> float:
        return self.found / self.visible if self.visible else float("nan")

    @property
    def false_per_second(self) -> float:
        return self.false / self.seconds if self.seconds > 0 else float("nan")

    def merge(self, other: "BallScore") -> "BallScore":
        return BallScore(self.visible + other.visible, self.found + other.found,
                         self.not_visible + other.not_visible, self.false + other.false,
                         self.seconds + other.seconds)


def ball_at(track: np.ndarray, frame: int, max_gap: int) -> tuple[float, float] | None:
    """The track's ball position at ``frame``: the row on that frame, else the linear
    interpolation between the rows around it when they are at most ``max_gap`` frames apart."""
    t = np.asarray(track, np.float64).reshape(-1, 5) if len(track) else np.zeros((0, 5))
    if not len(t):
        return None
    t = t[np.argsort(t[:, 0], kind="stable")]
    f = t[:, 0]
    i = int(np.searchsorted(f, frame))
    if i < len(f) and f[i] == frame:
        return float(t[i, 1]), float(t[i, 2])
    if i == 0 or i >= len(f) or f[i] - f[i - 1] > max_gap:
        return None
    w = (frame - f[i - 1]) / (f[i] - f[i - 1])
    return float((1 - w) * t[i - 1, 1] + w * t[i, 1]), float((1 - w) * t[i - 1, 2] + w * t[i, 2])


def ball_scores(labels: Mapping[int, Sequence[float] | None], track: np.ndarray, radius: float,
                frame_step_seconds: float, max_gap: int) -> BallScore:
    """``labels``: frame -> ball centre ``[x, y]`` or ``None`` (not visible). A labelled frame
    stands for ``frame_step_seconds`` of video (the labelling step). False: a track position on a
    frame where the ball is not visible, or farther than ``radius`` from where it is."""
    out = BallScore()
    for frame, c in labels.items():
        p = ball_at(track, int(frame), max_gap)
        out.seconds += frame_step_seconds
        if c is None:
            out.not_visible += 1
            out.false += p is not None
            continue
        out.visible += 1
        if p is not None and np.hypot(p[0] - c[0], p[1] - c[1]) <= radius:
            out.found += 1
        elif p is not None:
            out.false += 1
    return out


def summarise(tallies: Iterable[Tally]) -> Tally:
    out = Tally()
    for t in tallies:
        out = out.merge(t)
    return out
