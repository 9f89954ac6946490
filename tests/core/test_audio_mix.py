"""Dialogue-first mixdown of multichannel audio: weights, speech-to-noise gain, both decode paths."""

from pathlib import Path

import av
import numpy as np
import pytest

from core.audio.mix import DefaultMono, DialogueMixer, dialogue_weights, mono_resampler
from core.audio.stage import audio_warnings
from core.media.decode import AUDIO_RATE, Sink, run_decode
from core.media.reader import load_audio, probe
from core.testing.synth import write_audio

RATE = 48000


def write_av(path: Path, audio: np.ndarray, layout: str, seconds: float = 2.0, codec: str = "aac") -> Path:
    """A tiny video with ``audio`` (``(channels, n)`` float in [-1, 1] at 48 kHz) in ``layout``."""
    ch = av.AudioLayout(layout).nb_channels
    assert audio.shape[0] == ch
    with av.open(str(path), "w") as c:
        vs = c.add_stream("libx264", rate=25)
        vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
        vs.options = {"preset": "ultrafast"}
        ast = c.add_stream(codec, rate=RATE)
        ast.layout = layout
        for i in range(int(seconds * 25)):
            img = np.full((48, 64, 3), (i * 9) % 256, np.uint8)
            for pkt in vs.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(pkt)
        for pkt in vs.encode():
            c.mux(pkt)
        write_audio(c, ast, audio.T, RATE, layout)
    return path


def commentary_over_crowd(layout: str = "5.1", seconds: float = 2.0, seed: int = 0) -> np.ndarray:
    """A 440 Hz "commentary" tone in FC, equal independent loud noise in every other channel."""
    lay = av.AudioLayout(layout)
    n = int(seconds * RATE)
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 0.1, (lay.nb_channels, n)).astype(np.float32)
    fc = [c.name for c in lay.channels].index("FC")
    x[fc] = 0.3 * np.sin(2 * np.pi * 440 * np.arange(n) / RATE)
    return x


def decode_with(path: Path, make) -> np.ndarray:
    out: list[np.ndarray] = []
    with av.open(str(path)) as c:
        st = c.streams.audio[0]
        res = make(st.codec_context.layout)
        for fr in c.decode(st):
            out += res.resample(fr)
        out += res.resample(None)
    return np.concatenate(out)


def tone_snr_db(x: np.ndarray, f0: float = 440.0, rate: int = AUDIO_RATE) -> float:
    """Power within 15 Hz of the tone over the power elsewhere above 50 Hz (edges trimmed)."""
    x = x[rate // 4: -rate // 4].astype(np.float64)
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size))) ** 2
    f = np.fft.rfftfreq(x.size, 1 / rate)
    near = np.abs(f - f0) < 15
    return float(10 * np.log10(spec[near].sum() / spec[~near & (f > 50)].sum()))


class Collect(Sink):
    name = "collect"
    audio = True

    def __init__(self) -> None:
        self.chunks: list[np.ndarray] = []
        self.result = None

    def samples(self, start, data):
        assert start == sum(c.size for c in self.chunks)
        self.chunks.append(data.copy())

    def end(self, result):
        self.result = result

    @property
    def audio_data(self) -> np.ndarray:
        return np.concatenate(self.chunks)


@pytest.mark.parametrize("layout, expect", [
    ("5.1", [0.3, 0.3, 1.0, 0, 0, 0]),
    ("5.1(side)", [0.3, 0.3, 1.0, 0, 0, 0]),
    ("7.1", [0.3, 0.3, 1.0, 0, 0, 0, 0, 0]),
    ("3.0", [0.3, 0.3, 1.0]),
    ("mono", None), ("stereo", None), ("quad", None), ("2.1", None), ("6 channels", None), (None, None),
])
def test_weights_favour_the_centre_only_where_there_is_one(layout, expect):
    w = dialogue_weights(layout)
    if expect is None:
        assert w is None
        assert isinstance(mono_resampler(layout, AUDIO_RATE), DefaultMono)
    else:
        assert w is not None and np.allclose(w, expect)
        assert isinstance(mono_resampler(layout, AUDIO_RATE), DialogueMixer)


def test_dialogue_mix_lifts_commentary_over_the_crowd(tmp_path):
    p = write_av(tmp_path / "sport51.mp4", commentary_over_crowd(), "5.1")
    default = decode_with(p, lambda _lay: DefaultMono(AUDIO_RATE))  # ffmpeg's own 5.1 -> mono matrix
    dialogue = load_audio(p)
    assert abs(dialogue.size - default.size) <= 1
    gain = tone_snr_db(dialogue) - tone_snr_db(default)
    # Measured +9.1 dB (fronts at 0.3 vs ffmpeg's 0.707 fronts + 0.5 surrounds); 0.5 would give +4.7.
    assert gain >= 6.0, gain


def test_full_scale_centre_and_fronts_stay_in_range_7_1():
    lay = "7.1"
    mixer = DialogueMixer(lay, AUDIO_RATE)
    # Full scale in the channels that are kept, opposite sign in the ones that are dropped.
    level = np.array([1, 1, 1, -1, -1, -1, -1, -1], np.float32)
    inter = np.tile(level, (4800, 1)).reshape(1, -1)
    fr = av.AudioFrame.from_ndarray(inter, format="flt", layout=lay)
    fr.sample_rate, fr.pts = RATE, 0
    out = np.concatenate(mixer.resample(fr) + mixer.resample(None))
    assert np.abs(out).max() <= 1.0 + 1e-5
    assert np.allclose(np.median(out[200:-200]), 1.0, atol=1e-3)  # all kept channels in phase: 1.0
    centre_only = mixer.mix(np.tile(np.eye(8, dtype=np.float32)[2], 100))
    assert np.allclose(centre_only, 1 / 1.6)


def test_decode_pass_and_load_audio_agree_on_5_1(tmp_path):
    p = write_av(tmp_path / "sport51.mp4", commentary_over_crowd(seed=1), "5.1")
    info = probe(p)
    sink = Collect()
    res = run_decode(info, [sink])
    assert res.audio_dialogue_mix
    got = sink.audio_data
    assert got.dtype == np.float32 and got.size > 1.9 * AUDIO_RATE
    assert np.array_equal(got, load_audio(p))  # audio and video both start at 0: no pad or cut
    usable, msgs = audio_warnings(info, res, got.size)
    assert usable
    assert "audio has 6 channels: mixed down to mono for analysis, favouring the centre (dialogue) channel" in msgs


@pytest.mark.parametrize("layout", ["stereo", "quad"])
def test_layouts_without_a_centre_keep_the_default_downmix(tmp_path, layout):
    ch = av.AudioLayout(layout).nb_channels
    x = np.random.default_rng(2).normal(0, 0.2, (ch, 2 * RATE)).astype(np.float32)
    p = write_av(tmp_path / f"{layout}.mp4", x, layout)

    def today(_lay):  # the path before the dialogue mix existed, verbatim
        res = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)

        class Old:
            def resample(self, fr):
                return [o.to_ndarray().reshape(-1) for o in res.resample(fr)]

        return Old()

    old = decode_with(p, today).astype(np.float32)
    loaded = load_audio(p)
    assert loaded.dtype == np.float32 and loaded.tobytes() == old.tobytes()
    info = probe(p)
    sink = Collect()
    res = run_decode(info, [sink])
    assert not res.audio_dialogue_mix
    assert sink.audio_data.tobytes() == old.tobytes()
    _, msgs = audio_warnings(info, res, sink.audio_data.size)
    if ch > 2:
        assert f"audio has {ch} channels: mixed down to mono for analysis" in msgs
    assert not any("centre" in m for m in msgs)
