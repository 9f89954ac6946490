"""The "shots" pipeline stage: shot and transition segments from the cascade, signals cached.

Writes track ``shot`` (segments tiling the whole video, ``attrs`` ``{"in": kind, "out": kind}``
with ``None`` at the video's ends, or ``"fade"`` where it fades in from / out to black) and track
``transition`` (one segment per boundary: label ``cut``/``dissolve``/``fade``/``wipe``; a cut is
the zero-length span ``[f, f)`` at the first frame ``f`` of the new shot, a gradual transition
spans every mixed frame ``[start, end)``; ``attrs["frame"]`` is where the new shot begins; the
shot split of a gradual transition is its middle frame).

The per-frame signals are cached in the project (``put_signal``) under the feature model's key
and, for refiner probabilities, the refiner's key plus the gate's parameters; when they are
there :meth:`ShotStage.sinks` returns ``[]`` and a new threshold needs no decode. The refiner is
injected (``models.shots.stage`` binds TransNetV2); without one this is the fast pass alone. A
``scorer`` (``ShotSignals -> (N,) probabilities``, e.g. :class:`core.shots.student.StudentScorer`)
takes the refiner's place after the decode, on every frame, at almost no cost.

Runs on the pipeline's thread; its sink runs on a decode worker thread.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Callable

import numpy as np

from core.errors import ClipDeskError
from core.pipeline import Stage, StageContext
from core.segments import SHOT, TRANSITION, Segment
from core.shots import features as F
from core.shots.cascade import Refiner, ShotSink
from core.shots.detect import CUT, Boundary, DetectParams, detect_boundaries, edge_fades
from core.shots.features import ShotSignals
from core.shots.student import boundaries_from_scores
from core.shots.types import classify_shots
from core.store.project import Project

SIG_SCALARS, SIG_HIST, SIG_PROBS = "shots.scalars", "shots.hist", "shots.probs"
Scorer = Callable[[ShotSignals], np.ndarray]
GATE_VERSION = "2"  # 2: peak-only gradual looks, one-sided weak cuts, 12 frames of context
_GATE_FIELDS = ("cut_strong", "cut_weak", "min_pixdiff", "gate_grad", "gate_peak", "grad_fast", "mid_sure",
                "mid_unsure")


def feature_key() -> str:
    return f"{F.FEATURE_MODEL}@{F.FEATURE_VERSION}"


def probs_key(refiner_key: str, params: DetectParams, refine_all: bool) -> str:
    gate = {k: getattr(params, k) for k in _GATE_FIELDS}
    digest = hashlib.sha1(json.dumps(gate, sort_keys=True).encode()).hexdigest()[:8]
    return f"{refiner_key}|gate@{GATE_VERSION}:{'all' if refine_all else digest}"


def load_signals(project: Project, video_id: int, refiner_key: str | None = None,
                 params: DetectParams | None = None, refine_all: bool = False) -> ShotSignals | None:
    """Cached signals of a video (``None`` if the features, or the wanted probabilities, are missing)."""
    fk = feature_key()
    sc = project.get_signal(video_id, SIG_SCALARS, fk)
    hi = project.get_signal(video_id, SIG_HIST, fk)
    if sc is None or hi is None:
        return None
    if refiner_key is None:
        probs = np.full(sc.shape[0], np.nan, np.float32)
    else:
        pr = project.get_signal(video_id, SIG_PROBS, probs_key(refiner_key, params or DetectParams(),
                                                               refine_all))
        if pr is None:
            return None
        probs = pr
    return ShotSignals(sc.astype(np.float32), hi.astype(np.float16), probs.astype(np.float32))


def boundaries_to_segments(bounds: list[Boundary], frame_count: int, source: str,
                           edges: tuple[int, int] = (0, 0)) -> tuple[list[Segment], list[Segment]]:
    """(shot segments tiling ``[0, frame_count)``, transition segments)."""
    trans: list[Segment] = []
    shots: list[Segment] = []
    start, in_kind, in_conf = 0, ("fade" if edges[0] else None), 1.0
    for b in bounds:
        split = b.frame
        if split <= start or split >= frame_count:
            continue
        trans.append(Segment(TRANSITION, b.start, b.end, b.kind, round(b.confidence, 4),
                             {"frame": split, "refined": b.refined}, source=source))
        shots.append(Segment(SHOT, start, split, None, round(min(in_conf, b.confidence), 4),
                             {"in": in_kind, "out": b.kind}, source=source))
        start, in_kind, in_conf = split, b.kind, b.confidence
    if frame_count > start:
        shots.append(Segment(SHOT, start, frame_count, None, round(in_conf, 4),
                             {"in": in_kind, "out": "fade" if edges[1] else None}, source=source))
    return shots, trans



def decide(sig: ShotSignals, params: DetectParams, source: str, fps: float, *,
           scored: bool) -> tuple[list[Boundary], list[Segment], list[Segment]]:
    """The decision half of the stage: boundaries, then (shots, transitions) as stored, from the
    per-frame signals (``scored``: ``sig.probs`` holds a score for every frame, the student's).
    The window's threshold drag re-decides through this too (no decode)."""
    if scored:
        bounds = boundaries_from_scores(sig, sig.probs, params.threshold, min_gap=params.min_shot)
    else:
        bounds = detect_boundaries(sig, params)
    shots, trans = boundaries_to_segments(bounds, sig.n, source, edge_fades(sig))
    kinds = classify_shots(sig, [(x.start_frame, x.end_frame, x.attrs.get("in"), x.attrs.get("out"))
                                 for x in shots], fps)
    shots = [x.with_(label=lab, attrs={**x.attrs, **extra}) for x, (lab, extra) in zip(shots, kinds)]
    return bounds, shots, trans


class ShotStage(Stage):
    name = "shots"
    version = "6"  # 6: student trained with same-scene cut reels too
    # 5: the fast pass's sure cuts stand whatever the student says; 4: the shot student on every
    # frame (CPU); 3: contrast-normalised features, two-scale search
    tracks = (SHOT, TRANSITION)

    def __init__(self, refiner: Refiner | None = None, refiner_key: str | None = None,
                 params: DetectParams | None = None, refine_all: bool = False,
                 scorer: Scorer | None = None) -> None:
        if scorer is not None:
            refiner, refiner_key, refine_all = None, str(getattr(scorer, "key", type(scorer).__name__)), True
        elif refiner is not None and not refiner_key:
            refiner_key = str(getattr(refiner, "key", type(refiner).__name__))
        self.refiner = refiner
        self.scorer = scorer
        self.refiner_key = refiner_key if refiner is not None or scorer is not None else None
        self.detect_params = params or DetectParams()
        self.refine_all = refine_all and (refiner is not None or scorer is not None)
        self.model = "shotstudent" if scorer is not None else "shotcascade" if refiner is not None else "shotfast"
        self._sinks: dict[int, ShotSink] = {}
        self.last_stats: dict[str, int] = {}  # frames and refined frames of the latest decode

    def params(self) -> dict[str, Any]:
        return {**self.detect_params.to_dict(), "refiner": self.refiner_key,
                "refine_all": self.refine_all, "features": feature_key()}

    def _cached(self, project: Project, video_id: int) -> ShotSignals | None:
        return load_signals(project, video_id, self.refiner_key, self.detect_params, self.refine_all)

    def sinks(self, ctx: StageContext) -> list[ShotSink]:  # type: ignore[override]
        if self._cached(ctx.project, ctx.video.id) is not None:
            return []
        sink = ShotSink(self.refiner, self.detect_params, self.refine_all)
        self._sinks[ctx.run_id] = sink
        return [sink]

    def finish(self, ctx: StageContext) -> None:
        sink = self._sinks.pop(ctx.run_id, None)
        vid = ctx.video.id
        if sink is not None and sink.signals is not None:
            sig = sink.signals
            if self.scorer is not None:
                sig = ShotSignals(sig.scalars, sig.hist, np.asarray(self.scorer(sig), np.float32).reshape(sig.n))
            self.last_stats = {"frames": sig.n, "refined": sig.n if self.scorer is not None else sink.refined_frames}
            fk = feature_key()
            with ctx.project.transaction():
                ctx.project.put_signal(vid, SIG_SCALARS, fk, sig.scalars)
                ctx.project.put_signal(vid, SIG_HIST, fk, sig.hist)
                if self.refiner_key is not None and sink.refiner_error is None:
                    ctx.project.put_signal(vid, SIG_PROBS, probs_key(
                        self.refiner_key, self.detect_params, self.refine_all), sig.probs)
        else:
            cached = self._cached(ctx.project, vid)
            if cached is None:
                raise ClipDeskError("shots: per-frame signals missing after the decode pass")
            sig = cached
        ctx.progress(self.name, 0.5, "deciding boundaries")
        bounds, shots, trans = decide(sig, self.detect_params, self.source, ctx.video.rate.fps,
                                      scored=self.scorer is not None)
        with ctx.project.transaction():
            ctx.project.replace_machine_segments(vid, SHOT, shots, ctx.run_id)
            ctx.project.replace_machine_segments(vid, TRANSITION, trans, ctx.run_id)
        ctx.shared["shots.signals"] = sig
        ctx.shared["shots.boundaries"] = bounds
        cuts = sum(1 for b in bounds if b.kind == CUT)
        note = f" (refiner failed, fast pass used: {sink.refiner_error})" if sink and sink.refiner_error else ""
        ctx.progress(self.name, 1.0, f"{len(shots)} shots, {cuts} cuts, {len(bounds) - cuts} gradual{note}")
