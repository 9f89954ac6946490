"""Subtitles (SRT, WebVTT) from the speech or word track, and chapters (YouTube description text,
FFmpeg ffmetadata) from scenes or highlights. Times are presentation timestamps from the project's
clock, so VFR video stays exact; ffmetadata of constant-rate video uses the frame rate itself as
its timebase (``TIMEBASE=1001/30000``), which is exact at any length.

Pure functions; any thread.
"""

from __future__ import annotations

import textwrap

from core.export.data import ExportData, ExportError
from core.segments import HIGHLIGHT, SCENE, SPEECH, WORD, Segment


def _pick(d: ExportData, preferred: tuple[str, ...], what: str) -> str:
    if len(d.segments) == 1:
        return d.tracks[0]
    for t in preferred:
        if t in d.segments:
            return t
    raise ExportError(f"{what} need a {' or '.join(preferred)} track (or one --track)")


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


def _stamp(ms: int, sep: str) -> str:
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


# Subtitle layout (common broadcast/streaming guidance): two lines of up to 42 characters,
# a cue at most 6 s long, and a new cue after a pause or the end of a sentence.
LINE_CHARS = 42
CUE_LINES = 2
CUE_MS = 6000
PAUSE_MS = 600


def _wrap(text: str) -> str:
    return "\n".join(textwrap.wrap(" ".join(text.split()), LINE_CHARS)) or text.strip()


def _word_cues(words: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Words -> readable cues: break at pauses, sentence ends, and the length limits."""
    cues: list[tuple[int, int, str]] = []
    cur: list[tuple[int, int, str]] = []

    def flush() -> None:
        if cur:
            cues.append((cur[0][0], cur[-1][1], _wrap(" ".join(w for _, _, w in cur))))
            cur.clear()

    for a, b, w in words:
        if cur:
            text = " ".join(x for _, _, x in cur) + " " + w
            if (a - cur[-1][1] > PAUSE_MS or cur[-1][2][-1:] in ".?!" or b - cur[0][0] > CUE_MS
                    or len(textwrap.wrap(text, LINE_CHARS)) > CUE_LINES):
                flush()
        cur.append((a, b, w))
    flush()
    return cues


def _cues(d: ExportData) -> list[tuple[int, int, str]]:
    track = _pick(d, (SPEECH, WORD), "subtitles")
    items = []
    for s in d.segments[track]:
        text = " ".join((s.label or "").split())
        if not text:
            continue
        a, b = _ms(d.time(s.start_frame)), _ms(d.time(s.end_frame))
        items.append((a, max(b, a + 1), text))
    if not items:
        raise ExportError(f"track '{track}' has no text to write as subtitles")
    if track == WORD:
        return _word_cues(items)
    return [(a, b, _wrap(t)) for a, b, t in items]


def to_srt(d: ExportData) -> str:
    return "".join(f"{i}\n{_stamp(a, ',')} --> {_stamp(b, ',')}\n{t}\n\n"
                   for i, (a, b, t) in enumerate(_cues(d), 1))


def to_vtt(d: ExportData) -> str:
    # "-->" may not appear inside a cue's text in WebVTT.
    body = "".join(f"{_stamp(a, '.')} --> {_stamp(b, '.')}\n{t.replace('-->', '->')}\n\n"
                   for a, b, t in _cues(d))
    return "WEBVTT\n\n" + body


def _chapters(d: ExportData) -> tuple[str, list[Segment]]:
    track = _pick(d, (SCENE, HIGHLIGHT), "chapters")
    segs = [s for s in d.segments[track] if s.length > 0]
    if not segs:
        raise ExportError(f"track '{track}' has no segments to make chapters of")
    return track, segs


def _title(s: Segment, i: int) -> str:
    return " ".join((s.label or "").split()) or f"{s.track.capitalize()} {i + 1}"


def _yt_time(seconds: float, hours: bool) -> str:
    t = int(seconds)  # YouTube reads whole seconds; floor so a chapter never starts late
    h, rem = divmod(t, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if hours else f"{m}:{s:02d}"


def to_chapters(d: ExportData) -> str:
    """YouTube description chapters: ``0:00 Title`` lines, the first at 0:00 (a ``Start`` chapter
    is added when the first segment starts later). YouTube also wants three or more chapters of
    at least ten seconds; that depends on the content and is not enforced here."""
    _, segs = _chapters(d)
    hours = d.time(d.video.frame_count) >= 3600
    lines: list[str] = []
    last = -1
    if int(d.time(segs[0].start_frame)) > 0:
        lines.append(f"{_yt_time(0, hours)} Start")
        last = 0
    for i, s in enumerate(segs):
        t = int(d.time(s.start_frame))
        if t <= last:  # two chapters in the same second: YouTube keeps one
            continue
        lines.append(f"{_yt_time(t, hours)} {_title(s, i)}")
        last = t
    return "\n".join(lines) + "\n"


def _ff_escape(text: str) -> str:
    out = text
    for ch in ("\\", "=", ";", "#", "\n"):
        out = out.replace(ch, "\\" + ch)
    return out


def to_ffmetadata(d: ExportData) -> str:
    """``ffmpeg -i video -i chapters.txt -map_metadata 1 -codec copy out.mp4`` adds the chapters."""
    _, segs = _chapters(d)
    rate = d.video.rate
    exact = not d.video.info.vfr
    parts = [";FFMETADATA1\n"]
    for i, s in enumerate(segs):
        if exact:
            tb, start, end = f"{rate.den}/{rate.num}", s.start_frame, s.end_frame
        else:
            tb, start, end = "1/1000", _ms(d.time(s.start_frame)), _ms(d.time(s.end_frame))
        parts.append(f"\n[CHAPTER]\nTIMEBASE={tb}\nSTART={start}\nEND={end}\n"
                     f"title={_ff_escape(_title(s, i))}\n")
    return "".join(parts)
