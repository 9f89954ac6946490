"""Generated motion (core.actions.synthetic) for the starter detector's classes: the rules
recognise what it draws (so it is the motion the classes describe), and people walk without jumps."""

from __future__ import annotations

import numpy as np

from core.actions import starter
from core.actions.spans import ClipResult, Span, evaluate
from core.actions.synthetic import MOTION_CLASSES, SYNTH_CLASSES, synth_video
from core.persons.poses import PoseTable


def test_starter_recognises_the_generated_motion_classes() -> None:
    clips = []
    for seed in range(3):
        arr, truth = synth_video(seed, n_frames=1500, n_persons=2, sample_step=6, classes=MOTION_CLASSES)
        segs = starter.detect(PoseTable(arr), 25.0)
        for tid in (1, 2):
            pred = [Span(s.start_frame, s.end_frame, str(s.label)) for s in segs if s.attrs["person"] == tid]
            spans = [Span(s.start_frame, s.end_frame, s.label) for s in truth if s.track_id == tid]
            clips.append(ClipResult(f"{seed}/{tid}", 1500, 25.0, pred, spans))
    res = evaluate(clips, 0.3)
    assert set(res["per_class_recall"]) >= set(MOTION_CLASSES)
    for cls in ("shot", "serve", "forehand", "backhand", "fall", "celebration"):
        hits, n = map(int, res["per_class_recall"][cls].split("/"))
        assert n >= 3 and hits >= 0.6 * n, (cls, res["per_class_recall"][cls])
    assert res["false_per_10s_without_class_max"] <= 1.0


def test_people_turn_at_the_frame_edge_without_jumping() -> None:
    arr, truth = synth_video(4, n_frames=3000, n_persons=3, sample_step=5, classes=SYNTH_CLASSES,
                             frame_size=(320, 180))
    t = PoseTable(arr)
    for tid in t.track_ids():
        r = t.track(tid)
        cx = (r[:, 3] + r[:, 5]) / 2
        h = np.median(r[:, 6] - r[:, 4])
        assert cx.min() >= 0.0 and cx.max() <= 320.0
        assert np.abs(np.diff(cx)).max() < 0.5 * h  # 0.2 s apart: never a teleport
    assert {s.label for s in truth} <= set(SYNTH_CLASSES)
