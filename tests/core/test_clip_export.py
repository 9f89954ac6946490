"""Clip export on generated media: frame-exact in/out, crop, sizes, audio, cancel, GIF, still, CLI."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from app.cli import main as cli_main
from core.export.clip import Overlay, clip_range, export_clip, export_gif, export_still, ffmpeg_exe
from core.errors import Cancelled, ClipDeskError
from core.media.reader import probe
from core.progress import Task
from core.store import Project

W, H, FPS, N = 320, 240, 25, 50


def _level(i: int) -> int:
    return 20 + 4 * i


@pytest.fixture(scope="module")
def index_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Frame i is flat gray _level(i) with a white stripe at x 200..215; 440 Hz audio."""
    out = tmp_path_factory.mktemp("media") / "index.mp4"
    frames = np.zeros((N, H, W), np.uint8)
    for i in range(N):
        frames[i] = _level(i)
        frames[i, :, 200:216] = 250
    cmd = [ffmpeg_exe(), "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "gray", "-s", f"{W}x{H}",
           "-r", str(FPS), "-i", "pipe:0", "-f", "lavfi", "-i", f"sine=frequency=440:duration={N / FPS}",
           "-c:v", "libx264", "-g", "12", "-pix_fmt", "yuv420p", "-crf", "10", "-c:a", "aac", "-shortest",
           str(out)]
    subprocess.run(cmd, input=frames.tobytes(), check=True)
    return out


def _decode(path: Path) -> tuple[list[np.ndarray], float | None, int]:
    with av.open(str(path)) as c:
        vs = c.streams.video[0]
        audio_dur = None
        if c.streams.audio:
            a = c.streams.audio[0]
            audio_dur = float(a.duration * a.time_base) if a.duration else None
        frames = [f.to_ndarray(format="gray") for f in c.decode(video=0)]
        return frames, audio_dur, int(vs.average_rate or 0)


def _clock(path: Path):
    from core.timebase import FrameClock

    info = probe(path)
    return FrameClock(info.rate, info.frame_count)


def test_frame_exact_crop_and_audio(index_video: Path, tmp_path: Path):
    clock = _clock(index_video)
    start, end = 7, 33
    rects = np.tile(np.array([[160, 0, 136, 240]]), (end - start, 1))  # stripe at x 40..56 of the crop
    res = export_clip(str(index_video), clock, start, end, tmp_path / "c.mp4", rects, (272, 480))
    frames, audio_dur, rate = _decode(res.path)
    assert len(frames) == end - start == res.frames
    assert frames[0].shape == (480, 272) and rate == FPS
    levels = [int(round((float(np.median(f[:, :60])) - 20) / 4)) for f in frames]
    assert levels == list(range(start, end))  # first and last frame exact, none dropped or doubled
    col = frames[5].mean(axis=0)
    assert col[90:100].mean() > 200 and col[150:].mean() < 200  # stripe at 2x its crop position
    assert res.has_audio and audio_dur == pytest.approx((end - start) / FPS, abs=0.05)


def test_overlay_replaces_region(index_video: Path, tmp_path: Path):
    clock = _clock(index_video)
    rects = np.tile(np.array([[0, 0, 136, 240]]), (5, 1))
    res = export_clip(str(index_video), clock, 10, 15, tmp_path / "o.mp4", rects, (136, 240),
                      overlay=Overlay((200, 0, 16, 240), max_w=0.5, max_h=0.5, top=0.0), audio=False)
    frames, audio_dur, _ = _decode(res.path)
    assert audio_dur is None and not res.has_audio
    # the white stripe (scaled to 8x120, centred at the top) is pasted in, though the crop misses it
    assert frames[0][:116, 64:72].mean() > 200
    assert frames[0][200:, :].mean() < 100


def test_cancel_leaves_no_file(index_video: Path, tmp_path: Path):
    clock = _clock(index_video)
    task = Task(min_interval=0)
    task._on_progress = lambda stage, f, msg: task.cancel() if f > 0.2 else None
    out = tmp_path / "x.mp4"
    with pytest.raises(Cancelled):
        export_clip(str(index_video), clock, 0, N, out, task=task)
    assert not out.exists() and not list(tmp_path.glob(".*part*"))


def test_gif_and_still(index_video: Path, tmp_path: Path):
    clock = _clock(index_video)
    g = export_gif(str(index_video), clock, 0, 25, tmp_path / "a.gif", width=160, fps=10)
    with av.open(str(g.path)) as c:
        n = sum(1 for _ in c.decode(video=0))
    assert n == g.frames == 10 and g.size == (160, 120)
    s = export_still(str(index_video), clock, 12, tmp_path / "s.png", rect=(200, 0, 16, 240))
    import cv2

    img = cv2.imread(str(s))
    assert img.shape == (240, 16, 3) and img.mean() > 230
    with pytest.raises(ClipDeskError):
        export_still(str(index_video), clock, N + 5, tmp_path / "bad.png")


def test_clip_range_snaps_and_rejects():
    from core.timebase import FrameClock, Rate

    clock = FrameClock(Rate(25), 50)
    assert clip_range(clock, 0.41, 1.19) == (10, 30)
    for a, b in ((1.0, 0.5), (5.0, 6.0), (-1, 1)):
        with pytest.raises(ClipDeskError):
            clip_range(clock, a, b)


def test_cli_clip_writes_video_and_crop_path(index_video: Path, tmp_path: Path, capsys):
    proj = tmp_path / "p.clipdesk"
    with Project(proj) as p:
        p.add_video(probe(index_video))
    out, cj = tmp_path / "v.mp4", tmp_path / "crop.json"
    rc = cli_main(["clip", str(proj), "--start", "0.4", "--end", "1.2", "--aspect", "1:1", "--size", "240x240",
                   "--out", str(out), "--crop-path", str(cj), "-q"])
    assert rc == 0
    frames, _, _ = _decode(out)
    assert len(frames) == 20 and frames[0].shape == (240, 240)
    doc = json.loads(cj.read_text())
    assert doc["aspect"] == "1:1" and doc["source"] == {"width": W, "height": H}
    assert [f["frame"] for f in doc["frames"]] == list(range(10, 30))
    assert doc["frames"][0]["time"] == pytest.approx(0.4) and doc["frames"][0]["w"] == 240
    with Project(proj) as p:
        crops = p.segments(p.videos()[0].id, "crop")
        assert crops and crops[0].attrs["aspect"] == "1:1" and crops[0].attrs["keyframes"]
    assert cli_main(["clip", str(proj), "--start", "9", "--end", "10", "-q"]) == 2
    assert cli_main(["clip", str(proj), "--start", "0", "--end", "1", "--size", "101x50", "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("clipdesk: ") == 2 and "Traceback" not in err


@pytest.mark.shared_media
def test_vfr_export_keeps_the_span_duration(shared_media: Path, tmp_path: Path):
    video = shared_media / "video" / "pyscenedetect__goldeneye-vfr-drop3.mp4"
    with Project(tmp_path / "g.clipdesk") as p:
        v = p.add_video(probe(video))
        from core.media.decode import run_decode

        p.set_frame_times(v.id, run_decode(probe(video), []).frame_times)  # the exact VFR table
        clock = p.clock(v.id)
        assert clock.is_table
        res = export_clip(str(video), clock, 30, 90, tmp_path / "vfr.mp4")
        frames, _, _ = _decode(res.path)
        assert len(frames) == 60
        with av.open(str(res.path)) as c:
            dur = float(c.duration) / 1e6
        assert dur == pytest.approx(clock.time(90) - clock.time(30), abs=0.08)


def test_height_not_divisible_by_four_exports(tmp_path, make_video):
    """160x90 sources (chroma rows not a whole number of luma-width rows) take the RGB path."""
    from core.export.clip import export_clip
    from core.media.reader import probe
    from core.timebase import FrameClock

    src = make_video("odd.mp4", frames=20, size=(160, 90))
    info = probe(src)
    out = tmp_path / "odd_out.mp4"
    export_clip(str(src), FrameClock(info.rate, info.frame_count), 2, 12, out)
    got = probe(out)
    assert got.frame_count == 10 and (got.width, got.height) == (160, 90)
