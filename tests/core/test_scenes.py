"""Scenes: shots grouped by look within a time window; shot types; the shots+scenes pipeline."""

from __future__ import annotations

import numpy as np

from core.pipeline import analyze, order_stages
from core.shots.scenes import SceneStage, group_scenes
from core.segments import SCENE, SHOT
from core.shots import ShotStage
from core.shots import features as F
from core.shots.features import ShotSignals
from core.shots.types import CLOSE_UP, REPLAY, WIDE, classify_shots
from core.testing.synth import ShotSpec, make_edit


def _hist(k: int) -> np.ndarray:
    h = np.zeros(F.N_HIST, np.float32)
    h[k] = 1.0
    h[F.N_HIST - 16 + k % 16] = 1.0
    return h


def test_overlapping_links_keep_alternating_shots_together():
    descs = [_hist(i) for i in (0, 1, 0, 1, 5, 6, 5)]
    spans = [(i * 50, (i + 1) * 50) for i in range(7)]
    assert group_scenes(descs, spans, fps=25) == [(0, 4), (4, 7)]
    # too far apart in time: no link
    assert group_scenes(descs, spans, fps=25, window_s=1.0) == [(i, i + 1) for i in range(7)]
    assert group_scenes([], [], fps=25) == []


def test_shots_and_scenes_through_the_pipeline(tmp_path, project):
    looks = [0, 1, 0, 2, 3, 2]
    edit = make_edit(tmp_path / "scenes.mp4", [ShotSpec(30, look=k) for k in looks], seed=2)
    stages = order_stages([ShotStage(None), SceneStage()], ["scenes"])
    assert [s.name for s in stages] == ["shots", "scenes"]
    rep = analyze(project, edit.path, stages)
    assert rep.ran == ["shots", "scenes"]
    shots = project.segments(rep.video.id, SHOT)
    assert [s.start_frame for s in shots] == [0] + edit.cuts
    scenes = project.segments(rep.video.id, SCENE)
    assert [(s.start_frame, s.end_frame) for s in scenes] == [(0, 90), (90, 180)]
    assert [s.attrs["shots"] for s in scenes] == [3, 3]
    # scenes alone again (e.g. a new threshold): no decode, signals come from the project
    rep = analyze(project, edit.path, [SceneStage(threshold=0.0)])
    assert rep.ran == ["scenes"]
    assert len(project.segments(rep.video.id, SCENE)) == 6


def test_shot_types_from_pitch_evidence():
    n = 100
    sc = np.zeros((n, F.N_SCALARS), np.float32)
    sc[:40, F.GREEN], sc[:40, F.EDGES] = 0.7, 0.2  # wide: green and busy
    sc[40:55, F.GREEN], sc[40:55, F.EDGES] = 0.02, 0.05  # close-up
    sc[55:70, F.GREEN], sc[55:70, F.EDGES] = 0.6, 0.2  # short, bracketed by wipes: replay
    sc[70:, F.GREEN], sc[70:, F.EDGES] = 0.7, 0.2
    sig = ShotSignals(sc, np.zeros((n, F.N_HIST), np.float16), np.full(n, np.nan, np.float32))
    shots = [(0, 40, None, "cut"), (40, 55, "cut", "wipe"), (55, 70, "wipe", "wipe"), (70, 100, "wipe", None)]
    labels = [lab for lab, _ in classify_shots(sig, shots, fps=25)]
    assert labels == [WIDE, CLOSE_UP, REPLAY, WIDE]
    # no pitch in the video: no wide/close-up claims
    sc[:, F.GREEN] = 0.0
    assert [lab for lab, _ in classify_shots(sig, shots[:2], fps=25)] == [None, None]
