"""Still images as query input: read a file into RGB uint8 with one-line errors and bomb limits.

Before anything is decoded, the file size (``MAX_FILE_BYTES``) and the pixel count its header
declares (``MAX_PIXELS``, read by :func:`core.media.imagesize.header_size`) are checked, so a
small file that claims 20000x20000 is refused at once instead of taking a minute and gigabytes.
Images larger than ``MAX_SIDE`` on their long side are scaled down right after decoding (a JPEG
is decoded directly at 1/2, 1/4 or 1/8 when that still leaves ``MAX_SIDE``).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from core.errors import MediaError
from core.media.imagesize import header_size

MAX_PIXELS = 50_000_000  # 50 megapixels: well above any camera still or 8K frame
MAX_FILE_BYTES = 200 << 20
MAX_SIDE = 1920  # long side of a query after decoding: what the video frames are compared at

_REDUCED = ((8, cv2.IMREAD_REDUCED_COLOR_8), (4, cv2.IMREAD_REDUCED_COLOR_4),
            (2, cv2.IMREAD_REDUCED_COLOR_2))


def check_image(path: str | Path) -> tuple[int, int]:
    """The image's ``(width, height)`` from its header; :class:`MediaError` (one line) when the
    file is missing, unreadable, of an unknown kind, or over the size limits."""
    p = Path(path)
    if not p.is_file():
        raise MediaError(f"{p}: no such image file")
    try:
        nbytes = p.stat().st_size
        if nbytes > MAX_FILE_BYTES:
            raise MediaError(f"{p}: image file too large ({nbytes / 2**20:.0f} MB; the limit is "
                             f"{MAX_FILE_BYTES >> 20} MB)")
        size = header_size(str(p))
    except OSError as e:
        raise MediaError(f"{p}: cannot read the image ({e.strerror or e})") from None
    if size is None or size[0] <= 0 or size[1] <= 0:
        raise MediaError(f"{p}: not a readable image (use PNG, JPEG, WebP, BMP or GIF)")
    w, h = size
    if w * h > MAX_PIXELS:
        raise MediaError(f"{p}: image too large ({w}x{h}, {w * h / 1e6:.0f} megapixels; the limit is "
                         f"{MAX_PIXELS / 1e6:.0f})")
    return w, h


def _is_jpeg(p: Path) -> bool:
    with open(p, "rb") as f:
        return f.read(2) == b"\xff\xd8"


def read_image(path: str | Path, max_side: int = MAX_SIDE) -> np.ndarray:
    """An image file as RGB uint8, at most ``max_side`` on its long side; one-line error if it is
    unreadable or over the limits (see module docstring)."""
    p = Path(path)
    w, h = check_image(p)
    flag = cv2.IMREAD_COLOR
    if _is_jpeg(p):
        flag = next((f for r, f in _REDUCED if max(w, h) // r >= max_side), cv2.IMREAD_COLOR)
    try:
        img = cv2.imread(str(p), flag)
    except cv2.error:
        img = None
    if img is None:
        raise MediaError(f"{p}: not a readable image")
    ih, iw = img.shape[:2]
    if max(iw, ih) > max_side:
        s = max_side / max(iw, ih)
        img = cv2.resize(img, (max(1, round(iw * s)), max(1, round(ih * s))), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


__all__ = ["MAX_FILE_BYTES", "MAX_PIXELS", "MAX_SIDE", "check_image", "read_image"]
