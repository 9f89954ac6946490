"""The user's ClipDesk folders (``CLIPDESK_CACHE_DIR`` overrides the cache root; tests set it)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(sub: str) -> Path:
    """``$CLIPDESK_CACHE_DIR/<sub>`` or ``<user cache>/ClipDesk/<sub>`` (``XDG_CACHE_HOME`` on Linux)."""
    env = os.environ.get("CLIPDESK_CACHE_DIR")
    if env:
        return Path(env) / sub
    import platformdirs

    return Path(platformdirs.user_cache_dir("ClipDesk", "ClipDesk")) / sub
