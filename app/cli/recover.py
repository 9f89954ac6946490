"""``clipdesk recover P [--out NEW]``: salvage a damaged project into a new file.

The damaged file is only read; what SQLite can still read goes into ``NEW`` (default
``<name>.recovered.clipdesk`` beside it; never an existing file). All work is in
:mod:`core.store.recover`.
"""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("recover", help="salvage what is readable from a damaged project into a new file")
    p.add_argument("project", metavar="P", help="the damaged project file (only read)")
    p.add_argument("--out", "-o", metavar="NEW",
                   help="new project file (default: <name>.recovered.clipdesk beside it)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from core.store.recover import recover

    report = recover(args.project, args.out)
    for table, res in report.tables.items():
        print(f"  {table:<14} {res.describe()}")
    state = "some rows were lost" if report.lost_anything else "every row was readable"
    print(f"recovered {report.source} -> {report.out} ({state})", file=sys.stderr)
    return 0
