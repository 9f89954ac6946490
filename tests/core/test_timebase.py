from fractions import Fraction

import pytest

from core.timebase import FrameClock, Rate, clock, timecode


def test_rate_rational_and_seconds():
    r = Rate.from_fraction(Fraction(30000, 1001))
    assert (r.num, r.den) == (30000, 1001)
    assert r.seconds(30000) == pytest.approx(1001.0)
    assert r.frames_at(r.seconds(12345)) == 12345  # exact round trip, no float drift
    assert Rate(25).nearest_frame(1.02) == 26


def test_rate_rejects_nonsense():
    with pytest.raises(ValueError):
        Rate(0, 1)


def test_timecode_and_clock():
    assert timecode(25 * 3661 + 7, Rate(25)) == "01:01:01:07"
    assert clock(75.5) == "1:15.500"
    assert clock(3725.25) == "1:02:05.250"


def test_frame_clock_cfr_and_vfr():
    cfr = FrameClock(Rate(10), 30)
    assert cfr.time(15) == 1.5 and cfr.frame_at(1.55) == 15 and cfr.duration == 3.0
    times = [0.0, 0.1, 0.3, 0.4, 0.6]  # dropped frames: variable rate
    vfr = FrameClock(Rate(10), 5, times)
    assert vfr.time(2) == 0.3
    assert vfr.frame_at(0.35) == 2
    assert vfr.frame_at(10) == 4
    assert vfr.nearest_frame(0.29) == 2
    assert vfr.duration == pytest.approx(0.8)
