"""``clipdesk analyze --follow``: an HLS stream published on a fast clock, a follower killed and run
again, a second writer refused, and at the end the reel with its clips, equal to offline."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.export.clip import ffmpeg_exe
from core.live.follow import live_key
from core.live.writer import HlsWriter
from core.pipeline import analyze, order_stages
from core.shots.metrics import f1
from core.store.project import Project
from core.testing.scoreboard import BoardPhase, make_board_clip
from core.testing.synth import ShotSpec, make_edit

REPO = Path(__file__).resolve().parents[2]
STAGES = "shots,scoreboard,highlights"


def _cli(*args: str, **kw) -> subprocess.Popen:
    env = dict(os.environ, YOLO_OFFLINE="1", OMP_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-m", "app.cli", *args], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


@pytest.fixture(scope="module")
def rendition(tmp_path_factory) -> Path:
    """24 s at 25 fps: a burned-in board whose score changes at 6 s, then five cut shots; HLS, 2 s
    segments."""
    d = tmp_path_factory.mktemp("follow-cli")
    make_edit(d / "a.mp4", [ShotSpec(n) for n in (50, 60, 40, 50, 50)], size=(640, 360), fps=25, gop=25)
    make_board_clip(d / "b.mp4", [BoardPhase(0, 0, 0), BoardPhase(6, 1, 0)], 14.0, fps=25)
    hls = d / "hls"
    hls.mkdir()
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(d / "a.mp4"), "-i", str(d / "b.mp4"),
                    "-filter_complex", "[1:v][0:v]concat=n=2:v=1[v]", "-map", "[v]", "-c:v", "libx264",
                    "-preset", "ultrafast", "-g", "25", "-f", "hls", "-hls_time", "2", "-hls_list_size", "0",
                    "-hls_segment_filename", str(hls / "seg%03d.ts"), str(hls / "match.m3u8")], check=True)
    return hls / "match.m3u8"


def _commits(project: Path) -> int:
    if not project.is_file():
        return 0
    try:
        with Project(project, create=False) as p:
            vids = p.videos()
            return int((p.get_setting(live_key(vids[0].id)) or {}).get("commits", 0)) if vids else 0
    except Exception:  # noqa: BLE001 - the follower is writing it; try again
        return 0


def test_follow_killed_resumed_one_writer_and_reel(rendition, tmp_path):
    out = tmp_path / "stream"
    writer = HlsWriter(rendition, out, speed=4.0, hold_after=6)  # 12 s, then the writer pauses
    writer.start()
    proj = out / "match.clipdesk"
    out.mkdir(exist_ok=True)
    with Project(proj) as p:
        p.set_setting("analysis", {"shots.refiner": "none"})
    args = ["analyze", "--follow", str(out / "match.m3u8"), "--stages", STAGES, "--chunk", "2", "--quiet"]
    first = _cli(*args, "--idle", "600")  # waits at the live edge while the writer pauses
    try:
        deadline = time.monotonic() + 240
        while _commits(proj) < 1 and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.5)
        assert first.poll() is None, first.communicate()[1]
        assert _commits(proj) >= 1
        second = _cli(*args, "--idle", "5")
        _, err = second.communicate(timeout=240)
        assert second.returncode != 0
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "one writer per project" in lines[0] and f"pid {first.pid}" in lines[0]
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    with Project(proj) as p:
        vid = p.videos()[0].id
        assert p.segments(vid, "shot")  # the killed follower's commits are kept
    writer.resume.set()
    again = _cli(*args, "--idle", "5")
    so, se = again.communicate(timeout=400)
    writer.join()
    assert again.returncode == 0, se
    assert "continuing the follow" in se
    recording = out / "match.recording.ts"
    with Project(tmp_path / "offline.clipdesk") as off, Project(proj) as live:
        from models.stages import available_stages

        stages = order_stages(available_stages({"shots.refiner": "none", "highlights": "reel"}), STAGES.split(","))
        analyze(off, recording, stages)
        ov, lv = off.videos()[0].id, live.videos()[0].id
        assert live.video(lv).frame_count == off.video(ov).frame_count == 600
        cuts = [[t.attrs["frame"] for t in pr.segments(v, "transition")] for pr, v in ((live, lv), (off, ov))]
        assert len(cuts[1]) >= 4 and f1(cuts[0], cuts[1], tolerance=0) >= 0.99
        ev = [[(s.start_frame, s.label) for s in pr.segments(v, "event")] for pr, v in ((live, lv), (off, ov))]
        assert ev[0] == ev[1] and any(140 <= f <= 190 for f, _ in ev[0])
        hl = [[(s.start_frame, s.end_frame) for s in pr.segments(v, "highlight")] for pr, v in ((live, lv), (off, ov))]
        assert hl[0] == hl[1] and hl[0]
        assert (live.get_setting(live_key(lv)) or {}).get("state") == "ended"
    reel = out / "match.live" / "reel"
    clips = sorted(reel.glob("*.mp4"))
    assert (reel / "reel.json").is_file() and clips and all(c.stat().st_size > 0 for c in clips)
    assert (reel / "reel.mp4") in clips and len(clips) >= 2  # the highlights' clips and the reel joined from them
    assert list((out / "match.live" / "goals").glob("goal_*.gif"))


def test_follow_refuses_bad_arguments_with_one_line(tmp_path):
    a = tmp_path / "a.ts"
    a.write_bytes(b"")
    r = _cli("analyze", "--follow", str(a), str(a))
    _, err = r.communicate(timeout=120)
    assert r.returncode != 0 and err.strip().splitlines() == [
        "clipdesk: --follow takes one recording (a growing file or an .m3u8 playlist)"]
    r = _cli("analyze", "--follow", str(tmp_path / "missing.m3u8"), "--until", "1:xx")
    _, err = r.communicate(timeout=120)
    assert r.returncode != 0 and len(err.strip().splitlines()) == 1 and "--until" in err
