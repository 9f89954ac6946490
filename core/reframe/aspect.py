"""Aspect ratios, crop and output sizes, and letterbox/pillarbox (black bar) detection.

Pure functions; any thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Iterable

import numpy as np

from core.errors import ClipDeskError

ASPECTS = ("9:16", "4:5", "1:1", "source")


@dataclass(frozen=True)
class Rect:
    """An axis-aligned rectangle in source pixels: left, top, width, height."""

    x: int
    y: int
    w: int
    h: int

    def as_list(self) -> list[int]:
        return [self.x, self.y, self.w, self.h]


# The sane range of aspects (width over height): tall 1:4 to wide 4:1; the product needs 9:16,
# 4:5, 1:1 and 16:9. Output sides are 16..8192 pixels and even (H.264 4:2:0).
MIN_ASPECT, MAX_ASPECT = Fraction(1, 4), Fraction(4, 1)
MIN_SIDE, MAX_SIDE = 16, 8192


def parse_aspect(text: str) -> Fraction | None:
    """``"9:16"`` -> 9/16 (width over height); ``"source"`` -> None. Whole numbers, within
    ``MIN_ASPECT..MAX_ASPECT``; anything else is one-line :class:`ClipDeskError`."""
    t = text.strip().lower()
    if t in ("source", "src", "original"):
        return None
    try:
        a, b = t.replace("x", ":").split(":")
        if len(a.strip()) > 6 or len(b.strip()) > 6:
            raise ValueError(text)
        f = Fraction(int(a), int(b))
    except (ValueError, ZeroDivisionError):
        raise ClipDeskError(f"bad aspect {text!r}: use W:H such as 9:16, 4:5, 1:1, 16:9, or source") from None
    if not MIN_ASPECT <= f <= MAX_ASPECT:
        raise ClipDeskError(f"bad aspect {text!r}: must be between 1:4 and 4:1 (e.g. 9:16, 4:5, 1:1, 16:9)")
    return f


def parse_size(text: str) -> tuple[int, int]:
    """``"1080x1920"`` -> (1080, 1920); each side ``MIN_SIDE..MAX_SIDE`` and even (H.264 4:2:0),
    the shape within the aspect bounds."""
    try:
        parts = text.strip().lower().split("x")
        if len(parts) != 2 or any(len(v.strip()) > 6 for v in parts):
            raise ValueError(text)
        w, h = (int(v) for v in parts)
    except ValueError:
        raise ClipDeskError(f"bad size {text!r}: use WxH, e.g. 1080x1920") from None
    if not (MIN_SIDE <= w <= MAX_SIDE and MIN_SIDE <= h <= MAX_SIDE):
        raise ClipDeskError(f"bad size {text!r}: each side must be {MIN_SIDE}..{MAX_SIDE} pixels")
    if w % 2 or h % 2:
        raise ClipDeskError(f"bad size {text!r}: width and height must be even")
    if not MIN_ASPECT <= Fraction(w, h) <= MAX_ASPECT:
        raise ClipDeskError(f"bad size {text!r}: the shape must be between 1:4 and 4:1")
    return w, h


def aspect_label(aspect: Fraction | None) -> str:
    return "source" if aspect is None else f"{aspect.numerator}:{aspect.denominator}"


def crop_size(content: Rect, aspect: Fraction | None) -> tuple[int, int]:
    """The largest even-sized ``aspect`` window inside ``content`` (full height when it fits)."""
    if aspect is None:
        return content.w - content.w % 2, content.h - content.h % 2
    h = content.h
    w = int(round(h * aspect))
    if w > content.w:
        w = content.w
        h = int(round(w / aspect))
    return max(2, w - w % 2), max(2, h - h % 2)


def output_size(crop_w: int, crop_h: int, aspect: Fraction | None,
                size: tuple[int, int] | None = None) -> tuple[int, int]:
    """Exact ``size`` if given; else 1080 wide for portrait/square aspects, the crop size otherwise."""
    if size is not None:
        return size
    if aspect is None:
        return crop_w - crop_w % 2, crop_h - crop_h % 2
    w = 1080
    h = int(round(w / aspect))
    return w, h + h % 2


def detect_content(frames: Iterable[np.ndarray], threshold: int = 24,
                   min_bar: float = 0.02) -> Rect:
    """The picture area without black bars, from a few RGB or gray frames of a video.

    A row or column belongs to a bar when it is dark on *every* frame given (so a dark scene
    does not crop the picture). Bars thinner than ``min_bar`` of the side are ignored.
    """
    mx: np.ndarray | None = None
    for f in frames:
        g = f if f.ndim == 2 else f.max(axis=2)
        mx = g.astype(np.uint8) if mx is None else np.maximum(mx, g)
    if mx is None:
        raise ValueError("detect_content needs at least one frame")
    h, w = mx.shape
    cols = np.percentile(mx, 98, axis=0) > threshold
    rows = np.percentile(mx, 98, axis=1) > threshold
    if not cols.any() or not rows.any():
        return Rect(0, 0, w, h)
    x0, x1 = int(np.argmax(cols)), int(w - np.argmax(cols[::-1]))
    y0, y1 = int(np.argmax(rows)), int(h - np.argmax(rows[::-1]))
    if x0 < min_bar * w and w - x1 < min_bar * w:
        x0, x1 = 0, w
    if y0 < min_bar * h and h - y1 < min_bar * h:
        y0, y1 = 0, h
    # even edges keep 4:2:0 chroma aligned
    x0, y0 = x0 + x0 % 2, y0 + y0 % 2
    return Rect(x0, y0, max(2, x1 - x0), max(2, y1 - y0))
