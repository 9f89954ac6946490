"""Core action recognition pieces: skeleton features, windows, localisation, metrics, dataset."""

from __future__ import annotations

import numpy as np
import pytest

from core.actions.dataset import BACKGROUND, build_dataset, collect, is_human_label, split_by_video
from core.actions.localize import Span, localise, merge_close, nms, tiou
from core.actions.metrics import classification_report, match_segments, plot_confusion
from core.actions.skeleton import FLIP_PERM, PARENTS, features, normalise, sample_track
from core.actions.synthetic import SYNTH_CLASSES, synth_video
from core.actions.windows import WindowParams, WindowSpec, sliding_centres, track_windows
from core.errors import ClipDeskError
from core.persons.poses import COLS, POSE_SIGNAL, PoseTable, pack
from core.segments import ACCEPTED, ACTION, REJECTED, Segment
from core.timebase import Rate


def _row(frame: int, tid: int, dx: float = 0.0, scale: float = 100.0) -> np.ndarray:
    kp = np.zeros((17, 3), np.float32)
    kp[:, 0] = 500 + dx + np.linspace(-0.2, 0.2, 17) * scale
    kp[:, 1] = 300 + np.linspace(-0.5, 0.5, 17) * scale
    kp[:, 2] = 0.9
    return pack(frame, tid, 0.9, np.array([0, 0, 1, 1]), kp)


def test_sample_track_interpolates_and_marks_gaps() -> None:
    rows = np.stack([_row(0, 1, 0), _row(10, 1, 100), _row(100, 1, 0)])
    seq = sample_track(rows, np.array([0.0, 5.0, 10.0, 50.0, 200.0]), max_gap=30)
    assert seq.shape == (5, 17, 3)
    assert np.allclose(seq[1, :, 0], (seq[0, :, 0] + seq[2, :, 0]) / 2)  # halfway in x
    assert seq[1, 0, 2] == pytest.approx(0.9)
    assert seq[3, :, 2].max() == 0  # gap of 90 frames > max_gap
    assert seq[4, :, 2].max() == 0  # after the track ends


def test_normalise_is_translation_and_scale_invariant() -> None:
    rows = np.stack([_row(f, 1, dx=f * 2.0) for f in range(0, 40, 4)])
    seq = sample_track(rows, np.arange(0, 40, 4, dtype=float))
    big = seq.copy()
    big[..., :2] = seq[..., :2] * 3 + 123
    a, b = normalise(seq), normalise(big)
    assert np.allclose(a, b, atol=1e-4)
    assert abs(a[..., 1]).max() < 1.5  # body height ~1
    assert a[-1, 0, 0] > a[0, 0, 0]  # movement within the window is kept


def test_features_streams_and_flip_symmetry() -> None:
    rows = np.stack([_row(f, 1, dx=f) for f in range(0, 32)])
    seq = normalise(sample_track(rows, np.arange(32, dtype=float)))
    x = features(seq, ("joint", "bone", "motion"))
    assert x.shape == (9, 32, 17) and x.dtype == np.float32
    assert np.allclose(x[3:5, :, 0], 0)  # root bone is zero
    assert np.allclose(x[6, :-1, 0], seq[1:, 0, 0] - seq[:-1, 0, 0])  # motion
    assert sorted(FLIP_PERM) == list(range(17))
    assert all(FLIP_PERM[PARENTS[j]] == PARENTS[FLIP_PERM[j]] for j in range(17))
    with pytest.raises(ClipDeskError):
        features(seq, ("depth",))


def test_window_spec_from_seconds_and_sliding() -> None:
    spec = WindowParams(seconds=3.0, stride_s=0.4).spec(Rate(30000, 1001))
    assert spec.length == 90 and spec.stride == 12
    g = spec.grid(100.0)
    assert len(g) == spec.steps and g[0] > 55 and g[-1] < 145
    c = sliding_centres(10, 50, WindowSpec(length=20, stride=8))
    assert c[0] == 10 and c[-1] == 50
    arr, _ = synth_video(1, n_frames=200, n_persons=1, sample_step=4)
    centres, x = track_windows(PoseTable(arr).track(1), WindowParams().spec(Rate(25)), ("joint",))
    assert len(centres) == len(x) > 5 and x.shape[1:] == (3, 32, 17)


def test_localise_finds_span_with_refined_edges() -> None:
    centres = np.arange(0, 200, 8, dtype=float)
    probs = np.zeros((len(centres), 3))
    probs[:, 0] = 1
    inside = (centres >= 60) & (centres < 100)
    probs[inside] = [0.05, 0.9, 0.05]
    spans = localise(centres, probs, 0, 199, high=0.5, low=0.35)
    assert len(spans) == 1 and spans[0].cls == 1
    # score crosses 0.35 between the last background window and the first action window
    assert 52 <= spans[0].start <= 60 and 92 <= spans[0].end <= 101
    assert spans[0].score > 0.5


def test_nms_and_merge() -> None:
    a, b, c = Span(0, 10, 1, 0.9), Span(2, 11, 2, 0.6), Span(13, 20, 1, 0.8)
    kept = nms([a, b, c], 0.3)
    assert kept == [a, c]
    merged = merge_close(kept, gap=3)
    assert len(merged) == 1 and merged[0].start == 0 and merged[0].end == 20
    assert tiou((0, 10), (5, 15)) == pytest.approx(5 / 15)


def test_metrics_report_and_matching(tmp_path) -> None:
    rep = classification_report(np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]), ["bg", "a", "b"])
    assert rep["accuracy"] == 0.75
    assert rep["per_class"]["a"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(0.6667, abs=1e-3),
                                     "support": 2}
    assert rep["confusion"][1] == [0, 1, 1]
    m = match_segments([(1, 0, 10, "a"), (1, 50, 60, "b"), (2, 0, 10, "a")],
                       [(1, 1, 11, "a"), (1, 50, 60, "a")])
    assert m["precision"] == pytest.approx(1 / 3, abs=1e-3) and m["recall"] == 0.5
    assert m["per_class"]["a"]["recall"] == 0.5
    png = plot_confusion(rep["confusion"], rep["classes"], tmp_path / "cm.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _video_with_labels(project, tmp_path, seed: int, human: bool = True):
    """A project video (a real tiny file) with synthetic poses and its true spans as labels."""
    from actions_helpers import add_tiny_video

    vid = add_tiny_video(project, tmp_path / f"v{seed}.mp4", seed)
    arr, truth = synth_video(seed, n_frames=300, n_persons=2, sample_step=4)
    project.put_signal(vid, POSE_SIGNAL, "synthetic@1:{}", arr)
    for s in truth:
        src = "user:tester" if human else "model:stgcn@1"
        project.insert_segment(vid, Segment(ACTION, s.start_frame, s.end_frame, s.label,
                                            attrs={"person": s.track_id}, source=src,
                                            status=ACCEPTED if human else "suggested"))
    return vid, truth


def test_dataset_from_project_uses_reviewed_labels_only(project, tmp_path) -> None:
    v1, t1 = _video_with_labels(project, tmp_path, 1)
    v2, _ = _video_with_labels(project, tmp_path, 2, human=False)  # unreviewed: not used
    rej = project.insert_segment(v1, Segment(ACTION, 5, 30, "kick", attrs={"person": 1},
                                             source="model:stgcn@1", status=REJECTED))
    assert not is_human_label(rej)
    vids = collect([project])
    assert [v.key.endswith(f"#{v1}") for v in vids] == [True]
    assert len(vids[0].spans) == len(t1) and len(vids[0].negatives) == 1
    ds = build_dataset(vids, WindowParams(steps=16), ("joint",), per_span=3)
    assert ds.classes[0] == BACKGROUND and set(ds.classes[1:]) <= set(SYNTH_CLASSES)
    assert ds.x.shape[1:] == (3, 16, 17)
    assert (ds.y == 0).sum() > 0 and (ds.y > 0).sum() > 0
    tr, va, how = split_by_video(ds)
    assert "time" in how and tr.sum() > va.sum() > 0


def test_dataset_errors_without_labels(project) -> None:
    with pytest.raises(ClipDeskError):
        build_dataset([], WindowParams(), ("joint",))
    assert collect([project]) == []


def test_pose_table_columns() -> None:
    assert COLS == 58
