"""Shot descriptors and shot types (wide / medium / close-up / replay-like) from cached signals.

Evidence, all from the per-frame signals of :mod:`core.shots.features`: the share of pitch-green
pixels and the edge density (a wide shot of a pitch is mostly green and busy with small players;
a close-up is not green at all while the rest of the video is), and the transitions around a shot
(a short shot entered and left through wipes or other gradual transitions looks like a replay,
which broadcasters bracket with a logo wipe). Types are only given when the video is pitch-like
(enough green overall) or the transition pattern says replay; otherwise the label stays ``None``.

Pure functions; any thread.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from core.shots import features as F
from core.shots.features import ShotSignals

WIDE, MEDIUM, CLOSE_UP, REPLAY = "wide", "medium", "close-up", "replay"
_PITCH_VIDEO = 0.25  # median green share of shots above which the video is treated as pitch sport
_REPLAY_MAX_S = 12.0


def shot_descriptor(sig: ShotSignals, start: int, end: int) -> np.ndarray:
    """Mean histogram of the shot's inner frames (the edges may hold transition frames)."""
    end = min(end, sig.n)
    start = min(start, max(0, end - 1))
    cut = (end - start) // 10
    lo, hi = start + cut, max(start + cut + 1, end - cut)
    return sig.hist[lo:hi].astype(np.float32).mean(0)


def shot_stats(sig: ShotSignals, start: int, end: int) -> dict[str, float]:
    s = sig.scalars[start:max(start + 1, min(end, sig.n))]
    return {"green": float(np.median(s[:, F.GREEN])), "edges": float(np.median(s[:, F.EDGES])),
            "luma": float(s[:, F.LUMA].mean())}


def classify_shots(sig: ShotSignals, shots: Sequence[tuple[int, int, str | None, str | None]],
                   fps: float) -> list[tuple[str | None, dict[str, Any]]]:
    """For ``(start, end, in_kind, out_kind)`` shots: ``(label, attrs)`` each."""
    stats = [shot_stats(sig, s, e) for s, e, _, _ in shots]
    if not stats:
        return []
    greens = np.array([st["green"] for st in stats])
    edges = np.array([st["edges"] for st in stats])
    pitch = float(np.median(greens)) >= _PITCH_VIDEO
    edge_ref = float(np.median(edges[greens >= _PITCH_VIDEO])) if pitch else 0.0
    out: list[tuple[str | None, dict[str, Any]]] = []
    for (s, e, tin, tout), st in zip(shots, stats):
        label: str | None = None
        gradual = {"wipe", "dissolve"}
        if tin in gradual and tout in gradual and (e - s) / max(fps, 1e-6) <= _REPLAY_MAX_S \
                and ("wipe" in (tin, tout)):
            label = REPLAY
        elif pitch:
            if st["green"] >= 0.45 and st["edges"] >= 0.7 * edge_ref:
                label = WIDE
            elif st["green"] >= 0.15:
                label = MEDIUM
            else:
                label = CLOSE_UP
        out.append((label, {"green": round(st["green"], 3), "edges": round(st["edges"], 4)}))
    return out
