"""Live benchmark: follow a 10-minute real-footage recording while it is written at 1x real time.

Run: ``.venv/bin/python -m bench.live [--minutes 10] [--keep DIR] [--stages ...]``.

Builds the end-to-end benchmark's video (``bench.end_to_end``: 1280x720 25 fps H.264 from the
shared real clips, looped shared speech as AAC commentary), remuxes it to MPEG-TS, and has
``ffmpeg -re -c copy -f mpegts`` write it at real time into a growing file while
``clipdesk analyze --follow`` (every default stage) follows it in a fresh process. Reports:

- the lag behind the live edge at every commit: seconds since the writer started (the media
  written so far, at 1x) minus the media the follower had committed (target <= 30 s throughout);
- the time from the end of the stream (the writer exits) to the follower exiting with the reel
  and its clips written (target <= 60 s), step by step (the follower's end timeline: the end seen
  -- the writer closing the file, or ``--idle`` without growth --, the decode's catch-up, each
  stage's finish, the reel's cuts, the reel);
- the follower's peak resident memory, and the pose-rate changes it made to keep up.

Nothing in the follower was tuned on this stream (chunk 10 s, idle 10 s, lag limit 20 s were set
before it ran). The machine is shared with other work: numbers are a run, not a bound.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.end_to_end import _ffmpeg, build_long_video  # noqa: E402
from bench.shots import MEDIA  # noqa: E402


def _rss_watch(pid: int, out: list[int], stop: threading.Event) -> None:
    """Peak VmHWM of ``pid`` (the follower only, not the writer)."""
    while not stop.is_set():
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    out.append(int(line.split()[1]))
        except OSError:
            pass
        stop.wait(1.0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--keep", help="folder to keep (and reuse) the generated video in")
    ap.add_argument("--stages", help="stages to follow with (default: every default stage)")
    ap.add_argument("--idle", type=float, default=10.0)
    args = ap.parse_args(argv)
    if not (MEDIA / "video").is_dir():
        print(f"shared media not found at {MEDIA} (set CLIPDESK_SHARED_MEDIA)")
        return 1
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="clipdesk-bench-live-"))
    work.mkdir(parents=True, exist_ok=True)
    mp4 = work / f"long-{args.minutes:g}min.mp4"
    if not mp4.exists():
        build_long_video(mp4, args.minutes, work)
    ts = work / f"long-{args.minutes:g}min.ts"
    if not ts.exists():
        subprocess.run([_ffmpeg(), "-v", "error", "-y", "-i", str(mp4), "-c", "copy", "-f", "mpegts", str(ts)],
                       check=True)
    run = work / f"run-{int(time.time())}"
    run.mkdir()
    growing = run / "recording.ts"
    project = run / "recording.clipdesk"
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    env = dict(os.environ, YOLO_OFFLINE="1", QT_QPA_PLATFORM="offscreen")
    writer_start = time.time()
    writer = subprocess.Popen([_ffmpeg(), "-v", "error", "-re", "-i", str(ts), "-c", "copy", "-f", "mpegts",
                               "-flush_packets", "1", str(growing)])
    while not growing.exists() or growing.stat().st_size < 200_000:
        time.sleep(0.2)
    cmd = [sys.executable, "-m", "app.cli", "analyze", "--follow", str(growing), "--project", str(project),
           "--idle", f"{args.idle:g}", "--chunk", "10", "--quiet"]
    if args.stages:
        cmd += ["--stages", args.stages]
    t_follow = time.time()
    follower = subprocess.Popen(cmd, cwd=REPO, env=env, stderr=subprocess.PIPE, text=True)
    peaks: list[int] = []
    stop = threading.Event()
    watch = threading.Thread(target=_rss_watch, args=(follower.pid, peaks, stop), daemon=True)
    watch.start()
    writer.wait()
    writer_end = time.time()
    print(f"writer: {writer_end - writer_start:.1f} s for {args.minutes:g} min of media "
          f"(follower started {t_follow - writer_start:.1f} s after it)")
    _, err = follower.communicate()
    follower_end = time.time()
    stop.set()
    if follower.returncode != 0:
        print(f"follower failed ({follower.returncode}): {err.strip()[-2000:]}")
        return 1
    peak_gib = max(peaks, default=0) / 1024 / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024
    from core.store.project import Project

    with Project(project) as p:
        v = p.videos()[0]
        state = p.get_setting(f"live.{v.id}") or {}
        highlights = len(p.segments(v.id, "highlight"))
    hist = state.get("history", [])
    duration = args.minutes * 60  # the writer is at 1x: the edge is the wall time, until the end
    lags = [(t - writer_start, media, min(t - writer_start, duration) - media, est) for t, media, est in hist]
    print(f"{len(hist)} commits; lag behind the live edge (media written so far - media committed):")
    for wall, media, lag, est in lags[::max(1, len(lags) // 20)] + lags[-1:]:
        print(f"  at {wall:7.1f} s: media {media:7.1f} s committed, lag {lag:5.1f} s "
              f"(follower's estimate {est:5.1f} s)")
    worst = max((lag for _, _, lag, _ in lags), default=float("nan"))
    print(f"worst lag {worst:.1f} s (target <= 30 s); after the first minute "
          f"{max((lag for w, _, lag, _ in lags if w > 60), default=float('nan')):.1f} s")
    end_to_reel = follower_end - writer_end
    print(f"end of stream -> reel ready: {end_to_reel:.1f} s (target <= 60 s), of which {args.idle:g} s "
          f"waiting to be sure the writer stopped; finalise + reel inside the follower: "
          f"{state.get('finish_s', float('nan')):.1f} s")
    t = state.get("timings") or {}
    if t:
        print(f"start-up (sinks made, models loaded) per stage: {t.get('sinks')}")
        print(f"end of stream -> every stage finished {t.get('stages_done')} s; per stage: {t.get('finish')}; "
              f"reel written in {t.get('reel')} s")
    steps = t.get("timeline") or []
    if steps:
        print("end of stream -> reel, step by step (seconds after the recording last grew; the step's own time):")
        for what, at, took in steps:
            print(f"  +{at:6.1f} s  ({took:5.1f} s)  {what}")
        last = float(steps[-1][1])
        print(f"  follower's exit after its last step, and the writer's end to the last growth seen: "
              f"{end_to_reel - last:.1f} s")
    if state.get("live_reel"):
        print(f"reel media cut during the follow: {state['live_reel']}")
    print(f"peak RSS of the follower {peak_gib:.2f} GiB (all children, writer included: {children:.2f} GiB)")
    print(f"highlights {highlights}; reel: {state.get('reel')}; end: {state.get('end')}")
    for line in err.strip().splitlines()[-10:]:
        print(f"  follower said: {line}")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    (run / "bench.json").write_text(json.dumps({"lags": lags, "end_to_reel": end_to_reel, "peak_gib": peak_gib,
                                                "state": state}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
