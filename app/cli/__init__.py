"""The ``clipdesk`` command line (contract: shared docs INTERFACES.md).

Each subcommand lives in its own ``app/cli/<command>.py`` module exposing ``register(subparsers)``;
the module sets ``func`` on its parser. Errors a user can act on are :class:`ClipDeskError`
and are printed as one line (``clipdesk: <reason>``) with exit status 2; Ctrl+C exits 130.
No Qt is imported unless the ``gui`` command runs.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Sequence

from core.errors import Cancelled, ClipDeskError

COMMAND_MODULES = (
    "app.cli.analyze",
    "app.cli.export",
    "app.cli.gui",
    "app.cli.clip",
    "app.cli.search",
    "app.cli.train",
    "app.cli.highlights",
)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="clipdesk", description="Intelligent video production review.")
    p.add_argument("--version", action="version", version="clipdesk 0.1.0")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name == name:  # command not built in this installation
                continue
            raise
        mod.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except Cancelled:
        print("clipdesk: cancelled", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("clipdesk: interrupted", file=sys.stderr)
        return 130
    except ClipDeskError as e:
        print(f"clipdesk: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
