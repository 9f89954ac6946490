"""Still images as query input: read a file into RGB uint8 with one-line errors."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from core.errors import MediaError


def read_image(path: str | Path) -> np.ndarray:
    """An image file as RGB uint8; one-line error if unreadable."""
    p = Path(path)
    if not p.is_file():
        raise MediaError(f"{p}: no such image file")
    img = cv2.imread(str(p), cv2.IMREAD_COLOR)
    if img is None:
        raise MediaError(f"{p}: not a readable image")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


__all__ = ["read_image"]
