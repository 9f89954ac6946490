"""core.testing.synth: generated edits decode to the frame count, transitions and audio they promise."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from core.media.decode import FrameSpec, Sink, run_decode
from core.media.reader import probe
from core.testing.synth import CUT, ShotSpec, TransitionSpec, make_clip, make_edit, make_tone_clip
from core.timebase import Rate


class _Means(Sink):
    video = FrameSpec(32, 18, "rgb24")

    def __init__(self) -> None:
        self.means: list[float] = []
        self.frames: list[np.ndarray] = []

    def frame(self, index: int, time: float, image: np.ndarray) -> None:
        self.means.append(float(image.mean()))
        self.frames.append(image.astype(np.int16))


def _decode(path):
    s = _Means()
    r = run_decode(probe(path), [s])
    return r, s


def test_edit_layout_and_truth(tmp_path):
    shots = [ShotSpec(30, flashes=(12,)), ShotSpec(30), ShotSpec(30), ShotSpec(30), ShotSpec(30)]
    tr = make_edit(tmp_path / "e.mp4", shots,
                   transitions=[CUT, ("dissolve", 10), ("fade", 12), ("wipe", 8)], seed=3)
    assert tr.frame_count == 150 + 10 + 12 + 8
    assert tr.cuts == [30]
    assert [(t.kind, t.start, t.end) for t in tr.gradual] == [
        ("dissolve", 60, 70), ("fade", 100, 112), ("wipe", 142, 150)]
    assert tr.flashes == [12]
    r, s = _decode(tr.path)
    assert r.frame_count == tr.frame_count
    m = np.array(s.means)
    assert m[12] > m[11] + 60  # the flash frame is near white
    assert min(m[105], m[106]) < 8  # black in the middle of the fade
    diffs = [float(np.abs(s.frames[i] - s.frames[i - 1]).mean()) for i in range(1, len(s.frames))]
    # The cut is the biggest change between neighbours outside the flash.
    no_flash = [d if i + 1 not in (12, 13) else 0 for i, d in enumerate(diffs)]
    assert int(np.argmax(no_flash)) + 1 == 30
    # Content moves inside a shot (not a still frame).
    assert diffs[40] > 0.5


def test_rate_gop_and_audio(tmp_path):
    sr = 16000
    audio = np.sin(np.linspace(0, 2000, sr * 2)).astype(np.float32) * 0.3
    tr = make_edit(tmp_path / "a.mp4", [ShotSpec(30), ShotSpec(30)], fps=Fraction(30000, 1001),
                   audio=audio, audio_rate=sr, gop=10)
    info = probe(tr.path)
    assert info.rate == Rate(30000, 1001)
    assert info.has_audio and info.audio[0].codec == "aac"
    assert tr.rate == Rate(30000, 1001)
    import av

    with av.open(str(tr.path)) as c:
        keys = [p.is_keyframe for p in c.demux(video=0) if p.size]
    assert sum(keys) >= 6


def test_helpers_and_validation(tmp_path):
    tr = make_clip(tmp_path / "c.mp4", 20, size=(160, 90))
    assert tr.frame_count == 20 and tr.transitions == []
    tc = make_tone_clip(tmp_path / "t.mp4", 1.0)
    assert probe(tc.path).has_audio and tc.frame_count == 25
    with pytest.raises(ValueError):
        TransitionSpec("dissolve", 1)
    with pytest.raises(ValueError):
        make_edit(tmp_path / "x.mp4", [ShotSpec(5), ShotSpec(5)], transitions=[])
