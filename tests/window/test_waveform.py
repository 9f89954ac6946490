"""Audio lane: per-frame levels from the audio stage's envelope or computed from the audio."""

from __future__ import annotations

import numpy as np

from app.timeline.waveform import envelope_per_frame, loudness_per_frame
from core.timebase import FrameClock, Rate


def test_envelope_levels_follow_the_loud_frames() -> None:
    clock = FrameClock(Rate(25), 50)  # 2 s, 40 ms per frame
    env = np.zeros((200, 2), np.float16)  # 10 ms hops
    env[100:104] = (-0.5, 0.5)  # 1.00-1.04 s loud: frame 25 exactly
    lv = envelope_per_frame(env, 0.01, clock)
    assert lv.shape == (50,)
    assert abs(lv[25] - 20 * np.log10(0.5)) < 0.1
    assert lv[24] < -80 and lv[26] < -80


def test_rms_fallback_per_frame() -> None:
    clock = FrameClock(Rate(25), 25)
    sr = 8000
    x = np.zeros(sr, np.float32)
    x[sr // 2: sr // 2 + 320] = 0.25  # frame 12 (0.48-0.52 s) partly loud
    lv = loudness_per_frame(x, sr, clock)
    assert np.argmax(lv) in (12, 13) and lv[0] == -90.0
