"""Pre-train the ST-GCN that ships with ClipDesk: ``models/actions/pretrained/`` (weights + card).

Run: ``OMP_NUM_THREADS=1 .venv/bin/python -m bench.train_action_pretrain`` (a few minutes on one core).

Data — only what the project may redistribute derivatives of (``../shared/media/MANIFEST.md``):

* pose tracks of the public-domain Chaplin clip (the bundled sample's only people are an excerpt
  of it; its Big Buck Bunny parts have none), analysed with the product's defaults (shots,
  persons, actions); their labels are the
  **starter detector's pseudo-labels** (``core.actions.starter``): what it finds is a positive,
  every other window of every track is background (walking, standing, turning);
* **generated motion** (``core.actions.synthetic.MOTION_CLASSES``: the starter's nine classes
  drawn as its rules describe them, walking people, random size, place, facing, speed, jitter,
  dropped joints, poses sampled at 2-5 per second like the persons stage), labelled by
  construction. Seeds ``--train-seeds`` train, ``--val-seeds`` (other seeds) validate.

Validation is split by video: whole generated videos the training never saw. The card records
per-class window precision/recall, localised segments matched at tIoU 0.3 and 0.5 with the
boundary offset, and the warnings of ``models.actions.train.card_warnings``; figures on real
footage come from ``bench/actions_finetune.py`` (``--card`` writes them into the card). Pose
tracks of other shared footage are never used here. Deterministic for given seeds (one thread).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")
REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from core.actions import starter  # noqa: E402
from core.actions.dataset import VideoLabels, build_dataset  # noqa: E402
from core.actions.skeleton import check_streams  # noqa: E402
from core.actions.spans import ClipResult, Span, evaluate  # noqa: E402
from core.actions.synthetic import MOTION_CLASSES, synth_video  # noqa: E402
from core.actions.windows import WindowParams  # noqa: E402
from core.persons.poses import PoseTable  # noqa: E402
from core.segments import ACCEPTED, ACTION, Segment  # noqa: E402
from core.timebase import Rate  # noqa: E402

SHARED = REPO.parent / "shared" / "media" / "video"
# Redistributable footage with people: the public-domain Chaplin clip. The bundled sample's only
# people are an excerpt of this same shot (its Big Buck Bunny parts have none), so it adds no poses.
REAL = {  # source -> (path, licence)
    "moviepy__chaplin.mp4": (SHARED / "moviepy__chaplin.mp4", "public-domain Chaplin film (moviepy test media)"),
}
SIZES = [(640, 360), (960, 540), (1280, 720)]
STEPS = [5, 6, 8, 10, 12]  # pose every 0.2-0.5 s at 25 fps (the persons stage samples 2-4 per second)


def synthetic_video(seed: int, seconds: float = 40.0) -> VideoLabels:
    rng = np.random.default_rng(10_000 + seed)
    size = SIZES[int(rng.integers(len(SIZES)))]
    step = STEPS[int(rng.integers(len(STEPS)))]
    n = int(seconds * 25)
    arr, truth = synth_video(seed, n_frames=n, n_persons=2, sample_step=step, classes=MOTION_CLASSES,
                             frame_size=size)
    spans = [(t.track_id, Segment(ACTION, t.start_frame, t.end_frame, t.label, 1.0, {"person": t.track_id},
                                  "user:synthetic", ACCEPTED)) for t in truth]
    return VideoLabels(f"synthetic#{seed}", f"synthetic-{seed} ({size[0]}x{size[1]}, pose every {step} frames)",
                       PoseTable(arr), spans, [], n, Rate(25))


def real_video(name: str, work: Path, reuse: bool) -> tuple[VideoLabels | None, dict[str, Any]]:
    """A redistributable video's poses (product defaults) with the starter's pseudo-labels."""
    from core.actions.dataset import load_poses
    from core.pipeline import analyze, order_stages
    from core.store.project import Project
    from models.actions.stage import load_motion
    from models.stages import available_stages

    path, licence = REAL[name]
    if not path.exists():
        print(f"skip {name}: not found at {path}")
        return None, {"name": name, "missing": True}
    work.mkdir(parents=True, exist_ok=True)
    with Project(work / (Path(name).stem + ".clipdesk")) as p:
        stages = order_stages(available_stages({}), ["shots", "persons", "actions"])
        if not (reuse and p.videos()):
            analyze(p, path, stages)
        v = p.videos()[0]
        table = load_poses(p, v.id)
        motion = load_motion(p, v.id)
        info: dict[str, Any] = {"name": name, "licence": licence, "frames": v.frame_count,
                                "fps": round(v.rate.fps, 3)}
        if table is None:
            info["tracks"] = 0
            return None, info
        segs = starter.detect(table, v.rate.fps, motion)
        info |= {"tracks": len(table.track_ids()), "pose_rows": len(table.array),
                 "pseudo_labels": [f"{s.label} person {s.attrs['person']} {s.start_frame}-{s.end_frame}"
                                   for s in segs]}
        spans = [(int(s.attrs["person"]), s.with_(status=ACCEPTED)) for s in segs]
        return VideoLabels(f"real#{name}", name, table, spans, [], v.frame_count, v.rate), info


def segment_eval(model: Any, videos: list[VideoLabels]) -> dict[str, Any]:
    from core.actions.metrics import match_segments
    from models.actions.predict import predict_table

    clips: list[ClipResult] = []
    pred_t: list[tuple[Any, int, int, str]] = []
    truth_t: list[tuple[Any, int, int, str]] = []
    for v in videos:
        segs = predict_table(v.table, model, v.rate)
        for tid in v.table.track_ids():
            pred = [Span(s.start_frame, s.end_frame, str(s.label)) for s in segs if s.attrs["person"] == tid]
            truth = [Span(s.start_frame, s.end_frame, str(s.label)) for p, s in v.spans if p == tid]
            clips.append(ClipResult(f"{v.key}/{tid}", v.frame_count, v.rate.fps, pred, truth))
        pred_t += [(f"{v.key}/{s.attrs['person']}", s.start_frame, s.end_frame, str(s.label)) for s in segs]
        truth_t += [(f"{v.key}/{p}", s.start_frame, s.end_frame, str(s.label)) for p, s in v.spans]
    return {"tiou_0.3": evaluate(clips, 0.3), "tiou_0.5": match_segments(pred_t, truth_t, 0.5)}


def main(argv: list[str] | None = None) -> int:
    from models.actions.registry import CARD_KIND, PRETRAINED, ActionModel, pretrained_dir, save_model
    from models.actions.train import TrainConfig, card_warnings, fit
    from core.actions.metrics import classification_report

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train-seeds", default="0-11")
    ap.add_argument("--val-seeds", default="100-103")
    ap.add_argument("--seconds", type=float, default=40.0, help="length of each generated video")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--arch", default="tiny")
    ap.add_argument("--work", default=os.path.expanduser("~/.cache/clipdesk-bench/action-pretrain"))
    ap.add_argument("--reuse", action="store_true", help="keep the poses already analysed in --work")
    ap.add_argument("--out", default=str(pretrained_dir()))
    a = ap.parse_args(argv)

    def seeds(text: str) -> list[int]:
        lo, _, hi = text.partition("-")
        return list(range(int(lo), int(hi or lo) + 1))

    t0 = time.perf_counter()
    streams = check_streams(("joint", "bone", "motion"))
    window = WindowParams()
    real, real_info = [], []
    for name in REAL:
        v, info = real_video(name, Path(a.work), a.reuse)
        real_info.append(info)
        if v is not None:
            real.append(v)
        print(json.dumps(info))
    train_v = [synthetic_video(s, a.seconds) for s in seeds(a.train_seeds)] + real
    val_v = [synthetic_video(s, a.seconds) for s in seeds(a.val_seeds)]
    classes = list(starter.CLASSES)
    tr = build_dataset(train_v, window, streams, classes, per_span=6, background_ratio=1.0, seed=0,
                       all_tracks=True, background_min=60)
    va = build_dataset(val_v, window, streams, classes, per_span=6, background_ratio=1.0, seed=1, all_tracks=True)
    print(f"windows: train {len(tr)} {tr.stats['windows_per_class']}, validation {len(va)}")
    cfg = TrainConfig(epochs=a.epochs, arch=a.arch, streams=streams, window=window, seed=0, threads=1)
    module, hist = fit(tr, cfg)
    card: dict[str, Any] = {
        "kind": CARD_KIND, "id": PRETRAINED,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "architecture": f"ST-GCN ({a.arch}), COCO-17 graph, spatial partition, streams {'+'.join(streams)} "
                        "(early fusion)",
        "classes": tr.classes, "streams": list(streams), "window": window.to_json(), "network": hist["config"],
        "how_made": "Pre-trained by bench/train_action_pretrain.py on redistributable data only: generated "
                    "motion of the starter detector's classes (labels by construction) and the pose tracks of "
                    "the public-domain Chaplin clip (whose excerpt is the bundled sample's only people) "
                    "labelled by the starter detector "
                    "(pseudo-labels; every other window is background). No other footage went into it.",
        "data": {
            "videos": [v.name for v in train_v],
            "real_sources": real_info,
            "synthetic_train_seeds": a.train_seeds, "synthetic_validation_seeds": a.val_seeds,
            "validation_videos": [v.name for v in val_v],
            "split": "by video (validation: generated videos with seeds never trained on)",
            "labelled_spans": sum(len(v.spans) for v in train_v),
            "spans_per_class": {c: sum(1 for v in train_v for _, s in v.spans if s.label == c) for c in classes},
            "windows_per_class": tr.stats["windows_per_class"],
            "train_windows": len(tr), "validation_windows": len(va),
        },
        "training": {"epochs": a.epochs, "lr": cfg.lr, "batch_size": cfg.batch_size, "augment": cfg.augment,
                     "seed": cfg.seed, "threads": 1,
                     "seconds_per_epoch": round(float(np.mean(hist["epoch_seconds"])), 2),
                     "final_loss": hist["loss"][-1], "final_train_accuracy": hist["train_acc"][-1]},
        "limitations": "Real people in the training data: two persons of one Chaplin shot who walk, run and "
                       "stand; every sports class comes from generated motion only. Validation on generated "
                       "videos says the network learnt the generated motion, not that it recognises real "
                       "actions: see evaluation_real_heldout (hand-labelled shared clips, never trained on). "
                       "The starter detector stays the default action model.",
    }
    model = ActionModel(module, card)
    rep = classification_report(va.y, model.predict(va.x).argmax(1), va.classes)
    card["validation"] = {"window_level": rep, "segments": segment_eval(model, val_v)}
    card["warnings"] = card_warnings(card) + [
        "real footage in training: one public-domain clip of two men walking, running in and standing; sports classes "
        "are learnt from generated motion"]
    card["training"]["total_seconds"] = round(time.perf_counter() - t0, 1)
    out = Path(a.out)
    card["evaluation_real_heldout"] = None  # bench/actions_finetune.py --card fills it for these weights
    save_model(module, card, out, npz=True)
    seg = card["validation"]["segments"]
    pcs = {c: (m["precision"], m["recall"], m["support"]) for c, m in rep["per_class"].items()}
    print(json.dumps({"window_accuracy": rep["accuracy"], "macro_f1": rep["macro_f1"], "per_class": pcs,
                      "segments_0.3": {k: seg["tiou_0.3"][k] for k in ("recall", "false_per_10s",
                                                                      "median_boundary_offset_s",
                                                                      "per_class_recall")},
                      "seconds": card["training"]["total_seconds"]}, indent=1))
    print(f"-> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
