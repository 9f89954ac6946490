"""Action recognition benchmark: ST-GCN inference cost per ~3 s window per person (1 thread),
the cost of the whole actions stage per person-minute, training time per epoch, and accuracy on
generated skeleton sequences with known classes (window level and localised segments).

Speed is reported as CPU time and wall time (the VM is shared), and as a ratio to a standard
ST-GCN configuration (9 blocks, 64-128-256 channels, 100 instants) measured in the same run.

    .venv/bin/python -m bench.actions [--epochs 8] [--arch tiny] [--json OUT.json]
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default="tiny")
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--videos", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--json")
    a = ap.parse_args(argv)

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
