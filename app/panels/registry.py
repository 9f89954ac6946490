"""Registry of optional side panels docked into the main window.

Each entry names a module and a ``QWidget`` subclass in it with ``__init__(self, ctx, parent=None)``
(``ctx`` is :class:`app.review.context.ReviewContext`) and class attributes ``title: str`` and
``area: str`` (``"right"``, ``"bottom"`` or ``"left"``). A panel whose module is not installed is
skipped silently; any other import error is logged and the panel skipped, so one broken panel
never stops the window. GUI thread only.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

PANELS: list[tuple[str, str]] = [
    ("app.panels.transcript", "TranscriptPanel"),
    ("app.panels.reframe", "ReframePanel"),
    ("app.panels.search", "SearchPanel"),
    ("app.panels.actions", "ActionPanel"),
    ("app.panels.highlights", "ReelPanel"),
    ("app.panels.export", "ExportPanel"),
]

AREAS = ("right", "bottom", "left")


@dataclass(frozen=True)
class PanelSpec:
    module: str
    name: str
    cls: type
    title: str
    area: str


def load_panels(panels: list[tuple[str, str]] | None = None) -> list[PanelSpec]:
    """Import every registered panel class that is available (see module docstring)."""
    out: list[PanelSpec] = []
    for module, name in PANELS if panels is None else panels:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name == module:
                continue
            log.warning("panel %s skipped: %s", module, e)
            continue
        except Exception as e:  # noqa: BLE001 - a broken panel must not stop the window
            log.warning("panel %s skipped: %s: %s", module, type(e).__name__, e)
            continue
        cls: Any = getattr(mod, name, None)
        if cls is None:
            log.warning("panel %s has no class %s", module, name)
            continue
        area = str(getattr(cls, "area", "right"))
        out.append(PanelSpec(module, name, cls, str(getattr(cls, "title", name)),
                             area if area in AREAS else "right"))
    return out
