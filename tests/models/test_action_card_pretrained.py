"""The ST-GCN that ships with ClipDesk (``models/actions/pretrained``): loaded from plain arrays,
an honest card (how it was made, from redistributable sources only, validation split by video,
per-class precision/recall, boundary offset, warnings, figures on held-out real clips), and the
actions stage runs with it when a project chooses it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.actions import starter
from core.actions.synthetic import MOTION_CLASSES, synth_video
from core.persons.poses import POSE_SIGNAL, PoseTable
from core.pipeline import analyze
from core.segments import ACTION
from core.timebase import Rate

torch = pytest.importorskip("torch")


def _card() -> dict:
    from models.actions.registry import pretrained_dir

    path = pretrained_dir() / "card.json"
    if not path.exists():
        pytest.fail(f"{path} missing: the pre-trained model ships with ClipDesk (bench/train_action_pretrain.py)")
    return json.loads(path.read_text())


def test_shipped_weights_are_plain_arrays_and_load() -> None:
    from models.actions.registry import PRETRAINED, load_model, pretrained_dir, resolve_model

    d = pretrained_dir()
    assert (d / "weights.npz").exists() and not (d / "weights.pt").exists()
    with np.load(d / "weights.npz", allow_pickle=False) as z:  # no object arrays anywhere
        assert all(z[k].dtype != object for k in z.files)
    m = load_model(PRETRAINED)
    assert m.id == PRETRAINED and m.classes == ["background", *starter.CLASSES]
    assert resolve_model(PRETRAINED) == str(d)


def test_card_says_how_it_was_made_and_what_it_scored() -> None:
    c = _card()
    assert "train_action_pretrain" in c["how_made"] and "pseudo-labels" in c["how_made"]
    names = {s["name"] for s in c["data"]["real_sources"]}
    assert names <= {"clipdesk-sample.mp4", "moviepy__chaplin.mp4"}  # redistributable footage only
    assert c["data"]["split"].startswith("by video")
    assert not set(c["data"]["validation_videos"]) & set(c["data"]["videos"])
    val = c["validation"]
    for cls in MOTION_CLASSES:
        m = val["window_level"]["per_class"][cls]
        assert m["support"] > 0 and 0 <= m["precision"] <= 1 and 0 <= m["recall"] <= 1
    seg = val["segments"]["tiou_0.3"]
    assert seg["median_boundary_offset_s"] is not None and seg["recall"] is not None
    assert c["warnings"] and any("generated motion" in w for w in c["warnings"])
    real = c["evaluation_real_heldout"]
    assert real and real["pretrained"]["truth"] > 0 and real["starter"]["truth"] == real["pretrained"]["truth"]


def test_the_stage_runs_the_shipped_model_when_chosen(project, tmp_path) -> None:
    from actions_helpers import add_tiny_video

    from models.actions.stage import ActionsStage

    vid = add_tiny_video(project, tmp_path / "clip.mp4", 3, frames=500)
    arr, truth = synth_video(7, n_frames=500, n_persons=1, sample_step=6, classes=MOTION_CLASSES)
    project.put_signal(vid, POSE_SIGNAL, "yolo11n-pose@1:{}", arr)
    stage = ActionsStage({"action_model": "pretrained"})
    assert stage.model_name == "pretrained"
    analyze(project, project.video(vid).path, [stage])
    segs = project.segments(vid, ACTION)
    assert all(s.attrs["model"] == "pretrained" and s.label in starter.CLASSES for s in segs)
    # it learnt the generated motion: most generated actions are found with their class
    from models.actions.predict import predict_table
    from models.actions.registry import load_model

    pred = predict_table(PoseTable(arr), load_model("pretrained"), Rate(25))
    hits = sum(any(p.label == t.label and min(p.end_frame, t.end_frame) > max(p.start_frame, t.start_frame)
                   for p in pred) for t in truth)
    assert hits >= 0.6 * len(truth), (hits, len(truth))
