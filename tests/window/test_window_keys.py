"""Window keys and transport offscreen: one binding per key ("?" not ambiguous), , and . step a
frame, A with nothing selected creates nothing, the speed box shows the playing speed, the pause
icon is two bars, the layout stays put after an analysis, overlays repaint after undo."""

from __future__ import annotations


from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QKeySequence, QPalette

from app.player.icons import PAUSE, PLAY, transport_pixmap
from app.window.help_overlay import SHORTCUTS
from app.window.main_window import MainWindow
from core import segments as sg

# on a US layout these name the same key as their right-hand side
_SAME_KEY = {"Shift+/": "?", "Shift+1": "!", "Shift+=": "+"}


def test_every_key_is_bound_once(win: MainWindow) -> None:
    seen: dict[str, str] = {}
    for a in win.actions():
        for seq in a.shortcuts():
            k = seq.toString(QKeySequence.SequenceFormat.PortableText)
            k = _SAME_KEY.get(k, k)
            assert k not in seen, f"{k!r} bound to {seen[k]!r} and {a.text()!r}"
            seen[k] = a.text()
    assert "?" in seen and "F1" in seen


def test_question_mark_opens_help(qtbot, win: MainWindow) -> None:
    qtbot.keyClick(win.timeline.canvas, Qt.Key.Key_Question)
    assert win.help.isVisible()
    qtbot.keyClick(win.help, Qt.Key.Key_Escape)
    assert not win.help.isVisible()


def test_comma_and_period_step_one_frame(qtbot, win: MainWindow) -> None:
    win.ctx.seek(40)
    qtbot.keyClick(win.timeline.canvas, Qt.Key.Key_Period)
    qtbot.keyClick(win.timeline.canvas, Qt.Key.Key_Period)
    assert win.ctx.playhead == 42
    qtbot.keyClick(win.timeline.canvas, Qt.Key.Key_Comma)
    assert win.ctx.playhead == 41
    assert any(", / ." in keys for _s, keys, _w in SHORTCUTS)


def test_a_with_nothing_selected_creates_nothing_and_says_why(qtbot, win: MainWindow) -> None:
    ctx = win.ctx
    ctx.select(None)
    before = len(ctx.segments(sg.HIGHLIGHT))
    ctx.seek(30)
    qtbot.keyClick(win.timeline.canvas, Qt.Key.Key_A)
    assert len(ctx.segments(sg.HIGHLIGHT)) == before
    assert "select a segment or set in/out marks" in win.statusBar().currentMessage()
    ctx.set_marks(mark_out=60)  # an out mark alone is not enough either
    qtbot.keyClick(win.timeline.canvas, Qt.Key.Key_A)
    assert len(ctx.segments(sg.HIGHLIGHT)) == before
    ctx.set_marks(mark_in=20, mark_out=70)
    qtbot.keyClick(win.timeline.canvas, Qt.Key.Key_A)
    hs = ctx.segments(sg.HIGHLIGHT)
    assert len(hs) == before + 1 and any((s.start_frame, s.end_frame) == (20, 70) for s in hs)
    assert win.statusBar().currentMessage().startswith("Added highlight")


def test_speed_box_shows_the_shuttle_speed(qtbot, win: MainWindow) -> None:
    pl = win.player
    qtbot.keyClick(win.timeline.canvas, Qt.Key.Key_L)
    qtbot.keyClick(win.timeline.canvas, Qt.Key.Key_L)
    assert pl.playing and pl.speed == 2.0
    assert pl.speed_box.currentData() == 2.0 and pl.speed_box.currentText().startswith("2")
    qtbot.keyClick(win.timeline.canvas, Qt.Key.Key_K)
    assert not pl.playing


def _opaque_columns(img: QImage) -> list[bool]:
    h = img.height()
    return [any(img.pixelColor(x, y).alpha() > 128 for y in range(h)) for x in range(img.width())]


def test_pause_icon_is_two_bars_and_play_a_triangle(qtbot, win: MainWindow) -> None:
    cols = _opaque_columns(transport_pixmap(PAUSE).toImage())
    runs = sum(1 for i, c in enumerate(cols) if c and (i == 0 or not cols[i - 1]))
    assert runs == 2  # two bars with a gap, not a box
    img = transport_pixmap(PLAY).toImage()
    h = img.height()
    left = sum(img.pixelColor(8, y).alpha() > 128 for y in range(h))
    right = sum(img.pixelColor(img.width() - 8, y).alpha() > 128 for y in range(h))
    assert left > right > 0  # a triangle pointing right
    pl = win.player
    pl.play()
    assert pl.play_btn.text() == "" and not pl.play_btn.icon().isNull()
    shown = pl.play_btn.icon().pixmap(32, 32).toImage()
    ink = pl.play_btn.palette().color(QPalette.ColorRole.ButtonText)  # visible on the button
    assert shown == transport_pixmap(PAUSE, color=ink).toImage().convertToFormat(shown.format())
    pl.pause()


def _front(win: MainWindow, title: str) -> bool:
    d = win.docks[title]
    return d.isVisible() and not d.visibleRegion().isEmpty()


def test_layout_does_not_jump_to_covers_after_analysis(qtbot, win: MainWindow) -> None:
    other = next(t for t, d in win.docks.items()
                 if t not in ("Covers", "Analysis", "Inspector") and win.tabifiedDockWidgets(d)
                 and win.docks["Covers"] in win.tabifiedDockWidgets(d))
    win.docks["Analysis"].raise_()
    win._front_dock = "Analysis"  # as start_analysis leaves it
    win.docks[other].raise_()  # the user moves on while it runs
    qtbot.waitUntil(lambda: _front(win, other))
    win._analysis_finished(True, "done")
    qtbot.wait(1700)
    assert _front(win, other) and not _front(win, "Covers")
    win.docks["Analysis"].raise_()  # left on the Analysis tab: the covers come up
    win._front_dock = "Analysis"
    win._analysis_finished(True, "done")
    qtbot.waitUntil(lambda: _front(win, "Covers"), timeout=5000)


def test_overlays_repaint_after_undo(qtbot, win: MainWindow) -> None:
    ctx = win.ctx
    seg = ctx.segments(sg.ACTION)[0]
    from core.edit.ops import SetBounds

    ctx.apply(SetBounds(seg.id, seg.start_frame, seg.end_frame + 5))
    with qtbot.waitSignal(ctx.overlaysChanged, timeout=1000):
        ctx.undo()
