"""The one decode pass: fan-out, sampling rates, VFR times, audio, cancel, errors."""

import threading

import numpy as np
import pytest

from core.media.decode import FrameSpec, Sink, run_decode
from core.errors import Cancelled
from core.media.reader import probe
from core.progress import Task


class Collect(Sink):
    def __init__(self, name, video=None, audio=False, slow=0.0):
        self.name, self.video, self.audio = name, video, audio
        self.frames, self.audio_n, self.ended, self.slow = [], 0, None, slow
        self.thread = None

    def frame(self, index, time, image):
        self.thread = threading.current_thread().name
        self.frames.append((index, time, image.shape))

    def samples(self, start, data):
        assert start == self.audio_n
        self.audio_n += data.size

    def end(self, result):
        self.ended = result


def test_fan_out_each_sink_at_its_own_rate(make_video):
    p = make_video(frames=100, size=(80, 60), fps=25, audio=True)
    full = Collect("full", FrameSpec(48, 27))
    gray = Collect("gray", FrameSpec(width=40, fmt="gray", fps=5))
    one_hz = Collect("1hz", FrameSpec(fps=1))
    aud = Collect("audio", audio=True)
    res = run_decode(probe(p), [full, gray, one_hz, aud])
    assert res.frame_count == 100 and len(full.frames) == 100
    assert full.frames[0][2] == (27, 48, 3)
    assert gray.frames[0][2] == (30, 40)  # aspect kept from the display size
    assert [f[0] for f in gray.frames] == list(range(0, 100, 5))
    assert [f[0] for f in one_hz.frames] == [0, 25, 50, 75]
    assert one_hz.frames[0][2] == (60, 80, 3)
    assert abs(aud.audio_n - 64000) < 2048
    assert full.thread != gray.thread  # each sink has its own worker
    assert all(s.ended is res for s in (full, gray, one_hz, aud))
    assert np.all(np.diff(res.frame_times) > 0)


def test_sink_error_is_reraised_and_stops_the_pass(make_video):
    p = make_video(frames=200)

    class Boom(Sink):
        name = "boom"
        video = FrameSpec(16, 16)

        def frame(self, index, time, image):
            if index == 10:
                raise RuntimeError("analyzer exploded")

    with pytest.raises(RuntimeError, match="exploded"):
        run_decode(probe(p), [Boom(), Collect("other", FrameSpec(16, 16))])


def test_cancel_stops_decoding(make_video):
    p = make_video(frames=300)
    task = Task()
    seen = []

    class Canceller(Sink):
        name = "c"
        video = FrameSpec(16, 16)

        def frame(self, index, time, image):
            seen.append(index)
            if index == 5:
                task.cancel()

    with pytest.raises(Cancelled):
        run_decode(probe(p), [Canceller()], task)
    assert len(seen) < 300


def test_progress_is_reported(make_video):
    p = make_video(frames=80)
    got = []
    run_decode(probe(p), [], Task(on_progress=lambda s, f, m: got.append(f), min_interval=0))
    assert got[-1] == 1.0 and len(got) > 3


def test_vfr_file_gives_cuts_at_the_right_times(shared_media):
    info = probe(shared_media / "video" / "pyscenedetect__goldeneye-vfr-drop3.mp4")
    res = run_decode(info, [])
    assert res.frame_count == 160
    # ground truth: decoded index 60 and 140 start at 3.754 s and 8.759 s
    assert res.frame_times[60] == pytest.approx(3.754, abs=0.02)
    assert res.frame_times[140] == pytest.approx(8.759, abs=0.02)
