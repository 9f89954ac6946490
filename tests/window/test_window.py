"""The main window driven from the keyboard: NLE shortcuts, edits through core.edit.ops, undo/redo,
label persistence across close and reopen, inspector and help overlay."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from core.testing.demo import copy_project
from app.window.main_window import MainWindow
from core.segments import ACCEPTED, REJECTED


def key(qtbot, w: MainWindow, k: Qt.Key, mods: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(w.timeline.canvas, k, mods)


def test_frame_and_second_steps_home_end_and_shot_boundaries(qtbot, win: MainWindow) -> None:
    ctx = win.ctx
    c = win.timeline.canvas  # opening a video fits it in the timeline
    assert c.x0 == 0 and ctx.frame_count <= c.visible_frames() <= ctx.frame_count * 1.1
    key(qtbot, win, Qt.Key.Key_Right)
    key(qtbot, win, Qt.Key.Key_Right)
    assert ctx.playhead == 2
    key(qtbot, win, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert ctx.playhead == 27  # 25 fps
    key(qtbot, win, Qt.Key.Key_Left)
    assert ctx.playhead == 26
    key(qtbot, win, Qt.Key.Key_Down)  # next shot boundary
    shots = ctx.segments("shot")
    assert ctx.playhead == shots[1].start_frame
    key(qtbot, win, Qt.Key.Key_Down)
    assert ctx.playhead == shots[2].start_frame
    key(qtbot, win, Qt.Key.Key_Up)
    assert ctx.playhead == shots[1].start_frame
    key(qtbot, win, Qt.Key.Key_End)
    assert ctx.playhead == ctx.frame_count - 1
    key(qtbot, win, Qt.Key.Key_Home)
    assert ctx.playhead == 0


def test_player_shows_the_exact_frame_after_a_seek(qtbot, win: MainWindow) -> None:
    ctx = win.ctx
    ctx.seek(137)
    qtbot.waitUntil(lambda: win.player.view.image is not None and win.player.view.frame == 137
                    and win.player.view.is_exact, timeout=30000)
    from app.player.frame_server import display_size
    from core.media.reader import FrameReader

    v = ctx.video
    with FrameReader(v.path, ctx.clock, size=display_size(v.width, v.height)) as r:
        ref = r.read(137)
    img = win.player.view.image
    assert (img.width(), img.height()) == (ref.shape[1], ref.shape[0])
    px = img.pixelColor(img.width() // 3, img.height() // 3)
    want = ref[img.height() // 3, img.width() // 3]
    assert abs(px.red() - int(want[0])) <= 2 and abs(px.green() - int(want[1])) <= 2


def test_split_merge_delete_with_undo_redo(qtbot, win: MainWindow) -> None:
    ctx, project = win.ctx, win.project
    vid = ctx.video.id
    shots0 = [(s.start_frame, s.end_frame) for s in project.segments(vid, "shot")]
    seg = project.segments(vid, "shot")[0]
    ctx.select(seg)
    ctx.seek(20)
    key(qtbot, win, Qt.Key.Key_S)
    shots1 = [(s.start_frame, s.end_frame) for s in project.segments(vid, "shot")]
    assert shots1[:2] == [(0, 20), (20, seg.end_frame)]
    ctx.select(project.segment(seg.id))
    key(qtbot, win, Qt.Key.Key_M)  # merge with the next one again
    assert [(s.start_frame, s.end_frame) for s in project.segments(vid, "shot")] == shots0
    key(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [(s.start_frame, s.end_frame) for s in project.segments(vid, "shot")] == shots1
    key(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [(s.start_frame, s.end_frame) for s in project.segments(vid, "shot")] == shots0
    key(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier
        | Qt.KeyboardModifier.ShiftModifier)
    assert [(s.start_frame, s.end_frame) for s in project.segments(vid, "shot")] == shots1
    hl = project.segments(vid, "highlight")[0]
    ctx.select(hl)
    key(qtbot, win, Qt.Key.Key_Delete)
    assert project.segments(vid, "highlight") == []
    assert ctx.selection is None
    key(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [s.id for s in project.segments(vid, "highlight")] == [hl.id]


def test_marks_add_accept_reject_relabel_and_persistence(qtbot, win: MainWindow,
                                                          tmp_path: Path) -> None:
    ctx, project = win.ctx, win.project
    vid = ctx.video.id
    ctx.select(None)
    ctx.seek(200)
    key(qtbot, win, Qt.Key.Key_I)
    ctx.seek(239)
    key(qtbot, win, Qt.Key.Key_O)
    key(qtbot, win, Qt.Key.Key_A)
    added = ctx.selection
    assert added is not None and (added.track, added.start_frame, added.end_frame) == (
        "highlight", 200, 240)
    assert added.source.startswith("user:") and added.status == ACCEPTED
    key(qtbot, win, Qt.Key.Key_1)  # first label of the highlight list
    labels = project.segment(added.id).label
    assert labels == "goal"  # the most used label on the track comes first
    action = project.segments(vid, "action")[0]
    ctx.select(action)
    key(qtbot, win, Qt.Key.Key_Return)
    assert project.segment(action.id).status == ACCEPTED
    assert project.segment(action.id).label == action.label  # accepting keeps the machine label
    ctx.select(project.segment(action.id))
    key(qtbot, win, Qt.Key.Key_Backspace)
    assert project.segment(action.id).status == REJECTED
    # the machine value survives in the history
    hist = project.history(action.id)
    assert any(h["field"] == "status" and h["old_value"] == "suggested" for h in hist)
    # close and reopen: same state
    path = project.path
    state = [(s.id, s.track, s.start_frame, s.end_frame, s.label, s.status)
             for s in project.segments(vid)]
    win.open_project(path)
    again = [(s.id, s.track, s.start_frame, s.end_frame, s.label, s.status)
             for s in win.project.segments(vid)]
    assert again == state


def test_next_unreviewed_and_segment_jumps(qtbot, win: MainWindow) -> None:
    ctx = win.ctx
    ctx.select(None)
    ctx.seek(0)
    key(qtbot, win, Qt.Key.Key_N)
    first = ctx.selection
    assert first is not None and first.status == "suggested" and ctx.playhead == first.start_frame
    ctx.select(ctx.segments("shot")[0])
    key(qtbot, win, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert ctx.selection.id == ctx.segments("shot")[1].id


def test_refused_edit_is_a_status_message_not_an_exception(qtbot, win: MainWindow) -> None:
    win.ctx.select(None)
    key(qtbot, win, Qt.Key.Key_M)
    assert "select a segment" in win.statusBar().currentMessage()


def test_inspector_shows_times_and_relabels_with_history(qtbot, win: MainWindow) -> None:
    ctx, project = win.ctx, win.project
    seg = ctx.segments("action")[0]
    ctx.select(seg)
    insp = win.inspector
    assert f"frame {seg.start_frame}" in insp.fields["Start"].text()
    assert f"({seg.length} frames)" in insp.fields["Duration"].text()
    assert insp.fields["Source"].text() == seg.source
    insp.label_edit.setText("tackle")
    insp.label_edit.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is insp.label_edit, timeout=15000)
    qtbot.keyClick(insp.label_edit, Qt.Key.Key_Return)
    assert project.segment(seg.id).label == "tackle"
    changes = [insp.history.topLevelItem(i).text(2) for i in range(insp.history.topLevelItemCount())]
    assert any("label" in c and "tackle" in c for c in changes)


def test_help_overlay_toggles(qtbot, win: MainWindow) -> None:
    key(qtbot, win, Qt.Key.Key_F1)
    assert win.help.isVisible()
    qtbot.keyClick(win.help, Qt.Key.Key_Escape)
    assert not win.help.isVisible()


def test_playback_advances_and_pauses(qtbot, win: MainWindow) -> None:
    ctx = win.ctx
    ctx.seek(10)
    key(qtbot, win, Qt.Key.Key_Space)
    assert win.player.playing
    qtbot.waitUntil(lambda: ctx.playhead > 14, timeout=30000)
    key(qtbot, win, Qt.Key.Key_K)
    assert not win.player.playing
    key(qtbot, win, Qt.Key.Key_L)
    key(qtbot, win, Qt.Key.Key_L)
    assert win.player.playing and win.player.speed == 2.0
    key(qtbot, win, Qt.Key.Key_Space)
    assert not win.player.playing


def test_reverse_shuttle_plays_backwards_frame_by_frame(qtbot, win: MainWindow) -> None:
    ctx = win.ctx
    ctx.seek(120)
    qtbot.waitUntil(lambda: win.player.view.frame == 120, timeout=30000)
    shown: list[int] = []
    win.player.frameShown.connect(shown.append)
    key(qtbot, win, Qt.Key.Key_J)
    assert win.player.playing and win.player.direction < 0
    qtbot.waitUntil(lambda: len(set(shown)) >= 12, timeout=30000)
    key(qtbot, win, Qt.Key.Key_K)
    assert not win.player.playing
    assert all(f < 120 for f in shown) and shown == sorted(shown, reverse=True)
    assert ctx.playhead < 120


def test_label_picker_lists_numbered_labels(qtbot, win: MainWindow) -> None:
    from PySide6.QtWidgets import QMenu

    ctx = win.ctx
    ctx.select(ctx.segments("highlight")[0])
    key(qtbot, win, Qt.Key.Key_R)
    menu = next(m for m in win.findChildren(QMenu) if m.isVisible())
    texts = [a.text() for a in menu.actions() if a.text()]
    assert texts[0] == "&1  goal" and texts[-1] == "&0  no label"
    menu.actions()[1].trigger()
    assert win.project.segment(ctx.selection.id).label == texts[1].split("  ", 1)[1]
    menu.close()


def test_moved_video_is_relocated(qtbot, template: Path, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from core.store.project import Project

    monkeypatch.setenv("CLIPDESK_CONFIG_DIR", str(tmp_path / "cfg"))
    work = tmp_path / "w"
    work.mkdir()
    proj = copy_project(template, work)
    with Project(proj) as p:
        old = Path(p.videos()[0].path)
        moved = shutil.copy(old, work / "elsewhere.mp4")
        p.conn.execute("UPDATE videos SET path=?", (str(work / "gone.mp4"),))
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(moved), ""))
    w = MainWindow(interactive=True, audio=False)
    qtbot.addWidget(w)
    w.open_project(proj)
    assert asked and "gone.mp4" in asked[0]
    assert w.ctx.video is not None and Path(w.ctx.video.path) == Path(moved)
    w.close()


def test_shift_click_selects_several_and_merge_joins_them(qtbot, win: MainWindow) -> None:
    from PySide6.QtCore import QPoint

    from app.timeline.view import TRACK_H

    ctx, project = win.ctx, win.project
    vid = ctx.video.id
    c = win.timeline.canvas
    shots = project.segments(vid, "shot")
    before = [(s.start_frame, s.end_frame) for s in shots]
    y = dict(c.track_rows())["shot"] + TRACK_H // 2

    def mid(s):
        return QPoint(int(c.x_of((s.start_frame + s.end_frame) / 2)), y)

    qtbot.mouseClick(c, Qt.MouseButton.LeftButton, pos=mid(shots[2]))
    for s in (shots[3], shots[4]):
        qtbot.mouseClick(c, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, mid(s))
    assert [s.id for s in ctx.selected()] == [shots[2].id, shots[3].id, shots[4].id]
    key(qtbot, win, Qt.Key.Key_M)
    after = [(s.start_frame, s.end_frame) for s in project.segments(vid, "shot")]
    assert after == before[:2] + [(shots[2].start_frame, shots[4].end_frame)] + before[5:]
    key(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [(s.start_frame, s.end_frame) for s in project.segments(vid, "shot")] == before


def test_save_as_recent_files_and_drop(qtbot, win: MainWindow, tmp_path: Path) -> None:
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    ctx = win.ctx
    seg = ctx.segments("action")[0]
    ctx.select(seg)
    key(qtbot, win, Qt.Key.Key_Return)  # an edit, saved at once
    out = win.save_project_as(tmp_path / "copy")
    assert out.suffix == ".clipdesk" and win.project.path == out
    assert win.project.segment(seg.id).status == ACCEPTED  # the copy holds the edit
    assert win.settings.recent()[0] == str(out.resolve())
    # dropping a project file opens it
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(win.settings.recent()[1]))])
    ev = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                    Qt.KeyboardModifier.NoModifier)
    win.dropEvent(ev)
    assert win.project.path.resolve() == Path(win.settings.recent()[0])
    assert win.project.path.name == "demo.clipdesk"  # the original, not the copy


def test_word_track_appears_when_zoomed_in(qtbot, win: MainWindow) -> None:
    from core.edit.ops import AddSegment
    from core.segments import Segment

    ctx = win.ctx
    ctx.apply(AddSegment(ctx.video.id, Segment("word", 10, 14, "hello")))
    c = win.timeline.canvas
    c.fit()
    assert "word" not in c.shown_tracks()
    c.set_view(0, 4.0)  # 100 px per second at 25 fps
    assert "word" in c.shown_tracks()
