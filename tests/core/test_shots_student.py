"""The shot student's plumbing (core.shots.student): inputs, chunking, safe weights, the stage.

Weights here are random arrays of the right shapes; the shipped ones are exercised in
tests/models/test_shots_student.py.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from core.pipeline import analyze
from core.segments import SHOT
from core.shots import ShotStage
from core.shots import features as F
from core.shots.features import ShotSignals
from core.shots.stage import load_signals
from core.shots.student import N_INPUTS, StudentScorer, StudentWeights, inputs, inputs_slice
from core.testing.synth import CUT, ShotSpec, make_edit


def _signals(n: int, seed: int = 0) -> ShotSignals:
    rng = np.random.default_rng(seed)
    hist = rng.random((n, F.N_HIST)).astype(np.float32)
    hist /= hist.sum(1, keepdims=True) / 2
    return ShotSignals(rng.random((n, F.N_SCALARS)).astype(np.float32), hist.astype(np.float16),
                       np.full(n, np.nan, np.float32))


def _weights(seed: int = 1, hidden: int = 8) -> StudentWeights:
    rng = np.random.default_rng(seed)
    return StudentWeights(np.zeros(N_INPUTS, np.float32), np.ones(N_INPUTS, np.float32),
                          rng.normal(0, 0.05, (N_INPUTS, hidden)).astype(np.float32), np.zeros(hidden, np.float32),
                          rng.normal(0, 0.3, (hidden, 4)).astype(np.float32), np.zeros(4, np.float32),
                          rng.normal(0, 0.3, (4, 1)).astype(np.float32), np.zeros(1, np.float32))


def test_inputs_have_the_declared_width_and_a_slice_equals_the_whole():
    sig = _signals(300)
    x = inputs(sig)
    assert x.shape == (300, N_INPUTS) and x.dtype == np.float32 and np.isfinite(x).all()
    for a, b in ((0, 50), (100, 200), (250, 300)):
        assert np.allclose(inputs_slice(sig, a, b), x[a:b]), (a, b)
    assert inputs(_signals(0)).shape == (0, N_INPUTS)
    assert inputs(_signals(1)).shape == (1, N_INPUTS)


def test_scorer_in_chunks_equals_one_pass(monkeypatch):
    sig = _signals(5000, seed=3)
    w = _weights()
    p = StudentScorer(w)(sig)
    x = (inputs(sig) - w.mean) / w.std
    z = np.maximum(np.maximum(x @ w.w1 + w.b1, 0) @ w.w2 + w.b2, 0)
    ref = 1 / (1 + np.exp(-(z @ w.w3 + w.b3)[:, 0]))
    assert p.shape == (5000,) and np.allclose(p, ref, atol=1e-5)
    assert StudentScorer(w)(_signals(0)).shape == (0,)


def test_weights_round_trip_and_bad_files_are_refused(tmp_path: Path):
    w = _weights()
    w.save(tmp_path / "w.npz")
    back = StudentWeights.load(tmp_path / "w.npz")
    assert all(np.array_equal(getattr(w, k), getattr(back, k)) for k in StudentWeights.ARRAYS)

    # wrong shapes: one clear error
    small = {k: getattr(w, k) for k in StudentWeights.ARRAYS}
    small["mean"] = small["mean"][:10]
    np.savez(tmp_path / "small.npz", **small)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not shot-student weights"):
        StudentWeights.load(tmp_path / "small.npz")

    # an object array (a pickle inside the archive) is never unpickled
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (Path.touch, (marker,))

    obj = {k: getattr(w, k) for k in StudentWeights.ARRAYS}
    obj["w1"] = np.array([Evil()], dtype=object)  # type: ignore[assignment]
    np.savez(tmp_path / "evil.npz", **obj)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        StudentWeights.load(tmp_path / "evil.npz")
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps(Evil()))
    with pytest.raises((ValueError, OSError)):
        StudentWeights.load(tmp_path / "evil.pkl")
    assert not marker.exists()


def test_stage_with_a_scorer_scores_every_frame_once_and_caches(tmp_path: Path, project):
    edit = make_edit(tmp_path / "e.mp4", [ShotSpec(30), ShotSpec(30), ShotSpec(30)],
                     transitions=[CUT, ("dissolve", 12)], seed=4)
    calls: list[int] = []
    inner = StudentScorer(_weights())

    class Counting:
        key = "counting@1"

        def __call__(self, sig: ShotSignals) -> np.ndarray:
            calls.append(sig.n)
            return inner(sig)

    stage = ShotStage(scorer=Counting())
    assert stage.refiner is None and stage.refine_all and stage.model == "shotstudent"
    rep = analyze(project, edit.path, [stage])
    assert calls == [edit.frame_count]
    assert stage.last_stats == {"frames": edit.frame_count, "refined": edit.frame_count}
    stored = load_signals(project, rep.video.id, "counting@1", stage.detect_params, refine_all=True)
    assert stored is not None and np.allclose(stored.probs, inner(stored))  # every frame scored
    assert project.segments(rep.video.id, SHOT)
    again = ShotStage(scorer=Counting())
    assert again.sinks(_Ctx(project, rep.video)) == []  # the scored signals are cached
    assert calls == [edit.frame_count]


class _Ctx:
    def __init__(self, project, video) -> None:
        self.project, self.video, self.run_id = project, video, 0


def test_runs_of_scores_become_boundaries_and_implausible_runs_do_not(tmp_path: Path):
    from core.media.decode import run_decode
    from core.media.reader import probe
    from core.shots import ShotSink, match
    from core.shots.student import boundaries_from_scores

    edit = make_edit(tmp_path / "r.mp4", [ShotSpec(30), ShotSpec(40, flashes=(15,)), ShotSpec(30), ShotSpec(30)],
                     transitions=[CUT, ("dissolve", 12), ("fade", 14)], seed=6)
    sink = ShotSink(None)
    run_decode(probe(edit.path), [sink])
    sig = sink.signals
    assert sig is not None
    truth = [(t.start, t.end) for t in edit.transitions]
    perfect = np.zeros(sig.n, np.float32)
    for a, b in truth:
        perfect[max(0, a - 1):a + 1] = 1.0 if a == b else 0.0
        perfect[a:b] = 1.0
    bounds = boundaries_from_scores(sig, perfect)
    assert match([(b.start, b.end) for b in bounds], truth)[0].f1 == 1.0, bounds
    assert [b.kind for b in bounds] == ["cut", "dissolve", "fade"]
    # a score run on the flash, on a still stretch of a shot, or on the video's first frames
    flash = edit.flashes[0]
    noisy = perfect.copy()
    noisy[flash:flash + 2] = 1.0  # the flash and the frame after it: back to the same shot
    noisy[5:12] = 1.0  # nothing changes there: no real pixel change, same sides
    assert [(b.start, b.end) for b in boundaries_from_scores(sig, noisy)] == [(b.start, b.end) for b in bounds]
    assert boundaries_from_scores(sig, np.zeros(sig.n, np.float32), accept_strong=False) == []
    # the fast pass's sure cut stands whatever the student says; the gradual ones and the flash do not
    sure = boundaries_from_scores(sig, np.zeros(sig.n, np.float32))
    assert [(b.kind, b.frame) for b in sure] == [("cut", truth[0][0])], sure
    assert not sure[0].refined
