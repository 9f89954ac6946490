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


def test_rate_of_a_measured_frame_rate():
    from core.live.follow import rate_of

    assert rate_of(10.0) == Rate(10, 1) and rate_of(25.02) == Rate(25, 1)
    assert rate_of(29.97) == Rate(30000, 1001) and rate_of(59.94) == Rate(60000, 1001)
    assert abs(rate_of(12.5).fps - 12.5) < 1e-9


def test_the_rate_is_settled_at_the_first_commits_of_a_follow(tmp_path, monkeypatch):
    """The first packets of a growing recording gave 20 fps for a 10 fps video: the first commit
    with enough decoded frames stores the right rate, so times are right during the follow."""
    from core.live import follow as follow_mod
    from core.live.follow import FollowOptions, follow
    from core.live.writer import FileWriter
    from core.pipeline import order_stages
    from models.live import live_stage
    from models.stages import available_stages

    mp4 = tmp_path / "ten.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x90:rate=10",
                    "-t", "12", "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-f", "mpegts", str(mp4)],
                   check=True)
    real = follow_mod.probe
    calls = []

    def first_packets(path):
        info = real(path)
        calls.append(path)
        if len(calls) == 1:  # the follower's first probe, on the first packets
            from dataclasses import replace

            return replace(info, rate=Rate(20, 1))
        return info

    monkeypatch.setattr(follow_mod, "probe", first_packets)
    live = tmp_path / "live.ts"
    live.write_bytes(b"")
    writer = FileWriter(mp4, live, duration_s=12, speed=4.0)
    writer.start()
    seen = []
    with Project(tmp_path / "p.clipdesk") as p:

        def on_commit(c):
            if not c.final:
                seen.append((c.media_s, p.video(c.video_id).rate))

        stages = order_stages(available_stages({"shots.refiner": "none"}), ["shots"])
        follow(p, live, stages, live_stage, options=FollowOptions(every_s=2.0, idle_s=1.5, poll_s=0.02,
                                                                    commit_share=1.0), on_commit=on_commit)
        final = p.video(p.videos()[0].id).rate
    writer.join()
    assert len(seen) >= 3
    assert seen[0][1] == Rate(20, 1) or seen[0][0] < 2.5  # before enough frames: the probed rate
    assert all(r == Rate(10, 1) for _, r in seen[1:]), seen  # settled at the first commits
    assert final == Rate(10, 1)
