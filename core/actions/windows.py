"""Fixed-length windows over pose tracks: the unit the action network classifies.

A window covers ``length`` source frames and is resampled to ``steps`` instants, so the network
input size does not depend on frame rate or pose sampling rate. A window is labelled by the
action under its *centre* (training) and votes for its centre (inference), which keeps predicted
boundaries aligned with labelled ones. Pure functions, any thread.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Sequence

import numpy as np

from core.actions.skeleton import coverage, features, normalise, sample_track
from core.timebase import Rate


@dataclass(frozen=True)
class WindowSpec:
    """Window geometry in source frames: ``length`` frames sampled at ``steps`` instants, slid by
    ``stride`` frames at inference."""

    length: int
    steps: int = 32
    stride: int = 8
    max_gap: int = 30
    min_coverage: float = 0.4

    @classmethod
    def from_seconds(cls, rate: Rate, seconds: float = 3.0, steps: int = 32, stride_s: float = 0.32,
                     max_gap_s: float = 1.2, min_coverage: float = 0.4) -> "WindowSpec":
        fps = rate.fps
        return cls(length=max(2, round(seconds * fps)), steps=steps,
                   stride=max(1, round(stride_s * fps)), max_gap=max(1, round(max_gap_s * fps)),
                   min_coverage=min_coverage)

    def grid(self, centre: float) -> np.ndarray:
        """The ``steps`` (fractional) frames sampled by the window centred on ``centre``."""
        start = centre - self.length / 2
        return start + (np.arange(self.steps) + 0.5) * (self.length / self.steps)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "WindowSpec":
        return cls(**{k: d[k] for k in ("length", "steps", "stride", "max_gap", "min_coverage") if k in d})


@dataclass(frozen=True)
class WindowParams:
    """Window geometry in seconds (what a model card stores); :meth:`spec` gives the frames of
    one video, so one model serves videos of any frame rate."""

    seconds: float = 3.0
    steps: int = 32
    stride_s: float = 0.32
    max_gap_s: float = 1.2
    min_coverage: float = 0.4

    def spec(self, rate: Rate) -> WindowSpec:
        return WindowSpec.from_seconds(rate, self.seconds, self.steps, self.stride_s, self.max_gap_s,
                                       self.min_coverage)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "WindowParams":
        names = ("seconds", "steps", "stride_s", "max_gap_s", "min_coverage")
        return cls(**{k: d[k] for k in names if k in d})


def window_input(rows: np.ndarray, centre: float, spec: WindowSpec,
                 streams: Sequence[str]) -> np.ndarray | None:
    """Network input ``(C, T, V)`` for one track's window, or None when the person is seen in
    less than ``spec.min_coverage`` of it."""
    seq = sample_track(rows, spec.grid(centre), spec.max_gap)
    if coverage(seq) < spec.min_coverage:
        return None
    return features(normalise(seq), streams)


def sliding_centres(first: int, last: int, spec: WindowSpec) -> np.ndarray:
    """Window centres every ``stride`` frames from the track's first to last frame (inclusive)."""
    if last < first:
        return np.zeros(0, np.float64)
    n = (last - first) // spec.stride + 1
    c = first + np.arange(n, dtype=np.float64) * spec.stride
    if c[-1] < last:
        c = np.append(c, float(last))
    return c


def track_windows(rows: np.ndarray, spec: WindowSpec,
                  streams: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """All sliding windows of one track: ``(centres (W,), inputs (W, C, T, V))`` (covered only)."""
    if len(rows) == 0:
        return np.zeros(0), np.zeros((0, 0, spec.steps, 17), np.float32)
    frames = rows[:, 0]
    centres = sliding_centres(int(frames.min()), int(frames.max()), spec)
    keep: list[float] = []
    xs: list[np.ndarray] = []
    for c in centres:
        x = window_input(rows, float(c), spec, streams)
        if x is not None:
            keep.append(float(c))
            xs.append(x)
    if not xs:
        return np.zeros(0), np.zeros((0, 0, spec.steps, 17), np.float32)
    return np.asarray(keep), np.stack(xs)
