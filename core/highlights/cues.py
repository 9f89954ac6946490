"""Evidence for highlights: readable *cues* from the tracks and signals other stages stored.

A :class:`Cue` is one piece of evidence at a place in the video — a score change, a confident
action, a loudness peak, a burst of short shots, a replay — with a strength in 0..1 and a
sentence an editor can read ("crowd/commentary peak: +11 LU over the video's median"). Every cue
kind works on its own; a video with only shots (no audio, no scoreboard, no actions) still gets
rhythm cues. :class:`Material` is everything the highlight logic reads, as plain data, so the
ranking is testable without a project; :func:`material_from_project` fills it from a project.

Pure functions; any thread (``material_from_project`` reads the project on the caller's thread).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from core.segments import ACTION, EVENT, SCENE, SHOT, SPEECH, TRANSITION, Segment
from core.timebase import FrameClock, clock

if TYPE_CHECKING:
    from core.audio.features import AudioLanes
    from core.store.project import Project

EVENT_KIND = "event"
ACTION_KIND = "action"
EXCITEMENT_KIND = "excitement"
RHYTHM_KIND = "rhythm"
REPLAY_KIND = "replay"

# How much each kind of evidence counts (noisy-OR weights, see candidates.score_cues).
WEIGHTS = {EVENT_KIND: 0.9, EXCITEMENT_KIND: 0.7, ACTION_KIND: 0.6, RHYTHM_KIND: 0.5, REPLAY_KIND: 0.4}
# Strength of scoreboard/fusion events by label; other labels use their confidence.
EVENT_STRENGTH = {"goal": 1.0, "score_change": 0.9, "red_card": 0.85, "point": 0.6}
# Actions worth a highlight, by class; others count at DEFAULT_ACTION_WEIGHT of their confidence.
ACTION_WEIGHT = {"shot_on_goal": 1.0, "goal": 1.0, "celebration": 0.8, "save": 0.9, "tackle": 0.6,
                 "dunk": 1.0, "shot": 0.9}
DEFAULT_ACTION_WEIGHT = 0.5


@dataclass(frozen=True)
class Cue:
    """One piece of evidence. ``[start, end)`` is the span a highlight must keep whole."""

    kind: str
    start: int
    end: int
    strength: float
    text: str
    label: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def peak(self) -> int:
        return int(self.data.get("peak", (self.start + self.end) // 2))


@dataclass
class Material:
    """What highlight proposal reads (plain data; any of the optional parts may be empty)."""

    clock: FrameClock
    shots: list[Segment]
    transitions: list[Segment] = field(default_factory=list)
    speech: list[Segment] = field(default_factory=list)
    events: list[Segment] = field(default_factory=list)
    actions: list[Segment] = field(default_factory=list)
    scenes: list[Segment] = field(default_factory=list)
    lanes: "AudioLanes | None" = None
    hist: np.ndarray | None = None  # per-frame colour histograms (shots stage): replays are checked

    @property
    def frame_count(self) -> int:
        return self.clock.frame_count


def material_from_project(project: "Project", video_id: int) -> Material:
    """Everything the highlight logic can use for one video; rejected segments are left out."""
    from core.audio.features import load_audio_lanes
    from core.highlights.replays import stored_hist
    from core.segments import REJECTED

    def live(track: str) -> list[Segment]:
        return [s for s in project.segments(video_id, track) if s.status != REJECTED]

    return Material(clock=project.clock(video_id), shots=live(SHOT), transitions=live(TRANSITION),
                    speech=live(SPEECH), events=live(EVENT), actions=live(ACTION),
                    scenes=live(SCENE), lanes=load_audio_lanes(project, video_id), hist=stored_hist(project, video_id))


def _at(clk: FrameClock, frame: int) -> str:
    return clock(clk.time(frame), millis=False)


FUSED_SOURCE = "model:events@"  # core.actions.events: events fused from several signals


def _fused_text(e: Segment, clk: FrameClock) -> str:
    """A fused event's cue sentence: what, when, and every signal that fired."""
    label = (e.label or "event").replace("_", " ")
    why = [str(w) for w in e.attrs.get("why") or []]
    sig = ", ".join(str(k) for k in e.attrs.get("signals") or [])
    return f"{label} at {_at(clk, e.start_frame)} (signals: {sig}): " + "; ".join(why)


def event_cues(events: Sequence[Segment], clk: FrameClock) -> list[Cue]:
    """One cue per event. A fused event (``core.actions.events``: goal, chance, celebration...)
    says which signals fired; a score change a fused goal already stands for is not counted twice."""
    out: list[Cue] = []
    fused = [e for e in events if e.source.startswith(FUSED_SOURCE)]
    anchored = {int(e.attrs["anchor"]) for e in fused if isinstance(e.attrs.get("anchor"), (int, float))}
    for e in events:
        label = e.label or "event"
        a = e.attrs
        if e.source.startswith(FUSED_SOURCE):
            strength = max(EVENT_STRENGTH.get(label, 0.0) if label == "goal" else 0.0,
                           float(e.confidence if e.confidence is not None else 0.7))
            signals = [str(k) for k in a.get("signals") or []]
            peak = int(a["anchor"]) if isinstance(a.get("anchor"), (int, float)) else e.start_frame
            out.append(Cue(EVENT_KIND, e.start_frame, max(e.end_frame, e.start_frame + 1), strength,
                           _fused_text(e, clk), label, {"peak": peak, "event": label, "signals": signals}))
            continue
        if e.start_frame in anchored and label in ("goal", "score_change"):
            continue  # the fused goal at this score change carries it, with its other signals
        strength = EVENT_STRENGTH.get(label, float(e.confidence if e.confidence is not None else 0.7))
        if a.get("before") and a.get("after"):
            what = f"score changed {a['before']} \u2192 {a['after']}"
            if a.get("team"):
                what += f" ({a['team']})"
        else:
            what = label.replace("_", " ")
        when = f" at {_at(clk, e.start_frame)}"
        if a.get("clock"):
            when += f" (match clock {a['clock']})"
        out.append(Cue(EVENT_KIND, e.start_frame, max(e.end_frame, e.start_frame + 1), strength,
                       f"{what}{when}", label, {"peak": e.start_frame, "event": label}))
    return out


def action_cues(actions: Sequence[Segment], clk: FrameClock, min_confidence: float = 0.5) -> list[Cue]:
    out: list[Cue] = []
    for s in actions:
        conf = float(s.confidence if s.confidence is not None else 0.6)
        if conf < min_confidence or s.length <= 0:
            continue
        label = s.label or "action"
        w = ACTION_WEIGHT.get(label, DEFAULT_ACTION_WEIGHT)
        out.append(Cue(ACTION_KIND, s.start_frame, s.end_frame, conf * w,
                       f"{label.replace('_', ' ')} detected at {_at(clk, s.start_frame)} "
                       f"(confidence {conf:.2f})", label, {"action": label, "confidence": conf}))
    return out


def excitement_cues(lanes: "AudioLanes | None", clk: FrameClock, min_height: float = 0.55,
                    min_prominence: float = 0.25, min_lift_lu: float = 6.0,
                    min_gap_s: float = 6.0) -> list[Cue]:
    """Peaks of the excitement curve that are also clearly louder than the video's median.

    The curve is normalised per video, so a flat soundtrack still has "peaks": the loudness lift
    (LU over the median short-term loudness) is what makes a peak real.
    """
    if lanes is None or lanes.excitement.size < 3:
        return []
    from scipy.signal import find_peaks

    exc = lanes.excitement.astype(np.float64)
    loud = lanes.loudness.astype(np.float64)
    hop = lanes.lane_hop
    median = float(np.median(loud)) if loud.size else 0.0
    peaks, props = find_peaks(np.pad(exc, 1), height=min_height, prominence=min_prominence,
                              distance=max(1, int(min_gap_s / hop)))
    out: list[Cue] = []
    for p, left, right in zip(peaks - 1, props["left_bases"] - 1, props["right_bases"] - 1, strict=True):
        p = int(min(max(p, 0), exc.size - 1))
        # The loud part: where the curve stays above half-way between its base and the peak.
        base = max(exc[max(0, int(left))], exc[min(exc.size - 1, int(right))])
        half = base + 0.5 * (exc[p] - base)
        a = p
        while a > 0 and exc[a - 1] >= half:
            a -= 1
        b = p
        while b < exc.size - 1 and exc[b + 1] >= half:
            b += 1
        seg = loud[a:b + 1] if loud.size > b else loud[a:]
        top = float(seg.max()) if seg.size else median
        lift = top - median
        if lift < min_lift_lu:
            continue
        fa, fb = clk.frame_at(a * hop), clk.frame_at((b + 1) * hop)
        fp = clk.frame_at(p * hop)
        strength = float(min(1.0, exc[p]) * min(1.0, lift / 15.0))
        out.append(Cue(EXCITEMENT_KIND, fa, max(fb, fa + 1), strength,
                       f"crowd/commentary peak at {_at(clk, fp)}: {top:.0f} LUFS, "
                       f"+{lift:.0f} LU over the video's median (excitement {exc[p]:.2f})",
                       None, {"peak": fp, "excitement": round(float(exc[p]), 3),
                              "loudness_lu": round(lift, 1)}))
    return out


def rhythm_cues(shots: Sequence[Segment], clk: FrameClock, min_run: int = 3,
                short_share: float = 0.45, short_max_s: float = 2.5) -> list[Cue]:
    """Bursts of ``min_run`` or more consecutive short shots (fast cutting marks action)."""
    ss = sorted((s for s in shots if s.length > 0), key=lambda s: s.start_frame)
    if len(ss) < min_run + 1:
        return []
    lens = np.array([clk.time(s.end_frame) - clk.time(s.start_frame) for s in ss])
    typical = float(np.median(lens))
    limit = min(short_max_s, short_share * typical)
    out: list[Cue] = []
    i = 0
    while i < len(ss):
        if lens[i] >= limit:
            i += 1
            continue
        j = i
        while j + 1 < len(ss) and lens[j + 1] < limit:
            j += 1
        n = j - i + 1
        if n >= min_run:
            mean = float(lens[i:j + 1].mean())
            contrast = min(1.0, (typical / max(mean, 1e-3) - 1.0) / 4.0)
            strength = contrast * min(1.0, 0.4 + 0.15 * n)
            a, b = ss[i].start_frame, ss[j].end_frame
            out.append(Cue(RHYTHM_KIND, a, b, strength,
                           f"burst of {n} short shots at {_at(clk, a)} (avg {mean:.1f} s; "
                           f"typical shot {typical:.1f} s)", None,
                           {"peak": (a + b) // 2, "shots": n, "mean_s": round(mean, 2),
                            "typical_s": round(typical, 2)}))
        i = j + 1
    return out


def replay_spans(transitions: Sequence[Segment], clk: FrameClock, min_s: float = 2.0,
                 max_s: float = 40.0) -> list[tuple[int, int]]:
    """Stretches bracketed by two gradual transitions (broadcast replays sit between logo wipes
    or dissolves): ``[end of the first, start of the second)``."""
    grad = sorted((t for t in transitions if (t.label or "") in ("wipe", "dissolve")),
                  key=lambda t: t.start_frame)
    out: list[tuple[int, int]] = []
    for a, b in zip(grad, grad[1:], strict=False):
        dur = clk.time(b.start_frame) - clk.time(a.end_frame)
        if min_s <= dur <= max_s:
            out.append((a.end_frame, b.start_frame))
    return out


def replay_cues(transitions: Sequence[Segment], clk: FrameClock, hist: np.ndarray | None = None) -> list[Cue]:
    """Stretches between two gradual transitions; with ``hist`` only those that replay earlier
    footage of the same match (``core.highlights.replays``: no loop, no clip of a compilation)."""
    from core.highlights.replays import replay_spans_checked

    spans = replay_spans(transitions, clk) if hist is None else replay_spans_checked(transitions, clk, hist)
    how = "between two gradual transitions" + ("" if hist is None else ", repeats earlier footage")
    return [Cue(REPLAY_KIND, a, b, 0.8, f"replay-like segment {_at(clk, a)}\u2013{_at(clk, b)} ({how})",
                None, {"peak": a}) for a, b in spans]


def all_cues(m: Material) -> list[Cue]:
    cues = (event_cues(m.events, m.clock) + action_cues(m.actions, m.clock)
            + excitement_cues(m.lanes, m.clock) + rhythm_cues(m.shots, m.clock)
            + replay_cues(m.transitions, m.clock, m.hist))
    return sorted(cues, key=lambda c: (c.start, c.kind))


__all__ = ["ACTION_KIND", "EVENT_KIND", "EXCITEMENT_KIND", "REPLAY_KIND", "RHYTHM_KIND", "WEIGHTS",
           "Cue", "Material", "action_cues", "all_cues", "event_cues", "excitement_cues",
           "material_from_project", "replay_cues", "replay_spans", "rhythm_cues"]
