"""Video identity: the fingerprint a project stores for each of its videos, and its check.

A fingerprint is ``v2:<size>:<sha1>``: the file size plus a SHA-1 of the first and last MiB and
eight 64 KiB samples spread through the middle (about 2.5 MiB read, whatever the file size), so it
is stable across renames and copies and cheap on huge files, yet a file of another size, with
other content at either end, or with a changed middle (a re-encode, a copy with a hole) does not
pass for the original. Projects written before version 2 store the legacy form (40 hex digits:
size, first and last MiB); :func:`mismatch` compares a file against either form, so old projects
keep working without a migration that would have to read every video.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

MIB = 1 << 20
SAMPLE = 64 << 10
SAMPLES = 8
PREFIX = "v2:"


def legacy_fingerprint(path: str | os.PathLike[str]) -> str:
    """The form stored before fingerprint version 2: size plus the first and last MiB."""
    p = Path(path)
    size = p.stat().st_size
    h = hashlib.sha1(str(size).encode())
    with open(p, "rb") as f:
        h.update(f.read(MIB))
        if size > 2 * MIB:
            f.seek(-MIB, os.SEEK_END)
            h.update(f.read(MIB))
    return h.hexdigest()


def fingerprint(path: str | os.PathLike[str]) -> str:
    """``v2:<size>:<sha1 of the first MiB, 8 middle samples and the last MiB>``."""
    p = Path(path)
    size = p.stat().st_size
    h = hashlib.sha1(f"clipdesk-v2:{size}".encode())
    with open(p, "rb") as f:
        h.update(f.read(MIB))
        if size > 2 * MIB:
            span = size - 2 * MIB - SAMPLE
            if span > 0:
                for i in range(SAMPLES):
                    f.seek(MIB + span * (2 * i + 1) // (2 * SAMPLES))
                    h.update(f.read(SAMPLE))
            f.seek(-MIB, os.SEEK_END)
            h.update(f.read(MIB))
    return f"{PREFIX}{size}:{h.hexdigest()}"


def stored_size(stored: str) -> int | None:
    """The file size a stored fingerprint records (legacy fingerprints do not say)."""
    if stored.startswith(PREFIX):
        try:
            return int(stored.split(":")[1])
        except (IndexError, ValueError):
            return None
    return None


def mismatch(stored: str, path: str | os.PathLike[str]) -> str | None:
    """None when the file at ``path`` is the video ``stored`` describes, else why not (a few
    words: "size changed: 1234 -> 5678 bytes" or "content changed")."""
    size = os.stat(path).st_size
    want = stored_size(stored)
    if want is not None and want != size:
        return f"size changed: {want} -> {size} bytes"
    actual = fingerprint(path) if stored.startswith(PREFIX) else legacy_fingerprint(path)
    return None if actual == stored else "content changed"


def candidates(path: str | os.PathLike[str]) -> tuple[str, str]:
    """Both forms of the file's fingerprint (current first), to find it in old and new projects."""
    return fingerprint(path), legacy_fingerprint(path)
