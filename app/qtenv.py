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


def fix_signal_refcount() -> bool:
    """Work around a PySide6 6.12 bug: ``SignalInstance.emit`` returns ``True`` without a new
    reference, so every Python-side emit drops one reference to ``True`` and after a few hundred
    emits the interpreter aborts (``bool_dealloc``). Detected by measuring, fixed by re-adding the
    missing reference; a no-op on versions without the bug. Safe to call repeatedly."""
    global _FIXED
    if _FIXED:
        return True
    import ctypes

    from PySide6.QtCore import QObject, Signal, SignalInstance

    class _Probe(QObject):
        sig = Signal()

    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(4):
        probe.sig.emit()
    lost = before - sys.getrefcount(True)
    if lost <= 0:
        return False
    incref = ctypes.pythonapi.Py_IncRef
    incref.argtypes = [ctypes.py_object]
    for _ in range(lost):
        incref(True)
    original = SignalInstance.emit

    def emit(self: SignalInstance, *args: object) -> object:
        result = original(self, *args)
        if result is True or result is False:
            incref(result)
        return result

    SignalInstance.emit = emit  # type: ignore[method-assign,assignment]
    _FIXED = True
    return True
