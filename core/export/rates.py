"""The frame rate editors' formats (SMPTE timecode, EDL, FCP XML) are written at.

Constant-rate video at a timecode rate (24, 25, 29.97, ...) keeps its own rate, frame for frame.
VFR video or an odd average rate cannot be written as SMPTE timecode: its frames are placed by
presentation time on the stream's nominal rate (what an NLE conforms the file to), or the nearest
valid timecode rate. Any thread.
"""

from __future__ import annotations

from fractions import Fraction

import av
import opentimelineio as otio

from core.export.data import ExportData

RT = otio.opentime.RationalTime


def _nominal(path: str) -> float | None:
    try:
        with av.open(path) as c:
            r = c.streams.video[0].guessed_rate or c.streams.video[0].base_rate
            return float(Fraction(r)) if r else None
    except (av.error.FFmpegError, OSError, IndexError):
        return None


def timecode_rate(d: ExportData) -> float:
    rate = d.video.rate.num / d.video.rate.den
    if not d.video.info.vfr and RT.is_valid_timecode_rate(rate):
        return rate
    nominal = _nominal(d.video.path)
    if nominal and RT.is_valid_timecode_rate(nominal):
        return nominal
    nearest = float(RT.nearest_valid_timecode_rate(rate))
    if nearest > 0:
        return nearest
    # OTIO has no timecode rate near very low rates (10 fps gave 0): the lowest SMPTE rate above
    # the video's keeps every frame its own timecode.
    return 24.0 if rate < 24 else 60.0


def is_native(d: ExportData, rate: float) -> bool:
    return rate == d.video.rate.num / d.video.rate.den and not d.video.info.vfr


def frame_at(d: ExportData, frame: int, rate: float) -> int:
    """``frame`` of the video as a frame number at ``rate`` (itself when the rate is native)."""
    if is_native(d, rate):
        return frame
    return round(d.clock.time(frame) * rate)


def smpte(d: ExportData, frame: int, rate: float | None = None) -> str:
    """SMPTE timecode: drop-frame (``;``) at 29.97/59.94, non-drop otherwise."""
    r = timecode_rate(d) if rate is None else rate
    return str(otio.opentime.to_timecode(RT(frame_at(d, frame, r), r), r))
