"""Pixel dimensions of an image file from its header alone, without decoding it.

:func:`header_size` reads PNG (IHDR), JPEG (the first SOF marker), BMP, GIF and WebP (VP8, VP8L,
VP8X) headers with a few bytes; other formats go to Pillow's lazy ``Image.open`` when Pillow is
installed (it reads only the header). ``None`` when the size cannot be told. Used to refuse
decompression bombs before cv2 allocates the full image. Pure; any thread.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_MAX_JPEG_SCAN = 16 << 20  # markers before the frame header (EXIF, ICC) rarely pass a few MB


def _png(head: bytes) -> tuple[int, int] | None:
    if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
        w, h = struct.unpack(">II", head[16:24])
        return int(w), int(h)
    return None


def _gif(head: bytes) -> tuple[int, int] | None:
    if head[:6] in (b"GIF87a", b"GIF89a"):
        w, h = struct.unpack("<HH", head[6:10])
        return int(w), int(h)
    return None


def _bmp(head: bytes) -> tuple[int, int] | None:
    if head[:2] != b"BM" or len(head) < 26:
        return None
    (dib,) = struct.unpack("<I", head[14:18])
    if dib == 12:  # OS/2 BITMAPCOREHEADER: 16-bit sides
        w, h = struct.unpack("<HH", head[18:22])
    else:
        w, h = struct.unpack("<ii", head[18:26])
    return abs(int(w)), abs(int(h))


def _webp(head: bytes) -> tuple[int, int] | None:
    if head[:4] != b"RIFF" or head[8:12] != b"WEBP":
        return None
    kind = head[12:16]
    if kind == b"VP8X":
        w = int.from_bytes(head[24:27], "little") + 1
        h = int.from_bytes(head[27:30], "little") + 1
        return w, h
    if kind == b"VP8L" and head[20:21] == b"\x2f":
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if kind == b"VP8 " and head[23:26] == b"\x9d\x01\x2a":
        w, h = struct.unpack("<HH", head[26:30])
        return int(w) & 0x3FFF, int(h) & 0x3FFF
    return None


def _jpeg(f: BinaryIO) -> tuple[int, int] | None:
    f.seek(0)
    if f.read(2) != b"\xff\xd8":
        return None
    while f.tell() < _MAX_JPEG_SCAN:
        if f.read(1) != b"\xff":
            return None  # end of file or stray bytes where a marker belongs: Pillow may know better
        marker = f.read(1)
        while marker == b"\xff":  # fill bytes
            marker = f.read(1)
        if not marker:
            return None
        m = marker[0]
        if m in (0xD8, 0x01) or 0xD0 <= m <= 0xD7:  # markers without a length
            continue
        seg = f.read(2)
        if len(seg) < 2:
            return None
        (length,) = struct.unpack(">H", seg)
        if m in _JPEG_SOF:
            data = f.read(5)
            if len(data) < 5:
                return None
            h, w = struct.unpack(">HH", data[1:5])
            return int(w), int(h)
        if m == 0xD9 or length < 2:
            return None
        f.seek(length - 2, 1)
    return None


def _pillow(path: str) -> tuple[int, int] | None:
    try:
        from PIL import Image
    except ImportError:
        return None
    try:
        with Image.open(path) as im:  # lazy: parses the header, decodes nothing
            w, h = im.size
            return int(w), int(h)
    except Exception:  # noqa: BLE001 - unknown or broken: the size cannot be told
        return None


def header_size(path: str) -> tuple[int, int] | None:
    """``(width, height)`` from the file's header, or ``None`` when it cannot be told."""
    with open(path, "rb") as f:
        head = f.read(32)
        for parse in (_png, _gif, _bmp, _webp):
            size = parse(head)
            if size is not None:
                return size
        size = _jpeg(f)
    return size if size is not None else _pillow(path)


__all__ = ["header_size"]
