"""Argument types for the command line: finite numbers, bounded integers, aspects and sizes.

Each is an argparse ``type=`` callable that raises ``argparse.ArgumentTypeError`` with a reason
starting "must ..." (the parser prints ``clipdesk: --opt must ...``, see :mod:`app.cli`). Aspect
and size reuse the core parsers so the window and the command line agree.
"""

from __future__ import annotations

import argparse
import math
from typing import Callable

from core.errors import ClipDeskError


def seconds(low: float = 0.0, high: float = 48 * 3600.0, allow_low: bool = True) -> Callable[[str], float]:
    """A finite time in seconds within ``[low, high]`` (``(low, high]`` without ``allow_low``)."""

    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a time in seconds, not {text!r}") from None
        if not math.isfinite(v):
            raise argparse.ArgumentTypeError(f"must be a finite time in seconds, not {text!r}")
        if v < low or (v == low and not allow_low) or v > high:
            side = "at least" if allow_low else "more than"
            raise argparse.ArgumentTypeError(f"must be {side} {low:g} and at most {high:g} seconds, not {text}")
        return v

    parse.__name__ = "seconds"
    return parse


def integer(low: int, high: int) -> Callable[[str], int]:
    """A whole number within ``[low, high]``."""

    def parse(text: str) -> int:
        try:
            v = int(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
        if not low <= v <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}, not {text.strip()}")
        return v

    parse.__name__ = "integer"
    return parse


def aspect(text: str) -> str:
    """An aspect accepted by :func:`core.reframe.aspect.parse_aspect` (kept as text)."""
    from core.reframe.aspect import parse_aspect

    try:
        parse_aspect(text)
    except ClipDeskError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return text


def size(text: str) -> tuple[int, int]:
    """An output size accepted by :func:`core.reframe.aspect.parse_size`."""
    from core.reframe.aspect import parse_size

    try:
        return parse_size(text)
    except ClipDeskError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


__all__ = ["aspect", "integer", "seconds", "size"]
