"""Signal lanes under the timeline (pyqtgraph): synced with zoom and playhead; dragging the
shot threshold re-decides shots from cached signals, without a decode, as one undo step that
keeps a corrected shot."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from core import segments as sg
from core.testing.demo import copy_project


@pytest.fixture
def lanes_win(qtbot, template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from app.window.main_window import MainWindow
    from core.pipeline import analyze
    from core.shots.stage import ShotStage
    from core.store.project import Project

    monkeypatch.setenv("CLIPDESK_CONFIG_DIR", str(tmp_path / "cfg"))
    path = copy_project(template, tmp_path)
    with Project(path) as p:  # the fast shots pass stores its per-frame signals
        analyze(p, p.videos()[0].path, [ShotStage()])
    w = MainWindow(interactive=False, audio=False)
    qtbot.addWidget(w)
    w.resize(1300, 900)
    w.show()
    w.open_project(path)
    yield w
    w.close()


def test_lanes_follow_zoom_and_playhead(lanes_win) -> None:
    w = lanes_win
    lanes = w.timeline.lanes
    assert lanes is not None and lanes.isVisible()
    assert lanes.lanes() == ["shots", "actions"]  # the demo has no audio lanes or scoreboard
    c = w.timeline.canvas
    c.zoom(3.0)
    c.set_view(100)
    for plot in lanes.plots.values():
        (x0, x1), _ = plot.getViewBox().viewRange()
        assert x0 == pytest.approx(c.x0, abs=0.5) and x1 == pytest.approx(c.x0 + c.visible_frames(), abs=0.5)
    w.ctx.seek(150)
    assert all(ph.value() == 150 for ph in lanes.playheads)
    w.timeline.signals_btn.click()  # the Signals button hides the lanes
    assert not lanes.isVisible()


def test_threshold_drag_redecides_without_decode_keeps_corrections_and_undoes(
        lanes_win, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.edit.ops import SetBounds
    from core.media import reader

    w = lanes_win
    ctx, lanes = w.ctx, w.timeline.lanes
    before = {(s.id, s.start_frame, s.end_frame) for s in ctx.segments(sg.SHOT)}
    fast = sorted((s for s in ctx.segments(sg.SHOT) if "shotfast" in s.source), key=lambda s: s.start_frame)
    corrected = fast[2]
    ctx.apply(SetBounds(corrected.id, corrected.start_frame + 3, corrected.end_frame))
    kept = ctx.project.segment(corrected.id)
    before = {(s.id, s.start_frame, s.end_frame) for s in ctx.segments(sg.SHOT)}
    decodes: list[str] = []
    real = reader.FrameReader.__init__

    def spy(self, *a, **k):  # a decode on the GUI thread would be the re-decision reading frames
        if threading.current_thread() is threading.main_thread():
            decodes.append(str(a[0]))
        real(self, *a, **k)

    monkeypatch.setattr(reader.FrameReader, "__init__", spy)
    line = lanes.threshold_line
    assert line is not None and lanes.score.param == "cut_fast"
    line.setValue(0.7)  # what a drag ends with
    line.sigPositionChangeFinished.emit(line)
    assert decodes == []
    after = ctx.segments(sg.SHOT)
    assert {(s.id, s.start_frame, s.end_frame) for s in after} != before
    assert any(s.id == kept.id and s.start_frame == kept.start_frame for s in after)  # kept
    assert all(not (s.start_frame < kept.end_frame and s.end_frame > kept.start_frame)
               for s in after if s.id != kept.id)  # nothing new overlaps it
    assert "Shot threshold 0.30 \u2192 0.70" in w.timeline.status.text()
    assert ctx.undo_stack.undoText() == "Shot threshold 0.30 \u2192 0.70"
    ctx.undo()  # one step back: exactly the shots before the drag
    assert {(s.id, s.start_frame, s.end_frame) for s in ctx.segments(sg.SHOT)} == before
    assert lanes.score.value == pytest.approx(0.30)
    ctx.redo()
    assert {(s.id, s.start_frame, s.end_frame) for s in ctx.segments(sg.SHOT)} == \
        {(s.id, s.start_frame, s.end_frame) for s in after}
