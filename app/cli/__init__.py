"""The ``clipdesk`` command line (contract: shared docs INTERFACES.md).

Each subcommand lives in its own ``app/cli/<command>.py`` module exposing ``register(subparsers)``;
the module sets ``func`` on its parser. Errors a user can act on are :class:`ClipDeskError`
and are printed as one line (``clipdesk: <reason>``) with exit status 2; so are argument errors
(:class:`Parser` turns argparse's usage message into the same line; ``--help`` still prints help)
and failed reads and writes (``OSError``: ``clipdesk: <file>: <reason>``). Ctrl+C exits 130.
No Qt is imported unless the ``gui`` command runs.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
from typing import NoReturn, Sequence

from core.errors import Cancelled, ClipDeskError

COMMAND_MODULES = (
    "app.cli.analyze",
    "app.cli.export",
    "app.cli.gui",
    "app.cli.clip",
    "app.cli.search",
    "app.cli.train",
    "app.cli.highlights",
    "app.cli.models",
    "app.cli.check",
    "app.cli.recover",
    "app.cli.relink",
)


class UsageError(ClipDeskError):
    """A command line argparse refused (unknown option, missing or malformed value)."""


_ARGUMENT = re.compile(r"^argument ([^\s:/]+)(?:/\S+)?: (.*)$", re.S)


def usage_line(message: str) -> str:
    """argparse's ``argument --end/-e: must be ...`` as ``--end must be ...``, on one line."""
    message = " ".join(message.split())
    m = _ARGUMENT.match(message)
    if not m:
        return message
    opt, reason = m.groups()
    return f"{opt} {reason}" if reason.startswith("must ") else f"{opt}: {reason}"


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are :class:`UsageError` (one line, exit 2 from :func:`main`)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{usage_line(message)} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="clipdesk", description="Intelligent video production review.")
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
    try:
        args = parser.parse_args(argv)
        return int(args.func(args) or 0)
    except Cancelled:
        print("clipdesk: cancelled", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("clipdesk: interrupted", file=sys.stderr)
        return 130
    except ClipDeskError as e:
        print(f"clipdesk: {' '.join(str(e).split())}", file=sys.stderr)
        return 2
    except OSError as e:  # disk full, permission denied, read-only folder ...
        where = f"{e.filename}: " if e.filename else ""
        print(f"clipdesk: {where}{e.strerror or e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
