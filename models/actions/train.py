"""Training and evaluation of action models (ST-GCN weights + model cards).

Trained models are saved through :mod:`models.actions.registry` (the model directory, its card and
safe loading); segment-level evaluation uses :mod:`models.actions.predict`.

Training runs on the caller's thread (CLI main thread or an app worker) and honours the Task's
cancel between batches. Inference uses one torch thread.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from core.actions.dataset import ActionDataset, build_dataset, collect, split_by_video
from core.actions.metrics import classification_report, plot_confusion
from core.actions.skeleton import FLIP_PERM, check_streams, n_channels
from core.actions.windows import WindowParams
from core.errors import ClipDeskError
from core.progress import Task, ensure_task
from core.store.project import Project
from models.actions.predict import predict_table
from models.actions.registry import CARD_KIND, ActionModel, models_dir, save_model

@dataclass
class TrainConfig:
    epochs: int = 30
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 5e-4
    arch: str = "tiny"  # ~90k parameters: fits the few hundred to few thousand windows people label
    streams: tuple[str, ...] = ("joint", "bone", "motion")
    window: WindowParams = field(default_factory=WindowParams)
    per_span: int = 8
    background_ratio: float = 1.0
    val_fraction: float = 0.25
    augment: bool = True
    seed: int = 0
    threads: int = 1  # 2 OpenMP threads crawl when the 2 cores are shared
    init: str | None = None  # fine-tune from this model (id, directory or "pretrained"): its arch, streams, window


def _new_id(classes: Sequence[str]) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    h = hashlib.sha1(f"{stamp}{time.perf_counter_ns()}{classes}".encode()).hexdigest()[:6]
    return f"stgcn-{stamp}-{h}"


def _augment(xb: Any, rng: np.random.Generator, n_streams: int) -> Any:
    """Random horizontal flip, rotation (±15°) and scale (±15 %) of every stream's (x, y)."""
    import torch

    n = xb.shape[0]
    flip = torch.from_numpy(rng.random(n) < 0.5)
    if flip.any():
        xf = xb[flip][:, :, :, list(FLIP_PERM)].clone()
        for s in range(n_streams):
            xf[:, 3 * s] = -xf[:, 3 * s]
        xb = xb.clone()
        xb[flip] = xf
    ang = torch.from_numpy(rng.uniform(-0.26, 0.26, n).astype(np.float32))
    sc = torch.from_numpy(rng.uniform(0.85, 1.15, n).astype(np.float32))
    cos, sin = (torch.cos(ang) * sc)[:, None, None], (torch.sin(ang) * sc)[:, None, None]
    out = xb.clone()
    for s in range(n_streams):
        x, y = xb[:, 3 * s], xb[:, 3 * s + 1]
        out[:, 3 * s] = cos * x - sin * y
        out[:, 3 * s + 1] = sin * x + cos * y
    return out


def _transfer(init: ActionModel, model: Any, classes: Sequence[str]) -> None:
    """Start ``model`` from ``init``'s weights: every layer, and the classifier rows of the
    classes both know (a new class starts from scratch)."""
    import torch

    src = init.module.state_dict()
    dst = model.state_dict()
    for name, v in src.items():
        if not name.startswith("fc.") and name in dst and dst[name].shape == v.shape:
            dst[name] = v.clone()
    with torch.no_grad():
        for i, c in enumerate(classes):
            if c in init.classes:
                j = init.classes.index(c)
                dst["fc.weight"][i] = src["fc.weight"][j]
                dst["fc.bias"][i] = src["fc.bias"][j]
    model.load_state_dict(dst)


def fit(train: ActionDataset, cfg: TrainConfig, task: Task | None = None,
        init: ActionModel | None = None) -> tuple[Any, dict[str, Any]]:
    """Train an ST-GCN on ``train`` (fresh, or fine-tuned from ``init``); returns the module
    (eval mode) and the history."""
    import torch
    from torch import nn

    from models.actions.stgcn import build

    task = ensure_task(task)
    streams = check_streams(cfg.streams)
    k = len(train.classes)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    config = {"in_channels": n_channels(streams), "num_classes": k, "arch": cfg.arch, "dropout": 0.1}
    if init is not None:
        config = dict(init.card["network"]) | {"num_classes": k}
    model = build(config)
    if init is not None:
        _transfer(init, model, train.classes)
    counts = np.bincount(train.y, minlength=k).astype(np.float64)
    weights = np.where(counts > 0, 1.0 / np.sqrt(np.maximum(counts, 1)), 0.0)
    weights = weights / weights[counts > 0].mean()
    loss_fn = nn.CrossEntropyLoss(weight=torch.tensor(weights, dtype=torch.float32), label_smoothing=0.05)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = max(1, int(np.ceil(len(train) / cfg.batch_size)))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.epochs * steps_per_epoch,
                                                pct_start=0.15)
    x_all = torch.from_numpy(train.x)
    y_all = torch.from_numpy(train.y)
    prev = torch.get_num_threads()
    torch.set_num_threads(max(1, cfg.threads))
    history: dict[str, Any] = {"loss": [], "train_acc": [], "epoch_seconds": []}
    try:
        model.train()
        for ep in range(cfg.epochs):
            t0 = time.perf_counter()
            perm = torch.from_numpy(rng.permutation(len(train)))
            tot, correct, seen = 0.0, 0, 0
            for b in range(steps_per_epoch):
                task.check()
                idx = perm[b * cfg.batch_size:(b + 1) * cfg.batch_size]
                if len(idx) < 2:  # BatchNorm needs two examples
                    continue
                xb, yb = x_all[idx], y_all[idx]
                if cfg.augment:
                    xb = _augment(xb, rng, len(streams))
                opt.zero_grad()
                logits = model(xb)
                loss = loss_fn(logits, yb)
                loss.backward()
                opt.step()
                sched.step()
                tot += float(loss.detach()) * len(idx)
                correct += int((logits.argmax(1) == yb).sum())
                seen += len(idx)
                task.progress("train", (ep + (b + 1) / steps_per_epoch) / cfg.epochs,
                              f"epoch {ep + 1}/{cfg.epochs} loss {tot / max(1, seen):.3f}")
            history["loss"].append(round(tot / max(1, seen), 4))
            history["train_acc"].append(round(correct / max(1, seen), 4))
            history["epoch_seconds"].append(round(time.perf_counter() - t0, 3))
    finally:
        torch.set_num_threads(prev)
    model.eval()
    history["config"] = config
    return model, history


def _segment_eval(model: ActionModel, videos: Sequence[Any], keys: set[str], task: Task) -> dict[str, Any]:
    """Localise actions on the labelled persons of the validation videos and match them to the
    labels at tIoU 0.5 (per-class precision / recall, boundary offset)."""
    from core.actions.metrics import match_segments
    from core.persons.poses import PoseTable

    pred: list[tuple[Any, int, int, str]] = []
    truth: list[tuple[Any, int, int, str]] = []
    for v in videos:
        if v.key not in keys:
            continue
        people = sorted({p for p, _ in v.spans})
        sub = PoseTable(v.table.array[np.isin(v.table.array[:, 1], people)])
        for s in predict_table(sub, model, v.rate, task):
            pred.append((f"{v.key}/{s.attrs['person']}", s.start_frame, s.end_frame, str(s.label)))
        truth += [(f"{v.key}/{p}", s.start_frame, s.end_frame, str(s.label)) for p, s in v.spans]
    return match_segments(pred, truth, 0.5)


def evaluate_model(projects: Sequence[Project], model: ActionModel, out_dir: str | os.PathLike[str] | None = None,
                   task: Task | None = None) -> dict[str, Any]:
    """Evaluate ``model`` on every reviewed video of ``projects``: window-level per-class
    precision / recall and confusion matrix, and localised segments matched at tIoU 0.5. With
    ``out_dir``, writes ``evaluation.json`` and ``evaluation_confusion.png`` there."""
    task = ensure_task(task)
    videos = collect(projects)
    if not videos:
        raise ClipDeskError("no reviewed action labels with poses to evaluate on")
    ds = build_dataset(videos, model.window, model.streams, model.classes[1:], seed=1, task=task)
    known = ds.y < len(model.classes)
    rep = classification_report(ds.y[known], model.predict(ds.x[known]).argmax(1), model.classes)
    seg = _segment_eval(model, videos, {v.key for v in videos}, task)
    report = {"model": model.id, "videos": [v.name for v in videos], "window_level": rep, "segments": seg,
              "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "evaluation.json").write_text(json.dumps(report, indent=2))
        plot_confusion(rep["confusion"], model.classes, out / "evaluation_confusion.png",
                       title=f"Evaluation of {model.id}")
    return report


SMALL_SPANS = 30  # fewer labelled spans than this: the figures say little
SMALL_PER_CLASS = 8
SMALL_VALIDATION = 20  # validation windows


def card_warnings(card: dict[str, Any]) -> list[str]:
    """What a reader of the model card must know before trusting its figures: little data, one
    video, validation not on held-out videos, classes without validation examples."""
    d = card["data"]
    out = []
    if len(d.get("videos") or []) < 2:
        out.append("all labels come from one video: validation is on the last part of that same video, "
                   "so the figures say nothing about other footage")
    elif not str(d.get("split", "")).startswith("by video"):
        out.append(f"validation split {d.get('split')}, not by video")
    if int(d.get("labelled_spans") or 0) < SMALL_SPANS:
        out.append(f"only {d.get('labelled_spans')} labelled spans (fewer than {SMALL_SPANS}): "
                   "the figures are very uncertain")
    spans = d.get("spans_per_class") or {}
    thin = sorted(c for c, n in spans.items() if n < SMALL_PER_CLASS)
    if thin:
        out.append(f"classes with fewer than {SMALL_PER_CLASS} labelled spans: {', '.join(thin)}")
    val = (card.get("validation") or {}).get("window_level")
    if not val:
        out.append("no validation windows: nothing was measured")
    else:
        if int(val.get("examples") or 0) < SMALL_VALIDATION:
            out.append(f"only {val.get('examples')} validation windows")
        missing = sorted(c for c, m in (val.get("per_class") or {}).items()
                         if c != "background" and not m.get("support"))
        if missing:
            out.append(f"no validation examples of: {', '.join(missing)}")
    return out


@dataclass
class TrainResult:
    model_id: str
    path: Path
    card: dict[str, Any]


def _spans_per_class(videos: Sequence[Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in videos:
        for _p, seg in v.spans:
            out[str(seg.label)] = out.get(str(seg.label), 0) + 1
    return dict(sorted(out.items()))


def train_actions(projects: Sequence[Project], out: str | os.PathLike[str] | None = None,
                  cfg: TrainConfig | None = None, task: Task | None = None) -> TrainResult:
    """Build the dataset from the projects' reviewed labels, split by video, train, evaluate on
    the held-out videos (window-level and localised segments), and write weights + card."""
    cfg = cfg or TrainConfig()
    task = ensure_task(task)
    init: ActionModel | None = None
    if cfg.init:  # fine-tuning: the start model decides the network, its inputs and windows
        from dataclasses import replace

        from models.actions.registry import load_model

        init = load_model(cfg.init)
        cfg = replace(cfg, streams=tuple(init.streams), window=init.window,
                      arch=str(init.card["network"].get("arch", cfg.arch)))
    streams = check_streams(cfg.streams)
    t_start = time.perf_counter()
    videos = collect(projects)
    if not videos:
        raise ClipDeskError("no reviewed action labels with poses in the given project(s): label or accept "
                            "some `action` segments on videos analysed with the persons stage")
    classes: list[str] = []
    for proj in projects:
        from core.actions.dataset import project_classes

        classes += [c for c in project_classes(proj) if c not in classes]
    if init is not None:  # keep what the start model knows, add the projects' new classes
        classes = list(init.classes[1:]) + [c for c in classes if c not in init.classes]
    ds = build_dataset(videos, cfg.window, streams, classes or None, cfg.per_span, cfg.background_ratio,
                       cfg.seed, task)
    present = sorted(set(ds.y.tolist()))
    if len([c for c in present if c != 0]) < 1:
        raise ClipDeskError("the labelled spans have no pose windows: are the labelled persons tracked?")
    tr, va, split = split_by_video(ds, cfg.val_fraction, cfg.seed)
    train_ds, val_ds = ds.subset(tr), ds.subset(va)
    if len(train_ds) < 4:
        raise ClipDeskError(f"only {len(train_ds)} training windows: label more actions")
    module, hist = fit(train_ds, cfg, task, init)
    model_id = _new_id(ds.classes)
    card: dict[str, Any] = {
        "kind": CARD_KIND, "id": model_id,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "architecture": f"ST-GCN ({cfg.arch}), COCO-17 graph, spatial partition, streams "
                        f"{'+'.join(streams)} (early fusion)",
        "classes": ds.classes, "streams": list(streams), "window": cfg.window.to_json(),
        "network": hist["config"],
        "data": {
            "projects": [str(p.path) for p in projects],
            "videos": ds.stats["videos"],
            "train_videos": sorted({g.split("#")[0].rsplit("/", 1)[-1] + "#" + g.split("#")[1]
                                    for g in set(train_ds.groups.tolist())}),
            "validation_videos": sorted({g.split("#")[0].rsplit("/", 1)[-1] + "#" + g.split("#")[1]
                                         for g in set(val_ds.groups.tolist())}),
            "split": split, "labelled_spans": ds.stats["spans"], "rejected_spans": ds.stats["rejected_spans"],
            "spans_per_class": _spans_per_class(videos),
            "windows_per_class": ds.stats["windows_per_class"],
            "train_windows": len(train_ds), "validation_windows": len(val_ds),
            "labels_ignored": ds.stats["labels_not_in_class_list"],
        },
        "fine_tuned_from": None if init is None else {"id": init.id, "path": str(init.path)},
        "training": {k: v for k, v in asdict(cfg).items() if k not in ("window", "streams")}
        | {"seconds_per_epoch": round(float(np.mean(hist["epoch_seconds"])), 3) if hist["epoch_seconds"] else None,
           "final_loss": hist["loss"][-1] if hist["loss"] else None,
           "final_train_accuracy": hist["train_acc"][-1] if hist["train_acc"] else None},
        "validation": None,
        "limitations": "Trained only on the labels listed under data; accuracy on other footage, camera "
                       "angles or classes is unknown. Validation figures are on held-out windows of the "
                       "listed validation videos.",
    }
    model = ActionModel(module, card)
    task.progress("evaluate", 0.0, "validation")
    if len(val_ds):
        probs = model.predict(val_ds.x, threads=max(1, cfg.threads))
        rep = classification_report(val_ds.y, probs.argmax(1), ds.classes)
        card["validation"] = {"window_level": rep}
        if split == "by video":
            card["validation"]["segments"] = _segment_eval(model, videos, set(val_ds.groups.tolist()), task)
    card["warnings"] = card_warnings(card)
    out_dir = Path(out) if out else models_dir() / model_id
    save_model(module, card, out_dir)
    if card["validation"]:
        plot_confusion(card["validation"]["window_level"]["confusion"], ds.classes, out_dir / "confusion.png")
        card["validation"]["confusion_png"] = "confusion.png"
    card["training"]["total_seconds"] = round(time.perf_counter() - t_start, 2)
    (out_dir / "card.json").write_text(json.dumps(card, indent=2))
    task.progress("evaluate", 1.0, "done", force=True)
    return TrainResult(model_id, out_dir, card)
