"""core.audio.features lanes and the ``audio`` stage in the one decode pass (generated media)."""

from __future__ import annotations

import numpy as np
import pytest

from core.audio.features import (
    ENVELOPE, EXCITEMENT, SIGNAL_KEY, AudioLaneBuilder, AudioLanes, load_audio_lanes,
)
from core.audio.stage import AudioLanesStage
from core.pipeline import analyze
from core.testing.synth import make_clip, tone

RATE = 16000


def _build(x: np.ndarray, chunk: int) -> AudioLanes:
    b = AudioLaneBuilder()
    for i in range(0, x.size, chunk):
        b.add(x[i:i + chunk])
    return b.finish()


def test_loudness_of_a_reference_tone():
    # A 1 kHz sine at -20 dBFS peak is -23 dB RMS; K-weighting adds ~+0.7 dB at 1 kHz and
    # BS.1770 subtracts 0.691: the short-term loudness is about -23 LUFS.
    lanes = _build(tone(1000.0, 3.0, RATE, amplitude=0.1), 4000)
    assert lanes.loudness.shape == (30,)
    assert lanes.loudness[5:] == pytest.approx(-23.0, abs=0.5)
    assert lanes.envelope.shape == (300, 2)
    assert float(lanes.envelope[:, 1].max()) == pytest.approx(0.1, abs=0.002)
    assert float(lanes.envelope[:, 0].min()) == pytest.approx(-0.1, abs=0.002)


def test_chunking_does_not_change_the_lanes():
    rng = np.random.default_rng(1)
    x = (0.2 * rng.standard_normal(RATE * 4)).astype(np.float32)
    a, b = _build(x, 1013), _build(x, RATE * 4)
    np.testing.assert_allclose(a.loudness, b.loudness, atol=1e-4)
    np.testing.assert_allclose(a.flux, b.flux, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(a.envelope, b.envelope)


def test_excitement_peaks_on_a_loud_noisy_burst():
    rng = np.random.default_rng(2)
    quiet = 0.01 * rng.standard_normal(RATE * 6)
    roar = 0.4 * rng.standard_normal(RATE * 3)
    x = np.concatenate([quiet, roar, quiet]).astype(np.float32)
    lanes = _build(x, 3000)
    exc = lanes.excitement
    assert exc.shape == lanes.loudness.shape and 0.0 <= exc.min() and exc.max() <= 1.0
    peak = int(np.argmax(exc)) * lanes.lane_hop
    assert 6.0 <= peak <= 9.0
    assert lanes.mean_between("excitement", 6.5, 8.5) > 3 * lanes.mean_between("excitement", 0, 4)
    assert lanes.at("loudness", 7.5) > lanes.at("loudness", 2.0) + 20


def test_empty_builder_gives_empty_lanes():
    lanes = AudioLaneBuilder().finish()
    assert lanes.envelope.shape == (0, 2) and lanes.loudness.size == 0 and lanes.excitement.size == 0


def test_audio_stage_stores_signals_in_the_decode_pass(tmp_path, project):
    audio = np.concatenate([np.zeros(RATE), tone(440.0, 1.0, RATE, 0.5), np.zeros(RATE)])
    truth = make_clip(tmp_path / "tone.mp4", frames=75, audio=audio, audio_rate=RATE)
    assert load_audio_lanes(project, 1) is None
    report = analyze(project, truth.path, [AudioLanesStage()])
    assert report.ran == ["audio"]
    lanes = load_audio_lanes(project, report.video.id)
    assert lanes is not None
    assert lanes.duration == pytest.approx(3.0, abs=0.15)
    assert lanes.at("loudness", 1.5) > lanes.at("loudness", 0.4) + 30
    assert project.get_signal(report.video.id, ENVELOPE, SIGNAL_KEY) is not None
    assert project.get_signal(report.video.id, EXCITEMENT, SIGNAL_KEY).dtype == np.float32
    # Resumable: a second run skips the stage.
    assert analyze(project, truth.path, [AudioLanesStage()]).skipped == ["audio"]


def test_audio_stage_without_audio_warns_and_goes_on(tmp_path, project):
    truth = make_clip(tmp_path / "silent.mp4", frames=20)
    report = analyze(project, truth.path, [AudioLanesStage()])
    assert report.ran == ["audio"]
    assert load_audio_lanes(project, report.video.id) is None
