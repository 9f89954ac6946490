"""ST-GCN training end to end on generated skeletons with known classes, the model registry and
cards, the actions stage on a project (label -> train -> predict) and ``clipdesk train actions``."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from core.actions.dataset import VideoLabels, build_dataset, split_by_video
from core.actions.metrics import classification_report
from core.actions.synthetic import synth_video
from core.actions.windows import WindowParams
from core.errors import Cancelled, ClipDeskError
from core.pipeline import analyze
from core.persons.poses import POSE_SIGNAL, PoseTable
from core.progress import Task
from core.segments import ACCEPTED, ACTION, Segment
from core.timebase import Rate

torch = pytest.importorskip("torch")

FAST: dict[str, Any] = dict(epochs=10, arch="micro", per_span=6, threads=1, batch_size=64, lr=1e-2,
            window=WindowParams(steps=16))


@pytest.fixture(autouse=True)
def _models_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CLIPDESK_MODELS_DIR", str(tmp_path / "models"))


def _labels(seed: int, n_frames: int = 750) -> VideoLabels:
    arr, truth = synth_video(seed, n_frames=n_frames, n_persons=2, sample_step=4)
    spans = [(s.track_id, Segment(ACTION, s.start_frame, s.end_frame, s.label, attrs={"person": s.track_id},
                                  status=ACCEPTED)) for s in truth]
    return VideoLabels(f"gen#{seed}", f"gen{seed}", PoseTable(arr), spans, [], n_frames, Rate(25))


def test_tiny_stgcn_learns_generated_actions() -> None:
    from models.actions.predict import evaluate_on_truth
    from models.actions.registry import ActionModel
    from models.actions.train import TrainConfig, fit

    cfg = TrainConfig(**FAST)
    ds = build_dataset([_labels(s) for s in range(4)], cfg.window, cfg.streams, per_span=cfg.per_span)
    tr, va, how = split_by_video(ds)
    assert how == "by video"
    module, hist = fit(ds.subset(tr), cfg)
    assert hist["loss"][-1] < hist["loss"][0]
    model = ActionModel(module, {"id": "t", "classes": ds.classes, "streams": list(cfg.streams),
                                 "window": cfg.window.to_json()})
    val = ds.subset(va)
    rep = classification_report(val.y, model.predict(val.x).argmax(1), ds.classes)
    assert rep["accuracy"] >= 0.9, rep
    # localisation on an unseen generated video: spans found with the right class and person
    arr, truth = synth_video(99, n_frames=750, n_persons=2, sample_step=4)
    seg = evaluate_on_truth(PoseTable(arr), model, Rate(25),
                            [(s.track_id, s.start_frame, s.end_frame, s.label) for s in truth], iou=0.3)
    assert seg["f1"] >= 0.7, seg


def test_training_is_cancellable() -> None:
    from models.actions.train import TrainConfig, fit

    cfg = TrainConfig(**FAST)
    ds = build_dataset([_labels(3, 300)], cfg.window, cfg.streams, per_span=2)
    task = Task()
    task.cancel()
    with pytest.raises(Cancelled):
        fit(ds, cfg, task)


def _project_video(project, tmp_path, seed: int, label: bool = True):
    from actions_helpers import add_tiny_video

    vid = add_tiny_video(project, tmp_path / f"clip{seed}.mp4", seed, frames=750)
    arr, truth = synth_video(seed, n_frames=750, n_persons=2, sample_step=4)
    project.put_signal(vid, POSE_SIGNAL, "yolo11n-pose@1:{}", arr)
    if label:
        for s in truth:
            project.insert_segment(vid, Segment(ACTION, s.start_frame, s.end_frame, s.label,
                                                attrs={"person": s.track_id}, source="user:annotator"))
    return vid, truth


def test_label_train_predict_round_trip_on_a_project(project, tmp_path) -> None:
    from models.actions.registry import list_models, load_model
    from models.actions.train import TrainConfig, train_actions
    from models.actions.stage import ActionsStage

    for seed in (11, 12, 13):
        _project_video(project, tmp_path, seed)
    target, truth = _project_video(project, tmp_path, 14, label=False)
    project.set_setting("action_classes", ["wave", "kick", "jump", "header"])
    res = train_actions([project], None, TrainConfig(**(FAST | {"epochs": 14})))
    card = res.card
    assert (res.path / "weights.pt").exists() and (res.path / "confusion.png").exists()
    assert card["classes"] == ["background", "wave", "kick", "jump", "header"]
    assert card["data"]["split"] == "by video" and len(card["data"]["validation_videos"]) == 1
    assert card["validation"]["window_level"]["accuracy"] >= 0.8
    assert "segments" in card["validation"] and card["validation"]["segments"]["truth"] > 0
    assert card["training"]["seconds_per_epoch"] > 0 and card["created"]
    assert json.loads((res.path / "card.json").read_text())["id"] == res.model_id
    assert [c["id"] for c in list_models()] == [res.model_id]
    assert load_model(res.model_id).classes == card["classes"]

    # a trained model is never picked up silently: without a choice the starter runs
    assert ActionsStage({}).params()["model"] == "starter"
    stage = ActionsStage({"action_model": res.model_id})  # the project chose it (by id)
    assert stage.params()["model"] == res.model_id
    video = project.video(target)
    analyze(project, video.path, [stage])
    segs = project.segments(target, ACTION)
    src = f"model:stgcn@{ActionsStage.version}"
    assert segs and all(s.attrs["model"] == res.model_id and s.source == src for s in segs)
    assert all(s.attrs["person"] in (1, 2) and 0 < (s.confidence or 0) <= 1 for s in segs)
    hits = sum(any(t.track_id == s.attrs["person"] and t.label == s.label and
                   min(t.end_frame, s.end_frame) > max(t.start_frame, s.start_frame) for t in truth)
               for s in segs)
    assert hits / len(segs) >= 0.7
    # a video without poses: nothing stored, and the stage says why
    from core.media.reader import probe
    from models.actions.stage import NO_POSES
    from actions_helpers import write_tiny_video

    bare = write_tiny_video(tmp_path / "bare.mp4", 77, frames=50)
    msgs: list[str] = []
    analyze(project, bare, [ActionsStage({})], task=Task(lambda s, f, m: msgs.append(m)))
    assert NO_POSES in msgs and project.segments(project.add_video(probe(bare)).id, ACTION) == []


def test_stage_without_a_chosen_model_runs_the_starter(project, tmp_path, caplog) -> None:
    from models.actions.stage import ActionsStage

    vid, _ = _project_video(project, tmp_path, 21, label=False)
    stage = ActionsStage({})
    assert stage.params()["model"] == "starter" and stage.model_name == "starter"
    assert ActionsStage({"action_model": "starter"}).params() == stage.params()
    msgs: list[str] = []
    analyze(project, project.video(vid).path, [stage], task=Task(lambda s, f, m: msgs.append(m)))
    assert any("by the starter detector" in m for m in msgs)
    assert all(s.source == f"model:starter@{ActionsStage.version}" and s.attrs["model"] == "starter"
               for s in project.segments(vid, ACTION))
    with pytest.raises(ClipDeskError):
        ActionsStage({"action_model": str(tmp_path / "nowhere")})


def test_cli_train_actions(project, tmp_path, capsys) -> None:
    from app.cli import main

    for seed in (31, 32):
        _project_video(project, tmp_path, seed)
    path = str(project.path)
    out = tmp_path / "mymodel"
    rc = main(["train", "actions", path, "--out", str(out), "--epochs", "1", "--arch", "micro",
               "--streams", "joint", "--quiet"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "validation accuracy" in text and str(out) in text
    warnings = json.loads((out / "card.json").read_text())["warnings"]
    assert all(f"warning: {w}" in text for w in warnings)  # the card's warnings are printed
    assert (out / "card.json").exists()
    assert main(["train", "actions", "--list"]) == 0  # --out models are not in the registry
    assert "stgcn-" not in capsys.readouterr().out
    rep_dir = tmp_path / "eval"
    assert main(["train", "actions", path, "--evaluate", str(out), "--out", str(rep_dir)]) == 0
    assert "window accuracy" in capsys.readouterr().out
    rep = json.loads((rep_dir / "evaluation.json").read_text())
    assert rep["segments"]["truth"] > 0 and (rep_dir / "evaluation_confusion.png").exists()
    assert project.get_setting("analysis")["action_model"] == str(out)
    assert main(["train", "actions", str(tmp_path / "missing.clipdesk")]) == 2
    empty = tmp_path / "empty.clipdesk"
    from core.store.project import Project

    Project(empty).close()
    assert main(["train", "actions", str(empty), "--quiet"]) == 2
    assert "no reviewed action labels" in capsys.readouterr().err
    assert np.isfinite(json.loads((out / "card.json").read_text())["training"]["final_loss"])


@pytest.mark.shared_media
def test_round_trip_on_shared_clip_with_real_poses(shared_media, project, tmp_path) -> None:
    """Real poses (persons stage, YOLO11n-pose) on a shared clip -> human labels on one person ->
    train -> the actions stage predicts on that clip with the new model, per tracked person."""
    from models.actions.train import TrainConfig, train_actions
    from models.actions.stage import ActionsStage
    from models.persons.stage import PersonsStage

    clip = shared_media / "video" / "moviepy__chaplin.mp4"  # two men, full body, 9.6 s
    analyze(project, clip, [PersonsStage(fps=5.0, dense_fps=5.0)])
    vid = project.videos()[0].id
    from core.actions.dataset import load_poses

    table = load_poses(project, vid)
    assert table is not None and len(table) > 20
    tid = max(table.track_ids(), key=lambda t: len(table.track(t)))
    rows = table.track(tid)
    first, last = int(rows[0, 0]), int(rows[-1, 0])
    mid = (first + last) // 2
    # An annotator labels the first half of the person's track one way, the second another.
    for a, b, lab in ((first, mid, "walk_in"), (mid, last + 1, "stand")):
        project.insert_segment(vid, Segment(ACTION, a, b, lab, attrs={"person": tid}, source="user:annotator"))
    res = train_actions([project], tmp_path / "chaplin-model", TrainConfig(**(FAST | {"epochs": 4, "per_span": 12})))
    assert res.card["data"]["split"].startswith("by time") and res.card["data"]["labelled_spans"] == 2
    assert res.card["validation"]["window_level"]["examples"] > 0
    stage = ActionsStage({"action_model": str(res.path)})
    analyze(project, clip, [stage])
    segs = project.segments(vid, ACTION)
    machine = [s for s in segs if s.source == f"model:stgcn@{ActionsStage.version}"]
    assert all(s.attrs["model"] == res.model_id and s.attrs["person"] in table.track_ids() for s in machine)
    assert all(s.label in ("walk_in", "stand") for s in machine)
    assert len([s for s in segs if s.source == "user:annotator"]) == 2  # labels survive the re-run
