"""One user-chosen way to show a frame's time everywhere in the window.

``timecode`` (``HH:MM:SS:FF``; drop-frame ``HH:MM:SS;FF`` at 29.97 and 59.94 fps), ``seconds``
(``M:SS.mmm``, from the frame clock, so VFR video is right) or ``frames`` (the frame index).
The choice lives in :class:`app.review.settings.Settings` and on the ReviewContext. Pure
functions; any thread.
"""

from __future__ import annotations

from core.timebase import FrameClock, Rate, clock, timecode

TIMECODE, SECONDS, FRAMES = "timecode", "seconds", "frames"
FORMATS = (TIMECODE, SECONDS, FRAMES)
LABELS = {TIMECODE: "Timecode (HH:MM:SS:FF)", SECONDS: "Seconds (M:SS.mmm)", FRAMES: "Frames"}


def is_drop_frame(rate: Rate) -> bool:
    """29.97 and 59.94 fps (NTSC): timecode drops frame numbers to stay on the wall clock."""
    return rate.den == 1001 and rate.num in (30000, 60000)


def drop_frame_timecode(frame: int, rate: Rate) -> str:
    """SMPTE drop-frame ``HH:MM:SS;FF``: numbers 0 and 1 (0-3 at 59.94) are skipped at the start
    of every minute except every tenth."""
    nominal = round(rate.fps)
    drop = 2 * nominal // 30
    sign = "-" if frame < 0 else ""
    f = abs(frame)
    per_10min = 10 * 60 * nominal - 9 * drop
    per_min = 60 * nominal - drop
    tens, rem = divmod(f, per_10min)
    f += 9 * drop * tens + (drop * ((rem - drop) // per_min) if rem > drop else 0)
    ff = f % nominal
    total_s = f // nominal
    return f"{sign}{total_s // 3600:02d}:{(total_s // 60) % 60:02d}:{total_s % 60:02d};{ff:02d}"


def format_frame(frame: int, rate: Rate, clk: FrameClock | None, fmt: str) -> str:
    """``frame`` as the user chose to read times."""
    if fmt == FRAMES:
        return str(frame)
    if fmt == SECONDS:
        return clock(clk.time(frame) if clk is not None else rate.seconds(frame))
    return drop_frame_timecode(frame, rate) if is_drop_frame(rate) else timecode(frame, rate)


def format_length(start: int, end: int, rate: Rate, clk: FrameClock | None, fmt: str) -> str:
    """The length of ``[start, end)``: ``N frames``, ``S.SS s`` or a timecode duration."""
    n = end - start
    if fmt == FRAMES:
        return f"{n} frames"
    if fmt == SECONDS:
        secs = (clk.time(end) - clk.time(start)) if clk is not None else rate.seconds(n)
        return f"{secs:.2f} s"
    return timecode(n, rate)  # a duration counts frames: no drop-frame numbering


__all__ = ["FORMATS", "FRAMES", "LABELS", "SECONDS", "TIMECODE", "drop_frame_timecode",
           "format_frame", "format_length", "is_drop_frame"]
