"""Is a stretch between two gradual transitions really a replay?

A broadcast replay is a stretch of the same match played again shortly after the live play,
usually slower and between two graphics wipes or dissolves. Two gradual transitions alone also
bracket every clip of a compilation of unrelated clips, and the same footage coming round again
in a video that loops. :func:`verify_replay` asks the colour histograms the shots stage stores
per frame (``shots.hist``):

* **repeat**: the stretch's frames match earlier footage of the last ``lookback_s`` seconds at
  one playback speed (1, or 0.8 down to 1/4: slow motion) — a clip of a compilation matches nothing
  before it; the footage of a loop that comes round after more than ``lookback_s`` is not "after
  the live play" either;
* **an insert, not a loop**: at normal speed, the footage just before the stretch must not be the
  footage just before its source at the same distance (a video that loops, or footage pasted
  twice, continues identically; a replay interrupts live play that went on after the source).

:func:`replay_spans_checked` applies it to the candidates of
:func:`core.highlights.cues.replay_spans`; without stored histograms the candidates stand
(nothing to judge by). Pure NumPy; any thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from core.segments import Segment
from core.timebase import FrameClock

if TYPE_CHECKING:
    from core.store.project import Project

SPEEDS = (1.0, 0.8, 2 / 3, 0.5, 0.4, 1 / 3, 0.25)  # source frames per replay frame (1/2 = twice as slow)


@dataclass(frozen=True)
class ReplayCheck:
    lookback_s: float = 90.0  # the source of a replay was played at most this long before it
    match: float = 0.06  # mean histogram distance of a repeated stretch (same footage, re-encoded)
    samples: int = 16  # frames of the stretch compared
    context_s: float = 2.0  # footage before the stretch compared for the loop test


@dataclass(frozen=True)
class Verdict:
    replay: bool
    why: str
    speed: float | None = None
    source: int | None = None  # first frame of the matched earlier footage
    distance: float | None = None


def _dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Histogram distance (``core.shots.features.hist_distance``) of every row of ``a`` to every
    row of ``b``: (len(a), len(b))."""
    from core.shots.features import hist_distance

    return np.asarray(hist_distance(a[:, None, :], b[None, :, :]), np.float32)


def verify_replay(hist: np.ndarray, start: int, end: int, fps: float,
                  check: ReplayCheck | None = None, opening: int | None = None,
                  closing: int | None = None) -> Verdict:
    """Whether ``[start, end)`` replays earlier footage (see the module docstring). ``opening``:
    first frame of the transition that opens the stretch (default ``start``); ``closing``: the
    frame after the transition that closes it (default ``end``)."""
    c = check or ReplayCheck()
    h = np.asarray(hist, np.float32)
    n = len(h)
    end = min(end, n)
    opening = start if opening is None else min(opening, start)
    length = end - start
    if length < 4 or start < 4:
        return Verdict(False, "too short or at the very start: nothing before it to repeat")
    trim = max(1, length // 10)
    offs = np.unique(np.linspace(trim, length - 1 - trim, min(c.samples, length - 2 * trim)).round().astype(int))
    lo = max(0, opening - int(c.lookback_s * fps))
    earlier = h[lo:opening]
    if len(earlier) < 4:
        return Verdict(False, "no earlier footage within the look-back")
    d = _dist(h[start + offs], earlier)  # (K, M)
    best: tuple[float, float, int] | None = None
    m = len(earlier)
    for s in SPEEDS:
        rel = np.floor(offs * s).astype(int)  # where each sample sits in the source
        span = int(np.ceil(length * s))
        n_src = m - span
        if n_src <= 0:
            continue
        src = np.arange(n_src)
        vals = d[np.arange(len(offs))[:, None], src[None, :] + rel[:, None]].mean(0)
        i = int(np.argmin(vals))
        if best is None or vals[i] < best[0] - 1e-6:
            best = (float(vals[i]), s, lo + i)
    if best is None or best[0] > c.match:
        dist = None if best is None else round(best[0], 3)
        return Verdict(False, "repeats no footage of the look-back (a clip of its own)", distance=dist)
    dist, speed, source = best
    if speed == 1.0:
        k = int(c.context_s * fps)
        shift = start - source
        closing = end if closing is None else max(closing, end)
        for where, ctx in (("before", np.arange(max(0, opening - k), opening)),
                           ("after", np.arange(closing, min(n, closing + k)))):
            ctx = ctx[ctx - shift >= 0]
            if len(ctx) >= 2:
                dp = float(np.asarray(_dist(h[ctx], h[ctx - shift])).diagonal().mean())
                if dp <= c.match:
                    return Verdict(False, f"the footage {where} it repeats too ({shift / fps:.1f} s "
                                          "earlier): a loop, not a replay", speed, source, round(dist, 3))
    how = "slow motion" if speed < 1 else "normal speed"
    return Verdict(True, f"replays {(start - source) / fps:.1f} s earlier footage ({how})", speed, source,
                   round(dist, 3))


def replay_spans_checked(transitions: Sequence[Segment], clk: FrameClock, hist: np.ndarray | None,
                         check: ReplayCheck | None = None) -> list[tuple[int, int]]:
    """The candidates between two gradual transitions that :func:`verify_replay` accepts (all of
    them when ``hist`` is ``None``)."""
    from core.highlights.cues import replay_spans

    spans = replay_spans(transitions, clk)
    if hist is None or not len(hist):
        return spans
    gradual = [t for t in transitions if (t.label or "") in ("wipe", "dissolve")]
    opens = {t.end_frame: t.start_frame for t in gradual}
    closes = {t.start_frame: t.end_frame for t in gradual}
    return [(a, b) for a, b in spans
            if verify_replay(hist, a, b, clk.rate.fps, check, opening=opens.get(a, a), closing=closes.get(b, b)).replay]


def stored_hist(project: "Project", video_id: int) -> np.ndarray | None:
    """The per-frame colour histograms the shots stage cached, or ``None``."""
    from core.shots.stage import SIG_HIST, feature_key

    h = project.get_signal(video_id, SIG_HIST, feature_key())
    return None if h is None or not len(h) else np.asarray(h, np.float32)


__all__ = ["SPEEDS", "ReplayCheck", "Verdict", "replay_spans_checked", "stored_hist", "verify_replay"]
