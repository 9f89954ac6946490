"""Cover (poster frame) candidates for a segment, ranked by picture quality.

A good cover is sharp, well exposed, not inside a transition (no dissolve/fade blend) and, when
poses were analysed, shows a person well inside the frame. :func:`cover_candidates` samples frames
of ``[start, end)`` with :class:`core.media.reader.FrameReader` (exact, by PTS) at a small size, scores
each with :func:`score_frame`, drops frames inside transitions and returns the best ``count``
spread across the segment and different to look at (:func:`diverse`). Pure computation on the
caller's thread (the app calls it from a worker); takes a :class:`core.progress.Task` for cancel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np

from core.media.reader import FrameReader
from core.persons.poses import PoseTable
from core.progress import Task, ensure_task
from core.timebase import FrameClock


@dataclass(frozen=True)
class CoverCandidate:
    frame: int
    score: float  # 0..1, higher is better
    sharpness: float  # 0..1
    exposure: float  # 0..1
    subject: float  # 0..1 (0.5 when no poses are known)
    image: np.ndarray | None = None  # RGB thumbnail, when asked for


def sharpness_score(gray: np.ndarray) -> float:
    """Variance of the Laplacian, squashed to 0..1 (about 0.5 at variance 100 on a 320px frame)."""
    var = float(cv2.Laplacian(gray, cv2.CV_32F).var())
    return var / (var + 100.0)


def exposure_score(gray: np.ndarray) -> float:
    """1 for a mid-grey mean with little clipping; low for black, white or blown-out frames."""
    g = gray.astype(np.float32) / 255.0
    mean = float(g.mean())
    clipped = float(((g < 0.02) | (g > 0.98)).mean())
    contrast = min(1.0, float(g.std()) / 0.2)
    return max(0.0, (1.0 - abs(mean - 0.5) * 2.0) * (1.0 - clipped) * (0.3 + 0.7 * contrast))


def subject_score(poses: PoseTable | None, frame: int, size: tuple[int, int]) -> float:
    """How well a person is shown: big, confident, away from the edges. 0.5 when unknown."""
    if poses is None or not len(poses):
        return 0.5
    ps = poses.interpolated(frame)
    if not ps:
        return 0.0
    w, h = size
    best = 0.0
    for p in ps:
        x1, y1, x2, y2 = (float(v) for v in p.box)
        area = max(0.0, (x2 - x1) * (y2 - y1)) / max(1.0, w * h)
        cx, cy = (x1 + x2) / 2 / max(1, w), (y1 + y2) / 2 / max(1, h)
        central = 1.0 - min(1.0, 2.0 * max(abs(cx - 0.5), abs(cy - 0.5)))
        best = max(best, p.score * (0.4 + 0.6 * central) * min(1.0, 0.3 + area * 4))
    return best


def score_frame(rgb: np.ndarray, subject: float = 0.5) -> tuple[float, float, float]:
    """``(score, sharpness, exposure)`` of one RGB frame."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    sh = sharpness_score(gray)
    ex = exposure_score(gray)
    return 0.5 * sh + 0.3 * ex + 0.2 * subject, sh, ex


def in_spans(frame: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(a <= frame < b for a, b in spans)


FORWARD_S = 4.0  # seconds between two cover samples read by decoding on rather than seeking


@dataclass(frozen=True)
class SampledFrame:
    """One frame read for the cover search: what does not depend on the poses."""

    frame: int
    sharpness: float
    exposure: float
    in_transition: bool
    image: np.ndarray


def sample_cover_frames(path: str, clock: FrameClock, start: int, end: int, *,
                        transitions: Sequence[tuple[int, int]] = (), source_size: tuple[int, int] | None = None,
                        samples: int = 24, thumb_width: int = 240, rotation: int = 0,
                        task: Task | None = None) -> list[SampledFrame]:
    """The frames of ``[start, end)`` :func:`cover_candidates` reads, with their picture scores
    (the costly part: one seek and decode per frame). :func:`rank_cover_frames` ranks them."""
    task = ensure_task(task)
    start, end = max(0, int(start)), min(int(end), clock.frame_count)
    if end <= start:
        return []
    margin = min(2, (end - start) // 4)  # the first/last frames often still carry the cut
    lo, hi = start + margin, end - margin
    n = max(1, min(samples, hi - lo))
    frames = sorted({int(round(lo + (hi - lo - 1) * i / max(1, n - 1))) for i in range(n)})
    frames = [f for f in frames if not in_spans(f, transitions)] or frames
    src = source_size or (thumb_width, thumb_width * 9 // 16)
    th = int(round(thumb_width * src[1] / max(1, src[0]))) & ~1
    out: list[SampledFrame] = []
    # a sample at most FORWARD_S after the last one is reached by decoding on (the same frames; a
    # seek decodes from the keyframe before it, up to a whole GOP: 10 s with x264's defaults)
    ahead = max(1, int(FORWARD_S * clock.rate.fps))
    with FrameReader(path, clock, size=(thumb_width & ~1, max(2, th)), rotation=rotation) as reader:
        last = None
        for i, f in enumerate(frames):
            task.check()
            if last is not None and last < f - 1 <= last + ahead:
                for g in range(last + 1, f):
                    reader.read(g)
                    if g % 25 == 0:
                        task.check()
            img = reader.read(f)
            last = f
            _, sh, ex = score_frame(img)
            out.append(SampledFrame(f, sh, ex, in_spans(f, transitions), img))
            task.progress("covers", (i + 1) / len(frames))
    return out


def rank_cover_frames(sampled: Sequence[SampledFrame], start: int, end: int, *, poses: PoseTable | None = None,
                      source_size: tuple[int, int] | None = None, count: int = 8,
                      thumb_width: int = 240) -> list[CoverCandidate]:
    """The best ``count`` of ``sampled`` (from :func:`sample_cover_frames` with the same ``start``,
    ``end``, ``source_size`` and ``thumb_width``), with the person term from ``poses``."""
    src = source_size or (thumb_width, thumb_width * 9 // 16)
    out: list[CoverCandidate] = []
    for s in sampled:
        subj = subject_score(poses, s.frame, src)
        score = 0.5 * s.sharpness + 0.3 * s.exposure + 0.2 * subj  # as score_frame
        if s.in_transition:
            score *= 0.3
        out.append(CoverCandidate(s.frame, score, s.sharpness, s.exposure, subj, s.image))
    return diverse(out, count, gap=max(1, (end - start) // 10))


def cover_candidates(path: str, clock: FrameClock, start: int, end: int, *,
                     transitions: Sequence[tuple[int, int]] = (), poses: PoseTable | None = None,
                     source_size: tuple[int, int] | None = None, count: int = 8, samples: int = 24,
                     thumb_width: int = 240, rotation: int = 0,
                     task: Task | None = None) -> list[CoverCandidate]:
    """The best ``count`` cover frames of ``[start, end)``, best first (see module docstring)."""
    start, end = max(0, int(start)), min(int(end), clock.frame_count)
    sampled = sample_cover_frames(path, clock, start, end, transitions=transitions, source_size=source_size,
                                  samples=samples, thumb_width=thumb_width, rotation=rotation, task=task)
    return rank_cover_frames(sampled, start, end, poses=poses, source_size=source_size, count=count,
                             thumb_width=thumb_width)


def look(img: np.ndarray | None) -> np.ndarray | None:
    """A small descriptor of what a frame shows: 16x9 grey layout plus a hue/saturation histogram."""
    if img is None or img.size == 0:
        return None
    small = cv2.resize(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), (16, 9), interpolation=cv2.INTER_AREA)
    lay = small.astype(np.float32).ravel()
    lay = (lay - lay.mean()) / (lay.std() + 8.0)
    hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV)
    hist = cv2.calcHist([hsv], [0, 1], None, [12, 4], [0, 180, 0, 256]).ravel()
    hist /= max(1.0, float(hist.sum()))
    return np.concatenate([lay / np.sqrt(lay.size), hist * 2.0]).astype(np.float32)


def similarity(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """0 (different pictures) .. 1 (the same picture)."""
    if a is None or b is None:
        return 0.0
    return max(0.0, 1.0 - float(np.linalg.norm(a - b)) / 1.2)


# At or above: the same picture for an editor choosing a cover. Frames of one static wide shot
# (the tennis broadcast, the panoramic football camera in ../shared/media) score 0.86-0.98 with
# each other; different moments of one shot with action (chaplin) 0.65-0.80; other shots ~0.
NEAR_SAME = 0.86


def diverse(cands: Sequence[CoverCandidate], count: int, gap: int = 1,
            weight: float = 0.6) -> list[CoverCandidate]:
    """Up to ``count`` candidates, best first, that look different from each other: greedy
    maximal marginal relevance (score minus ``weight`` x similarity to the closest pick), never
    two near-identical pictures (:data:`NEAR_SAME`) nor two frames closer than ``gap``. A static
    shot gives fewer, different covers rather than eight copies of one picture."""
    pool = sorted(cands, key=lambda c: -c.score)
    looks = {id(c): look(c.image) for c in pool}
    picked: list[CoverCandidate] = []
    while pool and len(picked) < count:
        best, best_v = None, -1e9
        for c in pool:
            if any(abs(c.frame - p.frame) < gap for p in picked):
                continue
            sim = max((similarity(looks[id(c)], looks[id(p)]) for p in picked), default=0.0)
            if sim >= NEAR_SAME:
                continue
            v = c.score - weight * sim
            if v > best_v:
                best, best_v = c, v
        if best is None:
            break
        picked.append(best)
        pool.remove(best)
    return sorted(picked, key=lambda c: -c.score)
