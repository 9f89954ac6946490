"""Speech timing: speech-safe boundaries, pauses, voice-activity post-processing, word timing repair.

Pure functions on plain data (no ML, no Qt), used everywhere a cut point is set: timeline edge
dragging, highlight generation and clip export call :func:`speech_safe_boundary` so a boundary
never silently cuts commentary mid-sentence. The speech stage (``models.speech.stage``) uses the
voice-activity and word-timing helpers to turn model output into ``speech``/``word`` segments.

A boundary at frame ``f`` is the cut between frame ``f - 1`` and frame ``f``; a speech segment
``[s, e)`` is cut by it when ``s < f < e``. Safe to call from any thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from core.segments import Segment
from core.timebase import FrameClock

PREFER = ("nearest", "earlier", "later")


@dataclass(frozen=True)
class SafeBoundary:
    """A proposed boundary: ``frame`` (snapped or unchanged) for the requested ``original``.

    ``inside_speech`` says the *original* frame cuts through speech; ``segment_id`` is the speech
    segment it cuts (``None`` when outside speech or the segment is unsaved). When no pause edge is
    within ``max_shift``, ``frame == original`` and ``inside_speech`` stays ``True`` (a warning).
    """

    frame: int
    inside_speech: bool
    original: int
    segment_id: int | None

    @property
    def moved(self) -> bool:
        return self.frame != self.original


def speech_blocks(speech: Sequence[Segment]) -> list[tuple[int, int, int | None]]:
    """Speech merged into non-overlapping blocks ``(start, end, id of the first segment)``.

    Touching or overlapping segments form one block: there is no pause between them.
    """
    blocks: list[tuple[int, int, int | None]] = []
    for s in sorted(speech, key=lambda x: (x.start_frame, x.end_frame)):
        if s.end_frame <= s.start_frame:
            continue
        if blocks and s.start_frame <= blocks[-1][1]:
            b = blocks[-1]
            blocks[-1] = (b[0], max(b[1], s.end_frame), b[2])
        else:
            blocks.append((s.start_frame, s.end_frame, s.id))
    return blocks


def _containing(frame: int, speech: Sequence[Segment]) -> Segment | None:
    """The speech segment a cut at ``frame`` goes through (``s < frame < e``), if any."""
    best: Segment | None = None
    for s in speech:
        if s.start_frame < frame < s.end_frame and (best is None or s.start_frame < best.start_frame):
            best = s
    return best


def is_inside_speech(frame: int, speech: Sequence[Segment]) -> bool:
    """True when a cut at ``frame`` splits speech (inside a segment or between touching ones)."""
    return any(a < frame < b for a, b, _ in speech_blocks(speech))


def speech_safe_boundary(frame: int, speech: Sequence[Segment], max_shift: int | None = None,
                         prefer: str = "nearest", words: Sequence[Segment] | None = None) -> SafeBoundary:
    """Check a boundary against speech and propose the nearest pause edge.

    ``prefer``: ``"nearest"`` edge, ``"earlier"`` (block start: an out point that drops the
    sentence) or ``"later"`` (block end: keeps the sentence whole). The preferred edge is used if
    it is within ``max_shift`` frames (``None`` = any distance), otherwise the other edge if that
    one is; otherwise, when ``words`` (the ``word`` track) are given, the nearest edge between two
    words within reach (the cut still goes through the sentence, so it stays flagged, but never
    through a word); otherwise the frame is left where it is, still flagged.
    """
    if prefer not in PREFER:
        raise ValueError(f"prefer must be one of {PREFER}, not {prefer!r}")
    frame = int(frame)
    for a, b, block_id in speech_blocks(speech):
        if not a < frame < b:
            continue
        seg = _containing(frame, speech)  # None at a join between touching segments
        sid = seg.id if seg is not None else next(
            (s.id for s in speech if s.start_frame < frame <= s.end_frame), block_id)
        da, db = frame - a, b - frame
        if prefer == "earlier":
            order = [a, b]
        elif prefer == "later":
            order = [b, a]
        else:
            order = [a, b] if da <= db else [b, a]
        for cand in order:
            if max_shift is None or abs(cand - frame) <= max_shift:
                return SafeBoundary(cand, True, frame, sid)
        gap = _word_gap(frame, a, b, words or (), max_shift)
        return SafeBoundary(frame if gap is None else gap, True, frame, sid)
    return SafeBoundary(frame, False, frame, None)


def _word_gap(frame: int, a: int, b: int, words: Sequence[Segment],
              max_shift: int | None) -> int | None:
    """The word edge inside ``(a, b)`` nearest to ``frame`` that no word straddles, if in reach."""
    inside = [w for w in words if w.end_frame > a and w.start_frame < b]
    edges = sorted({e for w in inside for e in (w.start_frame, w.end_frame) if a < e < b})
    ok = [e for e in edges if not any(w.start_frame < e < w.end_frame for w in inside)]
    if not ok:
        return None
    if frame in ok:
        return frame
    best = min(ok, key=lambda e: (abs(e - frame), e))
    return None if max_shift is not None and abs(best - frame) > max_shift else best


def pauses(speech: Sequence[Segment], frame_count: int, min_len: int = 1) -> list[tuple[int, int]]:
    """Half-open frame ranges without speech, at least ``min_len`` frames long, in order."""
    out: list[tuple[int, int]] = []
    pos = 0
    for a, b, _ in speech_blocks(speech):
        a, b = max(0, a), min(frame_count, b)
        if a - pos >= min_len:
            out.append((pos, a))
        pos = max(pos, b)
    if frame_count - pos >= min_len:
        out.append((pos, frame_count))
    return out


# -- voice activity post-processing -----------------------------------------------------------

@dataclass(frozen=True)
class VadParams:
    """Hysteresis on per-window speech probabilities (Silero's scheme, tuned for cut safety).

    Speech starts when a window reaches ``threshold`` and ends after ``min_silence_ms`` below
    ``neg_threshold``; regions shorter than ``min_speech_ms`` are dropped; each region is padded
    by ``pad_ms`` (never across the middle of a pause); regions longer than ``max_speech_s`` are
    split at their quietest window so transcription chunks stay short.
    """

    threshold: float = 0.5
    neg_threshold: float = 0.35
    min_silence_ms: int = 250
    min_speech_ms: int = 120
    pad_ms: int = 30
    max_speech_s: float = 28.0


def regions_from_probabilities(probs: np.ndarray, window: int, rate: int, total: int,
                               params: VadParams | None = None) -> list[tuple[int, int]]:
    """Speech regions ``[(start_sample, end_sample), ...]`` from per-window probabilities."""
    p = params or VadParams()
    probs = np.asarray(probs, dtype=np.float32).reshape(-1)
    min_sil = max(1, int(round(p.min_silence_ms * rate / 1000 / window)))
    regions: list[tuple[int, int]] = []
    start: int | None = None
    below = 0
    for i, v in enumerate(probs):
        if start is None:
            if v >= p.threshold:
                start, below = i, 0
            continue
        if v < p.neg_threshold:
            below += 1
            if below >= min_sil:
                regions.append((start, i - below + 1))
                start = None
        elif v >= p.threshold:
            below = 0
    if start is not None:
        regions.append((start, len(probs) - below))
    min_speech = p.min_speech_ms * rate / 1000
    max_len = max(1, int(p.max_speech_s * rate / window))
    out: list[tuple[int, int]] = []
    for a, b in regions:
        for ca, cb in _split_long(probs, a, b, max_len):
            if (cb - ca) * window >= min_speech:
                out.append((ca * window, cb * window))
    pad = int(p.pad_ms * rate / 1000)
    padded: list[tuple[int, int]] = []
    for i, (a, b) in enumerate(out):
        lo = 0 if i == 0 else (out[i - 1][1] + a) // 2
        hi = total if i == len(out) - 1 else (b + out[i + 1][0]) // 2
        padded.append((max(lo, a - pad, 0), min(hi, b + pad, total)))
    return [(a, b) for a, b in padded if b > a]


def _split_long(probs: np.ndarray, a: int, b: int, max_len: int) -> list[tuple[int, int]]:
    if b - a <= max_len:
        return [(a, b)]
    lo = a + max_len // 2
    hi = a + max_len
    cut = lo + int(np.argmin(probs[lo:hi]))
    return [(a, cut)] + _split_long(probs, cut, b, max_len)


def frame_range(clock: FrameClock, start_s: float, end_s: float) -> tuple[int, int]:
    """Frames covering ``[start_s, end_s)`` in full: first frame on screen to one past the last."""
    n = clock.frame_count
    a = clock.frame_at(start_s)
    b = clock.frame_at(max(start_s, end_s - 1e-6)) + 1
    return max(0, min(a, n)), max(0, min(max(b, a + 1), n))


# -- word timing -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Word:
    """A transcribed word in seconds of the audio; ``interpolated`` when its time was repaired."""

    text: str
    start: float
    end: float
    probability: float
    interpolated: bool = False


MIN_WORD_S = 0.04  # shortest time an interpolated word is given
MAX_WORD_BASE_S, MAX_WORD_PER_CHAR_S = 0.15, 0.09  # longest plausible interpolated word
COLLAPSED_S = 0.015  # a word aligned shorter than this has no usable time (Whisper's step is 20 ms)


def _weak(w: Word, seg_start: float, seg_end: float, prev_end: float) -> bool:
    if w.end - w.start < COLLAPSED_S:
        return True
    if w.start < seg_start - 0.05 or w.end > seg_end + 0.05:
        return True
    if w.start < prev_end - 0.05:
        return True
    # Numbers and scores ("2-1", "67th") are where Whisper's alignment is weakest: trust their
    # times only when the model is confident about the token.
    return any(c.isdigit() for c in w.text) and w.probability < 0.5


def repair_word_times(words: Sequence[Word], seg_start: float, seg_end: float) -> list[Word]:
    """Give every word a usable time inside ``[seg_start, seg_end]``.

    Words whose alignment is weak (collapsed, outside the segment, out of order, or a low
    confidence number) are re-timed by interpolation between their well-aligned neighbours,
    sharing the gap in proportion to their length in characters. A gap longer than the words
    plausibly take (a pause) is not stretched over: they get a plausible length around where the
    model put them. If the gap is too short, the neighbours give up half of their own time.
    """
    ws = list(words)
    n = len(ws)
    if n == 0:
        return []
    seg_end = max(seg_end, seg_start + MIN_WORD_S * n)
    weak = []
    prev_end = seg_start
    for w in ws:
        bad = _weak(w, seg_start, seg_end, prev_end)
        weak.append(bad)
        if not bad:
            prev_end = w.end
    times = [(w.start, w.end) for w in ws]
    i = 0
    while i < n:
        if not weak[i]:
            i += 1
            continue
        j = i
        while j < n and weak[j]:
            j += 1
        lo = times[i - 1][1] if i > 0 else seg_start
        hi = times[j][0] if j < n else seg_end
        need = MIN_WORD_S * (j - i)
        if hi - lo < need:
            if i > 0:
                ps, pe = times[i - 1]
                lo = ps + (pe - ps) / 2
                times[i - 1] = (ps, lo)
            if j < n:
                ns, ne = times[j]
                hi = max(ns + (ne - ns) / 2, lo + need)
                times[j] = (hi, max(ne, hi + MIN_WORD_S / 2))
            hi = max(hi, lo + need)
        lens = np.array([max(1, len(ws[k].text.strip())) for k in range(i, j)], dtype=np.float64)
        longest = float(np.sum(MAX_WORD_BASE_S + MAX_WORD_PER_CHAR_S * lens))
        if hi - lo > longest:
            # A long gap (a pause): the words take a plausible length, placed around where the
            # model put them when that lies in the gap, else right after the previous word.
            mids = [(ws[k].start + ws[k].end) / 2 for k in range(i, j)]
            mids = [m for m in mids if lo <= m <= hi]
            centre = float(np.mean(mids)) if mids else lo + longest / 2
            centre = min(max(centre, lo + longest / 2), hi - longest / 2)
            lo, hi = centre - longest / 2, centre + longest / 2
        edges = lo + (hi - lo) * np.concatenate([[0.0], np.cumsum(lens) / lens.sum()])
        for k in range(i, j):
            times[k] = (float(edges[k - i]), float(edges[k - i + 1]))
        i = j
    return [Word(w.text, s, e, w.probability, w.interpolated or weak[k])
            for k, (w, (s, e)) in enumerate(zip(ws, times, strict=True))]


def frame_f1(pred: Sequence[tuple[float, float]], truth: Sequence[tuple[float, float]],
             duration: float, step: float = 0.01,
             scored: Sequence[tuple[float, float]] | None = None) -> tuple[float, float, float]:
    """Frame-level precision, recall and F1 of speech intervals (seconds) on a ``step`` grid.

    ``scored``: the labelled spans (default: all of ``duration``); time outside is not counted.
    """
    n = max(1, int(round(duration / step)))

    def mask(iv: Sequence[tuple[float, float]]) -> np.ndarray:
        m = np.zeros(n, dtype=bool)
        for a, b in iv:
            m[max(0, int(round(a / step))):max(0, min(n, int(round(b / step))))] = True
        return m

    keep = mask(scored) if scored is not None else np.ones(n, dtype=bool)
    p, t = mask(pred) & keep, mask(truth) & keep
    tp = float(np.sum(p & t))
    prec = tp / float(p.sum()) if p.any() else (1.0 if not t.any() else 0.0)
    rec = tp / float(t.sum()) if t.any() else 1.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec > 0 else 0.0
    return prec, rec, f1


def normalize_text(text: str) -> list[str]:
    """Lower-case words without punctuation, for comparing transcripts."""
    import re

    return re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " ")).split()


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word edit distance divided by the reference length (after :func:`normalize_text`)."""
    ref, hyp = normalize_text(reference), normalize_text(hypothesis)
    d = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, d[0] = d[0], i
        for j, h in enumerate(hyp, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (r != h))
    return d[len(hyp)] / max(1, len(ref))


__all__ = [
    "MIN_WORD_S", "normalize_text", "word_error_rate",
    "SafeBoundary", "VadParams", "Word", "frame_f1", "frame_range", "is_inside_speech",
    "pauses", "regions_from_probabilities", "repair_word_times", "speech_blocks",
    "speech_safe_boundary",
]
