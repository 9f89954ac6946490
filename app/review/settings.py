"""User settings (time format, window geometry...) and recent files (QSettings in an INI file
under the platformdirs config dir).

``CLIPDESK_CONFIG_DIR`` overrides the folder (tests use a temporary one). GUI thread only.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings

MAX_RECENT = 10


def config_dir() -> Path:
    env = os.environ.get("CLIPDESK_CONFIG_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir("ClipDesk", "ClipDesk"))


class Settings:
    def __init__(self) -> None:
        d = config_dir()
        d.mkdir(parents=True, exist_ok=True)
        self.qs = QSettings(str(d / "clipdesk.ini"), QSettings.Format.IniFormat)

    def recent(self) -> list[str]:
        v = self.qs.value("recent", [])
        items: list[object] = [v] if isinstance(v, str) else list(v) if isinstance(v, (list, tuple)) else []
        return [str(x) for x in items if x]

    def add_recent(self, path: str | Path) -> None:
        p = str(Path(path).resolve())
        items = [p] + [x for x in self.recent() if x != p]
        self.qs.setValue("recent", items[:MAX_RECENT])
        self.qs.sync()

    def time_format(self) -> str:
        """How times are shown (``app.review.timefmt``): timecode, seconds or frames."""
        from app.review.timefmt import FORMATS, TIMECODE

        v = str(self.qs.value("time_format", TIMECODE))
        return v if v in FORMATS else TIMECODE

    def set_time_format(self, fmt: str) -> None:
        self.qs.setValue("time_format", fmt)
        self.qs.sync()

    def value(self, key: str, default: object = None) -> object:
        return self.qs.value(key, default)

    def set_value(self, key: str, value: object) -> None:
        self.qs.setValue(key, value)
