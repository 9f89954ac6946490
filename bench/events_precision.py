"""Events precision: are replays real, on generated edits of shared clips and on a real looped
compilation.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python -m bench.events_precision [--split tuning|heldout]
[--seeds N] [--project P.clipdesk]``.

**Generated edits** (per seed, from the per-frame colour histograms of shared clips, decoded
once at 320 px width, the product's ``frame_histogram``; transitions placed by the generator, so
the transitions are ground truth and only the replay decision is measured):

* ``replay`` — a live clip A played to a point, a graphics wipe (a flat graphic blended in and
  out), a stretch of the A seconds before played again at normal speed (30 %) or a random
  slow motion 0.3-0.8x, a wipe, then A goes on: **a replay** (positive);
* ``loop`` — A, B, A, B, ... joined by dissolves (a video that loops): the second A is between
  two gradual transitions and repeats footage, **not a replay**;
* ``compilation`` — A, B, C, D joined by dissolves (unrelated clips): **not a replay**.

Re-encoding is imitated by multiplicative noise on the repeated frames' histograms (5 %).
Clips are split as in ``tests/data/action_spans.json``: tuning clips (seeds 0..N-1) are the ones
the thresholds (``core.highlights.replays.ReplayCheck``) were set on; ``--split heldout`` uses
the other clips and seeds 1000+ (never looked at while tuning).

``--project``: a real analysed project (e.g. the 10-minute looped compilation of ``bench/live``):
the events and replay candidates before (transitions only) and after (checked) are listed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")
REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

MEDIA = REPO.parent / "shared" / "media" / "video"
SPANS = REPO / "tests" / "data" / "action_spans.json"
CACHE = Path(os.environ.get("CLIPDESK_BENCH_CACHE", "/tmp/clipdesk-events-bench"))
FPS = 25


def clip_hists(name: str, max_s: float = 40.0) -> np.ndarray:
    """Per-frame histograms of a shared clip's first ``max_s`` seconds (cached)."""
    import cv2

    from core.shots.features import frame_histogram

    CACHE.mkdir(parents=True, exist_ok=True)
    out = CACHE / f"{name}.npy"
    if out.exists():
        return np.load(out, allow_pickle=False)
    cap = cv2.VideoCapture(str(MEDIA / name))
    rows: list[np.ndarray] = []
    while len(rows) < max_s * FPS:
        ok, bgr = cap.read()
        if not ok:
            break
        h, w = bgr.shape[:2]
        small = cv2.resize(bgr, (320, max(2, int(320 * h / w))), interpolation=cv2.INTER_AREA)
        rows.append(frame_histogram(cv2.cvtColor(small, cv2.COLOR_BGR2RGB)))
    cap.release()
    arr = np.asarray(rows, np.float32)
    np.save(out, arr)
    return arr


def _noisy(h: np.ndarray, rng: np.random.Generator, amount: float = 0.05) -> np.ndarray:
    x = h * (1 + amount * rng.standard_normal(h.shape).astype(np.float32))
    x = np.clip(x, 0, None)
    k = x.shape[1] - 16
    x[:, :k] /= np.maximum(x[:, :k].sum(1, keepdims=True), 1e-9)
    x[:, k:] /= np.maximum(x[:, k:].sum(1, keepdims=True), 1e-9)
    return x


def _blend(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    w = np.linspace(0, 1, n + 2)[1:-1, None].astype(np.float32)
    return (1 - w) * a[None] + w * b[None]


class Edit:
    def __init__(self) -> None:
        self.parts: list[np.ndarray] = []
        self.n = 0
        self.transitions: list[tuple[int, int, str]] = []
        self.truth: list[tuple[int, int, bool]] = []  # candidate stretches: (start, end, is a replay)

    def add(self, h: np.ndarray) -> int:
        self.parts.append(np.asarray(h, np.float32))
        self.n += len(h)
        return self.n

    def gradual(self, kind: str, a: np.ndarray, b: np.ndarray, n: int = 12) -> None:
        s = self.n
        self.add(_blend(a, b, n))
        self.transitions.append((s, self.n, kind))

    def hist(self) -> np.ndarray:
        return np.concatenate(self.parts)


def graphic(rng: np.random.Generator) -> np.ndarray:
    g = np.zeros(80, np.float32)
    g[rng.integers(0, 64)] = 1.0
    g[64 + rng.integers(0, 16)] = 1.0
    return g


def make_edit(kind: str, clips: list[np.ndarray], rng: np.random.Generator) -> Edit:
    e = Edit()
    if kind == "replay":
        a = clips[0]
        p = int(rng.integers(int(len(a) * 0.5), int(len(a) * 0.8)))
        e.add(a[:p])
        r = int(rng.integers(int(2.0 * FPS), int(4.0 * FPS)))
        q = int(rng.integers(max(0, p - int(20 * FPS)), max(1, p - r)))
        speed = 1.0 if rng.random() < 0.3 else float(rng.uniform(0.3, 0.8))  # off the checked grid too
        idx = np.minimum(q + (np.arange(int(r / speed)) * speed).astype(int), len(a) - 1)
        rep = _noisy(a[idx], rng)
        gfx = graphic(rng)
        e.gradual("wipe", a[p - 1], gfx, 8)
        e.gradual("wipe", gfx, rep[0], 8)
        s = e.n
        e.add(rep)
        e.truth.append((s, e.n, True))
        e.gradual("wipe", rep[-1], gfx, 8)
        e.gradual("wipe", gfx, a[p], 8)
        e.add(a[p:])
        # the graphic between two wipes is a stretch too short to count (< 2 s): no candidate
    elif kind == "loop":
        a, b = clips[0], clips[1]
        order = [a, b, a, b]
        for i, c in enumerate(order):
            c = c if i < 2 else _noisy(c, rng)
            if i:
                e.gradual("dissolve", e.parts[-1][-1], c[0])
            s = e.n
            e.add(c)
            if 0 < i < len(order) - 1:
                e.truth.append((s, e.n, False))
    else:  # compilation
        for i, c in enumerate(clips[:4]):
            if i:
                e.gradual("dissolve", e.parts[-1][-1], c[0])
            s = e.n
            e.add(c)
            if 0 < i < min(4, len(clips)) - 1:
                e.truth.append((s, e.n, False))
    return e


def run_edits(names: list[str], seeds: list[int], max_s: float) -> dict[str, Any]:
    from core.highlights.cues import replay_spans
    from core.highlights.replays import verify_replay
    from core.segments import TRANSITION, Segment
    from core.timebase import FrameClock, Rate

    hists = {n: clip_hists(n, max_s) for n in names}
    hists = {n: h for n, h in hists.items() if len(h) >= 4 * FPS}
    pool = sorted(hists)
    res: dict[str, dict[str, int]] = {k: {"candidates": 0, "called_replay": 0} for k in ("replay", "loop",
                                                                                        "compilation")}
    rows = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        for kind in ("replay", "loop", "compilation"):
            if kind == "replay":
                pick = [pool[int(rng.integers(len(pool)))]]
                if len(hists[pick[0]]) < 8 * FPS:
                    pick = [max(pool, key=lambda n: len(hists[n]))]
            else:
                pick = list(rng.choice(pool, size=min(4, len(pool)), replace=False))
            e = make_edit(kind, [hists[n] for n in pick], rng)
            h = e.hist()
            clk = FrameClock(Rate(FPS), len(h))
            trans = [Segment(TRANSITION, s, t, k, 1.0, {}, "bench") for s, t, k in e.transitions]
            cands = replay_spans(trans, clk)
            opening = {t.end_frame: t.start_frame for t in trans}
            closing = {t.start_frame: t.end_frame for t in trans}
            for s, t, truth in e.truth:
                if (s, t) not in cands:
                    continue  # not a candidate (length outside 2-40 s)
                v = verify_replay(h, s, t, FPS, opening=opening.get(s, s), closing=closing.get(t, t))
                res[kind]["candidates"] += 1
                res[kind]["called_replay"] += int(v.replay)
                rows.append({"seed": seed, "kind": kind, "clips": pick, "truth": truth, "replay": v.replay,
                             "why": v.why, "distance": v.distance, "speed": v.speed})
    return {"summary": res, "rows": rows}


def run_project(path: str) -> dict[str, Any]:
    from core.actions.events import (EventRules, fuse_events, fuse_project, load_excitement, project_replays,
                                     sport_context)
    from core.highlights.cues import replay_spans
    from core.segments import ACTION, EVENT, REJECTED, TRANSITION
    from core.store.project import Project

    pr = Project(path)
    out: dict[str, Any] = {}
    for v in pr.videos():
        clk = pr.clock(v.id)
        before = replay_spans(pr.segments(v.id, TRANSITION), clk)
        after = project_replays(pr, v.id, clk)
        score = [s for s in pr.segments(v.id, EVENT) if s.status != REJECTED
                 and not s.source.startswith("model:events@")]
        old = fuse_events(clk, score, pr.segments(v.id, ACTION), load_excitement(pr, v.id), before)
        new = fuse_project(pr, v.id)
        sport = sport_context(pr, v.id)
        shots_acts = [a for a in pr.segments(v.id, ACTION) if a.label in EventRules().shot_labels]
        judged = [(a.label, round(clk.time(a.start_frame), 1), a.attrs.get("person"),
                   *sport.judge(a, clk.rate.fps)) for a in shots_acts]
        out[str(v.id)] = {"replay_candidates": len(before), "replays_kept": len(after),
                          "events_transitions_only_no_context": [(e.label, clk.time(e.start_frame), e.attrs["signals"])
                                                                 for e in old],
                          "events_now": [(e.label, clk.time(e.start_frame), e.attrs["signals"]) for e in new],
                          "shot_actions_judged": judged}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", default="tuning", choices=["tuning", "heldout"])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--max-s", type=float, default=30.0)
    ap.add_argument("--project", action="append", default=[])
    ap.add_argument("--out")
    a = ap.parse_args(argv)
    result: dict[str, Any] = {}
    if a.project:
        result["projects"] = {p: run_project(p) for p in a.project}
    else:
        if not MEDIA.exists():
            print(f"shared media not found at {MEDIA}", file=sys.stderr)
            return 2
        split = json.loads(SPANS.read_text())["split"][a.split]
        seeds = list(range(a.seeds)) if a.split == "tuning" else list(range(1000, 1000 + a.seeds))
        result = {"split": a.split, "clips": split, "seeds": seeds} | run_edits(split, seeds, a.max_s)
        for k, r in result["summary"].items():
            print(f"{k:12s} candidates {r['candidates']:3d}  called replay {r['called_replay']:3d}")
    if a.out:
        Path(a.out).write_text(json.dumps(result, indent=1, default=str))
    if a.project:
        print(json.dumps(result, indent=1, default=str)[:6000])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
