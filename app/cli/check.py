"""``clipdesk check P``: is the project whole? Nothing is written.

Runs SQLite's complete ``integrity_check``, reads the ``application_id`` and schema version and
checks every video is present and unchanged (:mod:`core.store.inspect`); prints the report and
exits 0 when healthy, 2 (with a one-line summary) when not.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from core.errors import ClipDeskError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="check a project file: integrity, schema, videos (read-only)")
    p.add_argument("project", metavar="P", help="project file (.clipdesk)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from core.store.inspect import inspect_project

    res = inspect_project(Path(args.project))
    print(f"{res.path}:")
    for line in res.lines:
        print(f"  {line}")
    if not res.healthy:
        damaged = any(p.startswith(("integrity_check", "cannot read", "rows:")) for p in res.problems)
        hint = f"; `clipdesk recover {res.path}` salvages what is readable" if damaged else ""
        raise ClipDeskError(f"{res.path}: {len(res.problems)} problem(s): {res.problems[0]}{hint}")
    print("healthy")
    return 0
