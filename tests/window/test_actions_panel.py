"""The Actions panel on a real ReviewContext: classes, label while playing with reaction lag,
review queue, training with progress and cancel."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402

from core.actions.synthetic import synth_video  # noqa: E402
from core.persons.poses import POSE_SIGNAL  # noqa: E402
from core.segments import ACCEPTED, ACTION, REJECTED, Segment  # noqa: E402


@pytest.fixture
def panel(qtbot, project, tmp_path, monkeypatch):
    from app.panels.actions import ActionPanel
    from app.review.context import ReviewContext
    from actions_helpers import add_tiny_video

    monkeypatch.setenv("CLIPDESK_MODELS_DIR", str(tmp_path / "models"))
    vid = add_tiny_video(project, tmp_path / "p.mp4", 3, frames=300)
    ctx = ReviewContext()
    ctx.set_project(project, vid)
    w = ActionPanel(ctx)
    qtbot.addWidget(w)
    yield w
    w.close()


def test_class_list_is_a_project_setting(panel) -> None:
    panel.set_classes(["shot_on_goal", "tackle", "celebration"])
    assert panel.ctx.project.get_setting("action_classes") == ["shot_on_goal", "tackle", "celebration"]
    assert panel.class_list.item(1).text() == "2  tackle"
    panel.class_edit.setText("header")
    panel._add_class()
    assert panel.classes()[-1] == "header"
    panel.class_list.setCurrentRow(0)
    panel._remove_class()
    assert panel.ctx.project.get_setting("action_classes") == ["tackle", "celebration", "header"]
    assert "the starter" in panel.model_label.text()


def test_hold_number_key_marks_span_with_reaction_lag(panel, qtbot) -> None:
    ctx = panel.ctx
    panel.set_classes(["kick", "jump"])
    panel.lag.setValue(240)  # 6 frames at 25 fps
    assert ctx.project.get_setting("action_reaction_lag_ms") == 240
    panel.keys_on.setChecked(True)
    ctx.set_playhead(100)
    qtbot.keyPress(panel, Qt.Key.Key_2)
    ctx.set_playhead(150)
    qtbot.keyRelease(panel, Qt.Key.Key_2)
    ctx.set_playhead(155)
    # a release at once followed by a press (an auto-repeat Qt did not flag) continues the span
    qtbot.keyPress(panel, Qt.Key.Key_2)
    ctx.set_playhead(150)
    qtbot.keyRelease(panel, Qt.Key.Key_2)
    assert ctx.project.segments(ctx.video.id, ACTION) == []  # final only after the grace
    qtbot.waitUntil(lambda: bool(ctx.project.segments(ctx.video.id, ACTION)), timeout=5000)
    qtbot.wait(2 * panel.RELEASE_GRACE_MS)
    (seg,) = ctx.project.segments(ctx.video.id, ACTION)
    assert (seg.start_frame, seg.end_frame, seg.label) == (94, 145, "jump")
    assert seg.status == ACCEPTED and seg.source.startswith("user:")
    ctx.undo()
    assert ctx.project.segments(ctx.video.id, ACTION) == []
    panel.person.setValue(4)
    panel.keys_on.setChecked(False)  # keys no longer captured
    qtbot.keyPress(panel, Qt.Key.Key_1)
    qtbot.keyRelease(panel, Qt.Key.Key_1)
    assert ctx.project.segments(ctx.video.id, ACTION) == []
    panel.press_class(1)
    ctx.set_playhead(160)
    seg = panel.release_class(1)
    assert seg is not None and seg.attrs == {"person": 4} and seg.label == "kick"


def test_review_queue_least_confident_first(panel) -> None:
    ctx = panel.ctx
    for conf, start in ((0.9, 10), (0.3, 50), (0.55, 90)):
        ctx.project.insert_segment(ctx.video.id, Segment(ACTION, start, start + 20, "kick", conf,
                                                         {"person": 1}, "model:stgcn@1"))
    panel.refresh_queue()
    assert panel.queue.count() == 2 and panel.queue.item(0).text().startswith("0.30")
    panel.queue.setCurrentRow(0)
    assert ctx.playhead == 50
    panel.review_current(REJECTED)
    assert panel.queue.count() == 1
    panel.review_current(ACCEPTED)
    statuses = sorted((s.start_frame, s.status) for s in ctx.project.segments(ctx.video.id, ACTION))
    assert statuses == [(10, "suggested"), (50, REJECTED), (90, ACCEPTED)]


def test_train_button_runs_cancels_and_reports(panel, qtbot) -> None:
    ctx = panel.ctx
    # no labels yet: a clear message, not a crash
    with qtbot.waitSignal(panel._worker.finished, timeout=60000):
        panel.start_training()
    assert "no reviewed action labels" in panel.status.text() and panel.train_btn.isEnabled()
    arr, truth = synth_video(3, n_frames=300, n_persons=2, sample_step=4, frame_size=(64, 48))
    ctx.project.put_signal(ctx.video.id, POSE_SIGNAL, "yolo@1:{}", arr)
    for s in truth:
        ctx.project.insert_segment(ctx.video.id, Segment(ACTION, s.start_frame, s.end_frame, s.label,
                                                         attrs={"person": s.track_id}, source="user:a"))
    panel.epochs.setValue(200)
    with qtbot.waitSignal(panel._worker.finished, timeout=60000) as blocker:
        panel.start_training()
        assert panel.cancel_btn.isEnabled()
        qtbot.waitUntil(lambda: panel.bar.value() > 0, timeout=60000)
        panel.cancel_btn.click()
    assert blocker.args[0] is False and "cancelled" in panel.status.text()
    panel.epochs.setValue(1)
    with qtbot.waitSignal(panel._worker.finished, timeout=180000) as blocker:
        panel.start_training()
    assert blocker.args[0] is True, panel.status.text()
    assert ctx.project.get_setting("analysis")["action_model"] == str(blocker.args[2].path)
    assert "validation accuracy" in panel.status.text()
    assert blocker.args[2].model_id in panel.model_label.text()


def test_export_and_import_label_files(panel, tmp_path) -> None:
    ctx = panel.ctx
    arr, truth = synth_video(4, n_frames=300, n_persons=1, sample_step=4, frame_size=(64, 48))
    ctx.project.put_signal(ctx.video.id, POSE_SIGNAL, "yolo@1:{}", arr)
    for s in truth:
        ctx.project.insert_segment(ctx.video.id, Segment(ACTION, s.start_frame, s.end_frame, s.label,
                                                         attrs={"person": s.track_id}, source="user:a"))
    assert "annotations" in panel.export_to(str(tmp_path / "x.pkl"), "pyskl")
    assert "images" in panel.export_to(str(tmp_path / "x.json"), "coco")
    msg = panel.import_from(str(tmp_path / "x.pkl"))
    assert msg.startswith(f"imported pyskl: {len(truth)} span")
    assert len(ctx.project.segments(ctx.video.id, ACTION)) == 2 * len(truth)
