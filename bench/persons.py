"""Persons on hand-labelled frames: precision, player recall, ids and the ball, per split and clip.

    .venv/bin/python -m bench.persons [--split tuning|heldout|all] [--clips NAME...] [--dense]
                                      [--iou 0.5] [--json OUT] [--fast-shots] [--persons JSON] [--cache DIR]

Labels: ``tests/data/persons_gt.json`` (made by eye, see its ``about``), frames of
``../shared/media/video`` split by source clip into ``tuning`` and ``heldout`` (the football
tactical view, only in ``yolov4-deepsort__football1.mp4``, is split by time instead). Tune on
``tuning``; figures that count are the ``heldout`` ones.

Each clip is analysed the way the product does it: the ``shots`` and ``persons`` stages through
``core.pipeline.analyze`` (decode included) with the product's default persons settings, into a
throw-away project. The stored tracked poses are read at each labelled frame with
``PoseTable.interpolated`` (exact on sampled frames, linear between them: what the overlay and the
reframer use; at a track's ends, the nearest sample within half a sample spacing). ``--dense``
samples every frame instead (persons ``fps`` = the clip's rate), so each labelled frame is a
detection of its own. Scored (``core.persons.metrics``):

- person precision (every role), person recall, player recall at IoU ``--iou``; persons found on
  frames with no person (nature slideshow, animation, object close-ups); the football tactical
  view on its own line;
- role agreement: of the labelled players found, the share whose track the product calls a player;
- id switches per player per minute on the tennis and basketball clips (labelled identities);
- the ball where labelled (``tests/data/ball_gt.json``): recall within 1.5 % of the frame width
  (the stored ball track, interpolated between its rows up to a second apart), and false
  positions per second: labelled frames where the track is not on the ball, times the labelling
  step.

Prints Markdown tables (machine and load average included: the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("YOLO_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
MEDIA = Path(os.environ.get("CLIPDESK_SHARED_MEDIA", ROOT.parent / "shared" / "media"))
GT = ROOT / "tests" / "data" / "persons_gt.json"
BALL_GT = ROOT / "tests" / "data" / "ball_gt.json"
ID_KINDS = ("tennis", "basketball")
TACTICAL = "football-tactical"
BALL_RADIUS = 0.015  # of the frame width


def load_labels(path: Path = GT) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def frame_split(clip: dict[str, Any], frame: str) -> str:
    """``tuning`` or ``heldout`` for one labelled frame (per clip, or per frame where the clip is
    split by time)."""
    if clip["split"] in ("tuning", "heldout"):
        return str(clip["split"])
    return str(clip["frames"][frame]["split"])


def selected(gt: dict[str, Any], split: str, clips: list[str] | None) -> dict[str, list[int]]:
    """clip -> labelled frames in the split."""
    out: dict[str, list[int]] = {}
    for name, clip in gt["clips"].items():
        if clips and name not in clips:
            continue
        frames = sorted(int(f) for f in clip["frames"] if split == "all" or frame_split(clip, f) == split)
        if frames:
            out[name] = frames
    return out


class ClipRun:
    """What the product stored for one clip: poses, the role per track and the ball track."""

    def __init__(self, poses: Any, roles: dict[int, str], ball: np.ndarray, fps: float, samples: int,
                 seconds: float, shots: list[tuple[int, int]] | None = None) -> None:
        self.poses = poses
        self.roles = roles
        self.ball = ball
        self.fps = fps
        self.samples = samples
        self.seconds = seconds
        self.sampled = np.asarray(poses.sampled_frames(), np.int64)
        gaps = np.diff(self.sampled)
        self.hold = int(np.median(gaps) // 2) if len(gaps) else int(round(fps / 4))
        self.starts = np.asarray(sorted(s for s, _ in shots or []) or [0], np.int64)

    def _shot(self, frame: int) -> int:
        return int(np.searchsorted(self.starts, frame, side="right"))

    def boxes_at(self, frame: int) -> tuple[np.ndarray, list[int]]:
        """Persons at ``frame``: the sampled frame itself, else interpolated between the samples
        around it, else (before the first or after the last sample of a track, e.g. at a clip's
        ends) the nearest sampled frame within half a sample spacing, in the same shot (a box
        from the other side of a cut is never on screen)."""
        ps = self.poses.interpolated(frame)
        if not ps and len(self.sampled):
            i = int(np.argmin(np.abs(self.sampled - frame)))
            if abs(int(self.sampled[i]) - frame) <= self.hold and self._shot(int(self.sampled[i])) == self._shot(frame):
                ps = self.poses.at(int(self.sampled[i]))
        if not ps:
            return np.zeros((0, 4)), []
        return np.stack([p.box for p in ps]), [p.track_id for p in ps]


def cache_pose_model(folder: Path) -> None:
    """Keep the pose model's outputs in ``folder`` (one ``.npy`` per input image, keyed by the
    image's bytes and scale) and reuse them: re-running the stage's post-processing (field, tiles,
    tracking, roles) on the tuning clips costs the decode pass only. A bench aid; never the product."""
    import hashlib

    from models.persons.pose import PoseDetector

    folder.mkdir(parents=True, exist_ok=True)
    plain = PoseDetector.detect
    if getattr(plain, "cached", False):
        return

    def detect(self: Any, rgb: np.ndarray, scale: float = 1.0) -> np.ndarray:
        h = hashlib.sha1(np.ascontiguousarray(rgb).tobytes())
        h.update(f"{rgb.shape}{scale:.6f}{self.imgsz}{self.conf}".encode())
        f = folder / f"{h.hexdigest()}.npy"
        if f.exists():
            return np.asarray(np.load(f, allow_pickle=False), np.float32)
        out = plain(self, rgb, scale)
        np.save(f, out, allow_pickle=False)
        return out

    detect.cached = True  # type: ignore[attr-defined]
    PoseDetector.detect = detect  # type: ignore[method-assign]


def run_clip(video: Path, tmp: Path, dense: bool, fast_shots: bool = False,
             persons: dict[str, Any] | None = None) -> ClipRun:
    """Analyse ``video`` with the product's shots and persons stages into a fresh project."""
    from core.persons.ball import BALL_SIGNAL
    from core.persons.poses import latest_signal_key, load_poses
    from core.pipeline import analyze, order_stages
    from core.store import Project
    from models.stages import available_stages

    settings: dict[str, Any] = {}
    if dense:
        from core.media.reader import probe

        rate = float(probe(video).rate.fps)
        settings = {"persons": {"fps": rate, "dense_fps": rate}}
    if persons:  # e.g. {"flow": false}: the stage's settings next to the product defaults
        settings = {"persons": {**settings.get("persons", {}), **persons}}
    stages = order_stages(available_stages(settings), ["persons"])
    if fast_shots:  # the classical shot pass (no shot model): same persons stage, cheaper boundaries
        from core.shots.stage import ShotStage

        stages = [ShotStage() if s.name == "shots" else s for s in stages]
    t = time.perf_counter()
    with Project(tmp / f"{video.stem}.clipdesk") as p:
        rep = analyze(p, video, stages, force=True)
        vid = rep.video.id
        table = load_poses(p, vid)
        roles: dict[int, str] = {}
        for s in p.segments(vid, "person"):
            tid = s.attrs.get("track")
            if tid is not None:
                roles[int(tid)] = str(s.attrs.get("role") or "person")
        key = latest_signal_key(p, vid, BALL_SIGNAL)
        ball = p.get_signal(vid, BALL_SIGNAL, key) if key else None
        fps = float(rep.video.rate.fps)
        shots = sorted((s.start_frame, s.end_frame) for s in p.segments(vid, "shot"))
    return ClipRun(table, roles, np.zeros((0, 5)) if ball is None else np.asarray(ball, np.float64).reshape(-1, 5),
                   fps, len(table.sampled_frames()), time.perf_counter() - t, shots)


def ball_frames(balls: dict[str, Any], name: str, split: str) -> dict[str, Any] | None:
    """The clip's ball labels in the split: ``{"step": labelling step, "frames": {frame: [x, y] or None}}``."""
    clip = balls.get("clips", {}).get(name)
    if not clip:
        return None
    cut = balls.get("split_rule", {}).get(name, {}).get("tuning_before_frame", 125)
    frames = {int(f): c for f, c in clip["frames"].items()
              if split == "all" or (clip["split"] == split if clip["split"] != "by_time"
                                    else ("tuning" if int(f) < cut else "heldout") == split)}
    return {"step": clip["step"], "frames": frames} if frames else None


def score_clip(name: str, clip: dict[str, Any], frames: list[int], run: ClipRun, iou: float,
               ball: dict[str, Any] | None = None, ball_radius: float = BALL_RADIUS) -> dict[str, Any]:
    from core.persons.metrics import Tally, ball_scores, id_switches, match_frame

    tally = Tally()
    ids: dict[str, list[tuple[int, int | None]]] = {}
    role_ok = role_n = 0
    for f in frames:
        labels = clip["frames"][str(f)]["persons"]
        boxes, tids = run.boxes_at(f)
        m = match_frame(labels, boxes, iou)
        tally.add(labels, m)
        found = dict(m.pairs)
        for li, lab in enumerate(labels):
            if lab.get("ignore"):
                continue
            if "id" in lab:
                ids.setdefault(lab["id"], []).append((f, tids[found[li]] if li in found else None))
            if lab.get("role") == "player" and li in found:
                role_n += 1
                role_ok += run.roles.get(tids[found[li]], "person") == "player"
    out: dict[str, Any] = {"clip": name, "kind": clip["kind"], "tally": tally, "samples": run.samples,
                           "seconds": run.seconds, "role_ok": role_ok, "role_n": role_n}
    if clip["kind"] in ID_KINDS and ids:
        out["ids"] = id_switches(ids, run.fps)
    if ball:
        out["ball"] = ball_scores(ball["frames"], run.ball, ball_radius * clip["width"], ball["step"] / run.fps,
                                  max_gap=int(round(run.fps)))
    return out


def _f(v: float, nd: int = 3) -> str:
    return "–" if v != v else f"{v:.{nd}f}"


def report(results: list[dict[str, Any]], split: str, gt: dict[str, Any]) -> str:
    from core.persons.metrics import BallScore, IdScore, summarise

    lines = [f"### split: {split}\n",
             "| clip | kind | frames | persons | players | precision | recall | player recall | "
             "persons on empty frames | role = player | samples | s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        t = r["tally"]
        empty = f"{t.persons_on_empty} on {t.empty_frames_with_persons}/{t.empty_frames}" if t.empty_frames else "–"
        role = f"{r['role_ok']}/{r['role_n']}" if r["role_n"] else "–"
        lines.append(f"| {r['clip']} | {r['kind']} | {t.frames} | {t.labelled} | {t.players} | {_f(t.precision)} | "
                     f"{_f(t.recall)} | {_f(t.player_recall)} | {empty} | {role} | {r['samples']} | "
                     f"{r['seconds']:.0f} |")
    groups = [("all clips", results),
              ("football tactical view", [r for r in results if r["kind"] == TACTICAL]),
              ("everything but the tactical view", [r for r in results if r["kind"] != TACTICAL]),
              ("sports broadcast/court (tennis, football, basketball)",
               [r for r in results if r["kind"].split("-")[0] in ("tennis", "football", "basketball")])]
    lines += ["", "| group | frames | precision | recall | player recall | persons on empty frames | role = player |",
              "|---|---|---|---|---|---|---|"]
    for label, rs in groups:
        if not rs:
            continue
        t = summarise(r["tally"] for r in rs)
        rn = sum(r["role_n"] for r in rs)
        role = _f(sum(r["role_ok"] for r in rs) / rn) if rn else "–"
        empty = (f"{t.persons_on_empty} on {t.empty_frames_with_persons}/{t.empty_frames} frames"
                 if t.empty_frames else "–")
        lines.append(f"| {label} | {t.frames} | {_f(t.precision)} | {_f(t.recall)} | {_f(t.player_recall)} | "
                     f"{empty} | {role} |")
    idr = [r for r in results if "ids" in r]
    if idr:
        lines += ["", "| clip | identities | id switches | per player per minute |", "|---|---|---|---|"]
        tot = IdScore()
        for r in idr:
            s = r["ids"]
            each = ", ".join(f"{k}: {v}" for k, v in s.per_identity.items())
            lines.append(f"| {r['clip']} | {s.identities} | {s.switches} ({each}) | {_f(s.per_player_minute, 2)} |")
            tot.switches += s.switches
            tot.identities += s.identities
            tot.minutes += s.minutes
        lines.append(f"| all | {tot.identities} | {tot.switches} | {_f(tot.per_player_minute, 2)} |")
    br = [r for r in results if "ball" in r]
    if br:
        lines += ["", "| clip | ball visible | found | recall | false positions | per second |",
                  "|---|---|---|---|---|---|"]
        tot_b = BallScore()
        for r in br:
            b = r["ball"]
            tot_b = tot_b.merge(b)
            lines.append(f"| {r['clip']} | {b.visible} | {b.found} | {_f(b.recall)} | {b.false} | "
                         f"{_f(b.false_per_second, 2)} |")
        lines.append(f"| all | {tot_b.visible} | {tot_b.found} | {_f(tot_b.recall)} | {tot_b.false} | "
                     f"{_f(tot_b.false_per_second, 2)} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("tuning", "heldout", "all"), default="heldout")
    ap.add_argument("--clips", nargs="*", help="only these clips (file names)")
    ap.add_argument("--dense", action="store_true", help="sample every frame (persons fps = the clip's rate)")
    ap.add_argument("--iou", type=float, default=0.5)
    ap.add_argument("--fast-shots", action="store_true",
                    help="shot boundaries from the classical shot pass instead of the shot model (faster)")
    ap.add_argument("--labels", type=Path, default=GT)
    ap.add_argument("--persons", type=json.loads, default=None,
                    help='persons stage settings over the defaults, JSON, e.g. \'{"flow": false}\'')
    ap.add_argument("--cache", type=Path, help="keep/reuse the pose model's outputs here (tuning iterations)")
    ap.add_argument("--json", type=Path, help="write the per-clip figures here")
    args = ap.parse_args(argv)
    if not (MEDIA / "video").is_dir():
        print(f"shared media not found at {MEDIA}", file=sys.stderr)
        return 2
    try:
        gt = load_labels(args.labels)
        balls = load_labels(BALL_GT) if BALL_GT.exists() else {}
    except (OSError, ValueError) as e:
        print(f"bench.persons: labels: {e}", file=sys.stderr)
        return 2
    if args.cache:
        cache_pose_model(args.cache)
    splits = ("tuning", "heldout") if args.split == "all" else (args.split,)
    print(f"# bench.persons  {time.strftime('%Y-%m-%d %H:%M')}  {platform.machine()} {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at start; labels {args.labels.name}, IoU {args.iou}, "
          f"{'every frame sampled' if args.dense else 'product defaults'}"
          f"{', classical shot pass' if args.fast_shots else ''}"
          f"{', persons ' + json.dumps(args.persons) if args.persons else ''}\n")
    runs: dict[str, ClipRun] = {}
    dump: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as d:
        for split in splits:
            results = []
            todo = sorted(selected(gt, split, args.clips).items(), key=lambda kv: gt["clips"][kv[0]]["frame_count"])
            for name, frames in todo:  # shortest clips first; one row per clip as soon as it is scored
                video = MEDIA / "video" / name
                if not video.exists():
                    print(f"skipped {name}: not in {MEDIA / 'video'}", file=sys.stderr)
                    continue
                if name not in runs:
                    runs[name] = run_clip(video, Path(d), args.dense, args.fast_shots, args.persons)
                r = score_clip(name, gt["clips"][name], frames, runs[name], args.iou,
                               ball_frames(balls, name, split), float(balls.get("radius", BALL_RADIUS)))
                results.append(r)
                dump.setdefault(split, {})[name] = {**r["tally"].row(), "role_ok": r["role_ok"], "role_n": r["role_n"],
                                                    "ids": r["ids"].switches if "ids" in r else None,
                                                    "ball_recall": r["ball"].recall if "ball" in r else None}
                print(f"scored {split} {name}: " + json.dumps(dump[split][name], default=float), file=sys.stderr,
                      flush=True)
                if args.json:
                    args.json.write_text(json.dumps(dump, indent=1, default=float))
            print(report(results, split, gt))
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    if args.json:
        args.json.write_text(json.dumps(dump, indent=1, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
