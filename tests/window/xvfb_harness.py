"""The review window for real-input tests: ``python tests/window/xvfb_harness.py PROJECT LAYOUT``.

Opens the project in the real main window at (0, 0) and, every 150 ms, writes LAYOUT (JSON) with
where things are on screen (track rows, the frame <-> x mapping, Export panel controls, dock tabs,
cover candidate buttons) and what the window says (status line, export job lines), so a test can
aim real X pointer and key events (tests/window/xdrive.py) and then read the stored project.
Test helper, not product code."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main() -> int:
    import cv2  # noqa: F401 - first, as the app does (its Qt plugin path)

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QAbstractButton, QComboBox, QTabBar

    from app.review.qtenv import fix_platform_env, make_app

    fix_platform_env()
    app = make_app([sys.argv[0]])
    from app.panels.export import ExportPanel
    from app.window.main_window import MainWindow

    project, out = sys.argv[1], Path(sys.argv[2])
    w = MainWindow(interactive=False, audio=False)
    w.setGeometry(0, 0, 1600, 1000)
    w.show()
    w.open_project(project)
    w.activateWindow()
    export = next(p for p in w.plugin_panels if isinstance(p, ExportPanel))

    def centre(widget) -> list[int]:  # type: ignore[no-untyped-def]
        p = widget.mapToGlobal(widget.rect().center())
        return [p.x(), p.y()]

    def left(widget) -> list[int]:  # type: ignore[no-untyped-def]  # a check box's indicator
        from PySide6.QtCore import QPoint

        p = widget.mapToGlobal(QPoint(9, widget.height() // 2))
        return [p.x(), p.y()]

    def dump() -> None:
        c = w.timeline.canvas
        o = c.mapToGlobal(c.rect().topLeft())
        tabs = {}
        for bar in w.findChildren(QTabBar):
            if not bar.isVisible():
                continue
            for i in range(bar.count()):
                r = bar.tabRect(i)
                p = bar.mapToGlobal(r.center())
                tabs[bar.tabText(i)] = [p.x(), p.y()]
        covers = [[b.property("frame"), *centre(b)] for b in w.covers.findChildren(QAbstractButton)
                  if b.isVisible() and b.property("frame") is not None]
        doc = {
            "canvas": [o.x(), o.y(), c.width(), c.height()], "x0": c.x0, "ppf": c.ppf,
            "rows": {t: y for t, y in c.track_rows()}, "header_w": 136,
            "playhead": w.ctx.playhead,
            "selection": w.ctx.selection.id if w.ctx.selection is not None else None,
            "status": w.statusBar().currentMessage(),
            "export": {"kind": centre(export.kind), "kind_text": export.kind.currentText(),
                       "size": centre(export.size), "size_text": export.size.currentText(),
                       "add": centre(export.add_btn), "caption": left(export.caption),
                       "caption_on": export.caption.isChecked(), "upscale": export.upscale.text(),
                       "visible": not export.visibleRegion().isEmpty(), "message": export.message.text(),
                       "jobs": {str(k): r.status.text() for k, r in export.rows.items()},
                       "title": export.title_edit.text()},
            "tabs": tabs, "covers": covers,
            "combo_open": any(cb.view().isVisible() for cb in w.findChildren(QComboBox)),
        }
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc))
        os.replace(tmp, out)

    timer = QTimer()
    timer.timeout.connect(dump)
    timer.start(150)
    return int(app.exec())


if __name__ == "__main__":
    sys.exit(main())
