"""Where the window was: saved on close, restored on open, without creeping.

``QWidget.saveGeometry``/``restoreGeometry`` mix the frame and the client origin under some X11
window managers (and with none, under Xvfb), so each reopen moved the window by the title bar's
height until it sat at (1, 25). Here the client rectangle (``normalGeometry``: the size before
maximising) and the maximised flag are stored as plain numbers and put back with ``setGeometry``,
which places the same client rectangle; a rectangle off every screen is pulled back onto the
primary one. :func:`fit_dock` gives a dock brought to the front the height its panel needs
(the Actions panel's Train button no longer needs scrolling), taken from the Inspector above it.
GUI thread.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from app.review.settings import Settings

KEY = "window/rect"
MAX_KEY = "window/maximized"


def save_placement(win: QWidget, settings: Settings) -> None:
    r = win.normalGeometry() if win.isMaximized() else win.geometry()
    settings.set_value(KEY, [r.x(), r.y(), r.width(), r.height()])
    settings.set_value(MAX_KEY, bool(win.isMaximized()))
    settings.qs.sync()


def stored_rect(settings: Settings) -> QRect | None:
    v = settings.value(KEY)
    try:
        x, y, w, h = (int(a) for a in v)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return None
    if w < 200 or h < 150:
        return None
    return QRect(x, y, w, h)


def restore_placement(win: QWidget, settings: Settings) -> bool:
    """Put the window where it was; False when nothing usable was stored."""
    r = stored_rect(settings)
    if r is None:
        return False
    screens = [s.availableGeometry() for s in QGuiApplication.screens()]
    if screens and not any(s.intersects(r) for s in screens):
        a = screens[0]
        r = QRect(a.x(), a.y(), min(r.width(), a.width()), min(r.height(), a.height()))
    win.setGeometry(r)
    if str(settings.value(MAX_KEY, "false")).lower() == "true":
        win.setWindowState(win.windowState() | Qt.WindowState.WindowMaximized)
    return True



def fit_dock(win: Any, title: str, keep: int = 200) -> None:
    """Make the right-hand dock ``title`` tall enough for its whole panel, shrinking the
    Inspector above it down to ``keep`` pixels if needed (``resizeDocks``; no-op when it fits or
    the dock is elsewhere)."""
    from PySide6.QtWidgets import QScrollArea

    docks = getattr(win, "docks", {})
    dock, top = docks.get(title), docks.get("Inspector")
    if dock is None or top is None or dock is top or dock.isFloating() or top.isFloating():
        return
    if win.dockWidgetArea(dock) != win.dockWidgetArea(top) or not top.isVisible():
        return
    panel = dock.widget()
    if isinstance(panel, QScrollArea) and panel.widget() is not None:
        panel = panel.widget()
    # the panel's preferred height, else at least its minimum (lists shrink, buttons stay)
    need = panel.sizeHint().height() + 40  # title bar and tab bar
    have = dock.height()
    if need <= have:
        return
    total = have + top.height()
    top_min = max(keep, top.minimumSizeHint().height())
    new = min(need, total - top_min)
    if new > have:
        win.resizeDocks([top, dock], [total - new, new], Qt.Orientation.Vertical)
