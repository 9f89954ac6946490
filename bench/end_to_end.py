"""End-to-end benchmark: the whole analysis of a long 720p video, next to the raw decoder.

Run: ``.venv/bin/python -m bench.end_to_end [--minutes 10] [--keep DIR]``.

Builds a long 1280x720 25 fps H.264 video from REAL footage: the shot benchmark's edit of shared
clips (bikes, Chaplin, football, tennis, basketball, ...) looped to ``--minutes``, with the shared
speech recordings looped as its soundtrack (AAC). Then, in one run on the same file:

- the raw decoder: ``ffmpeg -threads 1 -an -f null`` (the PERFORMANCE.md reference), and
- ``clipdesk analyze`` in a fresh process with every available stage, as a user runs it.

Prints the RT factor (wall time / media duration; goal <= 0.5x), the ratio to the raw decoder,
peak resident memory of the analysis process, and when each stage finished.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.shots import MEDIA, build_real_edit  # noqa: E402
from core.media.reader import probe  # noqa: E402
from core.store.project import Project  # noqa: E402

SPEECH = ["pyannote__sample.wav", "faster-whisper__jfk.flac", "speechbrain__spk1_snt1.wav",
          "deepspeech__LDC93S1.wav", "speechbrain__spk1_snt2.wav"]


def _ffmpeg() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def build_long_video(out: Path, minutes: float, work: Path) -> Path:
    """The real-footage edit looped to ``minutes``, with looped shared speech (and pauses)."""
    edit = work / "edit.mp4"
    if not edit.exists():
        build_real_edit(edit)
    soundtrack = work / "speech.wav"
    if not soundtrack.exists():
        inputs: list[str] = []
        for name in SPEECH:
            inputs += ["-i", str(MEDIA / "audio" / name)]
        n = len(SPEECH)
        parts = "".join(f"[{i}:a]aresample=16000,aformat=channel_layouts=mono,apad=pad_dur=4[a{i}];"
                        for i in range(n))
        graph = parts + "".join(f"[a{i}]" for i in range(n)) + f"concat=n={n}:v=0:a=1[out]"
        subprocess.run([_ffmpeg(), "-v", "error", "-y", *inputs, "-filter_complex", graph,
                        "-map", "[out]", str(soundtrack)], check=True)
    seconds = minutes * 60
    subprocess.run([_ffmpeg(), "-v", "error", "-y", "-stream_loop", "-1", "-i", str(edit),
                    "-stream_loop", "-1", "-i", str(soundtrack), "-map", "0:v", "-map", "1:a",
                    "-t", f"{seconds:.3f}", "-c:v", "copy", "-c:a", "aac", "-b:a", "96k",
                    str(out)], check=True)
    return out


def raw_decode_seconds(video: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([_ffmpeg(), "-v", "error", "-threads", "1", "-i", str(video), "-an", "-f", "null",
                    "-"], check=True)
    return time.perf_counter() - t0


def run_analysis(video: Path, project: Path) -> tuple[float, float]:
    """``(wall seconds, peak RSS GiB)`` of ``clipdesk analyze`` in a fresh process."""
    env = dict(os.environ, YOLO_OFFLINE="1", QT_QPA_PLATFORM="offscreen")
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "app.cli", "analyze", str(video), "--project",
                        str(project), "--quiet"], cwd=REPO, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"analyze failed ({r.returncode}): {r.stderr.strip()[-2000:]}")
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024  # KiB -> GiB
    return wall, rss


def stage_times(project: Path) -> list[tuple[str, float, float, str]]:
    """``(stage, started, finished, status)`` in seconds from the first run's start."""
    with Project(project) as p:
        runs = p.runs()
    if not runs:
        return []
    t0 = min(datetime.fromisoformat(r.started_at) for r in runs)
    out = []
    for r in runs:
        s = (datetime.fromisoformat(r.started_at) - t0).total_seconds()
        f = (datetime.fromisoformat(r.finished_at) - t0).total_seconds() if r.finished_at else float("nan")
        out.append((r.stage, s, f, r.status))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--keep", help="folder to keep (and reuse) the generated video in")
    args = ap.parse_args(argv)
    if not (MEDIA / "video").is_dir():
        print(f"shared media not found at {MEDIA} (set CLIPDESK_SHARED_MEDIA)")
        return 1
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="clipdesk-bench-e2e-"))
    work.mkdir(parents=True, exist_ok=True)
    video = work / f"long-{args.minutes:g}min.mp4"
    if not video.exists():
        t0 = time.perf_counter()
        build_long_video(video, args.minutes, work)
        print(f"built {video.name} in {time.perf_counter() - t0:.0f} s")
    info = probe(video)
    duration = info.frame_count / info.rate.fps
    print(f"video: {info.width}x{info.height} {info.rate.fps:g} fps {info.video_codec}, "
          f"{duration / 60:.1f} min, audio {info.audio[0].codec if info.audio else 'none'}")
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    raw = raw_decode_seconds(video)
    print(f"raw decoder (ffmpeg, 1 thread, video only): {raw:.1f} s = {raw / duration:.3f}x RT")
    project = work / f"e2e-{int(time.time())}.clipdesk"
    wall, rss = run_analysis(video, project)
    print(f"clipdesk analyze, every stage: {wall:.1f} s = {wall / duration:.3f}x RT "
          f"({wall / raw:.1f}x the raw decoder), peak RSS {rss:.2f} GiB")
    for stage, s, f, status in stage_times(project):
        print(f"  {stage:12s} started {s:7.1f} s  finished {f:7.1f} s  {status}")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
