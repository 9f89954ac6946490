"""A highlight's title: proposed from what was found, editable in the Inspector as one undoable
edit, shown on the timeline and in the Export panel."""

from __future__ import annotations

from PySide6.QtCore import Qt


def test_title_is_proposed_edited_and_undone(win, qtbot) -> None:
    from app.panels.export import ExportPanel

    ctx, insp = win.ctx, win.inspector
    hl = ctx.segments("highlight")[0]
    ctx.select(hl)
    assert insp.title_edit.isVisibleTo(insp) and insp.title_edit.text() == ""
    proposed = insp.title_edit.placeholderText()
    assert proposed.startswith("Goal: \u201cla la la\u201d, 0:")  # label + commentary words + time
    panel = next(p for p in win.plugin_panels if isinstance(p, ExportPanel))
    assert panel.title_edit.text() == proposed
    insp.title_edit.setText("Goal: HOM 2-1 AWY, 21:11")
    insp.title_edit.setFocus()  # typing there: Return is the field's, not Accept
    qtbot.waitUntil(insp.title_edit.hasFocus)
    qtbot.keyClick(insp.title_edit, Qt.Key.Key_Return)
    assert ctx.project.segment(hl.id).attrs["title"] == "Goal: HOM 2-1 AWY, 21:11"
    assert insp.heading.text().endswith("Goal: HOM 2-1 AWY, 21:11")
    assert panel.title_edit.text() == "Goal: HOM 2-1 AWY, 21:11"
    assert ctx.undo_stack.undoText() == "Change title"
    ctx.undo()
    assert "title" not in ctx.project.segment(hl.id).attrs
    ctx.select(ctx.segments("shot")[0])
    assert not insp.title_edit.isVisibleTo(insp)  # titles are for highlights
