"""Live glue for the model-backed stages: what persons, scoreboard, speech and search commit while
a recording is followed (``core.live``), with the stages' own code.

- persons: each commit links the detections of the shots that closed since the last one into
  tracks with the stage's own ``link_persons`` (confirmation, roles); the open shot waits. When
  the follower falls behind, :meth:`LivePersons.lower_rate` drops the dense rate, then halves the
  pose rate (down to 0.5 per second). At the end: tracks over every shot, as offline.
- scoreboard: the readings so far smoothed into board segments and score events at every
  commit (new events are reported so the follower can cut a still and a GIF at once). At the
  end: as offline, with the match periods from the whole clock series.
- speech: voice activity and Whisper in chunks on the audio sink's own thread (every
  ``chunk_s`` of audio, the regions that closed are transcribed); commits store them. At the
  end only the open tail is left to do.
- search: the embeddings so far, when the project's codebook exists; at the end, as offline
  (the project's first video trains the codebook then).

Runs on the follower's thread; the speech sink works on its decode worker thread.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from core.audio.stage import AudioSpool, audio_warnings, warn
from core.live.decode import CommitPoint
from core.live.stages import LiveStage, core_live_stage, segment_key
from core.media.decode import DecodeResult, Sink
from core.pipeline import Stage, StageContext
from core.progress import Task
from core.segments import EVENT, PERSON, SCOREBOARD, SPEECH, WORD, Segment

log = logging.getLogger(__name__)


class LivePersons(LiveStage):
    at_end = "tracks linked over every shot, as offline (at the pose rate in force at the end)"

    def __init__(self, stage: Stage) -> None:
        super().__init__(stage)
        self._done = 0  # detections before this frame are tracked
        self._rows: list[np.ndarray] = []
        self._next_id = 1
        self._roles: dict[int, Any] = {}
        self._last: list[Any] | None = None

    def snapshot(self, point: CommitPoint) -> Any:
        sink = next((s for s in self.sinks if hasattr(s, "dets")), None)
        return list(sink.dets) if sink is not None else None

    def commit(self, ctx: StageContext, snap: Any, point: CommitPoint, changed: set[str]) -> set[str]:
        from core.persons.poses import POSE_SIGNAL
        from models.persons.stage import link_persons, person_segments

        if not snap:
            return set()
        st: Any = self.stage
        shots = sorted((s.start_frame, s.end_frame) for s in ctx.project.segments(ctx.video.id, "shot"))
        if len(shots) < 2:
            return set()
        closed_end = shots[-1][0]  # the last shot is still open
        new = [s for s in shots if s[0] >= self._done and s[1] <= closed_end]
        if not new:
            return set()
        samples = [(f, d) for f, d in snap if new[0][0] <= f < closed_end]
        # the stage's own linking (tracks stitched within shots, confirmation, roles)
        poses, _extras, roles = link_persons(samples, new, st.tracker, st.fps, ctx.video.rate.fps)
        poses = np.array(poses, copy=True)
        if len(poses):
            first = int(poses[:, 1].min())
            poses[:, 1] += self._next_id - first
            self._roles.update({int(k) + self._next_id - first: v for k, v in roles.items()})
        self._done = closed_end
        if len(poses):
            self._rows.append(poses)
            self._next_id = int(poses[:, 1].max()) + 1
        if not self._rows:
            return set()
        allp = np.concatenate(self._rows)
        segs = person_segments(allp, st.source, self._roles)
        key = segment_key(segs)
        if key == self._last:
            return set()
        with ctx.project.transaction():
            ctx.project.put_signal(ctx.video.id, POSE_SIGNAL, st.signal_key, allp)
            ctx.project.replace_machine_segments(ctx.video.id, PERSON, segs, ctx.run_id)
        self._last = key
        return {PERSON}

    def lower_rate(self) -> str | None:
        st: Any = self.stage
        if st.dense_fps > st.fps:
            st.dense_fps = st.fps
            return f"pose rate lowered: no denser sampling in fast motion (stays {st.fps:g}/s)"
        if st.fps > 0.5:
            st.fps = max(0.5, st.fps / 2)
            st.dense_fps = st.fps
            return f"pose rate lowered to {st.fps:g}/s"
        return None


class LiveScoreboard(LiveStage):
    at_end = "readings smoothed over the whole recording, match periods from the whole clock, as offline"

    def __init__(self, stage: Stage) -> None:
        super().__init__(stage)
        self._last: dict[str, list[Any]] = {}
        self._seen: set[tuple[int, str | None]] = set()
        self.new_events: list[Segment] = []
        self.events: list[Segment] = []  # the score changes as read now (provisional until the end)

    def snapshot(self, point: CommitPoint) -> Any:
        sink = next((s for s in self.sinks if hasattr(s, "reader")), None)
        reader = getattr(sink, "reader", None)
        # read-back may date a board's first readings into the past: keep time order
        return sorted(reader.observations, key=lambda o: o.frame) if reader is not None else None

    def commit(self, ctx: StageContext, snap: Any, point: CommitPoint, changed: set[str]) -> set[str]:
        from core.match.scoreboard.events import score_events
        from core.match.scoreboard.smooth import smooth_readings
        from models.scoreboard.stage import replace_own_segments

        self.new_events = []
        if not snap:
            return set()
        src = self.stage.source
        segs = smooth_readings(snap, point.frames, source=src)
        events = score_events(segs, source=src)
        self.events = events
        out: set[str] = set()
        vid = ctx.video.id
        for track, new in ((SCOREBOARD, segs), (EVENT, events)):
            key, last = segment_key(new), self._last.get(track)
            if key == last:
                continue
            if track == EVENT:  # the event track is shared: only this stage's suggestions go
                replace_own_segments(ctx.project, vid, EVENT, new, ctx.run_id, src)
            else:
                ctx.project.replace_machine_segments(vid, track, new, ctx.run_id)
            self._last[track] = key
            if key != (last or []):
                out.add(track)
        for e in events:
            k = (e.start_frame, e.label)
            if k not in self._seen:
                self._seen.add(k)
                self.new_events.append(e)
        return out


class ChunkedSpeechSink(AudioSpool):
    """The audio spool of the speech stage, transcribing as it goes (see the module docstring)."""

    name = "speech-live"

    def __init__(self, stage: Any, settings: Any, chunk_s: float = 30.0, tail_s: float = 2.0) -> None:
        super().__init__()
        self.stage = stage
        self.settings = settings
        self.chunk = int(chunk_s * 16000)
        self.tail = int(tail_s * 16000)
        self.regions: list[tuple[int, int]] = []
        self.transcripts: list[Any] = []
        self.probs = np.zeros(0, np.float32)
        self.start = 0  # everything before this sample is decided
        self.error: str | None = None
        self._vad: Any = None
        self._asr: Any = None

    def samples(self, start: int, data: np.ndarray) -> None:
        super().samples(start, data)
        if self.written - self.start >= self.chunk:
            self._process(final=False)

    def end(self, result: DecodeResult) -> None:
        super().end(result)
        self._process(final=True)

    def _process(self, final: bool) -> None:
        from models.speech.asr import Transcriber
        from models.speech.vad import WINDOW, SileroVAD

        if self.error is not None or self.written <= self.start:
            return
        a, b = self.start, self.written
        audio = self.array()
        try:
            if self._vad is None:
                self._vad = SileroVAD()
            regions, probs = self._vad.regions(audio[a:b], self.stage.vad)
        except Exception as e:  # noqa: BLE001 - one line in the result, the follow goes on
            self.error = f"voice activity failed: {type(e).__name__}: {e}"[:300]
            return
        w0 = a // WINDOW
        if self.probs.size < w0 + probs.size:
            self.probs = np.concatenate([self.probs, np.zeros(w0 + probs.size - self.probs.size, np.float32)])
        self.probs[w0:w0 + probs.size] = probs
        closed = [(ra + a, rb + a) for ra, rb in regions if final or rb + a < b - self.tail]
        if closed:
            try:
                if self._asr is None:
                    self._asr = Transcriber(self.settings)
                self.transcripts.extend(self._asr.transcribe(audio, closed, None, "speech"))
            except Exception as e:  # noqa: BLE001
                self.error = f"transcription failed: {type(e).__name__}: {e}"[:300]
            self.regions.extend(closed)
            self.start = (closed[-1][1] // WINDOW) * WINDOW
        elif not regions:  # silence so far: nothing left open before the tail
            self.start = max(a, ((b - self.tail) // WINDOW) * WINDOW)
        if final:
            self.start = b


class LiveSpeech(LiveStage):
    at_end = "the voice regions still open at the end are transcribed; the rest was done in chunks"

    def __init__(self, stage: Stage, chunk_s: float = 30.0) -> None:
        super().__init__(stage)
        self.chunk_s = chunk_s
        self.sink: ChunkedSpeechSink | None = None
        self._last: list[Any] | None = None

    def _settings(self, ctx: StageContext) -> Any:
        from models.speech.asr import SpeechSettings

        st: Any = self.stage
        if not st._explicit and ctx.project.get_setting("speech"):
            return SpeechSettings.from_dict(ctx.project.get_setting("speech"), st._device)
        return st.settings

    def make_sinks(self, ctx: StageContext) -> list[Sink]:
        if not ctx.info.has_audio:
            self.sinks = []
            return []
        self.sink = ChunkedSpeechSink(self.stage, self._settings(ctx), self.chunk_s)
        self.sinks = [self.sink]
        return self.sinks

    def snapshot(self, point: CommitPoint) -> Any:
        s = self.sink
        if s is None or not s.regions:
            return None
        return list(s.regions), s.probs.copy(), list(s.transcripts)

    def _store(self, ctx: StageContext, regions: Any, probs: Any, transcripts: Any) -> bool:
        from models.speech.stage import build_segments

        speech, words = build_segments(ctx.project.clock(ctx.video.id), regions, probs, transcripts,
                                       self.stage.source)
        key = segment_key(speech) + segment_key(words)
        if key == self._last:
            return False
        with ctx.project.transaction():
            ctx.project.replace_machine_segments(ctx.video.id, SPEECH, speech, ctx.run_id)
            ctx.project.replace_machine_segments(ctx.video.id, WORD, words, ctx.run_id)
        self._last = key
        return True

    def commit(self, ctx: StageContext, snap: Any, point: CommitPoint, changed: set[str]) -> set[str]:
        if snap is None:
            return set()
        return {SPEECH, WORD} if self._store(ctx, *snap) else set()

    def finish(self, ctx: StageContext) -> None:
        s = self.sink
        try:
            samples = s.written if s is not None else 0
            usable, msgs = audio_warnings(ctx.info, ctx.decode, samples)
            status: dict[str, Any] = {"audio": usable, "messages": msgs, "live": True}
            if not usable or s is None:
                warn(ctx, self.name, f"{msgs[0] if msgs else 'no audio'}; no speech analysis")
                ctx.project.set_setting(f"speech.status.{ctx.video.id}", status)
                return
            for m in msgs:
                warn(ctx, self.name, m)
            if s.error:
                warn(ctx, self.name, s.error)
            self._last = None
            self._store(ctx, s.regions, s.probs, s.transcripts)
            status.update(segments=len(s.regions), model=s.settings.model_name)
            ctx.project.set_setting(f"speech.status.{ctx.video.id}", status)
        finally:
            if s is not None:
                s.close()


class LiveSearch(LiveStage):
    at_end = "every kept frame's embeddings stored, as offline (trains the codebook on a first video)"

    def __init__(self, stage: Stage, every: int = 6) -> None:
        super().__init__(stage)
        self.every = every

    def snapshot(self, point: CommitPoint) -> Any:
        sink: Any = next((s for s in self.sinks if hasattr(s, "deep")), None)
        self.commits += 1
        if sink is None or sink.model is None or self.commits % self.every:
            return None
        deep = list(sink.deep)
        n = sum(len(d) for d in deep)
        return list(sink.frames[:n]), deep, list(sink.local[:n])

    def lower_rate(self) -> str | None:
        sink: Any = next((s for s in self.sinks if hasattr(s, "every_s")), None)
        if sink is None or sink.every_s >= 8.0:
            return None
        sink.every_s = min(8.0, sink.every_s * 2)
        return f"search frames kept every {sink.every_s:g} s (and at shot changes)"

    def commit(self, ctx: StageContext, snap: Any, point: CommitPoint, changed: set[str]) -> set[str]:
        if not snap or not snap[1]:
            return set()
        from models.search.index import DEEP_SIGNAL, FRAMES_SIGNAL, LOCAL_SIGNAL, SIGNAL_KEY

        frames, deep, local = snap
        vid = ctx.video.id
        with ctx.project.transaction():
            ctx.project.put_signal(vid, FRAMES_SIGNAL, SIGNAL_KEY, np.asarray(frames, np.int32))
            ctx.project.put_signal(vid, DEEP_SIGNAL, SIGNAL_KEY, np.concatenate(deep).astype(np.float16))
            ctx.project.put_signal(vid, LOCAL_SIGNAL, SIGNAL_KEY, np.stack(local))
        return set()


class LiveActions(LiveStage):
    """The starter detector's pose probes taken on the committed tracks during the follow
    (:class:`core.live.probes.ProbeWorker`, a thread below the analysis), reused at the end: the
    stage's own ``finish`` runs with a probe step that takes every (frame, crop) already answered
    from the cache and answers only the rest, so the final actions are the offline ones."""

    at_end = ("the starter's rules over every track, as offline; the pose probes answered during the "
              "follow are reused, the rest taken then")

    def __init__(self, stage: Stage, every: int = 1) -> None:
        super().__init__(stage)
        self.every = every
        self.cache: Any = None
        self.worker: Any = None
        self._since = 0
        self.stats: dict[str, Any] = {}

    def _probing(self) -> bool:
        st: Any = self.stage
        return st.pose_probe is not None and st.model_path is None

    def make_sinks(self, ctx: StageContext) -> list[Sink]:
        from core.live.probes import ProbeCache, ProbeWorker
        from models.actions.probe_model import batched

        sinks = super().make_sinks(ctx)
        if self._probing():
            st: Any = self.stage
            size = (int(ctx.info.display_size[0]), int(ctx.info.display_size[1]))
            self.cache = ProbeCache(size)
            self.worker = ProbeWorker(self.cache, ctx.info, lambda: batched(st.pose_probe()))
        return sinks

    def snapshot(self, point: CommitPoint) -> Any:
        sink: Any = next((s for s in self.sinks if hasattr(s, "rows") and hasattr(s, "frames")), None)
        if self.worker is None or sink is None:
            return None
        return list(sink.frames), list(sink.rows), tuple(sink.size)

    def commit(self, ctx: StageContext, snap: Any, point: CommitPoint, changed: set[str]) -> set[str]:
        from core.actions import starter
        from core.actions.dataset import load_poses
        from core.actions.motion import MotionGrid

        self._since += 1
        if self.worker is None or PERSON not in changed or self._since < self.every:
            return set()
        self._since = 0
        table = load_poses(ctx.project, ctx.video.id)
        if table is None:
            return set()
        motion = None
        if snap is not None and snap[1]:
            frames, rows, size = snap
            motion = MotionGrid(np.asarray(frames, np.int64), np.stack(rows).astype(np.float32) / 255.0, *size)
        req = starter.probe_requests(table, ctx.video.rate.fps, motion=motion)
        self.worker.submit(table, req, ctx.project.clock(ctx.video.id))
        return set()

    def _probed(self, ctx: StageContext, table: Any, motion: Any) -> tuple[Any, int]:
        """The stage's probe step (``ActionsStage._probed``) with the answers of the follow reused."""
        from core.actions import starter
        from core.actions.probe import keyframes, open_reader, with_probes
        from core.errors import Cancelled, ClipDeskError
        from models.actions.probe_model import batched

        st: Any = self.stage
        own = type(st)._probed  # the stage's own step (the instance's is this one during finish)
        if st.pose_probe is None or self.cache is None:
            return own(st, ctx, table, motion)
        req = starter.probe_requests(table, ctx.video.rate.fps, motion=motion)
        if not req:
            return table, 0
        try:
            miss = self.cache.missing(table, req)
            asked = sum(len(v) for v in req.values())
            self.stats.update(requests=asked, answered_during_follow=asked - sum(len(v) for v in miss.values()))
            if miss:
                detect = self.worker.detect if self.worker is not None and self.worker.detect is not None \
                    else batched(st.pose_probe())
                clock = ctx.project.clock(ctx.video.id)
                frames = [f for fr in miss.values() for f in fr]
                keys = keyframes(ctx.info.path, clock, min(frames), max(frames))
                with open_reader(ctx.info, clock) as reader:
                    self.cache.fill(reader, table, miss, detect, check=ctx.task.check, keys=keys)
            rows = self.cache.rows_for(table, req)
        except Cancelled:
            raise
        except ClipDeskError as e:  # as the stage: no pose model, or the video cannot be read again
            log.warning("actions: no pose probes (%s)", e)
            return table, 0
        except ValueError as e:  # frames of another size than the cache's: the stage's own step
            log.warning("actions: cached probes unusable (%s); probing again", e)
            return own(st, ctx, table, motion)
        return with_probes(table, rows), len(rows)

    def finish(self, ctx: StageContext) -> None:
        st: Any = self.stage
        if self.worker is not None:
            self.worker.stop()
            self.stats["worker_errors"] = list(self.worker.errors)
        if self.cache is None or not hasattr(st, "_probed"):
            st.finish(ctx)
            return
        st._probed = self._probed  # this instance only: the stage's finish, with the cached probes
        try:
            st.finish(ctx)
        finally:
            del st._probed
        log.info("actions: %s", self.stats)


_MODEL_LIVE = {"persons": LivePersons, "scoreboard": LiveScoreboard, "speech": LiveSpeech,
               "search": LiveSearch, "actions": LiveActions}


def live_stage(stage: Stage) -> LiveStage:
    """The live wrapper of any stage ``models.stages.available_stages`` returns."""
    make = _MODEL_LIVE.get(stage.name)
    return make(stage) if make is not None else core_live_stage(stage)


__all__ = ["ChunkedSpeechSink", "LiveActions", "LivePersons", "LiveScoreboard", "LiveSearch", "LiveSpeech", "Task",
           "live_stage"]
