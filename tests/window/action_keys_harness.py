"""The review window for the label-while-playing test: ``python tests/window/action_keys_harness.py
PROJECT LAYOUT``. Opens PROJECT in the real main window, turns on "Number keys label" in the Actions
panel (classes shot, kick; reaction lag 200 ms), selects the project's first crop segment (so a
shortcut that took "1" would change it), and every 100 ms writes LAYOUT (JSON): the playhead,
whether it plays, the status line, and each digit key press / release the application received
with the playhead at that moment (auto-repeats counted apart). Test helper, not product code."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main() -> int:
    import cv2  # noqa: F401 - first, as the app does (its Qt plugin path)

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtGui import QWindow

    from app.review.qtenv import fix_platform_env, make_app

    fix_platform_env()
    app = make_app([sys.argv[0]])
    from app.panels.actions import ActionPanel
    from app.window.main_window import MainWindow

    project, out = sys.argv[1], Path(sys.argv[2])
    w = MainWindow(interactive=False, audio=False)
    w.setGeometry(0, 0, 1600, 1000)
    w.show()
    w.open_project(project)
    w.activateWindow()
    panel = next(p for p in w.plugin_panels if isinstance(p, ActionPanel))
    panel.set_classes(["shot", "kick"])
    panel.lag.setValue(200)
    panel.keys_on.setChecked(True)
    crops = w.ctx.segments("crop")
    if crops:
        w.ctx.select(crops[0])
    w.timeline.canvas.setFocus()
    keys: list[dict[str, object]] = []

    class Log(QObject):  # installed after the panel's filter, so it runs first and passes events on
        def eventFilter(self, obj: QObject, e: QEvent) -> bool:  # noqa: N802 - Qt API
            if e.type() in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) and isinstance(obj, QWindow):
                text = e.text()  # type: ignore[attr-defined]
                if text.isdigit():
                    keys.append({"key": text, "press": e.type() == QEvent.Type.KeyPress,
                                 "repeat": e.isAutoRepeat(),  # type: ignore[attr-defined]
                                 "playhead": w.ctx.playhead})
            return False

    log = Log()
    app.installEventFilter(log)

    def dump() -> None:
        doc = {"ready": True, "playhead": w.ctx.playhead, "playing": w.player.playing,
               "status": w.statusBar().currentMessage(), "keys": keys,
               "lag_frames": panel._lag_frames(), "crop": crops[0].id if crops else None,
               "fps": w.ctx.clock.rate.fps if w.ctx.clock is not None else None}
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc))
        os.replace(tmp, out)

    timer = QTimer()
    timer.timeout.connect(dump)
    timer.start(100)
    return int(app.exec())


if __name__ == "__main__":
    raise SystemExit(main())
