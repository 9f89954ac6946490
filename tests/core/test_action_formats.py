"""PYSKL / COCO keypoints / ActivityNet export of action labels with pose tracks, and import back."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from core.actions.formats import (FormatError, export_activitynet, export_coco, export_pyskl, import_activitynet,
                                 import_coco, import_pyskl, read_pyskl)
from core.actions.synthetic import synth_video
from core.persons.poses import POSE_SIGNAL
from core.segments import ACCEPTED, ACTION, Segment


@pytest.fixture
def labelled(project, tmp_path):
    from actions_helpers import add_tiny_video

    vid = add_tiny_video(project, tmp_path / "match.mp4", 7, frames=300)
    arr, truth = synth_video(7, n_frames=300, n_persons=2, sample_step=3, frame_size=(64, 48))
    project.put_signal(vid, POSE_SIGNAL, "yolo@1:{}", arr)
    for s in truth:
        project.insert_segment(vid, Segment(ACTION, s.start_frame, s.end_frame, s.label,
                                            attrs={"person": s.track_id}, source="user:ann"))
    # a machine suggestion nobody reviewed: not exported as a label
    project.insert_segment(vid, Segment(ACTION, 0, 10, "kick", 0.4, {"person": 1}, "model:stgcn@1"))
    return project, vid, truth, arr


def _fresh(tmp_path, project):
    """A second project holding the same video (file) but no labels."""
    from core.media.reader import probe
    from core.store.project import Project

    other = Project(tmp_path / "other.clipdesk")
    vid = other.add_video(probe(project.video(1).path)).id
    return other, vid


def test_pyskl_round_trip(labelled, tmp_path) -> None:
    project, vid, truth, arr = labelled
    out = tmp_path / "skel.pkl"
    n = export_pyskl(project, out, val_videos=[vid])
    assert n["annotations"] == len(truth)
    data = read_pyskl(out)
    a = data["annotations"][0]
    t0 = sorted(truth, key=lambda s: (s.start_frame, s.track_id))
    first = next(s for s in truth if a["frame_dir"].endswith(f"_f{s.start_frame}-{s.end_frame}_p{s.track_id}"))
    assert a["keypoint"].shape == (1, first.end_frame - first.start_frame, 17, 2)
    assert a["keypoint_score"].shape == a["keypoint"].shape[:3] and a["keypoint"].dtype == np.float32
    assert a["total_frames"] == first.end_frame - first.start_frame and a["img_shape"] == (48, 64)
    assert data["label_names"][a["label"]] == first.label and len(data["split"]["val"]) == len(truth)
    row = arr[(arr[:, 0] == first.start_frame) & (arr[:, 1] == first.track_id)]
    if len(row):  # a sampled frame: keypoints exactly as stored
        assert np.allclose(a["keypoint"][0, 0], row[0, 7:].reshape(17, 3)[:, :2], atol=1e-3)
    other, ovid = _fresh(tmp_path, project)
    # strip ClipDesk's extras: labels must survive from frame_dir + label index alone
    plain = {"split": data["split"], "annotations": [{k: v for k, v in x.items() if k != "clipdesk"}
                                                     for x in data["annotations"]]}
    p2 = tmp_path / "plain.pkl"
    p2.write_bytes(pickle.dumps(plain))
    res = import_pyskl(other, p2, label_names=data["label_names"])
    assert res == {"added": len(truth), "skipped": 0}
    got = sorted((s.start_frame, s.end_frame, s.label, s.attrs["person"]) for s in other.segments(ovid, ACTION))
    assert got == sorted((s.start_frame, s.end_frame, s.label, s.track_id) for s in t0)
    assert all(s.status == ACCEPTED and s.source == "user:import-pyskl" for s in other.segments(ovid, ACTION))
    other.close()


def test_pickle_with_code_is_refused(tmp_path, project) -> None:
    bad = tmp_path / "evil.pkl"
    bad.write_bytes(pickle.dumps({"annotations": [], "x": print}))
    with pytest.raises(FormatError):
        read_pyskl(bad)
    with pytest.raises(FormatError):
        import_activitynet(project, bad)


def test_coco_keypoints_export_and_action_import(labelled, tmp_path) -> None:
    project, vid, truth, arr = labelled
    out = tmp_path / "coco.json"
    res = export_coco(project, vid, out)
    doc = json.loads(out.read_text())
    assert res["images"] == len(np.unique(arr[:, 0])) and res["annotations"] == len(arr)
    ann = doc["annotations"][0]
    assert len(ann["keypoints"]) == 51 and set(ann["keypoints"][2::3]) <= {0, 2}
    assert doc["categories"][0]["keypoints"][0] == "nose" and len(doc["categories"][0]["skeleton"]) == 19
    labelled_anns = [a for a in doc["annotations"] if "action" in a]
    assert labelled_anns and all(a["track_id"] in (1, 2) for a in labelled_anns)
    other, ovid = _fresh(tmp_path, project)
    r = import_coco(other, out)
    assert r["added"] == len(truth)
    got = sorted((s.attrs["person"], s.label) for s in other.segments(ovid, ACTION))
    assert got == sorted((s.track_id, s.label) for s in truth)
    # spans come back within one pose sampling step of the originals
    for s in other.segments(ovid, ACTION):
        t = next(t for t in truth if t.track_id == s.attrs["person"] and t.label == s.label
                 and abs(t.start_frame - s.start_frame) <= 3)
        assert abs(t.end_frame - s.end_frame) <= 3
    other.close()


def test_activitynet_ground_truth_and_results(labelled, tmp_path) -> None:
    project, vid, truth, _ = labelled
    gt = tmp_path / "anet.json"
    assert export_activitynet(project, gt)["segments"] == len(truth)
    doc = json.loads(gt.read_text())
    entry = doc["database"]["match"]
    assert entry["fps"] == 25.0 and entry["annotations"][0]["segment"][1] > entry["annotations"][0]["segment"][0]
    res = tmp_path / "results.json"
    assert export_activitynet(project, res, results=True)["segments"] == len(truth) + 1
    other, ovid = _fresh(tmp_path, project)
    assert import_activitynet(other, gt)["added"] == len(truth)
    assert import_activitynet(other, res)["added"] == len(truth) + 1
    segs = other.segments(ovid, ACTION)
    assert sum(s.status == "suggested" for s in segs) == len(truth) + 1
    assert any(s.confidence == 0.4 for s in segs)
    # seconds-only entries (no ClipDesk extras) map to frames with the video's rate
    plain = {"database": {"match.mp4": {"annotations": [{"segment": [1.0, 2.0], "label": "jump"}]}}}
    (tmp_path / "plain.json").write_text(json.dumps(plain))
    import_activitynet(other, tmp_path / "plain.json")
    assert any((s.start_frame, s.end_frame) == (25, 50) for s in other.segments(ovid, ACTION))
    other.close()
    with pytest.raises(FormatError):
        (tmp_path / "x.json").write_text("[1, 2]")
        import_activitynet(project, tmp_path / "x.json")


def test_detect_and_dispatch(labelled, tmp_path) -> None:
    from core.actions.formats import detect_format, export_labels, import_labels

    project, vid, truth, _ = labelled
    for fmt, name in (("pyskl", "a.pkl"), ("coco", "b.json"), ("activitynet", "c.json")):
        export_labels(project, tmp_path / name, fmt, vid)
        assert detect_format(tmp_path / name) == fmt
    other, ovid = _fresh(tmp_path, project)
    fmt, counts = import_labels(other, tmp_path / "c.json")
    assert fmt == "activitynet" and counts["added"] == len(truth)
    other.close()
    with pytest.raises(FormatError):
        export_labels(project, tmp_path / "d.x", "yaml")


@pytest.mark.parametrize("fmt", ["pyskl", "coco", "activitynet"])
def test_clipdesk_export_cli_writes_training_formats(labelled, tmp_path, fmt) -> None:
    from app.cli import main

    project, vid, truth, _ = labelled
    out = tmp_path / f"labels.{fmt}"
    assert main(["export", str(project.path), "--format", fmt, "--out", str(out)]) == 0
    if fmt == "pyskl":
        assert len(read_pyskl(out)["annotations"]) == len(truth)
    else:  # the same file the API writes
        ref = tmp_path / f"ref.{fmt}"
        export_coco(project, vid, ref) if fmt == "coco" else export_activitynet(project, ref)
        assert json.loads(out.read_text()) == json.loads(ref.read_text())
    assert main(["export", str(project.path), "--format", fmt, "--out", "-"]) == 2
