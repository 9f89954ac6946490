"""Whisper repetition loops: the detector on crafted word lists, and the speech path through the
Transcriber seam (a scripted model): a loop is re-decoded once, deterministically at T = 0 with
n-gram blocking, and cut back to one occurrence (``attrs.repetition``) when it still loops."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from core.audio.repetition import compression_ratio, find_loop, is_repetitive, strip_loops
from core.timebase import FrameClock, Rate
from models.speech.asr import RATE, SpeechSettings, SpeechSettingsError, Transcriber
from models.speech.stage import build_segments


def words(text: str) -> list[str]:
    return text.split()


@pytest.mark.parametrize("text", [
    "The Lord of the Lord of the Lord",
    "and the Lord of the Lord of the Lord of the Lord of the",
    "goal goal goal goal goal goal",
    "it was it was it was great",
    "Thank you. Thank you. Thank you. Thank you.",
])
def test_loops_found(text: str) -> None:
    assert find_loop(words(text)) is not None


@pytest.mark.parametrize("text", [
    "no, no, no, no",  # a short emphatic repeat is speech
    "the best of the best",
    "ask not what your country can do for you ask what you can do for your country",
    "the score is two one in the sixty seventh minute",
    "",
])
def test_speech_is_not_a_loop(text: str) -> None:
    assert find_loop(words(text)) is None


def test_strip_keeps_one_occurrence_and_what_follows() -> None:
    kept, loops = strip_loops(words("so the Lord of the Lord of the Lord of the Lord. And then he scores"))
    assert " ".join(kept) == "so the Lord of And then he scores"
    assert len(loops) == 1 and loops[0].unit == 3
    kept, loops = strip_loops(words("a b a b a b c d e c d e c d e"))
    assert kept == ["a", "b", "c", "d", "e"] and len(loops) == 2


def test_compression_ratio() -> None:
    assert compression_ratio("the Lord of " * 20) > 2.4
    assert compression_ratio("the score is two one in the sixty seventh minute") < 2.4
    assert is_repetitive("the Lord of " * 20) and not is_repetitive("a clean sentence about football")


# -- the Transcriber seam -------------------------------------------------------------------------
@dataclass
class W:
    word: str
    start: float
    end: float
    probability: float = 0.9


@dataclass
class Seg:
    start: float
    end: float
    text: str
    words: list[W] = field(default_factory=list)
    avg_logprob: float = -0.2
    no_speech_prob: float = 0.01
    compression_ratio: float = 1.5


def seg_of(text: str, t0: float = 0.1, step: float = 0.25, **kw: Any) -> Seg:
    ws = [W(" " + w, t0 + i * step, t0 + (i + 1) * step) for i, w in enumerate(text.split())]
    return Seg(t0, ws[-1].end if ws else t0, " " + text, ws, **kw)


LOOP = "The Lord of the Lord of the Lord of the Lord of the Lord of the"


class Scripted:
    """faster-whisper's ``transcribe`` answering from a script; records every call's options."""

    def __init__(self, first: list[Seg], again: list[Seg]) -> None:
        self.first, self.again = first, again
        self.calls: list[dict[str, Any]] = []

    def transcribe(self, audio: np.ndarray, **kw: Any) -> tuple[Any, None]:
        self.calls.append(kw)
        return iter(self.again if kw.get("no_repeat_ngram_size") else self.first), None


AUDIO = np.zeros(RATE * 5, np.float32)
REGIONS = [(0, RATE * 5)]


def test_default_decoding_never_samples() -> None:
    model = Scripted([seg_of("the score is two one")], [])
    Transcriber(SpeechSettings(), model=model).transcribe(AUDIO, REGIONS)
    assert [c["temperature"] for c in model.calls] == [(0.0,)]
    assert SpeechSettings.from_dict({}).temperatures == (0.0,)


def test_loop_is_redecoded_and_the_clean_text_kept() -> None:
    clean = seg_of("the Lord mayor is in the crowd today")
    model = Scripted([seg_of(LOOP)], [clean])
    out = Transcriber(SpeechSettings(), model=model).transcribe(AUDIO, REGIONS)
    assert len(model.calls) == 2
    redo = model.calls[1]
    assert redo["temperature"] == (0.0,) and redo["no_repeat_ngram_size"] > 0
    assert redo["repetition_penalty"] > 1.0
    assert [w.text for w in out[0].words] == clean.text.split() and not out[0].repetition


def test_loop_that_persists_is_cut_back_and_marked() -> None:
    model = Scripted([seg_of("and " + LOOP)], [seg_of(LOOP)])
    out = Transcriber(SpeechSettings(), model=model).transcribe(AUDIO, REGIONS)
    assert [w.text for w in out[0].words] == ["and", "The", "Lord", "of"]
    assert out[0].text == "and The Lord of" and out[0].repetition
    clock = FrameClock(Rate(25, 1), 125)
    speech, word_segs = build_segments(clock, REGIONS, np.ones(10, np.float32), out, "model:test@1")
    assert speech[0].attrs.get("repetition") is True
    assert [w.label for w in word_segs] == ["and", "The", "Lord", "of"]


def test_a_poor_redecode_is_not_taken() -> None:
    model = Scripted([seg_of(LOOP)], [seg_of("something else entirely", avg_logprob=-1.6)])
    out = Transcriber(SpeechSettings(), model=model).transcribe(AUDIO, REGIONS)
    assert out[0].text == "The Lord of" and out[0].repetition


def test_clean_segments_are_untouched() -> None:
    model = Scripted([seg_of("what a strike from thirty yards")], [])
    out = Transcriber(SpeechSettings(), model=model).transcribe(AUDIO, REGIONS)
    assert len(model.calls) == 1 and out[0].text == "what a strike from thirty yards"
    assert not out[0].repetition


@pytest.mark.parametrize("bad", [{"temperatures": [0.0, 7]}, {"temperatures": []},
                                 {"temperatures": ["hot"]}, {"seed": -1}])
def test_bad_decoding_settings_are_one_line(bad: dict[str, Any]) -> None:
    with pytest.raises(SpeechSettingsError) as e:
        SpeechSettings.from_dict(bad)
    assert "\n" not in str(e.value)
