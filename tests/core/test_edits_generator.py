"""The seeded generator of randomised real-footage edits (core.testing.edits): one seed, one edit;
tuning and held-out seeds never share a source file; the truth is where the frames say; every
edit carries the failure classes of issue 16; and the held-out bench's scoring of misses."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from core.errors import ClipDeskError
from core.testing.edits import (CLASSES, HELD_OUT, TUNING, RealEdit, Shot, Transition, make_real_edit, plan_edit,
                                split_of)
from core.testing.synth import CUT, DISSOLVE, FADE

SEED = 9028  # held-out, far above the bench's seeds: tests look at frames, never at detector figures
SIZE = (320, 180)
BENCH = Path(__file__).resolve().parents[2] / "bench" / "shots.py"


@pytest.fixture(scope="module")
def rendered(shared_media: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[RealEdit, Path, np.ndarray]:
    path = tmp_path_factory.mktemp("edits") / "edit.mp4"
    edit = make_real_edit(path, SEED, seconds=4, size=SIZE, media=shared_media)
    with av.open(str(path)) as c:
        frames = np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)]).astype(np.float32)
    return edit, path, frames


def _diff(frames: np.ndarray, a: int, b: int) -> float:
    return float(np.abs(frames[a] - frames[b]).mean())


def test_same_seed_same_truth_and_same_bytes(rendered, shared_media, tmp_path):
    edit, path, _ = rendered
    again = make_real_edit(tmp_path / "again.mp4", SEED, seconds=4, size=SIZE, media=shared_media)
    strip = {"path"}
    assert {k: v for k, v in again.to_json().items() if k not in strip} == \
        {k: v for k, v in edit.to_json().items() if k not in strip}
    assert (tmp_path / "again.mp4").read_bytes() == path.read_bytes()
    assert (tmp_path / "again.json").exists()
    other = plan_edit(SEED + 1, seconds=4, size=SIZE, media=shared_media)
    assert other.to_json()["transitions"] != edit.to_json()["transitions"]


def test_halves_are_split_by_source_file(shared_media):
    assert not set(TUNING) & set(HELD_OUT)
    for half in (TUNING, HELD_OUT):
        assert {"film", "cartoon", "sport", "people"} <= {CLASSES[s] for s in half}
        assert all((shared_media / "video" / s).exists() for s in half)
    assert {"moviepy__big_buck_bunny_0_30.webm", "moviepy__chaplin.mp4"} <= set(TUNING)
    for seed in list(range(0, 100, 9)) + list(range(1000, 1100, 9)) + [SEED]:
        half = TUNING if seed < 100 else HELD_OUT
        assert split_of(seed) == ("tuning" if seed < 100 else "held_out")
        assert {s.source for s in plan_edit(seed, seconds=30, media=shared_media).shots} <= set(half)
    with pytest.raises(ClipDeskError, match="tuning seeds are 0-99"):
        split_of(500)


@pytest.mark.parametrize("seed", [3, 42, 1003, 1077, SEED])
def test_every_edit_has_the_failure_classes(shared_media, seed):
    for seconds in (4, 50):
        e = plan_edit(seed, seconds=seconds, media=shared_media)
        joins, grad = e.joins, [t.kind != CUT for t in e.joins]
        assert grad[0] and joins[0].start <= 30 and "start" in joins[0].tags  # within the first 1.2 s
        assert grad[-1] and joins[-1].end >= e.frame_count - 30 and "end" in joins[-1].tags
        gaps = [(b.start - a.end, a, b) for a, b in zip(joins, joins[1:])]
        assert any(20 <= g <= 30 and a.kind != CUT and b.kind != CUT for g, a, b in gaps)  # ~1 s apart
        assert any(g <= 50 and a.kind == DISSOLVE and b.kind == CUT for g, a, b in gaps)  # dissolve, then a cut
        assert all(4 <= t.end - t.start <= 30 for t in e.gradual)
        assert any(s.motion is not None for s in e.shots)
        assert any("dark" in t.tags for t in joins) and any("low_contrast" in t.tags for t in joins)
        assert any(12 <= s.pure <= 50 for s in e.shots[1:-1])  # a short shot between transitions
        for f in e.flashes:  # traps, never inside or next to a boundary
            assert all(f < t.start - 2 or f > t.end + 2 for t in e.transitions)
        if seconds == 50:
            assert 40 * 25 <= e.frame_count <= 60 * 25
            assert e.flashes and {CUT, DISSOLVE, FADE} <= {t.kind for t in e.transitions}


def test_truth_is_where_the_frames_say(rendered):
    edit, _, frames = rendered
    assert frames.shape == (edit.frame_count, SIZE[1], SIZE[0], 3)
    assert any("source" in t.tags for t in edit.transitions)  # the clips' own cuts are carried in
    for t in edit.transitions:
        if t.kind == CUT:  # the jump stands out against the frames either side
            jump = _diff(frames, t.start - 1, t.start)
            assert jump > 2 * max(_diff(frames, t.start - 2, t.start - 1), _diff(frames, t.start, t.start + 1)), t
        elif t.kind == FADE:
            assert frames[(t.start + t.end) // 2].mean() < 12, t  # through black
            assert frames[t.start - 1].mean() > frames[(t.start + t.end) // 2].mean() + 5, t
        elif t.kind == DISSOLVE:  # the middle is a mix of the frames either side
            a, b, m = frames[t.start - 1], frames[t.end], frames[(t.start + t.end) // 2]
            mix = float(np.abs(m - (a + b) / 2).mean())
            assert mix < min(float(np.abs(m - a).mean()), float(np.abs(m - b).mean())), t
    assert edit.flashes
    for f in edit.flashes:  # bright, brighter than its neighbours, not in the truth
        assert frames[f].mean() > 180
        assert frames[f].mean() > frames[min(edit.flashes) - 1].mean() + 40
        assert all(abs(f - t.boundary) > 2 for t in edit.transitions)


def test_missing_media_is_one_clear_line(tmp_path):
    with pytest.raises(ClipDeskError, match="shared media not found") as err:
        plan_edit(1000, media=tmp_path)
    assert "\n" not in str(err.value)


def test_bench_scores_gradual_recall_misses_and_traps(monkeypatch):
    spec = importlib.util.spec_from_file_location("clipdesk_bench_shots", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, bench)  # its dataclasses look themselves up there
    spec.loader.exec_module(bench)
    score_edit = bench.score_edit

    shot = Shot("x.mp4", 0, 60, 0, 60, 0)
    edit = RealEdit(1000, "held_out", SIZE, 300, shots=[shot], flashes=[80], traps=[(200, 230)])
    edit.transitions = [Transition(CUT, 50, 50, ("source",)), Transition(DISSOLVE, 100, 112, ("pair",)),
                        Transition(FADE, 130, 140, ("pair", "dark")), Transition(CUT, 260, 260, ("end",))]
    # one span merges the two gradual transitions; a false cut on the flash and one in the trap
    r = score_edit([(50, 50), (80, 80), (101, 139), (215, 215)], edit)
    assert (r.score.tp, r.score.fp, r.score.fn) == (2, 2, 2)
    assert r.gradual_recall == 1.0 and r.cut_recall == 0.5
    assert sorted(r.false_at) == ["flash@80", "trap@215"]
    assert sorted(r.missed) == ["cut,end@260", "fade,pair,dark@130"]
