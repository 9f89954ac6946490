"""Decode-pass benchmark: the one ClipDesk decode pass vs the raw decoder, and memory vs length.

    .venv/bin/python -m bench.decode [--seconds 60] [--long 240]

Generates 720p30 H.264+AAC test videos (ffmpeg testsrc2) in a temp dir, then in one run measures
ffmpeg's single-thread decode fps, PyAV's decode fps, and ClipDesk's decode pass feeding a typical
set of sinks (48x27 every frame for shots, 640-wide at 3 fps for pose, full size at 1 fps for the
scoreboard, 16 kHz audio). Peak RSS of the pass is compared for a short and a long video to show
memory stays flat in video length. Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av

from core.media.decode import FrameSpec, Sink
from core.media.reader import probe


def ffmpeg_exe() -> str:
    exe = shutil.which("ffmpeg")
    if exe:
        return exe
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def make_video(path: Path, seconds: int) -> Path:
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=size=1280x720:rate=30:duration={seconds}", "-f", "lavfi", "-i",
                    f"sine=frequency=440:duration={seconds}", "-c:v", "libx264", "-preset", "ultrafast",
                    "-g", "60", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)], check=True)
    return path


class Null(Sink):
    def __init__(self, name: str, spec: FrameSpec | None, audio: bool = False) -> None:
        self.name, self.video, self.audio = name, spec, audio
        self.n = 0

    def frame(self, index, time, image):  # noqa: ANN001
        self.n += 1

    def samples(self, start, data):  # noqa: ANN001
        self.n += 1


def typical_sinks() -> list[Sink]:
    return [Null("shots", FrameSpec(48, 27)), Null("pose", FrameSpec(width=640, fps=3)),
            Null("scoreboard", FrameSpec(fps=1)), Null("audio", None, audio=True)]


def ffmpeg_fps(path: Path, frames: int, threads: int) -> float:
    t = time.perf_counter()
    subprocess.run([ffmpeg_exe(), "-v", "error", "-threads", str(threads), "-i", str(path), "-an", "-f", "null", "-"],
                   check=True)
    return frames / (time.perf_counter() - t)


def pyav_fps(path: Path, thread_type: str) -> float:
    t = time.perf_counter()
    n = 0
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = thread_type
        for _ in c.decode(s):
            n += 1
    return n / (time.perf_counter() - t)


def clipdesk_pass(path: Path) -> tuple[float, float]:
    """(fps, peak RSS MiB) of the pass in a fresh process, so peaks do not mix."""
    code = (
        "import resource, sys, time\n"
        "from bench.decode import typical_sinks\n"
        "from core.media.decode import run_decode\n"
        "from core.media.reader import probe\n"
        f"info = probe({str(path)!r})\n"
        "t = time.perf_counter(); r = run_decode(info, typical_sinks()); dt = time.perf_counter() - t\n"
        "print(r.frame_count / dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1]).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--long", type=int, default=240)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        short = make_video(Path(d) / "short.mp4", args.seconds)
        long_ = make_video(Path(d) / "long.mp4", args.long)
        frames = probe(short).frame_count
        ff1 = ffmpeg_fps(short, frames, 1)
        ff2 = ffmpeg_fps(short, frames, 2)
        pa = pyav_fps(short, "AUTO")
        cd, rss_short = clipdesk_pass(short)
        _, rss_long = clipdesk_pass(long_)
    print("| what (720p30 H.264, testsrc2) | frames/s | ratio to ffmpeg 1 thread |")
    print("|---|---|---|")
    for name, v in (("ffmpeg decode, 1 thread", ff1), ("ffmpeg decode, 2 threads", ff2),
                    ("PyAV decode, AUTO threads", pa),
                    ("ClipDesk decode pass (shots 48x27 all frames, pose 640w @3 fps, board @1 fps, audio)", cd)):
        print(f"| {name} | {v:.0f} | {v / ff1:.2f}x |")
    print(f"\nPeak RSS of the pass: {rss_short:.0f} MiB for {args.seconds} s, {rss_long:.0f} MiB for {args.long} s "
          f"(ratio {rss_long / rss_short:.2f} for {args.long / args.seconds:.0f}x the length)")


if __name__ == "__main__":
    main()
