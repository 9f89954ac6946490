"""What each stage does while a recording is followed: provisional results at every commit.

A :class:`LiveStage` wraps one pipeline stage. The follower gives it the sinks the stage made for
the live decode pass; at a commit point :meth:`LiveStage.snapshot` copies what it needs from them
(the sinks are parked, so the copy is consistent) and :meth:`LiveStage.commit` turns the copy
into provisional segments with the stage's own functions (no second detector), returning the
tracks it changed so the window reloads only those. At the end of the stream
:meth:`LiveStage.finish` runs the stage's own ``finish`` on the complete sink state, so the final
results are the offline ones; :attr:`LiveStage.at_end` says how each stage finishes.

Core stages are here (shots, audio lanes, highlights, and the ones that only finish at the end);
model-backed stages get theirs from ``models.live``. Runs on the follower's thread.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

from core.live.decode import CommitPoint
from core.media.decode import Sink
from core.pipeline import Stage, StageContext
from core.segments import HIGHLIGHT, SHOT, TRANSITION, Segment
from core.store.project import Project

AUDIO_LANES = "audio"  # pseudo-track: the audio lanes are signals, the window redraws them


def segment_key(segs: list[Segment]) -> list[tuple[Any, ...]]:
    return [(s.track, s.start_frame, s.end_frame, s.label, s.attrs.get("frame")) for s in segs]


class LiveStage:
    """A stage that only finishes at the end of the stream (the base behaviour)."""

    at_end: str = "needs the whole recording: runs once, at the end of the stream"

    def __init__(self, stage: Stage) -> None:
        self.stage = stage
        self.sinks: list[Sink] = []
        self.commits = 0

    @property
    def name(self) -> str:
        return self.stage.name

    def make_sinks(self, ctx: StageContext) -> list[Sink]:
        self.sinks = list(self.stage.sinks(ctx))
        return self.sinks

    def snapshot(self, point: CommitPoint) -> Any:
        """Copy what :meth:`commit` needs from the parked sinks (cheap; the decode waits)."""
        return None

    def commit(self, ctx: StageContext, snap: Any, point: CommitPoint, changed: set[str]) -> set[str]:
        """Store provisional results; the tracks changed (``changed``: by stages before it)."""
        return set()

    def finish(self, ctx: StageContext) -> None:
        self.stage.finish(ctx)

    def lower_rate(self) -> str | None:
        """Do less per second of media to keep up; one line saying what, or None if nothing left."""
        return None


def _replace(project: Project, vid: int, track: str, segs: list[Segment], run_id: int,
             last: dict[str, list[tuple[Any, ...]]]) -> bool:
    key = segment_key(segs)
    if last.get(track) == key:
        return False
    project.replace_machine_segments(vid, track, segs, run_id)
    last[track] = key
    return True


class LiveShots(LiveStage):
    """Shots and transitions up to a little before the live edge, from the sink's signals so far."""

    at_end = "the boundary decision over every frame's signals, as offline"

    def __init__(self, stage: Stage) -> None:
        super().__init__(stage)
        self._last: dict[str, list[tuple[Any, ...]]] = {}

    def snapshot(self, point: CommitPoint) -> Any:
        from core.shots import features as F
        from core.shots.cascade import CONTEXT, LAG, ShotSink
        from core.shots.features import ShotSignals

        sink = next((s for s in self.sinks if isinstance(s, ShotSink)), None)
        if sink is None:
            return None
        n = sink._n
        safe = n - LAG - F.LIN_K  # later frames' features still change (look-ahead)
        if sink._ring is not None:  # the refiner's probabilities are final up to the gate
            safe = min(safe, sink._gated - F.LIN_K)
            if sink._region is not None:
                safe = min(safe, sink._region[0] - CONTEXT)
        if safe <= 1:
            return None
        return ShotSignals(sink._scalars.data[:safe].copy(), sink._hist.data[:safe].copy(),
                           sink._probs.data[:safe, 0].copy())

    def commit(self, ctx: StageContext, snap: Any, point: CommitPoint, changed: set[str]) -> set[str]:
        if snap is None:
            return set()
        from core.shots.cascade import LAG
        from core.shots.detect import detect_boundaries, edge_fades
        from core.shots.stage import boundaries_to_segments
        from core.shots.types import classify_shots

        st: Any = self.stage
        sig = snap
        bounds = [b for b in detect_boundaries(sig, st.detect_params) if b.end <= sig.n - LAG]
        shots, trans = boundaries_to_segments(bounds, sig.n, st.source, (edge_fades(sig)[0], 0))
        kinds = classify_shots(sig, [(x.start_frame, x.end_frame, x.attrs.get("in"), x.attrs.get("out"))
                                     for x in shots], ctx.video.rate.fps)
        shots = [x.with_(label=lab, attrs={**x.attrs, **extra, "live": True})
                 for x, (lab, extra) in zip(shots, kinds)]
        out: set[str] = set()
        with ctx.project.transaction():
            if _replace(ctx.project, ctx.video.id, SHOT, shots, ctx.run_id, self._last):
                out.add(SHOT)
            if _replace(ctx.project, ctx.video.id, TRANSITION, trans, ctx.run_id, self._last):
                out.add(TRANSITION)
        return out


class LiveAudioLanes(LiveStage):
    """The loudness/excitement lanes so far (a copy of the builder, finished)."""

    at_end = "the lanes over the whole audio, as offline"

    def snapshot(self, point: CommitPoint) -> Any:
        sink = next((s for s in self.sinks if hasattr(s, "builder")), None)
        return copy.deepcopy(sink.builder) if sink is not None and sink.builder.samples else None

    def commit(self, ctx: StageContext, snap: Any, point: CommitPoint, changed: set[str]) -> set[str]:
        if snap is None:
            return set()
        from core.audio.features import save_audio_lanes

        save_audio_lanes(ctx.project, ctx.video.id, snap.finish())
        return {AUDIO_LANES}


class LiveHighlights(LiveStage):
    """Highlights re-ranked as evidence arrives: at once after a new score event, else every
    ``every`` commits (covers are chosen at the end, when the file is complete)."""

    at_end = "re-proposed over the whole recording with covers, as offline"

    def __init__(self, stage: Stage, every: int = 3) -> None:
        super().__init__(stage)
        self.every = every
        self._since = 0

    def commit(self, ctx: StageContext, snap: Any, point: CommitPoint, changed: set[str]) -> set[str]:
        from core.highlights.project import update_highlights
        from core.segments import EVENT

        self._since += 1
        if EVENT not in changed and self._since < self.every:
            return set()
        self._since = 0
        st: Any = self.stage
        update_highlights(ctx.project, ctx.video.id, st.settings, None, ctx.run_id, covers=False,
                          source=st.source)
        return {HIGHLIGHT}

    def finish(self, ctx: StageContext) -> None:
        """As the stage's own finish, with the cover searches done during the follow reused
        when their inputs are the same (:class:`core.live.reel.LiveReel`)."""
        from core.highlights.project import update_highlights

        cutter = ctx.shared.get("live_reel")
        if cutter is None:
            self.stage.finish(ctx)
            return
        st: Any = self.stage
        update_highlights(ctx.project, ctx.video.id, st.settings, ctx.task, ctx.run_id, source=st.source,
                          choose=cutter.choose_cover)


CORE_LIVE: dict[str, Callable[[Stage], LiveStage]] = {
    "shots": LiveShots,
    "audio": LiveAudioLanes,
    "highlights": LiveHighlights,
}


def core_live_stage(stage: Stage) -> LiveStage:
    """The live wrapper of a core stage (finish-at-end for the ones without one)."""
    return CORE_LIVE.get(stage.name, LiveStage)(stage)


__all__ = ["AUDIO_LANES", "CORE_LIVE", "LiveAudioLanes", "LiveHighlights", "LiveShots", "LiveStage",
           "core_live_stage", "segment_key"]
