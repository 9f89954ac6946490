"""Reframing benchmark: pose pass RT factor, subject coverage and path jerk, export speed vs ffmpeg.

    .venv/bin/python -m bench.reframe [--seconds 30] [--quick] [--only pose|coverage|export] [--clips F...]
                                      [--height 720] [--persons '{"tile_every": 0}'] [--pose-runtime torch]

1. Pose pass: the ``persons`` stage through ``core.pipeline.analyze`` (decode included) on a
   1080p tennis broadcast looped to ``--seconds``; RT factor = time / media duration, given with
   and without the one-off model load (measured separately in the same run).
2. Subject coverage and jerk on clips with people (../shared/media), persons stage defaults:
   fraction of frames where the followed person's box lies inside the 9:16 crop, and, on the
   single-subject clips, the share of hand-labelled frames (``tests/data/persons_gt.json``, its
   split printed) where the labelled player's box lies inside it — the figure that does not trust
   the tracks; the path's RMS jerk (third difference of the crop centre, px/frame^3) next to the
   jerk of following the subject without the solver. ``--clips`` picks clips.
3. Export: a ``--seconds`` 1080x1920 9:16 clip by ClipDesk (``export_project_clip``) vs a plain
   ``ffmpeg -vf crop,scale`` + x264 (same preset and CRF) + AAC encode of the same span with the
   same binary, in the same run. Prints Markdown tables for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("YOLO_OFFLINE", "1")

MEDIA = Path(os.environ.get("CLIPDESK_SHARED_MEDIA", Path(__file__).resolve().parents[2] / "shared" / "media"))
CLIPS = (  # (file, fps for the pose samples; None: the persons stage's defaults)
    ("ai-basketball-analysis__one_score_one_miss.mp4", None),
    ("ai-basketball-analysis__45degree-2x.mp4", None),
    ("ai-basketball-analysis__ncku_new.mp4", None),
    ("tennis-tracking__video_input1.mp4", None),
    ("tennis-tracking__video_input3.mp4", None),
    ("mmpose__demo.mp4", 5.0),
)
# the single-subject clips (one player): coverage >= 0.97 is the goal on each
SINGLE = {"ai-basketball-analysis__one_score_one_miss.mp4", "ai-basketball-analysis__45degree-2x.mp4",
          "ai-basketball-analysis__ncku_new.mp4"}
PERSONS_GT = Path(__file__).resolve().parents[1] / "tests" / "data" / "persons_gt.json"


def labelled_subject(name: str) -> tuple[str, dict[int, list[float]]]:
    """The clip's split and the hand-drawn box of its single labelled identity per labelled frame
    (``tests/data/persons_gt.json``; empty where the clip has no identity or two)."""
    import json

    if not PERSONS_GT.exists():
        return "", {}
    clip = json.loads(PERSONS_GT.read_text())["clips"].get(name)
    if not clip:
        return "", {}
    ids = {p["id"] for fr in clip["frames"].values() for p in fr["persons"] if "id" in p}
    if len(ids) != 1:
        return str(clip.get("split", "")), {}
    ident = ids.pop()
    return str(clip.get("split", "")), {int(f): p["box"] for f, fr in clip["frames"].items()
                                        for p in fr["persons"] if p.get("id") == ident}


def _looped(src: Path, seconds: float, out: Path, height: int = 0) -> Path:
    """``src`` looped to ``seconds``; ``height``: scaled to that height (x264, near-lossless)."""
    from core.export.clip import ffmpeg_exe

    codec = ["-vf", f"scale=-2:{height}", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-an"] \
        if height else ["-c", "copy"]
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-stream_loop", "-1", "-i", str(src), "-t", f"{seconds}",
                    *codec, str(out)], check=True)
    return out


def bench_pose(video: Path, warm_clip: Path, tmp: Path, persons: dict[str, Any] | None = None) -> dict[str, Any]:
    from core.media.decode import FrameSpec, Sink, run_decode
    from core.media.reader import probe
    from core.pipeline import analyze
    from core.persons.poses import load_poses
    from core.store import Project
    from models.persons.stage import PersonsStage

    stage = PersonsStage.from_settings({"persons": persons or {}})
    with Project(tmp / "pose.clipdesk") as p:
        t = time.perf_counter()
        analyze(p, warm_clip, [stage], force=True)  # loads the shared model (once per process)
        load = time.perf_counter() - t
        t, c = time.perf_counter(), _cpu()
        rep = analyze(p, video, [stage], force=True)
        total, cpu = time.perf_counter() - t, _cpu() - c
        dur = rep.video.duration
        n = len(load_poses(p, rep.video.id).sampled_frames())

    class _Frames(Sink):
        video = FrameSpec(width=stage.width, fps=max(stage.fps, stage.dense_fps))

    t, c = time.perf_counter(), _cpu()
    run_decode(probe(video), [_Frames()])
    decode, dcpu = time.perf_counter() - t, _cpu() - c
    from models.persons.stage import _DETECTORS

    runtime = ", ".join(sorted({f"{d.runtime}, {d.threads}" for d in _DETECTORS.values()}))
    return {"runtime": runtime, "duration": dur, "total": total, "load": load, "rt": total / dur, "decode": decode,
            "decode_rt": decode / dur, "samples": n, "cpu_rt": cpu / dur, "decode_cpu_rt": dcpu / dur}


def _cpu() -> float:
    """CPU seconds used by this process (all threads): steadier than wall time on a busy machine."""
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def id_switches_on_labels(name: str, project: Any, video_id: int, table: Any, fps: float) -> str:
    """Identity switches of the labelled players (``tests/data/persons_gt.json``) on this run's
    tracks, scored as ``bench/persons.py`` does: "n in s (x per player per minute)" or "–"."""
    import json

    from bench.persons import ClipRun, score_clip

    if not PERSONS_GT.exists():
        return "–"
    clip = json.loads(PERSONS_GT.read_text())["clips"].get(name)
    if not clip:
        return "–"
    roles = {int(s.attrs["track"]): str(s.attrs.get("role") or "person")
             for s in project.segments(video_id, "person") if s.attrs.get("track") is not None}
    run = ClipRun(table, roles, np.zeros((0, 5)), fps, len(table.sampled_frames()), 0.0)
    r = score_clip(name, clip, sorted(int(f) for f in clip["frames"]), run, 0.5)
    if "ids" not in r:
        return "–"
    ids = r["ids"]
    return f"{ids.switches} in {ids.minutes * 60:.0f} s ({ids.per_player_minute:.1f}/player/min)"


def bench_coverage(name: str, fps: float | None, tmp: Path) -> dict[str, Any] | None:
    from core.pipeline import analyze
    from core.persons.poses import load_poses
    from core.reframe.path import CropPath
    from core.reframe.plan import plan_video, video_crop_path
    from core.reframe.subject import subject_targets
    from core.store import Project
    from models.persons.stage import PersonsStage

    video = MEDIA / "video" / name
    if not video.exists():
        return None
    with Project(tmp / f"{video.stem}.clipdesk") as p:
        rep = analyze(p, video, [PersonsStage(fps=fps, dense_fps=fps) if fps else PersonsStage()])
        v = rep.video
        segs = plan_video(p, v.id, "9:16")
        rects = video_crop_path(p, v.id, "9:16").rects(0, v.frame_count)
        table = load_poses(p, v.id)
        inside_all: list[np.ndarray] = []
        jerk, raw_jerk = [], []
        for s in segs:
            tg = subject_targets(table, s.start_frame, s.end_frame, v.height, follow=s.attrs.get("subject"))
            r = rects[s.start_frame:s.end_frame]
            seen = np.isfinite(tg.cx)
            ok = (tg.cx - tg.half_w >= r[:, 0] - 1) & (tg.cx + tg.half_w <= r[:, 0] + r[:, 2] + 1)
            inside_all.append(ok[seen])
            # jerk of the solved path itself (float keyframes), not of the even-pixel rounding
            c = CropPath.from_attrs(s.start_frame, s.end_frame, s.attrs, v.info.display_size).centers(
                np.arange(s.start_frame, s.end_frame))[:, 0]
            if len(c) > 3:
                jerk.append(np.diff(c.astype(float), 3))
            raw = tg.cx[seen]
            if len(raw) > 3:
                raw_jerk.append(np.diff(raw, 3))
        inside = np.concatenate(inside_all) if inside_all else np.zeros(0, bool)
        # the hand-labelled subject's box inside the crop (the figure that does not trust the tracks)
        split, boxes = labelled_subject(name)
        ids = id_switches_on_labels(name, p, v.id, table, float(v.rate.fps))
        gt_in = [bool(b[0] >= rects[f, 0] - 1 and b[2] <= rects[f, 0] + rects[f, 2] + 1)
                 for f, b in boxes.items() if f < len(rects)]
        rms = float(np.sqrt(np.mean(np.concatenate(jerk) ** 2))) if jerk else 0.0
        raw_rms = float(np.sqrt(np.mean(np.concatenate(raw_jerk) ** 2))) if raw_jerk else 0.0
        return {"frames": v.frame_count, "seen": float(inside.size / max(1, v.frame_count)),
                "coverage": float(inside.mean()) if inside.size else float("nan"), "jerk": rms,
                "raw_jerk": raw_rms, "modes": ",".join(s.attrs["mode"] for s in segs), "split": split,
                "gt_frames": len(gt_in), "gt_coverage": float(np.mean(gt_in)) if gt_in else float("nan"),
                "ids": ids,
                "tracks": len(table.track_ids())}


def bench_export(video: Path, seconds: float, tmp: Path) -> dict[str, Any]:
    from core.export.clip import export_project_clip, ffmpeg_exe
    from core.media.reader import probe
    from core.reframe.plan import plan_video, video_crop_path
    from core.store import Project

    with Project(tmp / "export.clipdesk") as p:
        v = p.add_video(probe(video))
        v = p.video(v.id)
        plan_video(p, v.id, "9:16")  # no persons: a static centred crop, the same window as ffmpeg's
        n = min(v.frame_count, int(round(seconds * v.rate.fps)))
        r = video_crop_path(p, v.id, "9:16").rects(0, n)[0]
        t = time.perf_counter()
        res = export_project_clip(p, v.id, 0, n, tmp / "ours.mp4", "9:16", (1080, 1920), overlay=False)
        ours = time.perf_counter() - t
    plain_out = tmp / "plain.mp4"
    cmd = [ffmpeg_exe(), "-v", "error", "-y", "-i", str(video), "-frames:v", str(n), "-t", f"{n / v.rate.fps:.6f}",
           "-vf", f"crop={r[2]}:{r[3]}:{r[0]}:{r[1]},scale=1080:1920", "-c:v", "libx264", "-preset", "veryfast",
           "-crf", "20", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "160k", "-movflags", "+faststart",
           str(plain_out)]
    t = time.perf_counter()
    subprocess.run(cmd, check=True)
    plain = time.perf_counter() - t
    return {"frames": n, "ours": ours, "plain": plain, "ratio": ours / plain, "fps_ours": n / ours,
            "fps_plain": n / plain, "size": f"{res.size[0]}x{res.size[1]}"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=30.0, help="length of the pose and export runs")
    ap.add_argument("--quick", action="store_true", help="10 s runs, coverage on two clips")
    ap.add_argument("--only", choices=("pose", "coverage", "export"), help="run one part")
    ap.add_argument("--clips", nargs="*", help="coverage on these clips only (file names)")
    ap.add_argument("--height", type=int, default=0, help="pose pass on the clip scaled to this height (720)")
    ap.add_argument("--persons", type=json.loads, default=None,
                    help='persons settings for the pose pass, e.g. \'{"tile_every": 0}\' (default: the product\'s)')
    ap.add_argument("--pose-runtime", choices=("onnx", "torch"),
                    help="the pose network's runtime (default: the product's, ONNX Runtime when available)")
    args = ap.parse_args(argv)
    if args.pose_runtime:
        os.environ["CLIPDESK_POSE_RUNTIME"] = args.pose_runtime
    seconds = 10.0 if args.quick else args.seconds
    src = MEDIA / "video" / "tennis-tracking__video_input1.mp4"
    if not src.exists():
        print(f"shared media not found at {MEDIA}", file=sys.stderr)
        return 2
    print(f"# bench.reframe  {time.strftime('%Y-%m-%d %H:%M')}  {platform.machine()} {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at start\n")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        long_clip = _looped(src, seconds, tmp / "tennis_loop.mp4")

        if args.only in (None, "pose"):
            pose_clip = _looped(src, seconds, tmp / "tennis_pose.mp4", args.height) if args.height else long_clip
            if args.persons:
                print(f"persons settings: {json.dumps(args.persons)}\n")
            _print_pose(bench_pose(pose_clip, src, tmp, args.persons), args.height)
        if args.only in (None, "coverage"):
            clips = tuple(c for c in CLIPS if not args.clips or c[0] in args.clips)
            _print_coverage(clips[:2] if args.quick else clips, tmp)
        if args.only in (None, "export"):
            _print_export(bench_export(long_clip, seconds, tmp))
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")
    return 0


def _print_pose(pose: dict[str, Any], height: int = 0) -> None:
    print(f"| pose pass (persons stage through analyze, {height or 1080}p30 tennis) | value |\n|---|---|")
    print(f"| media | {pose['duration']:.1f} s, {pose['samples']:.0f} sampled frames |")
    print(f"| pose network runtime, threads | {pose['runtime']} |")
    print(f"| first analysis of a 5 s clip (model load + warm-up included) | {pose['load']:.1f} s |")
    print(f"| pose pass, model loaded (decode + pose + ball + tracking) | {pose['total']:.1f} s |")
    print(f"| RT factor, pose pass | {pose['rt']:.3f}x |")
    print(f"| CPU time per media second, pose pass (all threads) | {pose['cpu_rt']:.3f} s/s |")
    print(f"| same decode pass feeding nothing but the frames (same run) | {pose['decode']:.1f} s "
          f"({pose['decode_rt']:.3f}x RT, CPU {pose['decode_cpu_rt']:.3f} s/s) |\n")


def _print_coverage(clips: tuple[tuple[str, float | None], ...], tmp: Path) -> None:
    print("| clip (9:16) | split | single subject | frames | subject seen | coverage | labelled subject in crop "
          "| path jerk RMS | raw subject jerk | modes | id switches (labelled players) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, fps in clips:
        c = bench_coverage(name, fps, tmp)
        if c is None:
            continue
        gt = f"{c['gt_coverage']:.1%} of {c['gt_frames']}" if c["gt_frames"] else "–"
        print(f"| {name} | {c['split'] or '–'} | {'yes' if name in SINGLE else 'no'} | {c['frames']:.0f} | "
              f"{c['seen']:.0%} | {c['coverage']:.1%} | {gt} | {c['jerk']:.3f} | {c['raw_jerk']:.3f} | "
              f"{c['modes']} | {c['ids']} |", flush=True)
    print()


def _print_export(ex: dict[str, Any]) -> None:
    print("| export 1080x1920 9:16, x264 veryfast CRF 20 + AAC | time | frames/s |\n|---|---|---|")
    print(f"| plain ffmpeg crop+scale+encode | {ex['plain']:.1f} s | {ex['fps_plain']:.1f} |")
    print(f"| ClipDesk export_project_clip | {ex['ours']:.1f} s | {ex['fps_ours']:.1f} |")
    print(f"| ratio ClipDesk / ffmpeg ({ex['frames']:.0f} frames) | {ex['ratio']:.2f}x | |")


if __name__ == "__main__":
    sys.exit(main())
