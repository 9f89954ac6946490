"""``clipdesk models list | trust PATH | untrust PATH``: the model files ClipDesk may load.

A project may name weight files (``analysis.persons.weights``, ``analysis.persons.ball_weights``);
they are loaded only from the bundled wheels, the user's models folder, or when trusted here by
hash (``models.trust``). ``trust`` takes a path relative to the working directory (the user typed
it) and refuses a file that names code instead of weights.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from core.errors import ClipDeskError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list or trust the model files ClipDesk may load")
    actions = p.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    lst = actions.add_parser("list", help="the models folder and the trusted model files")
    lst.set_defaults(func=run_list)
    tr = actions.add_parser("trust", help="trust a model file with its current bytes (sha256)")
    tr.add_argument("path", metavar="PATH")
    tr.set_defaults(func=run_trust)
    un = actions.add_parser("untrust", help="forget a trusted model file")
    un.add_argument("path", metavar="PATH")
    un.set_defaults(func=run_untrust)


def run_list(args: argparse.Namespace) -> int:
    from models.trust import models_root, trusted

    root = models_root()
    print(f"models folder: {root} (files here are trusted)")
    files = sorted(p for p in root.rglob("*.pt") if p.is_file()) if root.is_dir() else []
    for f in files:
        print(f"  {f.relative_to(root)}")
    entries = trusted()
    print(f"trusted files: {len(entries)}" + ("" if entries else " (trust one with: clipdesk models trust PATH)"))
    for e in entries:
        print(f"  {e.status():8} {e.sha256[:16]}  {e.path}")
    return 0


def run_trust(args: argparse.Namespace) -> int:
    from models.trust import trust

    entry = trust(args.path)
    print(f"trusted {entry.path} (sha256 {entry.sha256})")
    return 0


def run_untrust(args: argparse.Namespace) -> int:
    from models.trust import untrust

    if not untrust(args.path):
        raise ClipDeskError(f"{Path(args.path)}: not a trusted model file")
    print(f"no longer trusted: {Path(args.path).resolve()}")
    return 0


__all__ = ["register", "run_list", "run_trust", "run_untrust"]
