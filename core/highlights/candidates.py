"""Candidate moments: cues grouped in time, scored, labelled and explained.

Cues closer than ``gap_s`` seconds belong to one moment. Replays do not start a moment; a replay
that begins within ``replay_after_s`` of a moment's end is attached to it ("replay after a
moment"). A moment's score is a noisy-OR over evidence kinds, ``1 - prod(1 - w_k * s_k)`` with the
strongest cue of each kind ``k`` and the weights in :data:`core.highlights.cues.WEIGHTS`: two
independent kinds of evidence beat one strong one, and every number in it is shown in the "why".

Pure functions; any thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from core.highlights.cues import (ACTION_KIND, EVENT_KIND, EXCITEMENT_KIND, REPLAY_KIND, RHYTHM_KIND,
                                  WEIGHTS, Cue)
from core.timebase import FrameClock

# Share of a clip placed before the moment's anchor, by the kind of the anchor: a scoreboard
# change comes after the play (long build-up), a crowd roar just after the action, a burst of
# short shots *is* the action.
PRE_SHARE = {EVENT_KIND: 0.65, EXCITEMENT_KIND: 0.55, ACTION_KIND: 0.45, RHYTHM_KIND: 0.35}
_ANCHOR_ORDER = (EVENT_KIND, EXCITEMENT_KIND, ACTION_KIND, RHYTHM_KIND)


@dataclass
class Candidate:
    """A moment: its cues, the span that must stay whole, an anchor frame, score and label."""

    cues: list[Cue]
    start: int  # first frame any non-replay cue needs
    end: int  # one past the last
    anchor: int
    anchor_kind: str
    score: float
    label: str
    replay: Cue | None = None
    signals: dict[str, Any] = field(default_factory=dict)

    @property
    def why(self) -> list[str]:
        lines = [c.text for c in sorted(self.cues, key=lambda c: -WEIGHTS[c.kind] * c.strength)]
        if self.replay is not None:
            lines.append(self.replay.text.replace("replay-like segment", "replay follows:", 1))
        return lines

    @property
    def pre_share(self) -> float:
        return PRE_SHARE.get(self.anchor_kind, 0.5)


def score_cues(cues: Sequence[Cue]) -> float:
    """Noisy-OR of the strongest cue per kind (see module docstring)."""
    best: dict[str, float] = {}
    for c in cues:
        best[c.kind] = max(best.get(c.kind, 0.0), c.strength)
    miss = 1.0
    for kind, s in best.items():
        miss *= 1.0 - WEIGHTS[kind] * max(0.0, min(1.0, s))
    return round(1.0 - miss, 4)


def _signals(cues: Sequence[Cue], replay: Cue | None) -> dict[str, Any]:
    sig: dict[str, Any] = {}
    for c in cues:
        if c.kind == EVENT_KIND:
            sig.setdefault("events", []).append(c.label)
            if c.data.get("signals"):  # a fused event: which signals fired for it
                sig.setdefault("event_signals", {})[str(c.label)] = list(c.data["signals"])
        elif c.kind == ACTION_KIND:
            sig.setdefault("actions", []).append([c.label, round(float(c.data.get("confidence", 0)), 3)])
        elif c.kind == EXCITEMENT_KIND:
            if c.strength >= sig.get("excitement_strength", -1):
                sig["excitement"] = c.data.get("excitement")
                sig["loudness_lu"] = c.data.get("loudness_lu")
                sig["excitement_strength"] = round(c.strength, 3)
        elif c.kind == RHYTHM_KIND:
            sig["shot_rhythm"] = {k: c.data[k] for k in ("shots", "mean_s", "typical_s")}
    if replay is not None:
        sig["replay"] = [replay.start, replay.end]
    sig["kinds"] = sorted({c.kind for c in cues} | ({REPLAY_KIND} if replay is not None else set()))
    return sig


def _label(cues: Sequence[Cue]) -> str:
    for kind in (EVENT_KIND, ACTION_KIND):
        best = max((c for c in cues if c.kind == kind and c.label), key=lambda c: c.strength,
                   default=None)
        if best is not None and best.label:
            return best.label
    return "moment"


def group_cues(cues: Sequence[Cue], clk: FrameClock, gap_s: float = 8.0,
               replay_after_s: float = 20.0, max_span_s: float | None = None) -> list[Candidate]:
    """Moments from cues (see module docstring), in time order. ``max_span_s`` stops a chain
    of close cues from growing into one endless moment: a cue that would stretch its group
    beyond it starts a new one."""
    main = sorted((c for c in cues if c.kind != REPLAY_KIND), key=lambda c: (c.start, c.end))
    replays = sorted((c for c in cues if c.kind == REPLAY_KIND), key=lambda c: c.start)
    groups: list[list[Cue]] = []
    reach = -1
    for c in main:
        fits = max_span_s is None or (
            bool(groups) and clk.time(max(reach, c.end)) - clk.time(groups[-1][0].start) <= max_span_s)
        if groups and fits and clk.time(c.start) - clk.time(reach) <= gap_s:
            groups[-1].append(c)
            reach = max(reach, c.end)
        else:
            groups.append([c])
            reach = c.end
    out: list[Candidate] = []
    used: set[int] = set()
    for g in groups:
        start, end = min(c.start for c in g), max(c.end for c in g)
        anchor_cue = None
        for kind in _ANCHOR_ORDER:
            anchor_cue = max((c for c in g if c.kind == kind), key=lambda c: c.strength, default=None)
            if anchor_cue is not None:
                break
        assert anchor_cue is not None
        replay = None
        for i, r in enumerate(replays):
            if i not in used and r.start >= start and clk.time(r.start) - clk.time(end) <= replay_after_s:
                replay = r
                used.add(i)
                break
        all_cues = list(g) + ([replay] if replay is not None else [])
        out.append(Candidate(list(g), start, end, anchor_cue.peak, anchor_cue.kind,
                             score_cues(all_cues), _label(g), replay, _signals(g, replay)))
    return out


__all__ = ["PRE_SHARE", "Candidate", "group_cues", "score_cues"]
