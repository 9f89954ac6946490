"""A growing recording's rate guessed from its first packets is corrected at the end of a follow."""

from __future__ import annotations

import subprocess

import numpy as np

from core.export.clip import ffmpeg_exe
from core.live.follow import goal_stem, settle_rate
from core.media.reader import probe
from core.segments import EVENT, Segment
from core.store import Project
from core.timebase import Rate


def test_a_wrong_probed_rate_is_corrected_from_the_frame_times(tmp_path):
    mp4 = tmp_path / "ten.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x90:rate=10",
                    "-t", "8", "-c:v", "libx264", "-preset", "ultrafast", str(mp4)], check=True)
    info = probe(mp4)
    assert info.rate == Rate(10, 1)
    with Project(tmp_path / "p.clipdesk") as p:
        vid = p.add_video(info).id
        p.set_rate(vid, Rate(20, 1), False)  # what the first packets of a growing .ts once gave
        times = np.arange(80) / 10.0
        p.set_frame_times(vid, times)
        goal = Segment(EVENT, 60, 61, "goal")
        assert goal_stem(p.clock(vid), goal, 80)[1].startswith("goal_00m03s")  # the wrong clock
        assert settle_rate(p, vid, mp4, times)
        assert p.video(vid).rate == Rate(10, 1) and p.video(vid).info.rate == Rate(10, 1)
        assert goal_stem(p.clock(vid), goal, 80)[1].startswith("goal_00m06s")
        assert not settle_rate(p, vid, mp4, times)  # right already: nothing to do
