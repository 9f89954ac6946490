"""A burned-in caption for vertical clips: the highlight's title in a dark band near the bottom.

:func:`caption_layer` renders the text once (Pillow's bundled FreeType font, so "\u201c\u201d\u2026"
and accents draw), wrapped to at most two lines at a size that reads on a phone (about 1/17 of
the width); :func:`burn` alpha-blends it onto each RGB output frame. Pure; any thread.
"""

from __future__ import annotations

import numpy as np

from core.errors import ClipDeskError

BOTTOM = 0.14  # the band's bottom edge, as a share of the height above the frame's bottom


def _wrap(text: str, font: object, width: int, draw: object) -> list[str]:
    words, lines, cur = text.split(), [], ""
    for w in words:
        trial = f"{cur} {w}".strip()
        if draw.textlength(trial, font=font) <= width or not cur:  # type: ignore[attr-defined]
            cur = trial
        else:
            lines.append(cur)
            cur = w
    if cur:
        lines.append(cur)
    if len(lines) > 2:  # two lines at most: the rest is elided
        lines = [lines[0], " ".join(lines[1:])]
        while draw.textlength(lines[1] + "\u2026", font=font) > width and " " in lines[1]:  # type: ignore[attr-defined]
            lines[1] = lines[1].rsplit(" ", 1)[0]
        lines[1] += "\u2026"
    return lines


def caption_layer(text: str, size: tuple[int, int]) -> tuple[np.ndarray, int]:
    """(RGBA band, its top row) for an output frame of ``size`` (w, h)."""
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError as e:  # pragma: no cover - Pillow comes with the environment
        raise ClipDeskError(f"captions need Pillow: {e}") from None
    w, h = size
    px = max(12, w // 17)
    font = ImageFont.load_default(size=px)
    probe = ImageDraw.Draw(Image.new("RGBA", (8, 8)))
    lines = _wrap(" ".join(text.split()), font, int(w * 0.86), probe)
    line_h = int(px * 1.3)
    pad = px // 2
    band_h = len(lines) * line_h + 2 * pad
    band = Image.new("RGBA", (w, band_h), (0, 0, 0, 0))
    d = ImageDraw.Draw(band)
    widest = max(int(d.textlength(s, font=font)) for s in lines)
    x0 = max(0, (w - widest) // 2 - pad)
    d.rounded_rectangle((x0, 0, min(w - 1, x0 + widest + 2 * pad), band_h - 1), radius=pad,
                        fill=(0, 0, 0, 165))
    for i, s in enumerate(lines):
        tw = d.textlength(s, font=font)
        d.text(((w - tw) / 2, pad + i * line_h), s, font=font, fill=(255, 255, 255, 255))
    top = max(0, int(h * (1 - BOTTOM)) - band_h)
    return np.asarray(band, np.uint8), top


def burn(img: np.ndarray, layer: tuple[np.ndarray, int]) -> np.ndarray:
    """``img`` (H, W, 3 RGB) with the caption blended in (a copy)."""
    band, top = layer
    h = min(band.shape[0], img.shape[0] - top)
    if h <= 0:
        return img
    out = img.copy()
    region = out[top:top + h, :band.shape[1]].astype(np.float32)
    a = band[:h, :, 3:4].astype(np.float32) / 255.0
    out[top:top + h, :band.shape[1]] = (region * (1 - a) + band[:h, :, :3] * a).astype(np.uint8)
    return out


__all__ = ["caption_layer", "burn"]
