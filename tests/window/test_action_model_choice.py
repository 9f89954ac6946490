"""Which action model a project uses is the project's choice, made and shown in the Analysis
panel: the starter by default; a trained model only where chosen."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("PySide6")


def _fake_model(root, mid: str) -> str:
    d = root / "actions" / mid
    d.mkdir(parents=True)
    (d / "card.json").write_text(json.dumps({"kind": "clipdesk.action-model/1", "id": mid, "created": "2026-12-01",
                                             "classes": ["background", "forehand"], "streams": ["joint"]}))
    (d / "weights.pt").write_bytes(b"not loaded by the chooser")
    return str(d)


def test_choose_the_action_model_in_the_analysis_panel(qtbot, project, tmp_path, monkeypatch) -> None:
    from app.review.context import ReviewContext
    from app.window.analysis import AnalysisPanel, AnalysisWorker
    from actions_helpers import add_tiny_video
    from models.actions.stage import ActionsStage

    monkeypatch.setenv("CLIPDESK_MODELS_DIR", str(tmp_path / "models"))
    path = _fake_model(tmp_path / "models", "stgcn-tennis")  # trained in another project
    vid = add_tiny_video(project, tmp_path / "v.mp4", 5, frames=50)
    ctx = ReviewContext()
    ctx.set_project(project, vid)
    panel = AnalysisPanel(AnalysisWorker(), ctx=ctx)
    qtbot.addWidget(panel)
    chooser = panel.action_model
    assert chooser is not None and chooser.current_id() == "starter"
    # the starter, the trained model (not applied) and the pre-trained model that ships with ClipDesk
    assert chooser.combo.count() == 3 and chooser.combo.findData("pretrained") == 2
    assert ActionsStage(project.get_setting("analysis", {}) or {}).model_name == "starter"
    chooser.combo.setCurrentIndex(chooser.combo.findData(path))
    assert project.get_setting("analysis")["action_model"] == path
    stage = ActionsStage(project.get_setting("analysis"))
    assert stage.model_name == "stgcn-tennis" and stage.params()["model"] == "stgcn-tennis"
    ctx.set_project(project, vid)  # reopened: the choice is shown
    assert chooser.current_id() == "stgcn-tennis"
    chooser.combo.setCurrentIndex(chooser.combo.findData("pretrained"))
    assert project.get_setting("analysis")["action_model"] == "pretrained"  # the id, not an install path
    assert ActionsStage(project.get_setting("analysis")).model_name == "pretrained"
    chooser.combo.setCurrentIndex(0)
    assert "action_model" not in project.get_setting("analysis")
