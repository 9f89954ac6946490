"""A small learned scorer over the cached shot signals: TransNetV2's role at a fraction of its cost.

TransNetV2 costs ~0.36 GMAC per frame (~45 frames/s on two CPU threads); on a CPU it can only look
at the frames the gate picks, and on edits dense with transitions that is a third of them. The
student looks at every frame for almost nothing: it reads the per-frame signals the fast pass has
computed anyway (:class:`~core.shots.features.ShotSignals`), builds for each frame a window of
``2 * WINDOW + 1`` frames of a few channels (histogram jump, pixel change, linear-blend error and
span, luma, blackness, the change over 3/6/12 frames, distances back and ahead), and a two-layer
perceptron maps it to "this frame is part of a transition" (the last frame before a cut, the cut's
first frame, every mixed frame of a gradual one). Its output takes the place of the refiner's
probabilities in :func:`core.shots.detect.detect_boundaries`.

Weights are plain arrays (``.npz`` read with ``allow_pickle=False``), trained by
``bench/train_shot_student.py`` on generated edits of footage the project may redistribute
derivatives of, and shipped in ``models/shots``; loading lives there. Pure NumPy; any thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.shots import features as F
from core.shots.detect import (CUT, DISSOLVE, WIPE, Boundary, DetectParams, _cut_shape, _dedupe,
                               _returns_to_earlier, _side_distance, black_frames, classify, min_mid_err,
                               strong_cut)
from core.shots.features import ShotSignals

STUDENT_VERSION = "1"
WINDOW = 16  # frames on each side
_SHIFTS = (1, 2, 4, 8, 16)  # distances between frame i and i - s, i + s
CUT_SINCE = 60  # frames: a student cut back to content seen this recently (after the last cut) is refused


def _hist_dist_shift(h: np.ndarray, a: int, b: int) -> np.ndarray:
    """``dist(h[i + a], h[i + b])`` for every frame ``i`` (indices clamped)."""
    n = h.shape[0]
    idx = np.arange(n)
    return np.asarray(F.hist_distance(h[np.clip(idx + a, 0, n - 1)], h[np.clip(idx + b, 0, n - 1)]),
                      np.float32).reshape(n)


def channels(sig: ShotSignals) -> np.ndarray:
    """Per-frame channels ``(N, C)`` the window is built from."""
    s = sig.scalars.astype(np.float32)
    h = sig.hist.astype(np.float32)
    n = sig.n
    black = ((s[:, F.LUMA] < 0.06) & (s[:, F.LUMA_STD] < 0.02)).astype(np.float32)
    cols = [s[:, F.D1], s[:, F.PIXDIFF], s[:, F.CHANGED], np.minimum(s[:, F.MID_ERR], 2.0),
            s[:, F.SPAN_DIFF], s[:, F.LUMA], s[:, F.LUMA_STD], black, s[:, F.EDGES] * 4.0,
            s[:, F.CX] - 0.5, s[:, F.CY] - 0.5]
    cols += [_hist_dist_shift(h, -k, k) for k in (3, 6, 12)]
    cols += [_hist_dist_shift(h, 0, -2), _hist_dist_shift(h, 0, 2)]
    return np.stack(cols, 1).astype(np.float32).reshape(n, len(cols))


N_CHANNELS = 16


def inputs(sig: ShotSignals) -> np.ndarray:
    """``(N, N_CHANNELS * (2 * WINDOW + 1) + len(_SHIFTS) * 2)`` float32: each frame's window
    (clamped at the video's ends) plus its histogram distance to frames ``i -+ s``."""
    ch = channels(sig)
    n = ch.shape[0]
    if n == 0:
        return np.zeros((0, N_INPUTS), np.float32)
    idx = np.clip(np.arange(n)[:, None] + np.arange(-WINDOW, WINDOW + 1)[None], 0, max(0, n - 1))
    win = ch[idx]  # (N, 2W+1, C)
    h = sig.hist.astype(np.float32)
    extra = [_hist_dist_shift(h, -k, 0) for k in _SHIFTS] + [_hist_dist_shift(h, 0, k) for k in _SHIFTS]
    return np.concatenate([win.transpose(0, 2, 1).reshape(n, -1), np.stack(extra, 1)], 1).astype(np.float32)


N_INPUTS = N_CHANNELS * (2 * WINDOW + 1) + 2 * len(_SHIFTS)


@dataclass(frozen=True)
class StudentWeights:
    """Input standardisation and a ``N_INPUTS -> H1 -> H2 -> 1`` ReLU perceptron."""

    mean: np.ndarray
    std: np.ndarray
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray
    w3: np.ndarray
    b3: np.ndarray
    key: str = f"shotstudent@{STUDENT_VERSION}"

    ARRAYS = ("mean", "std", "w1", "b1", "w2", "b2", "w3", "b3")

    @classmethod
    def load(cls, path: str | Path, key: str | None = None) -> "StudentWeights":
        """Read an ``.npz`` of plain float arrays (never pickles); refuses a wrong shape."""
        with np.load(str(path), allow_pickle=False) as z:
            arrays = {k: np.asarray(z[k], np.float32) for k in cls.ARRAYS}
        w = cls(**arrays, key=key or f"shotstudent@{STUDENT_VERSION}")
        if w.mean.shape != (N_INPUTS,) or w.w1.shape[0] != N_INPUTS or w.w3.shape[1] != 1:
            raise ValueError(f"{Path(path).name}: not shot-student weights for {N_INPUTS} inputs")
        return w

    def save(self, path: str | Path) -> None:
        np.savez_compressed(str(path), **{k: getattr(self, k).astype(np.float32) for k in self.ARRAYS})


class StudentScorer:
    """Callable ``ShotSignals -> (N,) float32`` probabilities that a frame is part of a transition."""

    def __init__(self, weights: StudentWeights) -> None:
        self.w = weights
        self.key = weights.key

    def __call__(self, sig: ShotSignals) -> np.ndarray:
        n = sig.n
        if n == 0:
            return np.zeros(0, np.float32)
        w = self.w
        out = np.empty(n, np.float32)
        for a in range(0, n, 4096):  # bounded memory on long videos
            x = (inputs_slice(sig, a, min(n, a + 4096)) - w.mean) / w.std
            z = np.maximum(x @ w.w1 + w.b1, 0.0)
            z = np.maximum(z @ w.w2 + w.b2, 0.0)
            logit = (z @ w.w3 + w.b3)[:, 0]
            out[a:a + logit.size] = 1.0 / (1.0 + np.exp(-np.clip(logit, -30, 30)))
        return out


def inputs_slice(sig: ShotSignals, a: int, b: int) -> np.ndarray:
    """:func:`inputs` for frames ``[a, b)`` only: computed on ``_MARGIN`` more frames each side,
    which covers everything a row reads, so the rows equal the full computation's."""
    n = sig.n
    lo, hi = max(0, a - _MARGIN), min(n, b + _MARGIN)
    part = ShotSignals(sig.scalars[lo:hi], sig.hist[lo:hi], sig.probs[lo:hi])
    return inputs(part)[a - lo:b - lo]


_MARGIN = WINDOW + 16  # a row reads channels up to WINDOW away, each of those up to 12 more


def boundaries_from_scores(sig: ShotSignals, probs: np.ndarray, threshold: float = 0.5,
                           max_cut: int = 3, min_gap: int = 4, accept_strong: bool = True) -> list[Boundary]:
    """Boundaries read off the student's per-frame scores: every run of frames at or above
    ``threshold`` is one transition. A run longer than ``max_cut`` frames is a gradual transition
    spanning the run, typed by :func:`core.shots.detect.classify` (unless it is a fade in from or
    out to black at the video's very edge: no boundary there). A shorter run is a cut at the
    largest histogram jump in or just after it, kept only if that is a real jump (``D1`` and pixel
    change, as the fast pass asks of a weak cut), not on the last frame, and not a return to what
    was on screen just before (a flash, a smear). Runs closer than ``min_gap`` frames merge.
    ``accept_strong``: the fast pass's sure cuts (:func:`core.shots.detect.strong_cut`: a big,
    clean, one-frame jump that does not return to earlier content) are cuts whatever the student
    says, unless a transition it found is already there."""
    n = sig.n
    if n < 3 or probs.shape[0] != n:
        return []
    p = DetectParams()
    on = np.concatenate([[False], np.nan_to_num(probs, nan=0.0) >= threshold, [False]])
    edges = np.flatnonzero(np.diff(on.astype(np.int8)))
    d1 = sig.scalars[:, F.D1]
    pix = sig.scalars[:, F.PIXDIFF]
    black = black_frames(sig)
    out: list[Boundary] = []
    last = 0
    runs = [(int(s), int(e)) for s, e in zip(edges[::2], edges[1::2])]  # frames [s, e) are on
    for k, (s, e) in enumerate(runs):
        conf = float(np.nanmax(probs[s:e]))
        if e - s <= max_cut:
            lo, hi = max(1, s), min(n - 1, e + 1)
            if lo >= hi:
                continue
            f = lo + int(np.argmax(d1[lo:hi]))
            # standing out on one side only is enough next to a gradual run (a cut right before
            # or after a dissolve); elsewhere the jump must stand out on both sides (a flash that
            # decays over a few frames does not)
            beside = any(b - a > max_cut and a - 4 <= f <= b + 4 for a, b in runs[max(0, k - 1):k + 2])
            if not _cut_shape(sig, f, p, since=max(last, f - CUT_SINCE), one_sided=beside):
                continue
            out.append(Boundary(CUT, f, f, f, conf, True))
            last = f
        else:
            if (s == 0 and black[0]) or (e == n and black[-1]):
                continue  # fade in from black at the start, or out to black at the end
            # as the fast pass asks of a gradual candidate: real change in pixels (not a counter
            # or a caption), different sides (or black between them), not back to earlier content
            side = _side_distance(sig, s, e)
            if float(pix[s:e + 1].sum()) < 0.08 or (side < p.grad_min and not black[s:e].any()):
                continue
            if _returns_to_earlier(sig, min(n - 1, e), side, before=s - 1, since=last):
                continue
            kind = classify(sig, s, e)
            if kind == WIPE and min_mid_err(sig, (s + e) // 2, max(1, (e - s) // 2)) <= p.mid_unsure:
                kind = DISSOLVE  # it blends linearly: a dissolve between moving shots, not a front
            out.append(Boundary(kind, s, e, (s + e) // 2, conf, True))
            last = s
    if accept_strong:
        out += _strong_cuts(sig, out, p, min_gap)
    return _dedupe(out, min_gap)


def _strong_cuts(sig: ShotSignals, found: list[Boundary], p: DetectParams, min_gap: int) -> list[Boundary]:
    """The fast pass's sure cuts that no boundary in ``found`` covers (in time order, each may
    return to content from before the previous boundary: A-B-A)."""
    n = sig.n
    d1 = sig.scalars[:, F.D1]
    taken = sorted(found, key=lambda b: b.start)
    extra: list[Boundary] = []
    for i in (int(x) for x in np.flatnonzero(d1 >= p.cut_strong)):
        if i < 1 or i >= n - 1:
            continue
        if any(b.start - min_gap <= i <= b.end + min_gap for b in taken):
            continue
        since = max([b.frame for b in taken if b.frame < i], default=0)
        if strong_cut(sig, i, p, since=since):
            b = Boundary(CUT, i, i, i, min(1.0, float(d1[i])), False)
            extra.append(b)
            taken = sorted(taken + [b], key=lambda x: x.start)
    return extra
