"""sqlite-utils without pandas.

``sqlite_utils.db`` imports pandas at import time when it is installed (only to map
``pandas.Timestamp`` columns to TEXT). ClipDesk never hands it pandas objects, and pandas is in the
environment only for a peer detector; importing it cost 0.3-3 s in every ClipDesk process (the CLI,
the archive driver and each Ray actor). Here sqlite-utils is imported with pandas masked, so it
takes its no-pandas path; a process that already imported pandas keeps it as it is.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import TYPE_CHECKING


def _import_without_pandas() -> ModuleType:
    if "sqlite_utils" in sys.modules or "pandas" in sys.modules:
        import sqlite_utils

        return sqlite_utils
    sys.modules["pandas"] = None  # type: ignore[assignment]  # import pandas -> ImportError
    try:
        import sqlite_utils
    finally:
        del sys.modules["pandas"]
    return sqlite_utils


if TYPE_CHECKING:
    import sqlite_utils
else:
    sqlite_utils = _import_without_pandas()

__all__ = ["sqlite_utils"]
