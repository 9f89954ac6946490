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

    app = QApplication.instance()
    if app is None:
        fix_platform_env()
        app = QApplication(argv if argv is not None else [sys.argv[0]])
        app.setApplicationName("ClipDesk")
        app.setOrganizationName("ClipDesk")
    return app
