"""Re-deciding shots from the cached per-frame signals at a new threshold, as one undoable edit.

The shots stage stores its per-frame signals in the project (``core.shots.stage``: features
always, refiner probabilities when a refiner looked), so a new decision threshold needs no
decode. :func:`shot_score` gives the lane the window draws (the refiner's probability where it
looked, else the histogram jump) and the parameter its threshold line moves; :class:`Redecide`
replaces the untouched machine shot and transition suggestions with the decisions at the new
threshold and keeps every segment a person corrected (accepted, rejected, moved, relabelled):
new shots are clipped around kept ones, and a new boundary inside a kept shot is dropped.

Uses ``core.shots.stage.load_signals`` and ``core.shots.stage.decide`` (the decision half of
``ShotStage.finish``, shared). No Qt; GUI thread (the edit runs there).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from core import segments as sg
from core.edit.ops import Edit, EditError
from core.segments import Segment
from core.store.project import Project

SHOTS_STAGE = "shots"


@dataclass(frozen=True)
class ShotScore:
    """The per-frame score a threshold applies to, and which parameter that threshold is."""

    score: np.ndarray  # (N,) float32, NaN where the score is undefined
    param: str  # "threshold" (refiner probability) or "cut_fast" (histogram jump, fast pass)
    value: float  # the threshold the stored decisions used
    refiner: str | None
    params: dict[str, Any]  # the stored DetectParams fields
    refine_all: bool
    source: str  # the machine source of the stored shot segments


def _last_shots_run(project: Project, video_id: int) -> Any:
    runs = [r for r in project.runs(video_id) if r.stage == SHOTS_STAGE and r.status == "done"]
    return runs[-1] if runs else None


def shot_score(project: Project, video_id: int) -> ShotScore | None:
    """The stored shot-change score of a video, or None when the shots stage left no signals."""
    from core.shots import features as F
    from core.shots.detect import DetectParams
    from core.shots.stage import load_signals

    run = _last_shots_run(project, video_id)
    if run is None:
        return None
    p = dict(run.params or {})
    names = {f.name for f in fields(DetectParams)}
    params = DetectParams(**{k: v for k, v in p.items() if k in names})
    refiner = p.get("refiner")
    refine_all = bool(p.get("refine_all", False))
    sig = load_signals(project, video_id, refiner, params, refine_all)
    if sig is None:
        return None
    source = f"model:{run.model}@{run.version}"
    param = "threshold" if refiner else "cut_fast"
    chosen = project.get_setting(threshold_key(video_id))  # a threshold the user dragged to
    value = float(chosen[1]) if isinstance(chosen, list) and len(chosen) == 2 and chosen[0] == param \
        else float(getattr(params, param))
    arr = sig.probs if refiner else sig.col(F.D1)
    return ShotScore(arr.astype(np.float32), param, value, refiner, params.to_dict(), refine_all, source)


def threshold_key(video_id: int) -> str:
    return f"ui.shot_threshold.{video_id}"


def decide(project: Project, video_id: int, score: ShotScore, value: float) -> tuple[list[Segment], list[Segment]]:
    """(shots, transitions) the stage would store with the threshold at ``value``."""
    from core.shots.detect import DetectParams
    from core.shots.stage import decide as stage_decide
    from core.shots.stage import load_signals

    params = DetectParams(**{**score.params, score.param: float(value)})
    base = DetectParams(**score.params)
    sig = load_signals(project, video_id, score.refiner, base, score.refine_all)
    if sig is None:
        raise EditError("the shot signals are no longer stored: analyze the video again")
    _bounds, shots, trans = stage_decide(sig, params, score.source, project.video(video_id).rate.fps,
                                         scored=score.source.startswith("model:shotstudent@"))
    return shots, trans


def untouched(project: Project, seg: Segment) -> bool:
    """A machine suggestion nobody reviewed or edited (the ones a new decision may replace)."""
    if seg.status != sg.SUGGESTED or not seg.source.startswith("model:") or seg.id is None:
        return False
    return all(h.get("op") == "create" for h in project.history(seg.id))


def _minus(a: int, b: int, kept: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``[a, b)`` without the kept spans."""
    out = [(a, b)]
    for ka, kb in kept:
        nxt = []
        for x, y in out:
            if kb <= x or ka >= y:
                nxt.append((x, y))
                continue
            if x < ka:
                nxt.append((x, ka))
            if kb < y:
                nxt.append((kb, y))
        out = nxt
    return [(x, y) for x, y in out if y > x]


class Redecide(Edit):
    """Replace untouched shot/transition suggestions by the decisions at a new threshold."""

    def __init__(self, video_id: int, score: ShotScore, value: float) -> None:
        super().__init__()
        self.video_id = video_id
        self.score = score
        self.value = float(value)
        self.text = f"Shot threshold {score.value:.2f} \u2192 {value:.2f}"
        self.replaced = 0
        self.added = 0

    def redo(self, project: Project, who: str, batch: str | None = None) -> Any:
        cs = super().redo(project, who, batch)
        project.set_setting(threshold_key(self.video_id), [self.score.param, self.value])
        return cs

    def undo(self, project: Project, who: str, batch: str | None = None) -> Any:
        cs = super().undo(project, who, batch)
        project.set_setting(threshold_key(self.video_id), [self.score.param, self.score.value])
        return cs

    def _do(self, project: Project, who: str, batch: str) -> None:
        vid = self.video_id
        self._video_id = vid
        shots, trans = decide(project, vid, self.score, self.value)
        old = [s for s in project.segments(vid, sg.SHOT) + project.segments(vid, sg.TRANSITION)]
        kept = [s for s in old if not untouched(project, s)]
        kept_shots = sorted((s.start_frame, s.end_frame) for s in kept if s.track == sg.SHOT)
        for s in old:
            if s.id is not None and s not in kept:
                self._remember(project, s.id)
                project.delete_segment(s.id, who=who, batch=batch)
                self.replaced += 1
        new: list[Segment] = []
        for s in shots:
            for a, b in _minus(s.start_frame, s.end_frame, kept_shots):
                new.append(s.with_(start_frame=a, end_frame=b))
        kept_frames = {int((s.attrs or {}).get("frame", s.start_frame)) for s in kept
                       if s.track == sg.TRANSITION}
        for t in trans:
            f = int((t.attrs or {}).get("frame", t.start_frame))
            inside = any(a < f < b for a, b in kept_shots)
            if not inside and f not in kept_frames:
                new.append(t)
        for s in new:
            made = project.insert_segment(vid, s.with_(status=sg.SUGGESTED, id=None), history=False)
            assert made.id is not None
            self._created(made.id)
            self.added += 1
        if not self.replaced and not self.added:
            raise EditError("nothing to re-decide: every shot was reviewed by hand")


__all__ = ["Redecide", "ShotScore", "decide", "shot_score", "untouched"]
