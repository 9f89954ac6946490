"""faiss vector indexes for image search: per project and across the library of projects.

:class:`VectorIndex` is exact inner-product search (``IndexFlatIP``) for small collections and
HNSW (M=32; efSearch 64, or 256 from 300k vectors) from ``HNSW_THRESHOLD`` vectors on. Single
queries run with one OpenMP thread (two made single queries ~4x slower on the reference
machine). Indexes are cached under the user data dir (``CLIPDESK_DATA_DIR`` overrides it),
keyed by the project path and a signature of its vectors, so a stale cache is rebuilt, never
used.

:class:`ProjectSearch` loads a project's stored embeddings (``models.search.stage`` writes them),
fuses the deep (YOLO backbone) and local (ORB+VLAD) scores and returns ranked moments.
:func:`search_library` searches one library index over the deep embeddings of every project in
the library (``library.json`` in the data dir; projects join it when analyzed or searched); the
local features are per project (each has its own VLAD model), so the library ranks by the deep
embedding alone.
Use one instance per thread.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from core.errors import ClipDeskError
from core.store.project import Project

HNSW_THRESHOLD = 100_000
FRAMES_SIGNAL = "search.frames"
DEEP_SIGNAL = "search.deep"
DEEP_CROP_SIGNAL = "search.deep_crop"  # per kept frame, of its centre (optional)
LOCAL_SIGNAL = "search.local"
CODEBOOK_SETTING = "search.vlad_model"
SIGNAL_KEY = "v2"  # v2: deep embeddings with the aspect kept (v1 squashed to a square)


def data_dir() -> Path:
    env = os.environ.get("CLIPDESK_DATA_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("clipdesk"))


class VectorIndex:
    """Inner-product index over L2-normalised float32 vectors with int64 ids."""

    def __init__(self, index: Any, kind: str) -> None:
        self.index = index
        self.kind = kind

    @classmethod
    def build(cls, vectors: np.ndarray, ids: np.ndarray | None = None, kind: str = "auto",
              hnsw_m: int = 32, ef_construction: int = 80,
              ef_search: int | None = None) -> "VectorIndex":
        import faiss

        x = np.ascontiguousarray(vectors, dtype=np.float32)
        if x.ndim != 2:
            raise ClipDeskError("search index needs a 2-D array of vectors")
        n, d = x.shape
        if kind == "auto":
            kind = "hnsw" if n >= HNSW_THRESHOLD else "flat"
        if kind == "flat":
            base = faiss.IndexFlatIP(d)
        elif kind == "hnsw":
            base = faiss.IndexHNSWFlat(d, hnsw_m, faiss.METRIC_INNER_PRODUCT)
            base.hnsw.efConstruction = ef_construction
            # measured here: recall@10 0.995 at 100k with ef 64; at 1M ef 256 gives 0.973 (0.74 ms)
            base.hnsw.efSearch = ef_search or (64 if n < 300_000 else 256)
        else:
            raise ClipDeskError(f"unknown index kind {kind!r} (flat, hnsw, auto)")
        index = faiss.IndexIDMap2(base)
        ids = np.arange(n, dtype=np.int64) if ids is None else np.ascontiguousarray(ids, np.int64)
        if n:
            faiss.omp_set_num_threads(max(1, os.cpu_count() or 1))
            index.add_with_ids(x, ids)
        return cls(index, kind)

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    def set_ef(self, ef: int) -> None:
        import faiss

        if self.kind == "hnsw":
            faiss.downcast_index(self.index.index).hnsw.efSearch = int(ef)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each (m, k); ids -1 where fewer than k vectors exist."""
        import faiss

        q = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        faiss.omp_set_num_threads(1 if len(q) == 1 else max(1, os.cpu_count() or 1))
        if self.ntotal == 0:
            return np.zeros((len(q), k), np.float32), -np.ones((len(q), k), np.int64)
        s, i = self.index.search(q, int(k))
        return s, i

    def save(self, path: str | os.PathLike[str]) -> None:
        import faiss

        Path(path).parent.mkdir(parents=True, exist_ok=True)
        tmp = f"{path}.tmp"
        faiss.write_index(self.index, tmp)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str], kind: str) -> "VectorIndex":
        import faiss

        return cls(faiss.read_index(str(path)), kind)


_POOL: Any = None


def _local_pool() -> Any:
    """One worker thread for the query's local features (shared; tasks are independent)."""
    global _POOL
    if _POOL is None:
        from concurrent.futures import ThreadPoolExecutor

        _POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clipdesk-search-local")
    return _POOL


@dataclass(frozen=True)
class Hit:
    video_id: int
    video: str
    path: str
    frame: int
    time: float
    score: float
    project: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"video": self.video, "frame": self.frame, "time": round(self.time, 3),
                "score": round(self.score, 4)}


def _signature(parts: Iterable[Any]) -> str:
    h = hashlib.sha1()
    for p in parts:
        h.update(repr(p).encode())
    return h.hexdigest()[:16]


def cached_index(name: str, vectors: np.ndarray, signature: str, kind: str = "auto") -> VectorIndex:
    """Load ``name`` from the cache if its signature matches, else build and save it."""
    d = data_dir() / "indexes"
    path, meta = d / f"{name}.faiss", d / f"{name}.json"
    try:
        m = json.loads(meta.read_text())
        if m.get("signature") == signature and path.exists():
            return VectorIndex.load(path, m["kind"])
    except (OSError, ValueError, KeyError, RuntimeError):
        pass
    idx = VectorIndex.build(vectors, kind=kind)
    try:
        idx.save(path)
        meta.write_text(json.dumps({"signature": signature, "kind": idx.kind, "n": idx.ntotal}))
    except (OSError, RuntimeError):
        pass  # a read-only data dir only costs a rebuild next time
    return idx


class ProjectSearch:
    """Find moments in a project's videos that look like a query image."""

    def __init__(self, project: Project, deep_weight: float = 0.75) -> None:
        self.project = project
        self.deep_weight = float(deep_weight)
        rows: list[tuple[int, np.ndarray, np.ndarray, np.ndarray | None]] = []
        crops: list[np.ndarray | None] = []
        for v in project.videos():
            fr = project.get_signal(v.id, FRAMES_SIGNAL, SIGNAL_KEY)
            dp = project.get_signal(v.id, DEEP_SIGNAL, SIGNAL_KEY)
            lc = project.get_signal(v.id, LOCAL_SIGNAL, SIGNAL_KEY)
            if fr is None or dp is None or len(fr) == 0:
                continue
            rows.append((v.id, fr, dp, lc if lc is not None and len(lc) == len(fr) else None))
            cr = project.get_signal(v.id, DEEP_CROP_SIGNAL, SIGNAL_KEY)
            crops.append(cr if cr is not None and len(cr) == len(fr) else None)
        self.videos = {v.id: v for v in project.videos()}
        self.video_ids = np.concatenate([np.full(len(r[1]), r[0], np.int64) for r in rows]) \
            if rows else np.zeros(0, np.int64)
        self.frames = np.concatenate([r[1] for r in rows]).astype(np.int64) if rows else np.zeros(0, np.int64)
        self.deep = np.concatenate([r[2] for r in rows]).astype(np.float32) if rows \
            else np.zeros((0, 256), np.float32)
        # the frames' centres too, where every video has them: a query cropped from a frame
        # (another copy, a screenshot) matches its centre better than the whole frame
        self.deep_crop: np.ndarray | None = None
        if rows and all(c is not None for c in crops):
            self.deep_crop = np.concatenate([c for c in crops if c is not None]).astype(np.float32)
        self.local: np.ndarray | None = None
        if rows and all(r[3] is not None for r in rows):
            self.local = np.concatenate([r[3] for r in rows if r[3] is not None]).astype(np.float32)
        from core.search.local_features import VladModel

        stored = project.get_setting(CODEBOOK_SETTING)
        self.vlad_model = VladModel.from_json(stored) if stored else None
        step = max(1, len(self.frames) // 2000)  # a sample of the vectors: re-analysis changes it
        sig = _signature([str(Path(project.path).resolve()), len(self.frames), self.frames.tobytes(),
                          self.video_ids.tobytes(), self.deep[::step].tobytes()])
        name = hashlib.sha1(str(Path(project.path).resolve()).encode()).hexdigest()[:16]
        vectors = self.deep if self.deep_crop is None else np.concatenate([self.deep, self.deep_crop])
        if self.deep_crop is not None:
            sig = _signature([sig, "crop", self.deep_crop[::step].tobytes()])
        self.index = cached_index(f"project-{name}-deep", vectors, sig) if len(self.frames) else None
        self._clocks: dict[int, Any] = {}

    def __len__(self) -> int:
        return int(len(self.frames))

    def query_vectors(self, image_rgb: np.ndarray, embedder: Any = None) -> tuple[np.ndarray, np.ndarray | None]:
        from core.search.local_features import embed_local
        from models.search.embeddings import DeepEmbedder

        emb = embedder or DeepEmbedder()
        if self.vlad_model is None:
            return emb.embed([image_rgb])[0], None
        # the local features (OpenCV) on a second thread while the backbone (torch, one thread)
        # runs: both release the GIL in their kernels, so a query waits for the longer one only
        pending = _local_pool().submit(embed_local, image_rgb, self.vlad_model)
        q_deep = emb.embed([image_rgb])[0]
        return q_deep, pending.result()

    def search(self, image_rgb: np.ndarray, top: int = 10, min_gap_s: float = 2.0,
               video_id: int | None = None, embedder: Any = None) -> list[Hit]:
        """Best moments first; hits closer than ``min_gap_s`` to a better one in the same video
        are folded into it."""
        if self.index is None or not len(self):
            return []
        q_deep, q_local = self.query_vectors(image_rgb, embedder)
        k = min(len(self), max(top * 8, 64))
        n = len(self)
        _, ids = self.index.search(q_deep[None], k if self.deep_crop is None else min(2 * n, 2 * k))
        cand = np.unique(ids[0][ids[0] >= 0] % n)  # a frame's whole and centre vectors: one candidate
        score = self.deep[cand] @ q_deep
        if self.deep_crop is not None:
            score = np.maximum(score, self.deep_crop[cand] @ q_deep)
        if self.local is not None and q_local is not None:
            score = self.deep_weight * score + (1 - self.deep_weight) * (self.local[cand] @ q_local)
        order = np.argsort(-score)
        hits: list[Hit] = []
        clocks = self._clocks  # read once per instance (two queries of the project each)
        for o in order:
            i = int(cand[o])
            vid = int(self.video_ids[i])
            if video_id is not None and vid != video_id:
                continue
            if vid not in clocks:
                clocks[vid] = self.project.clock(vid)
            t = float(clocks[vid].time(int(self.frames[i])))
            if any(h.video_id == vid and abs(h.time - t) < min_gap_s for h in hits):
                continue
            v = self.videos[vid]
            hits.append(Hit(vid, v.name, v.path, int(self.frames[i]), t, float(score[o]),
                            str(self.project.path)))
            if len(hits) >= top:
                break
        return hits


def reference_marks(project: Project, video_id: int, references: Mapping[str, Sequence[np.ndarray]],
                    min_score: float = 0.8, top: int = 4) -> list[tuple[str, int]]:
    """Where reference images (RGB) appear in one video: ``(kind, frame)`` for every hit with
    a fused score of at least ``min_score`` (feed to ``core.match.structure.periods_from_marks``)."""
    from models.search.embeddings import DeepEmbedder

    ps = ProjectSearch(project)
    emb = DeepEmbedder()
    out: list[tuple[str, int]] = []
    for kind, images in references.items():
        for img in images:
            for h in ps.search(img, top=top, video_id=video_id, embedder=emb, min_gap_s=10.0):
                if h.score >= min_score:
                    out.append((kind, h.frame))
    return sorted(set(out), key=lambda m: m[1])


# -- library: every project this user searched or analyzed -----------------------------------
def library_file() -> Path:
    return data_dir() / "library.json"


def library_projects() -> list[Path]:
    try:
        items = json.loads(library_file().read_text())
    except (OSError, ValueError):
        return []
    return [Path(p) for p in items if Path(p).exists()]


def register_project(path: str | os.PathLike[str]) -> None:
    p = str(Path(path).resolve())
    items = [str(x) for x in library_projects()]
    if p not in items:
        items.append(p)
        f = library_file()
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(items, indent=1))


def search_library(image_rgb: np.ndarray, top: int = 10,
                   projects: Sequence[str | os.PathLike[str]] | None = None,
                   min_gap_s: float = 2.0) -> list[Hit]:
    """Search every library project at once through one library index (deep embeddings of all
    projects, cached under the user data dir and rebuilt when any project's vectors change)."""
    from models.search.embeddings import DeepEmbedder

    paths = [Path(p).resolve() for p in (projects if projects is not None else library_projects())]
    owners: list[tuple[str, int, int]] = []  # (project path, video id, frame) per vector
    chunks: list[np.ndarray] = []
    for path in paths:
        try:
            with Project(path, create=False) as proj:
                for v in proj.videos():
                    fr = proj.get_signal(v.id, FRAMES_SIGNAL, SIGNAL_KEY)
                    dp = proj.get_signal(v.id, DEEP_SIGNAL, SIGNAL_KEY)
                    if fr is None or dp is None or not len(fr):
                        continue
                    owners.extend((str(path), v.id, int(f)) for f in fr)
                    chunks.append(np.asarray(dp, np.float32))
        except ClipDeskError:
            continue
    if not chunks:
        return []
    deep = np.concatenate(chunks)
    step = max(1, len(deep) // 2000)
    sig = _signature([len(deep), [o for o in owners[::step]], deep[::step].tobytes()])
    index = cached_index("library-deep", deep, sig)
    q = DeepEmbedder().embed([image_rgb])[0]
    scores, ids = index.search(q[None], min(len(deep), max(top * 8, 64)))
    hits: list[Hit] = []
    opened: dict[str, Project] = {}
    try:
        for s, i in zip(scores[0], ids[0], strict=True):
            if i < 0:
                continue
            ppath, vid, frame = owners[int(i)]
            proj = opened.get(ppath) or opened.setdefault(ppath, Project(ppath, create=False))
            t = float(proj.clock(vid).time(frame))
            if any(h.project == ppath and h.video_id == vid and abs(h.time - t) < min_gap_s for h in hits):
                continue
            v = proj.video(vid)
            hits.append(Hit(vid, v.name, v.path, frame, t, float(s), ppath))
            if len(hits) >= top:
                break
    finally:
        for proj in opened.values():
            proj.close()
    return hits


__all__ = ["DEEP_CROP_SIGNAL", "DEEP_SIGNAL", "FRAMES_SIGNAL", "HNSW_THRESHOLD", "LOCAL_SIGNAL", "Hit", "ProjectSearch",
           "VectorIndex", "cached_index", "data_dir", "library_projects", "reference_marks",
           "register_project", "search_library"]
