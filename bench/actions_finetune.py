"""The starter detector and the ST-GCN side by side on hand-labelled real clips: pre-trained
(shipped), fine-tuned from corrections, and trained from scratch on the same corrections.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python -m bench.actions_finetune [--poses-from DIR] [--card]``.

The hand-labelled spans (``tests/data/action_spans.json``, split by clip) play two parts:

* the **tuning** clips' spans stand in for annotators' corrections: they go into copies of those
  clips' projects as ``user:`` labels on the tracked person whose box matches the label's box,
  and ``models.actions.train.train_actions`` fine-tunes the shipped ``pretrained`` model on
  them (``clipdesk train actions P... --init pretrained``) — and, for comparison, trains a model
  from scratch on the same labels;
* the **held-out** clips (less the ones the shipped model was pre-trained on: Chaplin) are only
  measured: recall at tIoU 0.3, false actions per 10 s of footage
  without the action, median boundary offset (``core.actions.spans.evaluate``, the figures of
  ``bench/actions.py --labelled``), exact class and by family (serve/forehand/backhand = stroke).

Every model sees the same poses: the clips are analysed once with the product's defaults
(shots, persons, actions) into ``--work``, or their projects are copied from ``--poses-from`` (a
``bench/actions.py --work`` folder). The starter runs with the stored motion grid, as in the
product. The fine-tuned model is a local experiment (shared footage): it is never shipped.
``--card`` writes the held-out figures of the pre-trained model into its card.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")
REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SPANS = REPO / "tests" / "data" / "action_spans.json"
MEDIA = REPO.parent / "shared" / "media" / "video"


def _box_at(rows: np.ndarray, frame: int) -> np.ndarray:
    i = int(np.argmin(np.abs(rows[:, 0] - frame)))
    return rows[i, 3:7].astype(np.float64)


def _iou(a: np.ndarray, b: tuple[float, float, float, float]) -> float:
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / u if u > 0 else 0.0


def person_of(table: Any, start: int, end: int, box: tuple[float, float, float, float] | None) -> int | None:
    """The track a labelled span is about: the best box overlap around the span's middle."""
    best: tuple[float, int] | None = None
    mid = (start + end) // 2
    for tid in table.track_ids():
        rows = table.track(tid)
        if rows[0, 0] > end + 15 or rows[-1, 0] < start - 15:
            continue
        score = _iou(_box_at(rows, mid), box) if box is not None else float(len(rows))
        if best is None or score > best[0]:
            best = (score, int(tid))
    return best[1] if best is not None and (box is None or best[0] > 0.05) else None


def prepare(names: list[str], work: Path, poses_from: Path | None, media: Path,
            skip_missing: bool = False) -> dict[str, Path]:
    """A project with poses (and the motion grid) per clip, analysed or copied once
    (``skip_missing``: only the clips ``poses_from`` has)."""
    from core.pipeline import analyze, order_stages
    from core.store.project import Project
    from models.stages import available_stages

    work.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    for name in names:
        dst = work / (Path(name).stem + ".clipdesk")
        if not dst.exists() and poses_from is not None and (poses_from / dst.name).exists():
            shutil.copy2(poses_from / dst.name, dst)
        video = media / name
        if not dst.exists() and skip_missing:
            print(f"skip {name}: not in {poses_from}")
            continue
        if not dst.exists():
            if not video.exists():
                print(f"skip {name}: not in {media}")
                continue
            with Project(dst) as p:
                analyze(p, video, order_stages(available_stages({}), ["shots", "persons", "actions"]))
        out[name] = dst
    return out


def labelled_copy(src: Path, dst: Path, spans: list[Any]) -> int:
    """Copy of a clip's project with its hand-labelled spans as a person's corrections."""
    from core.actions.dataset import load_poses
    from core.segments import ACTION, Segment
    from core.store.project import Project

    dst.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        if Path(str(dst) + suffix).exists():
            Path(str(dst) + suffix).unlink()
    shutil.copy2(src, dst)
    n = 0
    with Project(dst) as p:
        v = p.videos()[0]
        table = load_poses(p, v.id)
        if table is None:
            return 0
        for s in spans:
            tid = person_of(table, s.start, s.end, s.box)
            if tid is None:
                continue
            p.insert_segment(v.id, Segment(ACTION, s.start, s.end, s.cls, None, {"person": tid},
                                           "user:bench-corrections"))
            n += 1
    return n


def predictions(proj: Path, model: Any | None, high: float = 0.5) -> tuple[Any, Any]:
    """(ClipResult-ready predicted spans, video record) of the starter (``model`` None) or a model."""
    from core.actions import starter
    from core.actions.dataset import load_poses
    from core.actions.spans import Span
    from core.store.project import Project
    from models.actions.predict import predict_table
    from models.actions.stage import load_motion

    with Project(proj, create=False) as p:
        v = p.videos()[0]
        table = load_poses(p, v.id)
        motion = load_motion(p, v.id)
    if table is None:
        return [], v
    if model is None:
        segs = starter.detect(table, v.rate.fps, motion)
    else:
        segs = predict_table(table, model, v.rate, high=high)
    pred = [Span(s.start_frame, s.end_frame, str(s.label),
                 tuple(float(x) for x in _box_at(table.track(int(s.attrs["person"])),
                                                  (s.start_frame + s.end_frame) // 2)),  # type: ignore[arg-type]
                 float(s.confidence or 0)) for s in segs]
    return pred, v


def score(projects: dict[str, Path], labels: dict[str, Any], model: Any | None, high: float = 0.5) -> dict[str, Any]:
    from core.actions.spans import ClipResult, evaluate

    clips = []
    c0 = time.process_time()
    for name, proj in projects.items():
        pred, v = predictions(proj, model, high)
        clips.append(ClipResult(name, v.frame_count, v.rate.fps, pred, labels[name].spans))
    return {"exact": evaluate(clips, 0.3), "family": evaluate(clips, 0.3, family=True),
            "cpu_s": round(time.process_time() - c0, 2)}


def main(argv: list[str] | None = None) -> int:
    from core.actions.spans import load_spans
    from core.store.project import Project
    from models.actions.registry import PRETRAINED, load_model, pretrained_dir
    from models.actions.train import TrainConfig, train_actions

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--media", default=str(MEDIA))
    ap.add_argument("--work", default=os.path.expanduser("~/.cache/clipdesk-bench/actions-finetune"))
    ap.add_argument("--poses-from", help="copy the clips' projects (poses, motion grid) from this folder")
    ap.add_argument("--skip-missing", action="store_true", help="only the clips --poses-from has (no analysis)")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--card", action="store_true", help="write the pre-trained model's held-out figures into its card")
    ap.add_argument("--json")
    ap.add_argument("--high", type=float, default=0.5, help="the model's detection threshold (action_threshold)")
    ap.add_argument("--per-span", type=int, default=8)
    ap.add_argument("--background-ratio", type=float, default=1.0)
    ap.add_argument("--loo", action="store_true",
                    help="recipe tuning only: fine-tune on all tuning clips but one, score that one; the "
                         "held-out clips are not read")
    a = ap.parse_args(argv)

    from bench.train_action_pretrain import REAL

    labels = load_spans(SPANS)
    # corrections need labels; a clip the shipped model was pre-trained on is no held-out clip for it
    tuning = [n for n, c in labels.items() if c.split == "tuning" and c.spans]
    heldout = [n for n, c in labels.items() if c.split == "heldout" and n not in REAL]
    work = Path(a.work)
    if a.loo:
        return leave_one_out(a, labels, tuning, work)
    projects = prepare(tuning + heldout, work / "clips", Path(a.poses_from) if a.poses_from else None,
                       Path(a.media), a.skip_missing)
    corr: list[Path] = []
    n_corr = 0
    for name in tuning:
        if name in projects:
            dst = work / "corrections" / projects[name].name
            n_corr += labelled_copy(projects[name], dst, labels[name].spans)
            corr.append(dst)
    held = {n: projects[n] for n in heldout if n in projects}
    tune = {n: projects[n] for n in tuning if n in projects}
    print(f"corrections: {n_corr} spans on {len(corr)} tuning clips; held-out clips: {len(held)}")
    results: dict[str, Any] = {"tuning_clips": list(tune), "heldout_clips": list(held), "corrections": n_corr}
    pre = load_model(PRETRAINED)
    trained: dict[str, Any] = {}
    for kind, init in (("fine-tuned", PRETRAINED), ("scratch", None)):
        cfg = TrainConfig(epochs=a.epochs, lr=a.lr if init else 3e-3, seed=a.seed, init=init, val_fraction=0.0,
                          per_span=a.per_span, background_ratio=a.background_ratio)
        t0 = time.process_time()
        projs = [Project(p, create=False) for p in corr]
        try:
            res = train_actions(projs, work / "models" / kind, cfg)
        finally:
            for p in projs:
                p.close()
        trained[kind] = load_model(res.path)
        results[f"{kind}_train_cpu_s"] = round(time.process_time() - t0, 1)
    for kind, model in (("starter", None), ("pretrained", pre), ("fine-tuned", trained["fine-tuned"]),
                        ("scratch", trained["scratch"])):
        hi = a.high if model is not None else 0.5
        results[kind] = {"heldout": score(held, labels, model, hi), "tuning": score(tune, labels, model, hi)}
        h = results[kind]["heldout"]["exact"]
        print(f"{kind:<11} held-out: recall {h['recall']} ({h['hits']}/{h['truth']}), false/10 s "
              f"{h['false_per_10s']} (max per class {h['false_per_10s_without_class_max']}), median offset "
              f"{h['median_boundary_offset_s']} s, per class {h['per_class_recall']}")
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=1))
    if a.card:
        card_path = pretrained_dir() / "card.json"
        card = json.loads(card_path.read_text())
        card["evaluation_real_heldout"] = {
            "what": "bench/actions_finetune.py on the held-out hand-labelled clips of tests/data/action_spans.json "
                    "(never trained on), exact class, tIoU 0.3; the starter detector measured on the same poses",
            "date": time.strftime("%Y-%m-%d"), "clips": list(held),
            "pretrained": results["pretrained"]["heldout"]["exact"],
            "starter": results["starter"]["heldout"]["exact"],
            "fine_tuned_on_tuning_clips": results["fine-tuned"]["heldout"]["exact"],
        }
        card_path.write_text(json.dumps(card, indent=2))
        print(f"card: {card_path}")
    return 0


def leave_one_out(a: Any, labels: dict[str, Any], tuning: list[str], work: Path) -> int:
    """Recipe tuning on the tuning clips alone: for each, fine-tune on the others' spans and score
    it (starter side by side); pooled figures at the end."""
    from core.actions.spans import ClipResult, evaluate
    from core.store.project import Project
    from models.actions.registry import PRETRAINED, load_model
    from models.actions.train import TrainConfig, train_actions

    projects = prepare(tuning, work / "clips", Path(a.poses_from) if a.poses_from else None, Path(a.media),
                       a.skip_missing)
    names = [n for n in tuning if n in projects]
    pooled: dict[str, list[Any]] = {"starter": [], "fine-tuned": [], "pretrained": []}
    pre = load_model(PRETRAINED)
    for out in names:
        corr = []
        for name in names:
            if name != out:
                dst = work / "loo" / Path(out).stem / projects[name].name
                labelled_copy(projects[name], dst, labels[name].spans)
                corr.append(dst)
        cfg = TrainConfig(epochs=a.epochs, lr=a.lr, seed=a.seed, init=PRETRAINED, val_fraction=0.0,
                          per_span=a.per_span, background_ratio=a.background_ratio)
        projs = [Project(p, create=False) for p in corr]
        try:
            res = train_actions(projs, work / "loo" / Path(out).stem / "model", cfg)
        finally:
            for p in projs:
                p.close()
        model = load_model(res.path)
        for kind, m in (("starter", None), ("pretrained", pre), ("fine-tuned", model)):
            pred, v = predictions(projects[out], m, a.high if m is not None else 0.5)
            pooled[kind].append(ClipResult(out, v.frame_count, v.rate.fps, pred, labels[out].spans))
            e = evaluate([pooled[kind][-1]], 0.3)
            print(f"  {Path(out).stem[:28]:<28} {kind:<11} hits {e['hits']}/{e['truth']} false/10 s "
                  f"{e['false_per_10s']}")
    for kind, clips in pooled.items():
        e = evaluate(clips, 0.3)
        print(f"LOO pooled {kind:<11} recall {e['recall']} ({e['hits']}/{e['truth']}) false/10 s "
              f"{e['false_per_10s']} (max per class {e['false_per_10s_without_class_max']}) offset "
              f"{e['median_boundary_offset_s']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
