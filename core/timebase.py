"""Time as integer frames plus a rational rate.

Seconds appear only for display, audio and at the edges (CLI arguments). VFR video keeps exact
presentation times through :class:`FrameClock`, which maps decoded frame indices to timestamps.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence


@dataclass(frozen=True, order=True)
class Rate:
    """A rational frame rate, e.g. ``Rate(30000, 1001)``."""

    num: int
    den: int = 1

    def __post_init__(self) -> None:
        if self.num <= 0 or self.den <= 0:
            raise ValueError(f"frame rate must be positive, got {self.num}/{self.den}")

    @classmethod
    def from_fraction(cls, value: Fraction | float | str, limit: int = 1001000) -> "Rate":
        f = Fraction(value).limit_denominator(limit) if not isinstance(value, Fraction) else value
        return cls(f.numerator, f.denominator)

    @property
    def fraction(self) -> Fraction:
        return Fraction(self.num, self.den)

    @property
    def fps(self) -> float:
        return self.num / self.den

    def seconds(self, frames: int) -> float:
        return frames * self.den / self.num

    def frames_at(self, seconds: float) -> int:
        """The frame shown at ``seconds`` (floor, with a small epsilon for float noise)."""
        return int((Fraction(seconds).limit_denominator(10**9) * self.fraction) + Fraction(1, 10**6))

    def nearest_frame(self, seconds: float) -> int:
        return round(seconds * self.num / self.den)

    def __str__(self) -> str:
        return f"{self.num}/{self.den}" if self.den != 1 else str(self.num)


def timecode(frame: int, rate: Rate) -> str:
    """Non-drop-frame SMPTE-style ``HH:MM:SS:FF`` with the nominal integer rate."""
    nominal = max(1, round(rate.fps))
    sign = "-" if frame < 0 else ""
    frame = abs(frame)
    ff = frame % nominal
    total_s = frame // nominal
    return f"{sign}{total_s // 3600:02d}:{(total_s // 60) % 60:02d}:{total_s % 60:02d}:{ff:02d}"


def clock(seconds: float, millis: bool = True) -> str:
    """``H:MM:SS.mmm`` (or ``M:SS.mmm`` under an hour) for display."""
    sign = "-" if seconds < 0 else ""
    ms_total = round(abs(seconds) * 1000)
    h, rem = divmod(ms_total, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    head = f"{h}:{m:02d}" if h else f"{m}"
    tail = f".{ms:03d}" if millis else ""
    return f"{sign}{head}:{s:02d}{tail}"


class FrameClock:
    """Maps decoded frame index <-> presentation time in seconds.

    For constant-rate video the mapping is ``index / rate``; for VFR video it is the table of
    presentation timestamps recorded while decoding (shifted so the first frame is at 0).
    ``time(frame_count)`` is the end of the last frame.
    """

    def __init__(self, rate: Rate, frame_count: int, times: Sequence[float] | None = None):
        self.rate = rate
        self.frame_count = frame_count
        self._times: list[float] | None = None
        if times is not None and len(times) > 0:
            t = list(times)
            if len(t) == frame_count:
                last_dur = (t[-1] - t[-2]) if len(t) > 1 else rate.seconds(1)
                t.append(t[-1] + max(last_dur, 1e-6))
            self._times = t

    @property
    def is_table(self) -> bool:
        return self._times is not None

    def time(self, frame: int) -> float:
        if self._times is None:
            return self.rate.seconds(frame)
        if frame < 0:
            return self._times[0] + self.rate.seconds(frame)
        if frame < len(self._times):
            return self._times[frame]
        return self._times[-1] + self.rate.seconds(frame - len(self._times) + 1)

    def frame_at(self, seconds: float) -> int:
        """Index of the frame on screen at ``seconds`` (clamped to the video)."""
        if self._times is None:
            f = self.rate.frames_at(seconds)
        else:
            f = bisect.bisect_right(self._times, seconds + 1e-6) - 1
        return max(0, min(self.frame_count - 1, f)) if self.frame_count else 0

    def nearest_frame(self, seconds: float) -> int:
        """Frame whose start is nearest to ``seconds`` (for boundaries); may equal frame_count."""
        if self._times is None:
            f = self.rate.nearest_frame(seconds)
        else:
            i = bisect.bisect_left(self._times, seconds)
            cands = [c for c in (i - 1, i) if 0 <= c < len(self._times)]
            f = min(cands, key=lambda c: abs(self._times[c] - seconds)) if cands else 0  # type: ignore[index]
        return max(0, min(self.frame_count, f))

    @property
    def duration(self) -> float:
        return self.time(self.frame_count)
