"""The ball track on hand-labelled frames: recall, false positions per second, cost per frame.

    .venv/bin/python -m bench.ball [--split tuning|heldout|all] [--clips NAME...] [--json OUT]

Labels: ``tests/data/ball_gt.json`` (ball centres read by eye; split by clip, football1 by time
like the persons labels). Each clip is decoded once the way the persons stage does it
(``core.persons.ball_track.BallSink``: every frame, grey, 640 px wide), the candidates are linked
into the ball track (``link_ball``) and scored with ``core.persons.metrics.ball_scores`` exactly as
``bench/persons.py`` scores the stored track: recall within 1.5 % of the frame width, false
positions per second (labelled frames where the track is elsewhere, times the labelling step;
the track is interpolated over its gaps up to a second, as there), and the same reading only
the rows the track states.
Also printed: the finder's CPU time per frame, the same decode pass feeding nothing (same run), and
how much of the clip the track covers. Markdown tables; load average included (shared machine).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MEDIA = Path(os.environ.get("CLIPDESK_SHARED_MEDIA", ROOT.parent / "shared" / "media"))
BALL_GT = ROOT / "tests" / "data" / "ball_gt.json"


def labels_in(clip: dict[str, Any], name: str, gt: dict[str, Any], split: str) -> dict[int, Any]:
    cut = gt.get("split_rule", {}).get(name, {}).get("tuning_before_frame", 125)
    out = {}
    for f, c in clip["frames"].items():
        s = clip["split"] if clip["split"] != "by_time" else ("tuning" if int(f) < cut else "heldout")
        if split == "all" or s == split:
            out[int(f)] = c
    return out


def run_clip(video: Path) -> dict[str, Any]:
    """Decode ``video`` through the ball sink; the track, cost and a frames-only decode."""
    from core.media.decode import FrameSpec, Sink, run_decode
    from core.media.reader import probe
    from core.persons.ball_track import BALL_MAX_FPS, BALL_WIDTH, BallSink, link_ball

    info = probe(video)
    sink = BallSink()
    t = time.perf_counter()
    res = run_decode(info, [sink])
    wall = time.perf_counter() - t
    t = time.thread_time()
    track = link_ball(sink.candidates, sink.scale)
    link_s = time.thread_time() - t

    class _Frames(Sink):
        video = FrameSpec(width=BALL_WIDTH, fmt="gray", fps=BALL_MAX_FPS)

    t = time.perf_counter()
    run_decode(info, [_Frames()])
    decode = time.perf_counter() - t
    return {"track": track, "frames": res.frame_count, "fps": float(info.rate.fps), "duration": info.duration,
            "finder_s": sink.seconds, "link_s": link_s, "wall": wall, "decode": decode,
            "width": info.display_size[0], "cands": sum(len(c) for _, c in sink.candidates)}


def main(argv: list[str] | None = None) -> int:
    from core.persons.metrics import BallScore, ball_scores

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("tuning", "heldout", "all"), default="tuning")
    ap.add_argument("--clips", nargs="*")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    if not (MEDIA / "video").is_dir():
        print(f"shared media not found at {MEDIA}", file=sys.stderr)
        return 2
    gt = json.loads(BALL_GT.read_text())
    radius_k = float(gt.get("radius", 0.015))
    print(f"# bench.ball  {time.strftime('%Y-%m-%d %H:%M')}  {platform.machine()} {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at start; split {args.split}\n")
    print("| clip | split | ball visible | found | recall | false positions | per second | stated rows only: found "
          "/ false | frames with a ball | finder ms/frame | link ms | decode alone | decode + finder |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    total = BallScore()
    own_total = BallScore()
    dump: dict[str, Any] = {}
    for name, clip in gt["clips"].items():
        if args.clips and name not in args.clips:
            continue
        labels = labels_in(clip, name, gt, args.split)
        video = MEDIA / "video" / name
        if not labels or not video.exists():
            continue
        r = run_clip(video)
        fps = r["fps"]
        sc = ball_scores(labels, r["track"], radius_k * r["width"], clip["step"] / fps, max_gap=int(round(fps)))
        total = total.merge(sc)
        # the same, reading only the rows the track states (no interpolation over its gaps)
        own = ball_scores(labels, r["track"], radius_k * r["width"], clip["step"] / fps, max_gap=1)
        own_total = own_total.merge(own)
        cover = len(np.unique(r["track"][:, 0])) / max(1, r["frames"]) if len(r["track"]) else 0.0
        split = args.split if args.split != "all" else clip["split"]
        print(f"| {name} | {split} | {sc.visible} | {sc.found} | {sc.recall:.2f} | {sc.false} | "
              f"{sc.false_per_second:.2f} | {own.found} / {own.false} | {cover:.0%} | "
              f"{1000 * r['finder_s'] / max(1, r['frames']):.2f} | "
              f"{1000 * r['link_s']:.0f} | {r['decode'] / r['duration']:.3f}x RT | "
              f"{r['wall'] / r['duration']:.3f}x RT |",
              flush=True)
        dump[name] = {"visible": sc.visible, "found": sc.found, "false": sc.false, "seconds": sc.seconds,
                      "track": r["track"].tolist()}
    print(f"| **all** | | {total.visible} | {total.found} | {total.recall:.2f} | {total.false} | "
          f"{total.false_per_second:.2f} | {own_total.found} / {own_total.false} | | | | | |")
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")
    if args.json:
        args.json.write_text(json.dumps(dump))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
