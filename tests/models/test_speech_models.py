"""models.speech.vad and models.speech.asr on the shared speech recordings: VAD frame F1 (also under crowd-like
noise), WER against the reference transcripts, block-wise VAD equal to one pass, window packing."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.errors import Cancelled
from core.media.reader import load_audio
from core.progress import Task
from core.audio.speech import frame_f1, regions_from_probabilities, word_error_rate
from core.testing.vad_eval import VAD_FILES, crowd_noise, hand_labels
from models.speech.asr import SpeechSettings, SpeechSettingsError, Transcriber, pack_windows
from models.speech.vad import RATE, WINDOW, SileroVAD

@pytest.fixture(scope="module")
def vad() -> SileroVAD:
    return SileroVAD()


@pytest.fixture(scope="module")
def transcriber() -> Transcriber:
    return Transcriber(SpeechSettings())


@pytest.mark.shared_media
@pytest.mark.parametrize("snr_db", [None, 10.0, 5.0])
def test_vad_frame_f1_against_hand_labels(shared_media, vad, snr_db):
    for wav, labels in VAD_FILES:
        audio = load_audio(shared_media / "audio" / wav)
        if snr_db is not None:
            noise = crowd_noise(audio.size) * np.sqrt(np.mean(audio ** 2) / 10 ** (snr_db / 10))
            audio = (audio + noise).astype(np.float32)
        regions, _ = vad.regions(audio)
        truth, spans = hand_labels(shared_media / "groundtruth" / labels)
        pred = [(a / RATE, b / RATE) for a, b in regions]
        _, _, f1 = frame_f1(pred, truth, audio.size / RATE, scored=spans)
        assert f1 >= 0.9, (wav, snr_db, f1, pred)


@pytest.mark.shared_media
def test_vad_in_blocks_equals_one_pass(shared_media, vad, monkeypatch):
    audio = load_audio(shared_media / "audio" / "pyannote__sample.wav")
    whole = vad.probabilities(audio)
    import models.speech.vad as vad_mod

    monkeypatch.setattr(vad_mod, "_BLOCK_WINDOWS", 37)
    blocks = vad.probabilities(audio)
    np.testing.assert_allclose(whole, blocks, atol=1e-4)
    assert whole.size == -(-audio.size // WINDOW)
    # Speech starts at 6.69 s in the RTTM: nothing before ~6.5 s, plenty after.
    regions = regions_from_probabilities(whole, WINDOW, RATE, audio.size)
    assert regions and regions[0][0] / RATE > 6.0
    assert sum(b - a for a, b in regions) / RATE > 15.0


@pytest.mark.shared_media
def test_wer_on_reference_transcripts(shared_media, vad, transcriber):
    refs = json.loads((shared_media / "groundtruth" / "transcripts.json").read_text())
    errors, words = 0.0, 0
    for rel, entry in refs.items():
        if rel.startswith("_"):
            continue
        audio = load_audio(shared_media / rel)
        regions, _ = vad.regions(audio)
        out = transcriber.transcribe(audio, regions)
        hyp = " ".join(t.text for t in out)
        n = len(entry["text"].split())
        errors += word_error_rate(entry["text"], hyp) * n
        words += n
        for t in out:  # word times lie inside the audio, in order
            for w in t.words:
                assert 0.0 <= w.start <= w.end <= audio.size / RATE + 0.01
    assert errors / words <= 0.2, errors / words


@pytest.mark.shared_media
def test_jfk_words_and_times(shared_media, vad, transcriber):
    audio = load_audio(shared_media / "audio" / "faster-whisper__jfk.flac")
    regions, _ = vad.regions(audio)
    out = transcriber.transcribe(audio, regions)
    words = [w for t in out for w in t.words]
    text = " ".join(w.text for w in words)
    assert word_error_rate("And so my fellow Americans, ask not what your country can do for you, "
                           "ask what you can do for your country.", text) <= 0.1
    country = [w for w in words if w.text.strip(".,").lower() == "country"]
    assert len(country) == 2
    assert 5.5 < country[0].start < 6.8 and 9.8 < country[1].start < 10.8


def test_pack_windows_keeps_regions_and_limits_size():
    regions = [(0, 5 * RATE), (10 * RATE, 30 * RATE), (31 * RATE, 40 * RATE), (50 * RATE, 120 * RATE)]
    groups = pack_windows(regions, max_s=29.0)
    flat = [r for g in groups for r in g]
    assert sum(b - a for a, b in flat) == sum(b - a for a, b in regions)
    for g in groups:
        assert sum(b - a for a, b in g) <= 29 * RATE


def test_settings_validation(tmp_path):
    s = SpeechSettings.from_dict({"language": "auto", "beam_size": 2, "unknown": 1}, device="cpu")
    assert s.language is None and s.beam_size == 2
    with pytest.raises(SpeechSettingsError):
        SpeechSettings.from_dict({"beam_size": 0})
    with pytest.raises(SpeechSettingsError, match="not found"):
        SpeechSettings(model_dir=str(tmp_path / "nope")).resolved_model_dir()
    with pytest.raises(SpeechSettingsError, match="model.bin"):
        SpeechSettings(model_dir=str(tmp_path)).resolved_model_dir()


@pytest.mark.shared_media
def test_transcription_cancels(shared_media, vad, transcriber):
    audio = load_audio(shared_media / "audio" / "pyannote__sample.wav")
    regions, _ = vad.regions(audio)
    task = Task()
    task.cancel()
    with pytest.raises(Cancelled):
        transcriber.transcribe(audio, regions, task)
