"""``clipdesk train actions P... [--out MODEL] [--epochs N] [--arch A] [--streams S] [--init MODEL] [--quiet]``.

Trains an ST-GCN action model from the reviewed ``action`` labels of one or more projects
(see :mod:`models.actions.train`) — from scratch, or fine-tuned from a model with ``--init``
(``pretrained``: the model that ships with ClipDesk; the projects' labels are the corrections) —
prints the model card's headline figures and points each
project's analysis settings at the new model, so the next ``clipdesk analyze --stages actions``
uses it. ``--list`` shows the trained models instead. Numbers are checked by
:mod:`app.cli.argtypes`; ``--out`` is a folder that is no input and whose files would overwrite no
input (the projects, their companions and videos, the models in use: :mod:`core.export.paths`).
Runs on the CLI main thread.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from app.cli import argtypes
from app.cli.progress import TerminalProgress
from core.errors import ClipDeskError
from core.progress import Task
from core.store.project import Project


def _rate(text: str) -> float:
    """A learning rate: a finite number in (0, 1]."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, not {text!r}") from None
    if not 0 < v <= 1:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 1, not {text}")
    return v


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a model from the project's corrected labels")
    p.add_argument("what", choices=["actions"], help="which model to train")
    p.add_argument("projects", nargs="*", metavar="P", help="project files (.clipdesk) with reviewed labels")
    p.add_argument("--out", help="model directory (default: the user models dir, named by model id)")
    p.add_argument("--epochs", type=argtypes.integer(1, 10000), default=30, help="1..10000 (default 30)")
    p.add_argument("--arch", default="tiny", help="network size: micro, tiny, small, base")
    p.add_argument("--streams", default="joint,bone,motion", help="input streams: joint,bone,motion")
    p.add_argument("--window", type=argtypes.seconds(0.0, 120.0, allow_low=False), default=3.0,
                   help="window length in seconds")
    p.add_argument("--init", metavar="MODEL",
                   help="fine-tune from this model (directory, id, or 'pretrained': the shipped model); "
                        "its network, streams and window are kept")
    p.add_argument("--lr", type=_rate, default=None,
                   help="learning rate (default 3e-3; 1e-3 with --init)")
    p.add_argument("--seed", type=argtypes.integer(0, 2**32 - 1), default=0)
    p.add_argument("--threads", type=argtypes.integer(1, 256), default=1, help="torch threads for training")
    p.add_argument("--no-activate", action="store_true",
                   help="do not make the new model the projects' action model")
    p.add_argument("--list", action="store_true", help="list trained models and exit")
    p.add_argument("--evaluate", metavar="MODEL",
                   help="evaluate this model (directory or id) on the projects' reviewed labels instead of "
                        "training; --out then receives evaluation.json and a confusion-matrix PNG")
    p.add_argument("--json", action="store_true", help="print the model card as JSON")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


# Files a model folder receives (models.actions.registry.save_model, train, evaluate_model).
_MODEL_FILES = ("weights.pt", "card.json", "confusion.png")
_EVAL_FILES = ("evaluation.json", "evaluation_confusion.png")


def _check_out(out: str | None, projects: list[Project], files: tuple[str, ...],
               extra: tuple[str, ...] = ()) -> None:
    """Refuse an ``--out`` folder that is an input or whose files would overwrite one."""
    from core.export.paths import check_folder, check_output, project_inputs

    if out is None:
        return
    inputs: list[str | Path] = [q for p in projects for q in project_inputs(p)]
    for x in map(Path, extra):  # a model: its files (evaluating into its folder is fine)
        inputs += [x / f for f in _MODEL_FILES] if x.is_dir() else [x]
    folder = check_folder(out, inputs)
    for name in files:
        check_output(folder / name, inputs, parents=True)


def _check_options(args: argparse.Namespace) -> None:
    from core.actions.skeleton import check_streams
    from models.actions.stgcn import ARCHS

    if args.arch not in ARCHS:
        raise ClipDeskError(f"--arch must be one of {', '.join(ARCHS)}, not {args.arch!r}")
    check_streams(tuple(s.strip() for s in args.streams.split(",") if s.strip()))


def run(args: argparse.Namespace) -> int:
    from core.actions.windows import WindowParams
    from models.actions.registry import MODEL_SETTING, list_models
    from models.actions.train import TrainConfig, train_actions

    if args.list:
        for c in list_models():
            acc = ((c.get("validation") or {}).get("window_level") or {}).get("accuracy")
            print(f"{c['id']}  {c['created']}  classes={','.join(c['classes'][1:])}  "
                  f"val_acc={acc}  {c['path']}")
        return 0
    if not args.projects:
        raise ClipDeskError("train actions: give at least one project file")
    for p in args.projects:
        if not Path(p).is_file():
            raise ClipDeskError(f"{p}: no such project")
    if args.evaluate:
        return _evaluate(args)
    _check_options(args)
    streams = tuple(s.strip() for s in args.streams.split(",") if s.strip())
    if args.init:
        from models.actions.registry import load_model

        load_model(args.init)  # one line now if it is not a loadable model
    lr = args.lr if args.lr is not None else (1e-3 if args.init else 3e-3)
    cfg = TrainConfig(epochs=args.epochs, arch=args.arch, streams=streams, seed=args.seed,
                      threads=max(1, args.threads), lr=lr, init=args.init,
                      window=WindowParams(seconds=args.window))
    bar = TerminalProgress(enabled=False if args.quiet else None)
    task = Task(bar)
    projects = [Project(p, create=False) for p in args.projects]
    try:
        _check_out(args.out, projects, _MODEL_FILES)
        res = train_actions(projects, args.out, cfg, task)
        if not args.no_activate:
            for proj in projects:
                analysis = dict(proj.get_setting("analysis", {}) or {})
                analysis[MODEL_SETTING] = str(Path(res.path).resolve())
                proj.set_setting("analysis", analysis)
    finally:
        bar.done()
        for proj in projects:
            proj.close()
    card = res.card
    if args.json:
        print(json.dumps(card, indent=2))
        return 0
    print(f"model {res.model_id} -> {res.path}")
    if card.get("fine_tuned_from"):
        print(f"fine-tuned from {card['fine_tuned_from']['id']}")
    d = card["data"]
    print(f"data: {d['labelled_spans']} labelled span(s) in {len(d['videos'])} video(s); "
          f"{d['train_windows']} train / {d['validation_windows']} validation windows; split {d['split']}")
    val = (card.get("validation") or {}).get("window_level")
    if val:
        print(f"validation accuracy {val['accuracy']:.3f}, macro F1 {val['macro_f1']:.3f}")
        for cls, m in val["per_class"].items():
            print(f"  {cls:<16} P {m['precision']:.2f}  R {m['recall']:.2f}  n={m['support']}")
    else:
        print("validation: no held-out windows (label more videos)")
    seg = (card.get("validation") or {}).get("segments")
    if seg:
        off = seg.get("mean_boundary_offset_frames")
        print(f"segments (tIoU {seg['iou']}): P {seg['precision']:.2f} R {seg['recall']:.2f} F1 {seg['f1']:.2f}"
              + (f", mean boundary offset {off:.1f} frames" if off is not None else ""))
    for w in card.get("warnings") or []:
        print(f"warning: {w}")
    print(f"training: {card['training']['seconds_per_epoch']} s/epoch, {card['training']['total_seconds']} s total")
    if not args.no_activate:
        print("the project(s) now use this model for the actions stage")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from models.actions.registry import load_model
    from models.actions.train import evaluate_model

    model = load_model(args.evaluate)
    projects = [Project(p, create=False) for p in args.projects]
    try:
        _check_out(args.out, projects, _EVAL_FILES, extra=(str(model.path or args.evaluate),))
        rep = evaluate_model(projects, model, args.out)
    finally:
        for proj in projects:
            proj.close()
    if args.json:
        print(json.dumps(rep, indent=2))
        return 0
    w, s = rep["window_level"], rep["segments"]
    print(f"model {model.id} on {len(rep['videos'])} video(s): window accuracy {w['accuracy']:.3f}, "
          f"macro F1 {w['macro_f1']:.3f}")
    for cls, m in w["per_class"].items():
        print(f"  {cls:<16} P {m['precision']:.2f}  R {m['recall']:.2f}  n={m['support']}")
    print(f"segments (tIoU {s['iou']}): P {s['precision']:.2f} R {s['recall']:.2f} F1 {s['f1']:.2f}")
    if args.out:
        print(f"report: {Path(args.out) / 'evaluation.json'}")
    return 0
