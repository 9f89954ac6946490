"""Shot-boundary decisions from cached per-frame signals (no decode, no ML): cuts and gradual spans.

The cheap part of PySceneDetect's split (per-frame scores cached apart from decisions): given
:class:`~core.shots.features.ShotSignals` (classical features plus refiner probabilities where the
refiner looked) and :class:`DetectParams`, :func:`detect_boundaries` returns every boundary as a
:class:`Boundary` span with a type and a confidence. It also owns the *gate* (:func:`uncertain`)
that decides, during the decode pass, which frames the refiner must look at.

Rules, in order:

* **Cut**: a one-frame jump in colour histogram (``D1``) with real pixel change (``PIXDIFF``),
  standing out from its neighbours, and *not* a return to earlier content afterwards (flash,
  corrupted macroblocks, a blur smear: the frame two after the jump looks like the frames before).
  Strong ones are decided classically; weaker ones need the refiner (probability >= threshold), as
  do jumps that stand out on one side only (a cut next to a gradual transition) and jumps back to
  a shot seen before a gradual transition (A-B-A).
* **Gradual** (dissolve, fade, wipe): the content ``GRAD_K`` frames back and ahead differs a lot
  (``dist(h[i-K], h[i+K])``, at K and K/2 so a short one next to a cut or another transition is not
  blurred into it) without a cut in between, or frames go black (dark AND flat: a darkened shot is
  not black). The refiner (or, fast pass alone, a stricter classical score) confirms; the span is
  the run of frames that look like neither side, between the cuts around it; the type comes from
  black frames or a luma dip (fade), a change front travelling across or down (wipe), else dissolve.

Pure functions; any thread.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from core.shots import features as F
from core.shots.features import ShotSignals

GRAD_K = 12
CUT, DISSOLVE, FADE, WIPE = "cut", "dissolve", "fade", "wipe"


@dataclass(frozen=True)
class DetectParams:
    """Decision thresholds (changing them needs no decode: signals are cached)."""

    threshold: float = 0.5  # refiner probability for a boundary
    cut_strong: float = 0.25  # D1 above which a clean jump is a cut without the refiner
    cut_weak: float = 0.08  # D1 above which a jump is worth a look
    cut_fast: float = 0.3  # D1 for a cut where the refiner did not look (fast pass alone)
    cut_vouch: float = 0.9  # refiner probability that makes a jump back to earlier content a cut
    min_pixdiff: float = 0.06  # a cut changes pixels, not only histogram bins
    grad_min: float = 0.2  # dist(h[i-K], h[i+K]) for a gradual candidate
    gate_grad: float = 0.2  # ... for the gate to send the frame to the refiner
    gate_peak: int = GRAD_K  # ... only where it peaks within this many frames (0: wherever high)
    grad_fast: float = 0.4  # ... accepted without the refiner if also blended linearly:
    mid_sure: float = 0.12  # MID_ERR (see features) at or below which a blend is certain
    mid_unsure: float = 0.25  # MID_ERR above which a change is motion, not a blend
    min_shot: int = 4  # frames: boundaries closer than this merge (keep the stronger)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Boundary:
    """A transition: frames ``[start, end)`` are the transition (``start == end`` for a cut, which
    sits between ``start - 1`` and ``start``); ``frame`` is where the new shot begins."""

    kind: str
    start: int
    end: int
    frame: int
    confidence: float
    refined: bool = False


# -- helpers over the cached arrays -------------------------------------------------------------

def _neighbour_max(x: np.ndarray, i: int, radius: int = 3, one_sided: bool = False) -> float:
    """How much a jump at ``i`` must stand out over: its neighbours' largest value or, ``one_sided``,
    the quieter side's (a cut right before or after a gradual transition is quiet on one side
    only), but at least 0.4 times the louder side's (so the jump is still the largest around)."""
    left = x[max(0, i - radius):i]
    right = x[i + 1:min(len(x), i + radius + 1)]
    lm = float(left.max()) if left.size else 0.0
    rm = float(right.max()) if right.size else 0.0
    return max(min(lm, rm), 0.4 * max(lm, rm)) if one_sided else max(lm, rm)


def _returns_to_earlier(sig: ShotSignals, i: int, d1: float, lookback: int = 90,
                        before: int | None = None, since: int = 0) -> bool:
    """True if the content shortly after a change at ``i`` matches content from before it (before
    frame ``before``, default ``i - 1``, but after the last accepted boundary ``since``): a flash,
    a freeze or a smear, not a new shot. (Cutting back to a shot seen before a real cut, A-B-A,
    is a new shot: ``since`` keeps that legal.)"""
    n = sig.n
    after = min(n - 1, i + 2)
    b = i - 1 if before is None else before
    js = np.arange(max(0, since, b - lookback), max(0, b))
    if js.size == 0:
        return False
    back = np.asarray(F.hist_distance(sig.hist[js], sig.hist[after][None]))
    return float(back.min()) < 0.45 * d1


def grad_profile(sig: ShotSignals, k: int = GRAD_K) -> np.ndarray:
    """``dist(h[i-k], h[i+k])`` for every frame (clamped at the ends)."""
    n = sig.n
    idx = np.arange(n)
    return np.asarray(F.hist_distance(sig.hist[np.clip(idx - k, 0, n - 1)],
                                      sig.hist[np.clip(idx + k, 0, n - 1)]), np.float32).reshape(n)


def _cut_shape(sig: ShotSignals, i: int, p: DetectParams, since: int = 0, one_sided: bool = False) -> bool:
    """A one-frame jump at ``i`` with real pixel change that stands out from its neighbours (from
    one side only, ``one_sided``: then only the refiner may confirm it)."""
    d1 = sig.scalars[:, F.D1]
    return (d1[i] >= p.cut_weak and sig.scalars[i, F.PIXDIFF] >= p.min_pixdiff
            and d1[i] >= 2.5 * _neighbour_max(d1, i, one_sided=one_sided)
            and not _returns_to_earlier(sig, i, float(d1[i]), since=since))


def strong_cut(sig: ShotSignals, i: int, p: DetectParams, since: int = 0) -> bool:
    """A jump big and clean enough to be a cut without the refiner (standing out on one side is
    enough: a strong cut next to a gradual transition is still a cut)."""
    d1 = sig.scalars[:, F.D1]
    return bool(d1[i] >= p.cut_strong and sig.scalars[i, F.PIXDIFF] >= 1.5 * p.min_pixdiff
                and d1[i] >= 3.0 * _neighbour_max(d1, i, one_sided=True)
                and not _returns_to_earlier(sig, i, float(d1[i]), since=since))


def min_mid_err(sig: ShotSignals, i: int, radius: int = GRAD_K, min_span: float = 0.04) -> float:
    """Lowest MID_ERR near ``i`` among frames whose window really changes (static ones say nothing)."""
    sl = slice(max(0, i - radius), i + radius + 1)
    seg = sig.scalars[sl, F.MID_ERR][sig.scalars[sl, F.SPAN_DIFF] >= min_span]
    return float(seg.min()) if seg.size else 1.0


def _grad_window(sig: ShotSignals, i: int, radius: int) -> np.ndarray:
    """grad_profile values for frames ``i - radius .. i + radius`` (clamped)."""
    n = sig.n
    js = np.arange(max(0, i - radius), min(n, i + radius + 1))
    return np.atleast_1d(np.asarray(sig.hist_dist(js - GRAD_K, js + GRAD_K)))


def _cut_in_window(sig: ShotSignals, i: int, p: DetectParams) -> bool:
    lo, hi = max(1, i - GRAD_K), min(sig.n, i + GRAD_K + 1)
    d1 = sig.scalars[lo:hi, F.D1]
    return any(strong_cut(sig, lo + int(k), p) for k in np.flatnonzero(d1 >= p.cut_strong))


def uncertain(sig: ShotSignals, i: int, p: DetectParams) -> bool:
    """The gate: should the refiner look at frame ``i``? Needs signals up to ``i + 2 * GRAD_K + 6``.

    Yes for a jump that stands out but is not a sure cut, and for a change over ``2 * GRAD_K``
    frames that blends linearly (a dissolve or fade) or is larger than camera motion makes
    (``grad_fast``), unless a sure blend is right there. Plain motion (no jump, no linear blend,
    moderate change) and sure cuts or blends are decided without it.
    """
    d1 = float(sig.scalars[i, F.D1])
    if (d1 >= p.cut_weak and sig.scalars[i, F.PIXDIFF] >= 0.5 * p.min_pixdiff
            and d1 >= 2.5 * _neighbour_max(sig.scalars[:, F.D1], i, one_sided=True)
            and not strong_cut(sig, i, p)):
        return True
    grad = float(sig.hist_dist(i - GRAD_K, i + GRAD_K))
    # Away from the video's edges only the profile's peak needs a look (the refiner's window
    # around it covers the transition); near an edge the clamped profile peaks off the
    # transition, so every high frame goes (the last 2K frames are judged at the end, n known).
    edge = i < 2 * GRAD_K or i >= sig.n - 2 * GRAD_K
    if grad >= p.gate_grad and (p.gate_peak == 0 or edge
                                or grad >= float(_grad_window(sig, i, p.gate_peak).max())):
        mid = min_mid_err(sig, i)
        # blends linearly, or changes more than camera motion does in real footage (and no
        # sure cut in the window explains the change)
        if mid < p.mid_unsure or (grad >= p.grad_fast and not _cut_in_window(sig, i, p)):
            # a sure blend nearby (the transition this frame belongs to) settles it
            sure = (min_mid_err(sig, i, 2 * GRAD_K) <= p.mid_sure
                    and float(_grad_window(sig, i, GRAD_K).max()) >= p.grad_fast)
            return not sure
    return False


def d1_at(sig: ShotSignals, i: int) -> float:
    return float(sig.scalars[i, F.D1])


# -- gradual spans and types ------------------------------------------------------------------

def gradual_span(sig: ShotSignals, c: int, k: int = GRAD_K,
                 within: tuple[int, int] | None = None) -> tuple[int, int]:
    """Frames around ``c`` that look like neither the shot before nor the shot after, looking only
    at frames ``within`` ``[first, end)`` (between the accepted cuts around ``c``: a transition
    next to a cut must not take the cut's shot for one of its sides)."""
    n = sig.n
    first, end = within or (0, n)
    if not first <= c < end:
        return c, c
    h = sig.hist.astype(np.float32)
    for kk in (k, 2 * k):
        a_lo, b_hi = max(first, c - kk - 3), min(end, c + kk + 4)
        a = h[a_lo:max(a_lo + 1, c - kk + 1)].mean(0)
        b = h[max(a_lo + 1, min(b_hi - 1, c + kk)):b_hi].mean(0)
        ab = float(F.hist_distance(a, b))
        if ab < 0.05:
            return c, c
        lo, hi = max(first, c - kk), min(end, c + kk + 1)
        da = np.asarray(F.hist_distance(h[lo:hi], a[None]))
        db = np.asarray(F.hist_distance(h[lo:hi], b[None]))
        mid = np.minimum(da, db) > 0.2 * ab
        mid |= black_frames(sig)[lo:hi]  # black frames of a fade belong to it
        ci = min(max(c - lo, 0), hi - lo - 1)
        if not mid[ci]:
            # the middle frame may be closer to one side; start from the nearest flagged frame
            flagged = np.flatnonzero(mid)
            if flagged.size == 0:
                return c, c
            ci = int(flagged[np.argmin(np.abs(flagged - ci))])
            if abs(ci - (c - lo)) > 3:
                return c, c
        s = ci
        while s > 0 and mid[s - 1]:
            s -= 1
        e = ci + 1
        while e < len(mid) and mid[e]:
            e += 1
        if (s > 0 and e < len(mid)) or kk == 2 * k:
            return lo + s, lo + e
    return c, c


def classify(sig: ShotSignals, s: int, e: int) -> str:
    """Type of a gradual transition spanning ``[s, e)``."""
    n = sig.n
    luma = sig.scalars[:, F.LUMA]
    inside = luma[s:e]
    before = float(luma[max(0, s - 3):s].mean()) if s > 0 else float(inside[0])
    after = float(luma[e:min(n, e + 3)].mean()) if e < n else float(inside[-1])
    if inside.size and (bool(black_frames(sig)[s:e].any()) or float(inside.min()) < 0.3 * min(before, after)):
        return FADE
    chg = sig.scalars[s:e, F.CHANGED]
    moving = chg > 0.01
    if moving.sum() >= max(3, 0.6 * (e - s)):
        t = np.flatnonzero(moving).astype(np.float64)
        for col, spread in ((F.CX, 0.1), (F.CY, 0.1)):  # a front travelling across or down
            x = sig.scalars[s:e, col][moving].astype(np.float64)
            if x.std() > spread and abs(float(np.corrcoef(t, x)[0, 1])) > 0.85:
                return WIPE
    return DISSOLVE


# -- the decision -------------------------------------------------------------------------------

def _prob_near(probs: np.ndarray, lo: int, hi: int) -> float | None:
    seg = probs[max(0, lo):max(0, hi)]
    seg = seg[~np.isnan(seg)]
    return float(seg.max()) if seg.size else None


def _peaks(x: np.ndarray, thr: float, radius: int) -> list[int]:
    """Indices of local maxima >= thr, at least ``radius`` apart (greedy, strongest first)."""
    cand = np.flatnonzero(x >= thr)
    taken: list[int] = []
    for i in cand[np.argsort(-x[cand], kind="stable")]:
        if all(abs(int(i) - t) > radius for t in taken):
            taken.append(int(i))
    return sorted(taken)


def detect_boundaries(sig: ShotSignals, params: DetectParams | None = None) -> list[Boundary]:
    """All boundaries of a video, sorted, at least ``min_shot`` frames apart."""
    p = params or DetectParams()
    n = sig.n
    if n < 3:
        return []
    d1 = sig.scalars[:, F.D1]
    probs = sig.probs if sig.probs.shape[0] == n else np.full(n, np.nan, np.float32)
    out: list[Boundary] = []

    # 1. cuts
    last = 0  # the latest accepted cut: what came before it may legally come back (A-B-A)
    for i in (int(x) for x in np.flatnonzero(d1 >= p.cut_weak)):
        if i < 1 or i >= n - 1:  # a change on the very last frame opens no shot (e.g. the end of a fade out)
            continue
        pr = _prob_near(probs, i - 2, i + 1)  # TransNetV2 marks the last frame of the old shot
        if strong_cut(sig, i, p, since=last):
            out.append(Boundary(CUT, i, i, i, min(1.0, max(float(d1[i]), pr or 0.0)), pr is not None))
        elif _cut_shape(sig, i, p, since=last):
            if pr is not None:
                if pr < p.threshold:
                    continue
                out.append(Boundary(CUT, i, i, i, pr, True))
            elif d1[i] >= p.cut_fast:
                out.append(Boundary(CUT, i, i, i, float(d1[i]), False))
            else:
                continue
        # Standing out on one side only (next to a gradual transition), or back to a shot seen
        # before a gradual transition (A-B-A across a dissolve): only with the refiner's word,
        # and never back to what was on screen just before (a flash).
        elif pr is not None and (
                (pr >= p.threshold and _cut_shape(sig, i, p, since=last, one_sided=True))
                or (pr >= p.cut_vouch and _cut_shape(sig, i, p, since=max(last, i - 8), one_sided=True))):
            out.append(Boundary(CUT, i, i, i, pr, True))
        else:
            continue
        last = i

    # 2. gradual transitions: peaks of the K-frame profile and of the refiner away from cuts
    # Two scales: a short transition close to a cut or to another transition shows on the
    # half-width profile, where the K-frame one blurs it into its neighbour.
    cut_frames = np.array([b.frame for b in out], int)
    profiles = {k: grad_profile(sig, k) for k in (GRAD_K, GRAD_K // 2)}
    cands: set[tuple[int, int]] = {(c, k) for k, g in profiles.items() for c in _peaks(g, p.grad_min, k)}
    finite = np.nan_to_num(probs, nan=0.0)
    cands.update((i + 1, GRAD_K) for i in _peaks(finite, p.threshold, GRAD_K) if i + 1 < n)
    black = black_frames(sig)
    cands.update((c, k) for c in _dark_runs(black) for k in profiles)
    luma = sig.scalars[:, F.LUMA]
    pix = sig.scalars[:, F.PIXDIFF]
    fade_in, fade_out = edge_fades(sig)
    # cuts between visible frames bound a gradual span; a cut into or out of black may be its end
    walls = np.array([f for f in cut_frames if not black[f - 1] and not black[f]], int)
    for c, k in sorted(cands):
        if walls.size and np.min(np.abs(walls - c)) <= k:
            continue
        grad = profiles[k]
        prev = walls[walls <= c]
        nxt = walls[walls > c]
        within = (int(prev.max()) + 2 if prev.size else 0, int(nxt.min()) - 1 if nxt.size else n)
        s, e = gradual_span(sig, c, k, within)
        if e - s < 2:
            continue
        if (fade_in and s < fade_in + 2) or (fade_out and e > n - fade_out - 2):
            continue  # part of the fade in from black at the start (or out at the end): no boundary
        # A fade-out ending in a cut from black (or a cut to black before a fade-in) is one
        # transition; any other cut inside or touching the span means this is not a gradual one.
        touching = [b for b in out if b.kind == CUT and s - 1 <= b.frame <= e + 1]
        if any(not black[b.frame - 1] and not black[b.frame] for b in touching):
            continue
        side = _side_distance(sig, s, e)
        since = max([b.frame for b in out if b.frame < s], default=0)
        if float(pix[s:e + 1].sum()) < 0.08 or _returns_to_earlier(sig, e, side, before=s - 1, since=since):
            continue  # too little real change (a counter, a caption), or back to earlier content
        moved = float(pix[max(1, s):min(n, e + 1)].sum())
        jumps = [i for i in range(max(1, s), min(n, e + 1))
                 if d1[i] >= 0.5 * side and pix[i] >= max(0.1, 0.4 * moved) and not black[i - 1] and not black[i]
                 and min(luma[i - 1], luma[i]) >= 0.7 * max(luma[i - 1], luma[i])]  # not a fade step
        if jumps:
            continue  # most of the change happens in one jump between visible frames: not gradual
        masked = probs.copy()
        for b in out:
            if b.kind == CUT and b not in touching:
                masked[max(0, b.frame - 3):b.frame + 2] = np.nan
        pr = _prob_near(masked, s - 2, e + 1)
        mid_f = (s + e) // 2
        if pr is not None and pr < p.threshold and _prob_near(masked, mid_f - 3, mid_f + 4) is None:
            pr = None  # the refiner saw only the edge of the span, not its middle: it cannot veto
        g = float(grad[min(n - 1, mid_f)])
        kind = classify(sig, s, e)
        if pr is not None and pr >= p.threshold and g >= 0.5 * p.grad_min:
            conf = pr
        elif g >= p.grad_fast and ((pr is None and min_mid_err(sig, (s + e) // 2) <= p.mid_unsure)
                                   or kind == WIPE  # TransNetV2 is weak on wipes
                                   # ... and on low-contrast fades: black frames between two
                                   # linear blends need no second opinion
                                   or (kind == FADE and bool(black[s:e].any())
                                       and min_mid_err(sig, (s + e) // 2) <= p.mid_sure)):
            conf = min(1.0, g)
        else:
            continue
        if (float(black[:s].mean()) if s else 1.0) > 0.5 or (float(black[e:].mean()) if e < n else 1.0) > 0.5:
            continue  # fade in from / out to black at the very edge of the video: not between shots
        for b in touching:
            out.remove(b)
            s, e = min(s, b.frame), max(e, b.frame)
        out.append(Boundary(kind, s, e, (s + e) // 2, conf, pr is not None))
    return _dedupe(out, p.min_shot)


def black_frames(sig: ShotSignals) -> np.ndarray:
    """Frames that are (near) black: dark AND flat. A darkened shot is dark but keeps its
    texture; it is a shot, not the middle of a fade."""
    return (sig.scalars[:, F.LUMA] < 0.06) & (sig.scalars[:, F.LUMA_STD] < 0.02)


def _dark_runs(black: np.ndarray) -> list[int]:
    """Centre frame of every run of (near) black frames: the middle of a fade."""
    dark = np.concatenate([[False], black, [False]])
    edges = np.flatnonzero(np.diff(dark.astype(np.int8)))
    return [int((a + b - 1) // 2) for a, b in zip(edges[::2], edges[1::2])]


def _side_distance(sig: ShotSignals, s: int, e: int) -> float:
    """Histogram distance between the frames just before ``s`` and just after ``e``."""
    n = sig.n
    a = sig.hist[max(0, s - 3):max(1, s)].astype(np.float32).mean(0)
    b = sig.hist[min(n - 1, e):min(n, e + 3)].astype(np.float32).mean(0)
    return float(F.hist_distance(a, b))


def _dedupe(bs: list[Boundary], min_gap: int) -> list[Boundary]:
    bs = sorted(bs, key=lambda b: (b.start, b.end))
    out: list[Boundary] = []
    for b in bs:
        if out:
            last = out[-1]
            if b.start <= last.end + min_gap and b.frame - last.frame < max(min_gap, b.end - last.start):
                merged = _merge(last, b)
                out[-1] = merged
                continue
        out.append(b)
    return out


def _merge(a: Boundary, b: Boundary) -> Boundary:
    """Two boundaries that overlap or nearly touch: a fade-out then cut, or a double hit."""
    if a.kind == CUT and b.kind == CUT:
        return a if a.confidence >= b.confidence else b
    grad = [x for x in (a, b) if x.kind != CUT]
    keep = max(grad, key=lambda x: x.end - x.start)
    s, e = min(a.start, b.start), max(a.end, b.end)
    return Boundary(keep.kind, s, e, (s + e) // 2, max(a.confidence, b.confidence),
                    a.refined or b.refined)


def edge_fades(sig: ShotSignals) -> tuple[int, int]:
    """Frames of fade-in at the start and fade-out at the end (0 if none), from luma."""
    luma = sig.scalars[:, F.LUMA]
    n = sig.n
    if n == 0:
        return 0, 0
    black = black_frames(sig)

    def run(seq: np.ndarray, first_black: bool) -> int:
        if seq.size == 0 or not first_black:
            return 0
        i = 0
        while i + 1 < seq.size and seq[i + 1] >= seq[i] - 0.005 and seq[i] < 0.9 * float(seq.max()):
            i += 1
        return i + 1 if i >= 2 else 0

    return run(luma[: min(n, 120)], bool(black[0])), run(luma[::-1][: min(n, 120)], bool(black[-1]))
