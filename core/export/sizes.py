"""How much a reframed export scales its crop up, and the size that avoids it.

A 9:16 window of a 640x360 video is 202x360 pixels; the default 1080x1920 output blows it up
5.3x, which looks soft. :func:`size_plan` says the crop, the default output, the factor and an
even "source resolution" size with the same aspect, so the window can warn above
:data:`UPSCALE_WARN` and offer that size. Pure; any thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.reframe.aspect import Rect, crop_size, output_size, parse_aspect

UPSCALE_WARN = 2.0  # above this, an export is blown up enough to look soft


@dataclass(frozen=True)
class SizePlan:
    crop: tuple[int, int]  # the crop window in source pixels
    out: tuple[int, int]  # the output size that will be written
    factor: float  # out width / crop width
    native: tuple[int, int]  # the crop's own size, even, with the exact aspect

    @property
    def upscaled(self) -> bool:
        return self.factor > UPSCALE_WARN


def native_size(crop: tuple[int, int], aspect_text: str) -> tuple[int, int]:
    """An even size no larger than ``crop`` whose aspect is ``aspect_text`` within 1 %."""
    asp = parse_aspect(aspect_text)
    w, h = crop
    if asp is None:
        return w - w % 2, h - h % 2
    best = (max(2, w - w % 2), max(2, h - h % 2))
    for ww in range(w - w % 2, 1, -2):  # the widest even width whose height is even and exact
        hh = int(round(ww / asp))
        if hh % 2 == 0 and hh <= h and abs(ww / hh - float(asp)) <= 0.01 * float(asp):
            return ww, hh
    return best


def size_plan(source: tuple[int, int], aspect_text: str,
              size: tuple[int, int] | None = None) -> SizePlan:
    """``source``: the video's display size; ``aspect_text``: "9:16", "1:1"... or "source"."""
    asp = parse_aspect(aspect_text)
    crop = crop_size(Rect(0, 0, int(source[0]), int(source[1])), asp)
    out = output_size(crop[0], crop[1], asp, size)
    return SizePlan(crop, out, out[0] / max(1, crop[0]), native_size(crop, aspect_text))
