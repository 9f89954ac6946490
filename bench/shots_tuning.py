"""Quick loop for tuning the shots decision on TUNING material only (never held-out seeds).

Run: ``.venv/bin/python -m bench.shots_tuning --seeds 0-19`` (add ``--weights FILE`` to try other
student weights, ``--shared`` for the annotated shared files' cuts and traps).

Renders each tuning seed's edit (``core.testing.edits``, 640x360, ``--seconds`` long) once and
caches the fast pass's per-frame signals from the real decode path (``core.pipeline.analyze`` with
the shots stage) in ``--cache``; every later run only re-scores and re-decides (seconds), so
decision rules and student weights can be compared on many seeds. Prints per seed F1 at +-2
frames, gradual recall, the truth tags of every miss and where false detections fall (the same
scoring as ``bench/shots.py``), then mean / worst. ``--shared`` adds the annotated shared files
(``groundtruth/annotations.json``): their own cuts and the false-cut traps (flash, corrupted
macroblocks, counter); those files include held-out sources, so they are a constraint (0 false
cuts), not a figure to report as held-out.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from core.shots.features import ShotSignals  # noqa: E402
from core.shots.metrics import Score, match  # noqa: E402
from core.testing.edits import MEDIA, TUNING_SEEDS, RealEdit, Shot, Transition, make_real_edit  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "clipdesk-shots-tuning"
Decider = Callable[[ShotSignals], list[tuple[int, int]]]


def _signals_of_file(path: Path) -> ShotSignals:
    """The shots stage's cached signals after a real ``analyze`` of ``path`` (fast pass only)."""
    from core.pipeline import analyze
    from core.shots.stage import load_signals
    from core.store.project import Project
    from models.shots.stage import make_shot_stage

    with tempfile.TemporaryDirectory() as td:
        proj = Project(Path(td) / "t.clipdesk")
        try:
            rep = analyze(proj, path, [make_shot_stage({"shots.refiner": "none"})])
            sig = load_signals(proj, rep.video.id)
        finally:
            proj.close()
    assert sig is not None
    return sig


def _edit_from_json(d: dict[str, Any]) -> RealEdit:
    shots = [Shot(**{**s, "motion": tuple(s["motion"]) if s["motion"] else None,
                     "flashes": tuple(s["flashes"])}) for s in d["shots"]]
    tr = [Transition(t["kind"], t["start"], t["end"], tuple(t["tags"]), t.get("hold", 0)) for t in d["transitions"]]
    joins = [Transition(t["kind"], t["start"], t["end"], tuple(t["tags"]), t.get("hold", 0)) for t in d["joins"]]
    return RealEdit(d["seed"], d["split"], tuple(d["size"]), d["frame_count"], shots, joins, tr,  # type: ignore[arg-type]
                    list(d["flashes"]), [tuple(x) for x in d["traps"]])  # type: ignore[misc]


def load_seed(seed: int, seconds: float, cache: Path = CACHE) -> tuple[ShotSignals, RealEdit]:
    """Signals and truth of tuning edit ``seed`` (rendered and analysed once, then cached)."""
    if seed not in TUNING_SEEDS:
        raise SystemExit(f"seed {seed}: this loop is for tuning seeds (0-99) only")
    cache.mkdir(parents=True, exist_ok=True)
    npz, js = cache / f"tuning-{seed}-{int(seconds)}s.npz", cache / f"tuning-{seed}-{int(seconds)}s.json"
    if not (npz.exists() and js.exists()):
        with tempfile.TemporaryDirectory() as td:
            video = Path(td) / f"edit-{seed}.mp4"
            edit = make_real_edit(video, seed, seconds, (640, 360))
            sig = _signals_of_file(video)
        np.savez_compressed(npz, scalars=sig.scalars, hist=sig.hist)
        js.write_text(edit.dumps())
    with np.load(npz, allow_pickle=False) as z:
        sig = ShotSignals(z["scalars"].astype(np.float32), z["hist"].astype(np.float16),
                          np.full(z["scalars"].shape[0], np.nan, np.float32))
    return sig, _edit_from_json(json.loads(js.read_text()))


def load_shared(cache: Path = CACHE) -> dict[str, tuple[ShotSignals, list[int], list[tuple[int, int]]]]:
    """Annotated shared files: signals, own cuts and trap ranges (cached)."""
    ann = json.loads((MEDIA / "groundtruth" / "annotations.json").read_text())["shot_cuts"]
    out = {}
    for key, v in ann.items():
        name = Path(key).name
        npz = cache / f"shared-{name}.npz"
        if not npz.exists():
            cache.mkdir(parents=True, exist_ok=True)
            sig = _signals_of_file(MEDIA / "video" / name)
            np.savez_compressed(npz, scalars=sig.scalars, hist=sig.hist)
        with np.load(npz, allow_pickle=False) as z:
            sig = ShotSignals(z["scalars"].astype(np.float32), z["hist"].astype(np.float16),
                              np.full(z["scalars"].shape[0], np.nan, np.float32))
        cuts = [int(c) for c in v.get("cuts", v.get("cuts_decoded_index", []))]
        traps: list[tuple[int, int]] = []
        trap = str(v.get("false_positive_trap", ""))
        if "267" in trap:
            traps.append((262, 272))
        if "206-268" in trap:
            traps.append((200, 275))
        out[name] = (sig, cuts, traps)
    return out


def student_decider(weights: Path | None = None, accept_strong: bool = True, **kw: Any) -> Decider:
    from core.shots.detect import DetectParams
    from models.shots.stage import student_scorer

    scorer = student_scorer(weights)
    if scorer is None:
        raise SystemExit(f"cannot read student weights {weights}")
    params = DetectParams(**kw)

    def run(sig: ShotSignals) -> list[tuple[int, int]]:
        s = ShotSignals(sig.scalars, sig.hist, scorer(sig))
        from core.shots.student import boundaries_from_scores

        bounds = boundaries_from_scores(s, s.probs, params.threshold, min_gap=params.min_shot,
                                        accept_strong=accept_strong)
        return [(b.start, b.end) for b in bounds]

    return run


def evaluate(decider: Decider, seeds: list[int], seconds: float, shared: bool = False,
             verbose: bool = True) -> dict[str, Any]:
    from bench.shots import score_edit

    rows = []
    for seed in seeds:
        sig, edit = load_seed(seed, seconds)
        r = score_edit(decider(sig), edit)
        rows.append((seed, r))
        if verbose:
            print(f"{seed:4d} F1 {r.score.f1:.3f} gradR {r.gradual_recall:.2f} cutR {r.cut_recall:.2f} "
                  f"tp/fp/fn {r.score.tp}/{r.score.fp}/{r.score.fn}"
                  + (f"  missed {' '.join(r.missed)}" if r.missed else "")
                  + (f"  false {' '.join(r.false_at)}" if r.false_at else ""), flush=True)
    f1s = [r.score.f1 for _, r in rows]
    pooled = sum((r.score for _, r in rows), Score(0, 0, 0))
    out: dict[str, Any] = {"mean_f1": float(np.mean(f1s)), "worst_f1": float(min(f1s)),
                           "gradual_recall": float(np.mean([r.gradual_recall for _, r in rows])),
                           "pooled": (pooled.tp, pooled.fp, pooled.fn)}
    if shared:
        tot_fp = tot_fn = trap_fp = 0
        for name, (sig, cuts, traps) in load_shared().items():
            pred = decider(sig)
            sc, pairs = match(pred, [(c, c) for c in cuts])
            hit = {p for p, _ in pairs}
            false = [p for p in pred if p not in hit]
            in_trap = [p for p in false if any(a - 2 <= p[1] and p[0] <= b + 2 for a, b in traps)]
            tot_fp += sc.fp
            tot_fn += sc.fn
            trap_fp += len(in_trap)
            if verbose and (sc.fp or sc.fn):
                print(f"  shared {name}: tp/fp/fn {sc.tp}/{sc.fp}/{sc.fn} false {false} (in traps {in_trap}) "
                      f"missed {sorted(set(cuts) - {t[0] for _, t in pairs})}")
        out.update(shared_fp=tot_fp, shared_fn=tot_fn, trap_fp=trap_fp)
    print(f"== seeds {seeds[0]}-{seeds[-1]}: mean F1 {out['mean_f1']:.3f} worst {out['worst_f1']:.3f} "
          f"gradual recall {out['gradual_recall']:.3f} tp/fp/fn {out['pooled']}"
          + (f"; shared files fp {out['shared_fp']} (traps {out['trap_fp']}) fn {out['shared_fn']}"
             if shared else ""), flush=True)
    return out


def reels_eval(decider: Decider, count: int, verbose: bool = True) -> Score:
    """Cuts within one scene (``bench.train_shot_student.cut_reel``: other moments and framings of
    one source, moving, darkened or flattened) drawn from the TUNING sources the student is NOT
    trained on (goldeneye, tennis, football, basketball, test.avi): pooled tp/fp/fn at +-2 frames."""
    import bench.train_shot_student as T
    from core.testing.edits import TUNING

    T.SOURCES = tuple(s for s in TUNING if s not in T.SOURCES)  # type: ignore[assignment]
    cache = CACHE / "reels"
    cache.mkdir(parents=True, exist_ok=True)
    total = Score(0, 0, 0)
    for k in range(count):
        f = cache / f"reel-{k}.npz"
        if not f.exists():
            frames, y = T.cut_reel(np.random.default_rng([90, k]))
            sig = T.signals_of(frames)
            np.savez_compressed(f, scalars=sig.scalars, hist=sig.hist, y=y)
        with np.load(f, allow_pickle=False) as z:
            sig = ShotSignals(z["scalars"], z["hist"], np.full(z["scalars"].shape[0], np.nan, np.float32))
            y = z["y"]
        starts = [int(i) for i in np.flatnonzero(y[1:] > y[:-1]) + 2]  # the cut's first frame
        sc, _ = match(decider(sig), [(c, c) for c in starts])
        total = total + sc
    if verbose:
        print(f"== {count} same-scene cut reels (tuning sources not trained on): tp/fp/fn "
              f"{total.tp}/{total.fp}/{total.fn}, recall {total.recall:.3f}, precision {total.precision:.3f}")
    return total


def _range(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        out.extend(range(int(a), int(b or a) + 1))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0-19", help="tuning seeds (a-b,c-d)")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--weights", type=Path, help="student weights (default: the shipped ones)")
    ap.add_argument("--shared", action="store_true", help="also the annotated shared files (cuts, traps)")
    ap.add_argument("--reels", type=int, default=0, help="also N same-scene cut reels (tuning sources)")
    ap.add_argument("--no-strong", action="store_true", help="do not accept the fast pass's sure cuts")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    t = time.perf_counter()
    decider = student_decider(args.weights, accept_strong=not args.no_strong)
    if args.seeds:
        evaluate(decider, _range(args.seeds), args.seconds, args.shared, not args.quiet)
    if args.reels:
        reels_eval(decider, args.reels)
    print(f"({time.perf_counter() - t:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
