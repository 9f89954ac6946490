"""Opening a project must not import pandas (0.3-3 s in every process: CLI, driver, each actor)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
from core.store.sqlite_lib import sqlite_utils
db = sqlite_utils.Database(memory=True)
db["t"].insert_all([{"a": 1, "b": "x"}, {"a": 2, "b": None}])
assert [r["a"] for r in db["t"].rows] == [1, 2]
assert "pandas" not in sys.modules, "pandas was imported"
import core.store.project  # the project module goes through the same import
assert "pandas" not in sys.modules
print("ok")
"""


def test_sqlite_utils_is_imported_without_pandas() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_a_process_that_has_pandas_keeps_it() -> None:
    script = ("import sys, pandas\nfrom core.store.sqlite_lib import sqlite_utils\n"
              "assert sys.modules['pandas'] is pandas\nprint('ok')\n")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
