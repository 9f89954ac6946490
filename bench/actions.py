"""Action recognition benchmarks.

``--labelled``: the default action model (the starter detector) on the hand-labelled spans of
real shared clips (``tests/data/action_spans.json``), reported on the held-out clips (``--split
tuning`` for the clips the rules were tuned on): recall at tIoU 0.3 (exact class, and by family:
serve/forehand/backhand = stroke), false actions per 10 s of footage without the action, median
boundary offset, and the actions stage's CPU time per tracked person (rules) and per video
second (the motion grid, in the decode pass). The clips are analysed with the product's default
settings (shots, persons, actions) into ``--work`` (kept, so a second run only re-runs actions).

Without ``--labelled``: ST-GCN inference cost per ~3 s window per person (1 thread),
the cost of the whole actions stage per person-minute, training time per epoch, and accuracy on
generated skeleton sequences with known classes (window level and localised segments).

Speed is reported as CPU time and wall time (the VM is shared), and as a ratio to a standard
ST-GCN configuration (9 blocks, 64-128-256 channels, 100 instants) measured in the same run.

    .venv/bin/python -m bench.actions [--epochs 8] [--arch tiny] [--json OUT.json]
    .venv/bin/python -m bench.actions --labelled [--split heldout|tuning|all] [--media DIR] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")


def _timeit(fn: Any, repeat: int) -> tuple[float, float]:
    fn()  # warm-up
    c0, w0 = time.process_time(), time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.process_time() - c0) / repeat, (time.perf_counter() - w0) / repeat


def inference(archs: list[str], repeat: int) -> list[dict[str, Any]]:
    import torch

    from models.actions.stgcn import build

    torch.set_num_threads(1)
    rows = []
    for arch, steps in [(a, 32) for a in archs] + [("base", 100)]:
        m = build({"in_channels": 9, "num_classes": 5, "arch": arch}).eval()
        x1 = torch.randn(1, 9, steps, 17)
        x32 = torch.randn(32, 9, steps, 17)
        with torch.inference_mode():
            c1, w1 = _timeit(lambda m=m, x=x1: m(x), repeat)
            cb, wb = _timeit(lambda m=m, x=x32: m(x), max(2, repeat // 8))
        rows.append({"arch": arch, "steps": steps, "params": sum(p.numel() for p in m.parameters()),
                     "ms_cpu_single": round(c1 * 1000, 2), "ms_wall_single": round(w1 * 1000, 2),
                     "ms_cpu_per_window_batched": round(cb / 32 * 1000, 2),
                     "ms_wall_per_window_batched": round(wb / 32 * 1000, 2)})
    return rows


def stage_cost(model: Any) -> dict[str, Any]:
    """Windows + features + network + localisation for one person over 60 s (pose at 4 fps)."""
    from core.actions.synthetic import synth_video
    from core.persons.poses import PoseTable
    from core.timebase import Rate
    from models.actions.predict import predict_table

    arr, _ = synth_video(123, n_frames=1500, n_persons=1, sample_step=6)
    table = PoseTable(arr)
    c0, w0 = time.process_time(), time.perf_counter()
    segs = predict_table(table, model, Rate(25))
    c, w = time.process_time() - c0, time.perf_counter() - w0
    return {"person_seconds": 60, "cpu_s": round(c, 3), "wall_s": round(w, 3),
            "rt_cpu_per_person": round(c / 60, 4), "segments": len(segs)}


# round 3's probe choice (starter v4), for the same-session cost comparison (``--compare-probes``)
ROUND3_PROBES_KW: dict[str, Any] = {"probe_per_gap": 3, "probe_bursts": True, "probe_skip_jumps": False,
                                    "jump_ground_s": 0.12, "jump_lift": 0.06}


SPANS = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "action_spans.json")


def _track_box(table: Any, tid: int, frame: int) -> tuple[float, float, float, float]:
    r = table.track(tid)
    i = int(np.argmin(np.abs(r[:, 0] - frame)))
    return tuple(float(v) for v in r[i, 3:7])  # type: ignore[return-value]


def shrunk(video: Any, work: str, k: int) -> Any:
    """``video`` made ``k`` times smaller and centred on a black canvas of its own size (a
    far player made from a near one: the small-player proxy tuned on), cached in ``work``."""
    import subprocess
    from pathlib import Path

    out = Path(work) / f"{Path(video).stem}.small{k}.mp4"
    if not out.exists():
        vf = f"scale=trunc(iw/{k}/2)*2:trunc(ih/{k}/2)*2,pad=iw*{k}:ih*{k}:(ow-iw)/2:(oh-ih)/2"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(video), "-vf", vf, "-an", "-c:v", "libx264",
                        "-crf", "18", str(out)], check=True)
    return out


def prepare(split: str, media: str, work: str, shrink: int = 0) -> list[str]:
    """Shots, persons (the poses the rules read) and the motion grid for the clips of ``split``
    into ``work``, nothing scored or shown: the slow part done ahead, blind to the results."""
    from pathlib import Path

    from core.actions.spans import load_spans
    from core.pipeline import analyze, order_stages
    from core.store.project import Project
    from models.stages import available_stages

    done = []
    Path(work).mkdir(parents=True, exist_ok=True)
    for name, c in load_spans(SPANS).items():
        video = Path(media) / name
        if (split != "all" and c.split != split) or not video.exists():
            continue
        if shrink > 1:
            video = shrunk(video, work, shrink)
        with Project(Path(work) / (video.stem + ".clipdesk")) as project:
            analyze(project, video, order_stages(available_stages({}), ["shots", "persons", "actions"]))
        done.append(name)
        print(f"prepared {name}", flush=True)
    return done


def labelled(split: str, media: str, work: str, force: bool = False, verbose: bool = True,
             reuse: bool = False, shrink: int = 0, compare: bool = False) -> dict[str, Any]:
    """The starter detector on the hand-labelled clips of ``split`` (see the module docstring)."""
    from pathlib import Path

    from core.actions import starter
    from core.actions.dataset import load_poses
    from core.actions.motion import MotionSink
    from core.actions.spans import ClipResult, Span, evaluate, load_spans, shrink_spans
    from core.media.decode import run_decode
    from core.media.reader import probe
    from core.pipeline import analyze, order_stages
    from core.segments import ACTION
    from core.store.project import Project
    from models.actions.stage import load_motion
    from models.stages import available_stages

    from core.actions.probe import keyframes, open_reader, probe_poses, with_probes
    from core.media.reader import FrameReader
    from models.actions.probe_model import batched
    from models.stages import crop_poser

    single = crop_poser({})()
    single(np.zeros((160, 96, 3), np.uint8))  # the model loaded before anything is timed
    detect = batched(single)
    detect(np.zeros((160, 96, 3), np.uint8))
    old_cpu, old_n = 0.0, 0
    round3 = starter.StarterParams(**ROUND3_PROBES_KW)
    labels = load_spans(SPANS)
    names = [n for n, c in labels.items() if split == "all" or c.split == split]
    probe_cpu, n_probes = 0.0, 0
    Path(work).mkdir(parents=True, exist_ok=True)
    results = []
    rule_cpu = person_s = motion_cpu = decode_cpu = video_s = 0.0
    for name in names:
        video = Path(media) / name
        if not video.exists():
            print(f"skip {name}: not in {media}")
            continue
        truth = labels[name].spans
        if shrink > 1:
            size = probe(video).display_size
            video, truth = shrunk(video, work, shrink), shrink_spans(truth, shrink, (int(size[0]), int(size[1])))
        proj = Path(work) / (video.stem + ".clipdesk")
        with Project(proj) as project:
            stages = order_stages(available_stages({}), ["shots", "persons", "actions"])
            if not reuse:  # else: the poses already in the work project, whatever version made them
                analyze(project, video, stages, force=force)
            analyze(project, video, [s for s in stages if s.name == "actions"], force=True)  # the rules now
            v = project.videos()[0]
            fps = v.rate.fps
            segs = [s for s in project.segments(v.id, ACTION) if s.source.startswith("model:")]
            table = load_poses(project, v.id)
            motion = load_motion(project, v.id)
            if table is not None:  # the rules' own cost, measured again alone, and the probes'
                clock = project.clock(v.id)
                if compare:  # round 3's probes (v4's frames, RGB frames, seeks beyond 45 frames, a call per crop)
                    c0 = time.process_time()
                    req = starter.probe_requests(table, fps, round3, motion=motion)
                    if req:
                        size = (int(v.info.display_size[0]), int(v.info.display_size[1]))
                        with FrameReader(str(video), clock, size=size, rotation=v.info.rotation) as reader:
                            old_n += len(probe_poses(reader, table, req, single))
                    old_cpu += time.process_time() - c0
                c0 = time.process_time()
                req = starter.probe_requests(table, fps, motion=motion)
                if req:
                    with open_reader(v.info, clock) as reader:
                        fr = [f for x in req.values() for f in x]
                        keys = keyframes(str(video), clock, min(fr), max(fr))
                        rows = probe_poses(reader, table, req, detect, keys=keys)
                    n_probes += len(rows)
                    table = with_probes(table, rows)
                probe_cpu += time.process_time() - c0
                c0 = time.process_time()
                starter.detect(table, fps, motion)
                rule_cpu += time.process_time() - c0
                person_s += float(sum((table.track(t)[-1, 0] - table.track(t)[0, 0] + 1) / fps
                                      for t in table.track_ids()))
        # the motion grid's cost in a decode pass of its own, against the same pass without it
        info = probe(video)

        class Timed(MotionSink):
            cpu = 0.0

            def frame(self, index: int, t: float, image: np.ndarray) -> None:
                c = time.process_time()
                super().frame(index, t, image)
                Timed.cpu += time.process_time() - c

        Timed.cpu = 0.0
        c0 = time.process_time()
        run_decode(info, [Timed(fps)])
        decode_cpu += time.process_time() - c0 - Timed.cpu
        motion_cpu += Timed.cpu
        video_s += v.frame_count / fps
        pred = [Span(s.start_frame, s.end_frame, str(s.label),
                     _track_box(table, int(s.attrs["person"]), (s.start_frame + s.end_frame) // 2)
                     if table is not None else None, float(s.confidence or 0)) for s in segs]
        results.append(ClipResult(name, v.frame_count, fps, pred, truth, labels[name].ignore))
        if verbose:
            print(f"{name}: {len(pred)} detected, {len(truth)} labelled")
            for p in pred:
                print(f"   det   {p.cls:<11} {p.start:5d}-{p.end:<5d} conf {p.conf:.2f}")
            for t in truth:
                print(f"   label {t.cls:<11} {t.start:5d}-{t.end:<5d}")
    out: dict[str, Any] = {"split": split, "shrink": shrink, "clips": [r.name for r in results],
                           "exact": evaluate(results, 0.3), "family": evaluate(results, 0.3, family=True)}
    out["cost"] = {"tracked_person_seconds": round(person_s, 1),
                   "rules_cpu_s": round(rule_cpu, 3),
                   "rules_rt_per_person": round(rule_cpu / person_s, 5) if person_s else None,
                   "probes": n_probes, "probe_cpu_s": round(probe_cpu, 2),
                   "probes_rt_per_person": round(probe_cpu / person_s, 5) if person_s else None,
                   "round3_probes": old_n if compare else None,
                   "round3_probe_cpu_s": round(old_cpu, 2) if compare else None,
                   "round3_probes_rt_per_person": round(old_cpu / person_s, 5) if compare and person_s else None,
                   "motion_grid_cpu_s": round(motion_cpu, 2), "video_seconds": round(video_s, 1),
                   "motion_grid_rt": round(motion_cpu / video_s, 4) if video_s else None,
                   "motion_grid_vs_decode": round(motion_cpu / decode_cpu, 3) if decode_cpu else None}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--labelled", action="store_true", help="the starter on hand-labelled real clips")
    ap.add_argument("--split", default="heldout", choices=["heldout", "tuning", "all"])
    ap.add_argument("--media", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "media", "video"))
    ap.add_argument("--work", default=os.path.expanduser("~/.cache/clipdesk-bench/actions"))
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--reuse", action="store_true", help="keep the poses already in --work (no shots/persons)")
    ap.add_argument("--prepare", action="store_true", help="only analyse --split into --work (no scoring)")
    ap.add_argument("--shrink", type=int, default=0, help="the clips K times smaller on a canvas their size "
                    "(small players made from near ones; tuning proxy)")
    ap.add_argument("--compare-probes", action="store_true", help="also time round 3's probes (v4's choice of "
                    "frames, RGB frames, seeks, one crop per model call) in the same session")
    ap.add_argument("--arch", default="tiny")
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--videos", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--json")
    a = ap.parse_args(argv)
    if a.prepare:
        prepare(a.split, a.media, a.work, a.shrink)
        return 0
    if a.labelled:
        res = labelled(a.split, a.media, a.work, a.force, reuse=a.reuse, shrink=a.shrink, compare=a.compare_probes)
        print(json.dumps(res, indent=1))
        if a.json:
            with open(a.json, "w") as f:
                json.dump(res, f, indent=1)
        return 0

    from core.actions.dataset import VideoLabels, build_dataset
    from core.actions.metrics import classification_report, match_segments
    from core.actions.synthetic import synth_video
    from core.persons.poses import PoseTable
    from core.segments import ACCEPTED, ACTION, Segment
    from core.timebase import Rate
    from models.actions.registry import ActionModel
    from models.actions.train import TrainConfig, fit
    from models.actions.predict import predict_table

    out: dict[str, Any] = {"date": time.strftime("%Y-%m-%d"), "load_avg": os.getloadavg()}
    out["inference"] = inference(sorted({"micro", "tiny", "small", a.arch}), a.repeat)
    ref = next(r for r in out["inference"] if r["arch"] == "base" and r["steps"] == 100)
    ours = next(r for r in out["inference"] if r["arch"] == a.arch)
    out["ratio_to_standard_stgcn_cpu"] = round(ours["ms_cpu_single"] / ref["ms_cpu_single"], 3)
    print(json.dumps(out["inference"], indent=1))

    def labels(seed: int) -> VideoLabels:
        arr, truth = synth_video(seed, n_frames=1000, n_persons=2, sample_step=6)  # poses at ~4 fps
        spans = [(s.track_id, Segment(ACTION, s.start_frame, s.end_frame, s.label,
                                      attrs={"person": s.track_id}, status=ACCEPTED)) for s in truth]
        return VideoLabels(f"gen#{seed}", f"gen{seed}", PoseTable(arr), spans, [], 1000, Rate(25))

    cfg = TrainConfig(epochs=a.epochs, arch=a.arch, threads=1)
    ds = build_dataset([labels(s) for s in range(a.videos)], cfg.window, cfg.streams, per_span=cfg.per_span)
    c0 = time.process_time()
    module, hist = fit(ds, cfg)
    train_cpu = time.process_time() - c0
    out["training"] = {"arch": a.arch, "windows": len(ds), "epochs": a.epochs,
                       "wall_s_per_epoch": round(float(np.mean(hist["epoch_seconds"])), 2),
                       "cpu_s_per_epoch": round(train_cpu / a.epochs, 2),
                       "cpu_s_per_1000_windows": round(train_cpu / a.epochs / len(ds) * 1000, 2),
                       "final_train_acc": hist["train_acc"][-1]}
    print(json.dumps(out["training"], indent=1))
    model = ActionModel(module, {"id": "bench", "classes": ds.classes, "streams": list(cfg.streams),
                                 "window": cfg.window.to_json()})
    test = [labels(1000 + s) for s in range(2)]
    tds = build_dataset(test, cfg.window, cfg.streams, ds.classes[1:], per_span=cfg.per_span)
    rep = classification_report(tds.y, model.predict(tds.x).argmax(1), ds.classes)
    pred, truth = [], []
    for v in test:
        for s in predict_table(v.table, model, v.rate):
            pred.append((f"{v.key}/{s.attrs['person']}", s.start_frame, s.end_frame, str(s.label)))
        truth += [(f"{v.key}/{p}", s.start_frame, s.end_frame, str(s.label)) for p, s in v.spans]
    seg5 = match_segments(pred, truth, 0.5)
    seg3 = match_segments(pred, truth, 0.3)
    out["accuracy"] = {"window_accuracy": rep["accuracy"], "window_macro_f1": rep["macro_f1"],
                       "per_class": rep["per_class"],
                       "segments_tiou_0.5": {k: seg5[k] for k in ("precision", "recall", "f1",
                                                                  "mean_boundary_offset_frames")},
                       "segments_tiou_0.3": {k: seg3[k] for k in ("precision", "recall", "f1")}}
    print(json.dumps(out["accuracy"], indent=1))
    out["stage"] = stage_cost(model)
    print(json.dumps(out["stage"], indent=1), "ratio to standard ST-GCN (CPU):", out["ratio_to_standard_stgcn_cpu"])
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
