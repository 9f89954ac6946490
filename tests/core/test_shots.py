"""Shot boundaries on generated edits: cuts, dissolves, fades, wipes, the flash trap, caching.

Unit tests: media generated in tmp_path by core.testing.synth, known truth, F1 at +-2 frames.
"""

from __future__ import annotations

import numpy as np
import pytest

import core.pipeline as pipeline
from core.pipeline import analyze
from core.segments import SHOT, TRANSITION
from core.shots import DetectParams, ShotSink, ShotStage, match
from core.shots import cascade
from core.shots.detect import Boundary
from core.shots.stage import boundaries_to_segments, load_signals
from core.testing.synth import CUT, ShotSpec, TransitionSpec, make_edit

SHOTS = [ShotSpec(40, flashes=(12,)), ShotSpec(45), ShotSpec(45), ShotSpec(45), ShotSpec(45),
         ShotSpec(40, flashes=(20, 21))]
TRANS = [TransitionSpec(CUT), TransitionSpec("dissolve", 14), TransitionSpec("fade", 16),
         TransitionSpec("wipe", 10), TransitionSpec("fade_out", 8)]


@pytest.fixture(scope="module")
def edit(tmp_path_factory):
    return make_edit(tmp_path_factory.mktemp("shots") / "edit.mp4", SHOTS, transitions=TRANS, seed=5)


def _truth_spans(truth):
    return [(t.start, t.end) for t in truth.transitions]


class RecordingRefiner:
    """A refiner that answers 'no boundary' and records what it was shown."""

    key = "recording@1"

    def __init__(self) -> None:
        self.calls: list[int] = []

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        assert frames.dtype == np.uint8 and frames.shape[1:] == (27, 48, 3)
        self.calls.append(int(frames.shape[0]))
        return np.zeros(frames.shape[0], np.float32)


def test_fast_pass_finds_every_transition_with_its_type(edit, project):
    rep = analyze(project, edit.path, [ShotStage(None)])
    vid = rep.video.id
    trans = project.segments(vid, TRANSITION)
    score, pairs = match([(s.start_frame, s.end_frame) for s in trans], _truth_spans(edit))
    assert score.f1 == 1.0, (trans, edit.transitions)
    by_truth = {t: p for p, t in pairs}
    labels = {(s.start_frame, s.end_frame): s.label for s in trans}
    for t in edit.transitions:
        assert labels[by_truth[(t.start, t.end)]] == t.label, t
    cut = next(s for s in trans if s.label == "cut")
    assert cut.start_frame == cut.end_frame == edit.cuts[0]  # a cut is the zero-length [f, f)
    # no boundary at the flash frames
    for f in edit.flashes:
        assert all(abs(s.start_frame - f) > 3 for s in trans)
    # shots tile the video without gaps, with in/out kinds
    shots = project.segments(vid, SHOT)
    assert shots[0].start_frame == 0 and shots[-1].end_frame == edit.frame_count
    assert all(a.end_frame == b.start_frame for a, b in zip(shots, shots[1:]))
    assert len(shots) == len(edit.transitions) + 1
    assert shots[1].attrs["in"] == "cut" and shots[1].attrs["out"] == "dissolve"
    assert all(s.source == "model:shotfast@6" for s in shots + trans)


def test_rethreshold_uses_cached_signals_without_decoding(edit, project, monkeypatch):
    first = analyze(project, edit.path, [ShotStage(None)])
    assert first.ran == ["shots"]
    sig = load_signals(project, first.video.id)
    assert sig is not None and sig.n == edit.frame_count

    def no_decode(*a, **k):
        raise AssertionError("decoded again")

    monkeypatch.setattr(pipeline, "run_decode", no_decode)
    strict = ShotStage(None, params=DetectParams(cut_fast=0.99, cut_strong=0.99, grad_fast=0.99))
    assert strict.sinks(_ctx(project, first)) == []
    rep = analyze(project, edit.path, [strict])
    assert rep.ran == ["shots"]
    trans = project.segments(rep.video.id, TRANSITION)
    assert len(trans) < len(edit.transitions)  # the new thresholds took effect
    # and back to the defaults: same result as the first run, still without a decode
    rep = analyze(project, edit.path, [ShotStage(None, params=DetectParams(min_shot=7))])
    score, _ = match([(s.start_frame, s.end_frame) for s in project.segments(rep.video.id, TRANSITION)],
                     _truth_spans(edit))
    assert score.f1 == 1.0


def _ctx(project, rep):
    from core.pipeline import StageContext
    from core.progress import Task

    return StageContext(project, rep.video, rep.video.info, Task(), run_id=0)


def test_cascade_refines_only_unsure_windows_and_keeps_memory_bounded(edit, project):
    ref = RecordingRefiner()
    rep = analyze(project, edit.path, [ShotStage(ref)])
    refined = sum(ref.calls)
    assert 0 < refined < edit.frame_count  # the network saw some windows, not the whole video
    assert max(ref.calls) <= cascade.MAX_REGION + 2 * cascade.CONTEXT
    # the sure cut survives a refiner that says "no" everywhere it looked
    trans = project.segments(rep.video.id, TRANSITION)
    assert any(s.label == "cut" and s.start_frame == edit.cuts[0] for s in trans)
    assert all(s.source == "model:shotcascade@6" for s in trans)


def test_refine_all_covers_every_frame_in_bounded_windows(tmp_path):
    truth = make_edit(tmp_path / "long.mp4", [ShotSpec(400), ShotSpec(300)], size=(96, 54))
    ref = RecordingRefiner()
    sink = ShotSink(ref, refine_all=True)
    from core.media.decode import run_decode
    from core.media.reader import probe

    run_decode(probe(truth.path), [sink])
    assert sink.signals is not None and not np.isnan(sink.signals.probs).any()
    assert len(ref.calls) >= 3 and max(ref.calls) <= cascade.MAX_REGION + 2 * cascade.CONTEXT
    assert sink._ring is not None and sink._ring.shape[0] == cascade.RING  # flat in video length


def test_boundaries_to_segments_tiles_and_splits_gradual_in_the_middle():
    bs = [Boundary("cut", 10, 10, 10, 0.9), Boundary("dissolve", 30, 40, 35, 0.8)]
    shots, trans = boundaries_to_segments(bs, 60, "model:x@1", edges=(5, 0))
    assert [(s.start_frame, s.end_frame) for s in shots] == [(0, 10), (10, 35), (35, 60)]
    assert shots[0].attrs["in"] == "fade" and shots[-1].attrs["out"] is None
    assert [(t.start_frame, t.end_frame, t.label) for t in trans] == [(10, 10, "cut"), (30, 40, "dissolve")]


def test_match_tolerance_and_one_to_one():
    s, _ = match([10, (20, 30), 52], [(12, 12), (25, 26), 50, 80])
    assert (s.tp, s.fp, s.fn) == (3, 0, 1)
    s, _ = match([10, 11], [10])
    assert (s.tp, s.fp, s.fn) == (1, 1, 0)
    s, _ = match([16], [(10, 13)], tolerance=2)
    assert s.tp == 0
    s, _ = match([15], [(10, 13)], tolerance=2)
    assert s.tp == 1
    s, _ = match([13], [10], tolerance=2)
    assert s.tp == 0


def test_stages_listed_first_and_in_order():
    from models.stages import available_stages

    stages = available_stages({"shots.refiner": "none"})
    assert [s.name for s in stages[:2]] == ["shots", "scenes"]
    assert stages[0].model == "shotfast" and stages[1].requires == ("shots",)
    default = available_stages({})[0]
    assert default.model == "shotstudent"  # the shot student on every frame (CPU default)
    cascade_stage = available_stages({"shots.refiner": "transnetv2"})[0]
    assert cascade_stage.model in ("shotcascade", "shotfast")  # shotfast only without torch


def test_a_failing_refiner_falls_back_to_the_fast_pass(edit, project):
    def broken(frames):
        raise RuntimeError("no model")

    stage = ShotStage(broken, "broken@1")
    rep = analyze(project, edit.path, [stage])
    trans = project.segments(rep.video.id, TRANSITION)
    assert match([(s.start_frame, s.end_frame) for s in trans], _truth_spans(edit))[0].f1 == 1.0
    # nothing cached for the failed refiner: a later run tries it again
    assert load_signals(project, rep.video.id, "broken@1") is None
