"""Stage ``speech``: voice activity -> ``speech`` track, Whisper transcription -> text and ``word`` track.

Takes the 16 kHz mono audio from the one decode pass through a disk spool (flat memory for
any length), runs Silero VAD over all of it, then faster-whisper over the voice-active regions
only. Each VAD region becomes one or more ``speech`` segments (split between Whisper segments)
whose ``label`` is the text; each word becomes a ``word`` segment (``label`` = word,
``confidence`` = probability, ``attrs.interpolated`` when its time was repaired; a speech segment
whose Whisper loop was cut back has ``attrs.repetition``). Without
usable audio the stage records a warning and stores nothing; the rest of the analysis goes on.

``finish`` runs on the pipeline's thread; the spool sink on its decode worker.
"""

from __future__ import annotations

from typing import Any, Sequence

from core.audio.stage import AudioSpool, audio_warnings, warn
from core.media.decode import Sink
from core.pipeline import Stage, StageContext
from core.segments import SPEECH, WORD, Segment
from core.audio.speech import VadParams, Word, frame_range, repair_word_times
from core.timebase import FrameClock
from models.speech.asr import RATE, SpeechSettings, Transcriber, Transcript


class SpeechStage(Stage):
    name = "speech"
    model = "silero-whisper"
    version = "2"  # 2: no unseeded sampling fallback, repetition loops cut back
    tracks = (SPEECH, WORD)

    def __init__(self, settings: dict[str, Any] | None = None, device: str = "cpu",
                 vad: VadParams | None = None) -> None:
        self.settings = SpeechSettings.from_dict(settings, device)
        self._explicit = bool(settings)
        self._device = device
        self.vad = vad or VadParams()
        self._spools: dict[int, AudioSpool] = {}

    def params(self) -> dict[str, Any]:
        s = self.settings
        return {"model": s.model_dir or s.model_name, "language": s.language, "beam": s.beam_size,
                "compute": s.compute_type, "vad": [self.vad.threshold, self.vad.neg_threshold,
                                                   self.vad.min_silence_ms, self.vad.pad_ms],
                "temperatures": list(s.temperatures), "seed": s.seed}

    def sinks(self, ctx: StageContext) -> list[Sink]:
        if not ctx.info.has_audio:
            return []
        spool = AudioSpool()
        self._spools[ctx.run_id] = spool
        return [spool]

    def finish(self, ctx: StageContext) -> None:
        spool = self._spools.pop(ctx.run_id, None)
        try:
            self._finish(ctx, spool)
        finally:
            if spool is not None:
                spool.close()

    def _finish(self, ctx: StageContext, spool: AudioSpool | None) -> None:
        from models.speech.vad import SileroVAD

        project, vid = ctx.project, ctx.video.id
        samples = spool.written if spool is not None else 0
        usable, msgs = audio_warnings(ctx.info, ctx.decode, samples)
        status: dict[str, Any] = {"audio": usable, "messages": msgs, "model": self.settings.model_name}
        if not usable or spool is None:
            warn(ctx, self.name, f"{msgs[0] if msgs else 'no audio'}; no speech analysis")
            project.set_setting(f"speech.status.{vid}", status)
            return
        for m in msgs:
            warn(ctx, self.name, m)
        settings = self.settings
        if not self._explicit and project.get_setting("speech"):
            # The model chosen in the app's speech settings, when the caller passed none.
            settings = SpeechSettings.from_dict(project.get_setting("speech"), self._device)
            status["model"] = settings.model_name
        audio = spool.array()
        regions, probs = SileroVAD().regions(audio, self.vad, ctx.task)
        transcripts: list[Transcript] = []
        if samples / RATE > settings.max_hours * 3600:
            warn(ctx, self.name, f"longer than {settings.max_hours:g} h: voice activity only, "
                                 "no transcription (raise speech.max_hours to transcribe)")
        elif regions:
            transcripts = Transcriber(settings).transcribe(audio, regions, ctx.task, self.name)
        ctx.task.check()
        clock = ctx.project.clock(vid)
        speech, words = build_segments(clock, regions, probs, transcripts, self.source)
        with project.transaction():
            project.replace_machine_segments(vid, SPEECH, speech, ctx.run_id)
            project.replace_machine_segments(vid, WORD, words, ctx.run_id)
            status["segments"] = len(speech)
            status["words"] = len(words)
            project.set_setting(f"speech.status.{vid}", status)


def build_segments(clock: FrameClock, regions: Sequence[tuple[int, int]], probs: Any,
                   transcripts: Sequence[Transcript], source: str) -> tuple[list[Segment], list[Segment]]:
    """Speech and word segments from VAD regions (samples) and transcripts (seconds)."""
    from models.speech.vad import WINDOW

    speech: list[Segment] = []
    words_out: list[Segment] = []
    # Assign each Whisper segment's words to the VAD region holding their midpoint.
    groups: list[list[tuple[Transcript, list[Word]]]] = [[] for _ in regions]
    starts = [a / RATE for a, _ in regions]
    for tr in transcripts:
        per_region: dict[int, list[Word]] = {}
        for w in tr.words or []:
            per_region.setdefault(_region_of((w.start + w.end) / 2, regions, starts), []).append(w)
        for ri, ws in per_region.items():
            groups[ri].append((tr, ws))
    for ri, (a, b) in enumerate(regions):
        ra, rb = a / RATE, b / RATE
        vad_conf = float(probs[a // WINDOW:max(a // WINDOW + 1, b // WINDOW)].mean()) if len(probs) else None
        parts = groups[ri]
        if not parts:
            fa, fb = frame_range(clock, ra, rb)
            speech.append(Segment(SPEECH, fa, fb, None, vad_conf, {"vad": vad_conf}, source))
            continue
        bounds = [ra]
        for k in range(1, len(parts)):
            prev_end, next_start = parts[k - 1][1][-1].end, parts[k][1][0].start
            bounds.append(min(max((prev_end + next_start) / 2, bounds[-1]), rb))
        bounds.append(rb)
        for k, (tr, ws) in enumerate(parts):
            sa, sb = bounds[k], bounds[k + 1]
            fixed = repair_word_times(ws, sa, sb)
            text = " ".join(w.text for w in fixed)
            conf = float(min(1.0, max(0.0, 2.718281828 ** tr.avg_logprob)))
            fa, fb = frame_range(clock, sa, sb)
            sattrs: dict[str, Any] = {"vad": vad_conf, "no_speech": round(tr.no_speech_prob, 3)}
            if tr.repetition:
                sattrs["repetition"] = True  # a Whisper loop was cut back to one occurrence
            speech.append(Segment(SPEECH, fa, fb, text, conf, sattrs, source))
            for w in fixed:
                # Nearest frame edges: consecutive words tile instead of overlapping by a frame.
                wa = min(clock.nearest_frame(w.start), max(0, clock.frame_count - 1))
                wb = max(wa + 1, min(clock.nearest_frame(w.end), clock.frame_count))
                attrs: dict[str, Any] = {"start_s": round(w.start, 3), "end_s": round(w.end, 3)}
                if w.interpolated:
                    attrs["interpolated"] = True
                words_out.append(Segment(WORD, wa, wb, w.text, round(w.probability, 3), attrs, source))
    return speech, words_out


def _region_of(t: float, regions: Sequence[tuple[int, int]], starts: list[float]) -> int:
    import bisect

    i = max(0, bisect.bisect_right(starts, t) - 1)
    if i + 1 < len(regions) and t > regions[i][1] / RATE:
        # between two regions: the nearer one
        if regions[i + 1][0] / RATE - t < t - regions[i][1] / RATE:
            i += 1
    return i


__all__ = ["SpeechStage", "build_segments"]
