"""Timeline widget: drawing with many segments, edge drags with snapping, undo/redo, lock."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from app.review.context import ReviewContext
from core.testing.demo import copy_project
from app.timeline.view import HEADER_W, TRACK_H, Timeline
from app.timeline.model import TrackData
from core.segments import ACCEPTED, Segment
from core.store.project import Project


@pytest.fixture
def session(qtbot, template: Path, tmp_path: Path):
    project = Project(copy_project(template, tmp_path))
    ctx = ReviewContext()
    tl = Timeline(ctx)
    qtbot.addWidget(tl)
    tl.resize(1200, 400)
    tl.show()
    ctx.set_project(project)
    qtbot.waitExposed(tl)
    yield ctx, tl, project
    if tl.canvas.thumbs is not None:
        tl.canvas.thumbs.close()
    project.close()


def test_track_data_visible_range_finds_overlapping_segments() -> None:
    segs = [Segment("t", i * 10, i * 10 + 5) for i in range(100)] + [Segment("t", 0, 1000)]
    td = TrackData("t", segs)
    i, j = td.visible_range(500, 520)
    found = {(s.start_frame, s.end_frame) for s in td.segs[i:j]
             if s.end_frame > 500 and s.start_frame < 520}
    assert found == {(500, 505), (510, 515), (0, 1000)}
    assert td.at(502).start_frame == 500  # the most specific segment wins
    assert td.at(507).length == 1000


def _edge_pos(tl: Timeline, seg: Segment, side: str) -> QPoint:
    c = tl.canvas
    y = dict(c.track_rows())[seg.track] + TRACK_H // 2
    f = seg.start_frame if side == "start" else seg.end_frame
    return QPoint(int(round(c.x_of(f))), y)


def test_drag_edge_snaps_to_playhead_and_undo_redo_round_trip(qtbot, session) -> None:
    ctx, tl, project = session
    c = tl.canvas
    c.set_view(0, 6.0)  # 6 px per frame
    vid = ctx.video.id
    shots = project.segments(vid, "shot")
    seg = shots[1]
    before = [(s.start_frame, s.end_frame) for s in shots]
    edges = {f for s in project.segments(vid) for f in (s.start_frame, s.end_frame)}
    free = next(f for f in range(seg.end_frame + 3, seg.end_frame + 40)
                if all(abs(f - e) > 3 for e in edges))
    ctx.seek(free)
    start = _edge_pos(tl, seg, "end")
    # drop a frame away from the playhead (within the 8 px tolerance): it snaps onto it
    target = QPoint(int(round(c.x_of(ctx.playhead + 1))), start.y())
    qtbot.mousePress(c, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(c, pos=QPoint((start.x() + target.x()) // 2, start.y()))
    qtbot.mouseMove(c, pos=target)
    qtbot.mouseRelease(c, Qt.MouseButton.LeftButton, pos=target)
    moved = project.segment(seg.id)
    assert moved.end_frame == ctx.playhead  # snapped to the playhead
    assert moved.status == ACCEPTED
    after = [(s.start_frame, s.end_frame) for s in project.segments(vid, "shot")]
    assert after[2][0] == ctx.playhead  # the neighbour's touching edge rippled
    ctx.undo()
    assert [(s.start_frame, s.end_frame) for s in project.segments(vid, "shot")] == before
    ctx.redo()
    assert [(s.start_frame, s.end_frame) for s in project.segments(vid, "shot")] == after
    # the canvas shows the stored state
    assert c.model.find(seg.id).end_frame == ctx.playhead


def test_alt_disables_snapping(qtbot, session) -> None:
    ctx, tl, project = session
    c = tl.canvas
    c.set_view(0, 6.0)
    seg = project.segments(ctx.video.id, "highlight")[0]
    ctx.seek(seg.end_frame + 4)
    start = _edge_pos(tl, seg, "end")
    target = QPoint(int(round(c.x_of(ctx.playhead - 1))), start.y())  # one frame short
    alt = Qt.KeyboardModifier.AltModifier
    qtbot.mousePress(c, Qt.MouseButton.LeftButton, alt, pos=start)
    qtbot.mouseMove(c, pos=target)
    # synthesize the move with Alt held (mouseMove carries no modifiers)
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtCore import QEvent

    ev = QMouseEvent(QEvent.Type.MouseMove, QPointF(target), QPointF(c.mapToGlobal(target)),
                     Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton, alt)
    c.mouseMoveEvent(ev)
    qtbot.mouseRelease(c, Qt.MouseButton.LeftButton, alt, pos=target)
    assert project.segment(seg.id).end_frame == ctx.playhead - 1


def test_locked_track_cannot_be_dragged_and_hidden_track_is_not_hit(qtbot, session) -> None:
    ctx, tl, project = session
    c = tl.canvas
    c.set_view(0, 6.0)
    seg = project.segments(ctx.video.id, "highlight")[0]
    y = dict(c.track_rows())["highlight"]
    qtbot.mouseClick(c, Qt.MouseButton.LeftButton, pos=c._lock_rect(y).center().toPoint())
    assert c.model.views["highlight"].locked
    start = _edge_pos(tl, seg, "end")
    qtbot.mousePress(c, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(c, pos=start + QPoint(60, 0))
    qtbot.mouseRelease(c, Qt.MouseButton.LeftButton, pos=start + QPoint(60, 0))
    assert project.segment(seg.id).end_frame == seg.end_frame
    qtbot.mouseClick(c, Qt.MouseButton.LeftButton, pos=c._eye_rect(y).center().toPoint())
    assert not c.model.views["highlight"].visible
    mid = QPoint(int(c.x_of((seg.start_frame + seg.end_frame) / 2)), y + TRACK_H // 2)
    assert c.segment_at(mid.x(), mid.y()) is None


def test_click_selects_and_ruler_seeks(qtbot, session) -> None:
    ctx, tl, project = session
    c = tl.canvas
    c.set_view(0, 4.0)
    seg = project.segments(ctx.video.id, "action")[0]
    y = dict(c.track_rows())["action"] + TRACK_H // 2
    qtbot.mouseClick(c, Qt.MouseButton.LeftButton, pos=QPoint(int(c.x_of(seg.start_frame + 10)), y))
    assert ctx.selection is not None and ctx.selection.id == seg.id
    qtbot.mouseClick(c, Qt.MouseButton.LeftButton, pos=QPoint(int(c.x_of(123)) + 1, 10))
    assert ctx.playhead == 123


def test_zoom_and_fit_keep_view_inside_video(qtbot, session) -> None:
    ctx, tl, _ = session
    c = tl.canvas
    c.fit()
    assert c.x0 == 0 and c.visible_frames() >= ctx.frame_count
    c.zoom(8.0, anchor_x=HEADER_W + 100)
    assert c.visible_frames() < ctx.frame_count
    f_at_anchor = c.frame_of(HEADER_W + 100)
    c.zoom(2.0, anchor_x=HEADER_W + 100)
    assert abs(c.frame_of(HEADER_W + 100) - f_at_anchor) < 1.0  # zoom keeps the anchor
    ctx.seek(ctx.frame_count - 1)  # follow scrolls to show the playhead
    assert c.x0 <= ctx.playhead <= c.x0 + c.visible_frames()


def test_many_segments_paint_with_level_of_detail(qtbot, tmp_path: Path) -> None:
    from core.testing.demo import build_demo_project

    project = build_demo_project(tmp_path, segments=5000)
    ctx = ReviewContext()
    tl = Timeline(ctx)
    qtbot.addWidget(tl)
    tl.resize(1400, 500)
    tl.show()
    qtbot.waitExposed(tl)
    ctx.set_project(project)
    c = tl.canvas
    total = sum(len(td) for td in c.model.tracks.values())
    assert total >= 5000
    img = c.grab().toImage()
    assert img.width() == c.width()
    # the dense person track is drawn as coverage: most columns of its row are coloured
    y = dict(c.track_rows())["person"] + TRACK_H // 2
    bg = img.pixelColor(5, c.height() - 2)
    coloured = sum(img.pixelColor(x, y) != bg for x in range(HEADER_W + 1, c.width() - 1, 7))
    assert coloured > 0.8 * len(range(HEADER_W + 1, c.width() - 1, 7))
    c.zoom(20.0)
    c.grab()
    if tl.canvas.thumbs is not None:
        tl.canvas.thumbs.close()
    project.close()


def test_shot_boundaries_inside_speech_are_flagged_like_speech_safe_boundary(qtbot, session) -> None:
    from core.audio.speech import speech_safe_boundary

    ctx, tl, project = session
    speech = project.segments(ctx.video.id, "speech")
    bounds = [s.start_frame for s in project.segments(ctx.video.id, "shot")][1:]
    want = {f for f in bounds if speech_safe_boundary(f, speech, 0).inside_speech}
    assert want  # the demo's speech bursts cross some cuts
    assert tl.canvas._inside_speech == want
    # moving a cut into a pause clears its flag (recomputed from the change set)
    f = sorted(want)[0]
    seg = next(s for s in project.segments(ctx.video.id, "shot") if s.start_frame == f)
    pause = next(g for g in range(f + 1, seg.end_frame - 1)
                 if not speech_safe_boundary(g, speech, 0).inside_speech)
    ctx.apply(__import__("core.edit.ops", fromlist=["SetBounds"]).SetBounds(seg.id, pause, seg.end_frame))
    assert f not in tl.canvas._inside_speech and pause not in tl.canvas._inside_speech


def test_track_visibility_and_lock_persist_in_the_project(qtbot, session) -> None:
    ctx, tl, project = session
    c = tl.canvas
    y = dict(c.track_rows())["speech"]
    qtbot.mouseClick(c, Qt.MouseButton.LeftButton, pos=c._lock_rect(y).center().toPoint())
    qtbot.mouseClick(c, Qt.MouseButton.LeftButton, pos=c._eye_rect(y).center().toPoint())
    ctx.set_project(None)
    ctx.set_project(project)
    assert not c.model.views["speech"].visible and c.model.views["speech"].locked
    assert c.model.views["shot"].visible and not c.model.views["shot"].locked


def test_review_whole_track_is_one_undo_step(qtbot, session) -> None:
    ctx, tl, project = session
    vid = ctx.video.id
    assert tl.canvas.review_track("speech", ACCEPTED) == len(project.segments(vid, "speech"))
    assert {s.status for s in project.segments(vid, "speech")} == {ACCEPTED}
    ctx.undo()
    assert {s.status for s in project.segments(vid, "speech")} == {"suggested"}
