"""UI benchmark: timeline redraw with 5,000 segments, and random seek on a 720p long-GOP file.

    .venv/bin/python bench/ui.py [--minutes 4] [--seeks 40] [--segments 5000]

1. Timeline: a project on a generated 720p/25 fps video (``ffmpeg testsrc2``, ``-g 250``) with
   ``--segments`` segments over nine tracks. The canvas is painted into an image (the whole paint
   path: visible-range search, level of detail, labels, waveform) while panning and zooming at
   three zoom levels; prints median and p90 ms per redraw (goal: median <= 16 ms).
2. Seek: random frames requested from the player's FrameServer (decode thread, PTS-accurate);
   time from request to the frame arriving on the GUI thread, exact and keyframe (scrub) modes,
   next to a bare FrameReader seek+decode in the same run (ratio ~1 means no UI overhead).
3. Reverse playback (J): the player's pacing (request the frame at the clock when the server is
   free) for 10 s backwards at 1x and 2x; distinct frames shown per second and the longest stall,
   next to a seek per frame (what reverse playback did before the chunk cache) in the same run.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_video(path: Path, minutes: float) -> None:
    import imageio_ffmpeg

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    subprocess.run([ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=size=1280x720:rate=25:duration={minutes * 60}", "-f", "lavfi", "-i",
                    f"sine=frequency=300:duration={minutes * 60}", "-c:v", "libx264",
                    "-preset", "ultrafast", "-g", "250", "-keyint_min", "250", "-sc_threshold", "0",
                    "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)], check=True)


def fill_project(project_path: Path, video: Path, n_segments: int):  # type: ignore[no-untyped-def]
    from core import segments as sg
    from core.media.reader import probe
    from core.segments import Segment
    from core.store.project import Project

    project = Project(project_path)
    v = project.add_video(probe(video))
    n = v.frame_count
    rng = random.Random(1)
    src = sg.model_source("bench", "1")
    tracks = {sg.SHOT: 0.06, sg.TRANSITION: 0.02, sg.SCENE: 0.01, sg.SPEECH: 0.12, sg.WORD: 0.45,
              sg.PERSON: 0.2, sg.ACTION: 0.06, sg.EVENT: 0.04, sg.HIGHLIGHT: 0.04}
    total = 0
    for track, share in tracks.items():
        k = max(1, int(n_segments * share))
        if track in (sg.SHOT, sg.SCENE):  # tiling tracks
            cuts = sorted(rng.sample(range(1, n), k - 1))
            bounds = [0, *cuts, n]
            segs = [Segment(track, a, b, None, 0.9, source=src)
                    for a, b in zip(bounds, bounds[1:], strict=False)]
        else:
            segs = []
            for _ in range(k):
                a = rng.randrange(0, n - 5)
                b = min(n, a + rng.randrange(3, 80))
                segs.append(Segment(track, a, b, f"{track[:4]}{rng.randrange(20)}", rng.random(),
                                    source=src))
        project.replace_machine_segments(v.id, track, segs, None)
        total += len(segs)
    return project, total


def bench_timeline(project, repeats: int = 60) -> dict[str, tuple[float, float, float]]:  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QImage

    from app.review.context import ReviewContext
    from app.timeline.view import Timeline

    ctx = ReviewContext()
    tl = Timeline(ctx)
    tl.resize(1600, 420)
    tl.show()
    ctx.set_project(project)
    c = tl.canvas
    if c.thumbs is not None:  # thumbnails decode in the background; paint cost is what we time
        c.thumbs.close()
        c.thumbs = None
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + 120  # the audio lane loads in the background: wait for it
    while c.loudness is None and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)
    assert ctx.video is not None
    fps = ctx.video.rate.fps
    img = QImage(c.size(), QImage.Format.Format_RGB32)
    out: dict[str, tuple[float, float, float]] = {}
    n = ctx.frame_count
    for name, visible_s in (("whole video", None), ("1 minute", 60.0), ("5 seconds", 5.0)):
        if visible_s is None:
            c.fit()
        else:
            c.set_view(0.0, c.track_width() / (visible_s * fps))
        times, cpu = [], []
        for i in range(repeats):
            if i % 2:  # pan a tenth of the view
                c.set_view((c.x0 + c.visible_frames() * 0.1) % max(1, n - c.visible_frames()))
            else:  # zoom in/out around the middle, keeping the level
                c.zoom(1.1 if i % 4 else 1 / 1.1, anchor_x=c.width() / 2)
            t0, c0 = time.perf_counter(), time.thread_time()
            c.render(img)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.thread_time() - c0) * 1000)
        times.sort()
        out[name] = (statistics.median(times), times[int(0.9 * (len(times) - 1))],
                     statistics.median(cpu))
    return out


def bench_seek(video: Path, clock, seeks: int,  # type: ignore[no-untyped-def]
               proxy: Path | None = None) -> dict[str, float]:
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from app.player.frame_server import FrameServer
    from core.media.reader import FrameReader

    rng = random.Random(5)
    frames = [rng.randrange(0, clock.frame_count) for _ in range(seeks)]
    res: dict[str, float] = {}
    modes = [(True, None), (False, None)] + ([(False, proxy)] if proxy is not None else [])
    for exact, prx in modes:
        server = FrameServer(str(video), clock, (1280, 720))
        if prx is not None:
            server.set_proxy(str(prx))
        lat: list[float] = []
        for f in frames:
            loop = QEventLoop()
            got: list[int] = []

            def on(req: int, shown: int, img: object, loop: QEventLoop = loop, got: list = got) -> None:
                got.append(shown)
                loop.quit()

            server.frameReady.connect(on)
            t0 = time.perf_counter()
            server.request(f, exact)
            QTimer.singleShot(10000, loop.quit)
            loop.exec()
            lat.append((time.perf_counter() - t0) * 1000)
            server.frameReady.disconnect(on)
            if exact:
                assert got and got[0] == f, (got, f)
        server.close()
        lat.sort()
        key = "exact" if exact else ("scrub on proxy" if prx is not None else "keyframe")
        res[f"{key} median"] = statistics.median(lat)
        res[f"{key} p90"] = lat[int(0.9 * (len(lat) - 1))]
        QApplication.processEvents()
    base: list[float] = []
    with FrameReader(str(video), clock, size=(1280, 720)) as r:
        for f in frames:
            t0 = time.perf_counter()
            r.read(f)
            base.append((time.perf_counter() - t0) * 1000)
            r._iter = None  # force a real seek next time, like a random jump
    base.sort()
    res["bare FrameReader median"] = statistics.median(base)
    res["bare FrameReader p90"] = base[int(0.9 * (len(base) - 1))]
    return res


def _play_backwards(video: Path, clock, start: int, speed: float,  # type: ignore[no-untyped-def]
                    wall: float) -> list[tuple[float, int]]:
    """The player's pacing, backwards: ``(arrival time, frame)`` of every frame shown."""
    from PySide6.QtCore import QEventLoop, QTimer

    from app.player.frame_server import FrameServer

    fps = clock.rate.fps
    server = FrameServer(str(video), clock, (1280, 720))
    shown: list[tuple[float, int]] = []
    server.frameReady.connect(lambda req, sh, img: shown.append((time.perf_counter(), sh)))
    loop = QEventLoop()
    last = [-1]
    t0 = time.perf_counter()

    def tick() -> None:
        el = time.perf_counter() - t0
        if el >= wall:
            loop.quit()
            return
        f = max(0, start - int(el * fps * speed))
        if f != last[0] and not server.busy:
            last[0] = f
            server.request(f, True)

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(5)
    loop.exec()
    timer.stop()
    server.close()
    return shown


def bench_reverse(video: Path, clock, seconds: float = 10.0) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from core.media.reader import FrameReader

    start = clock.frame_count - 1 - int(clock.rate.fps)  # near the end: the whole run is backwards
    res: dict[str, float] = {}
    for speed in (1.0, 2.0):
        wall = seconds / speed
        shown = _play_backwards(video, clock, start, speed, wall)
        times = [t for t, _ in shown]
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)] or [wall]
        res[f"{speed:g}x shown fps"] = len({f for _, f in shown}) / wall
        res[f"{speed:g}x longest stall ms"] = max(gaps) * 1000
    per: list[float] = []
    with FrameReader(str(video), clock, size=(1280, 720)) as r:
        for f in range(start, start - 20, -1):
            t0 = time.perf_counter()
            r.read(f)
            per.append(time.perf_counter() - t0)
    res["seek per frame fps"] = 1 / statistics.median(per)
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=4.0)
    ap.add_argument("--segments", type=int, default=5000)
    ap.add_argument("--seeks", type=int, default=40)
    ap.add_argument("--video", help="reuse this 720p long-GOP file instead of generating one")
    args = ap.parse_args()
    from app.review.qtenv import make_app

    app = make_app()  # noqa: F841 - keeps the QApplication alive
    tmp = Path(tempfile.mkdtemp(prefix="clipdesk-bench-ui-"))
    video = Path(args.video) if args.video else tmp / "longgop720.mp4"
    if not args.video:
        t0 = time.perf_counter()
        make_video(video, args.minutes)
        print(f"video: 1280x720 25 fps, GOP 250, {args.minutes:g} min "
              f"({time.perf_counter() - t0:.1f} s to make)")
    project, total = fill_project(tmp / "bench.clipdesk", video, args.segments)
    print(f"timeline: {total} segments on {len(project.tracks(1))} tracks")
    print(f"  (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: wall time includes"
          " waiting for a core; thread CPU time does not)")
    for name, (med, p90, cpu) in bench_timeline(project).items():
        print(f"  redraw, {name:12s} visible: median {med:6.2f} ms   p90 {p90:6.2f} ms   "
              f"median thread CPU {cpu:6.2f} ms")
    clock = project.clock(1)
    from app.player.proxy import gop_seconds, make_proxy

    t0 = time.perf_counter()
    proxy = make_proxy(video, tmp / "proxy.mp4")
    took = time.perf_counter() - t0
    print(f"proxy: keyframes every {gop_seconds(video):.1f} s -> {gop_seconds(proxy):.2f} s; "
          f"encoded in {took:.1f} s ({took / clock.duration:.3f}x real time)")
    seek = bench_seek(video, clock, args.seeks, proxy)
    print(f"seek ({args.seeks} random frames, 720p GOP 250):")
    for k, v in seek.items():
        print(f"  {k:24s} {v:7.1f} ms")
    print(f"  exact p90 / bare p90 ratio: {seek['exact p90'] / seek['bare FrameReader p90']:.2f}")
    rev = bench_reverse(video, clock)
    print(f"reverse playback (10 s of video backwards, 720p GOP 250, {clock.rate.fps:g} fps):")
    for k, v in rev.items():
        print(f"  {k:24s} {v:7.1f}")
    project.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
