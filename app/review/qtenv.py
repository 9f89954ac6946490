"""Qt start-up: platform plugin path and display fallback, done before any QApplication exists.

Importing cv2 points ``QT_QPA_PLATFORM_PLUGIN_PATH`` at cv2's own bundled Qt plugins, which makes
PySide6 fail to load ``xcb``. We always point it back at PySide6's plugins. With no display we fall
back to ``offscreen`` and say so. Main thread only, before the first QApplication.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def pyside_plugins_dir() -> str:
    import PySide6

    base = Path(PySide6.__file__).parent
    for cand in (base / "Qt" / "plugins", base / "plugins"):
        if cand.is_dir():
            return str(cand)
    from PySide6.QtCore import QLibraryInfo

    return QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)


def fix_platform_env(stderr: bool = True) -> str:
    """Point Qt at PySide6's plugins and choose a usable platform; returns the platform name."""
    plugins = pyside_plugins_dir()
    os.environ["QT_PLUGIN_PATH"] = plugins
    os.environ["QT_QPA_PLATFORM_PLUGIN_PATH"] = str(Path(plugins) / "platforms")
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if not platform and sys.platform.startswith("linux"):
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            platform = "offscreen"
            os.environ["QT_QPA_PLATFORM"] = platform
            if stderr:
                print("clipdesk: no display found (DISPLAY unset); running offscreen",
                      file=sys.stderr)
    return platform or "default"


def make_app(argv: list[str] | None = None):  # type: ignore[no-untyped-def]
    """The QApplication (created once, after :func:`fix_platform_env`)."""
    from PySide6.QtWidgets import QApplication

    fix_signal_refcount()
    app = QApplication.instance()
    if app is None:
        fix_platform_env()
        app = QApplication(argv if argv is not None else [sys.argv[0]])
        app.setApplicationName("ClipDesk")
        app.setOrganizationName("ClipDesk")
    return app


_FIXED = False
_PIN = 1 << 40  # references added to None/True/False: never reached by leaked decrefs


def _leaks() -> tuple[int, int]:
    """(None refs lost per 64 void Qt calls, True refs lost per 64 Python-side emits)."""
    from PySide6.QtCore import QObject, QTimer, Signal

    class _Probe(QObject):
        sig = Signal()

    probe, timer = _Probe(), QTimer()
    n0 = sys.getrefcount(None)
    for _ in range(64):
        timer.setInterval(5)
    lost_none = n0 - sys.getrefcount(None)
    t0 = sys.getrefcount(True)
    for _ in range(64):
        probe.sig.emit()
    return lost_none, t0 - sys.getrefcount(True)


def fix_signal_refcount() -> bool:
    """Work around PySide6 6.12 refcount bugs on CPython < 3.12: every void Qt method returns
    ``None`` and every Python-side ``Signal.emit`` returns ``True`` without a new reference, so
    each call drops one reference to ``None``/``True`` and after a few thousand calls (one paint
    of a busy timeline) the interpreter aborts (``none_dealloc`` / ``bool_dealloc``).

    Python 3.12 made these singletons immortal; here we do the same by adding 2**40 references
    to ``None``, ``True`` and ``False`` (the refcount is the object's first field), so leaked
    decrefs can never bring them to zero. Only when the bug is measured; safe to call again."""
    global _FIXED
    if _FIXED:
        return True
    if sys.version_info >= (3, 12):
        return False
    lost_none, lost_true = _leaks()
    if lost_none <= 0 and lost_true <= 0:
        return False
    import ctypes

    for obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(obj)).value += _PIN
    _FIXED = True
    return True


fix_pyside_refcounts = fix_signal_refcount
