"""Whether some process holds a file open for writing (Linux ``/proc``), for the end of a follow.

The end of a recording written to a plain file is "the writer closed the file and nothing grew
for a moment". :func:`held_for_writing` looks through ``/proc/<pid>/fd`` for a descriptor on the
same inode opened write-only or read-write (``/proc/<pid>/fdinfo`` flags). It answers ``None``
when it cannot tell (no ``/proc``, the file is gone); processes it may not look into (another
user's) are invisible to it, so the follower trusts a "closed" only after it has seen the writer
holding the file (:class:`WriterWatch`), and otherwise ends on ``--idle`` alone.
"""

from __future__ import annotations

import os
import time

PROC = "/proc"


def _fd_flags(pid: str, fd: str) -> int | None:
    try:
        with open(f"{PROC}/{pid}/fdinfo/{fd}", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        return None
    return None


def held_for_writing(path: str | os.PathLike[str]) -> bool | None:
    """True when a process (this one included) we may look into has ``path`` open for writing,
    False when none has, None when this cannot be told here."""
    if not os.path.isdir(f"{PROC}/self/fdinfo"):
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    target = (st.st_dev, st.st_ino)
    try:
        pids = [p for p in os.listdir(PROC) if p.isdigit()]
    except OSError:
        return None
    for pid in pids:
        fd_dir = f"{PROC}/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue  # gone, or not ours to look into
        for fd in fds:
            try:
                s = os.stat(f"{fd_dir}/{fd}")
            except OSError:
                continue
            if (s.st_dev, s.st_ino) != target:
                continue
            flags = _fd_flags(pid, fd)
            if flags is None or (flags & os.O_ACCMODE) in (os.O_WRONLY, os.O_RDWR):
                return True  # a descriptor we cannot read the flags of counts as a writer
    return False


class WriterWatch:
    """Has the writer of ``path`` closed it? ``closed()`` is True only once a writer was seen
    holding the file and none holds it now; looks at most every ``every_s`` seconds."""

    def __init__(self, path: str | os.PathLike[str], every_s: float = 0.5) -> None:
        self.path = path
        self.every_s = every_s
        self.seen = False
        self._at = -1e9
        self._closed = False

    def look(self) -> None:
        held = held_for_writing(self.path)
        self._at = time.monotonic()
        if held:
            self.seen = True
        self._closed = bool(self.seen and held is False)

    def closed(self) -> bool:
        if time.monotonic() - self._at >= self.every_s:
            self.look()
        return self._closed


__all__ = ["WriterWatch", "held_for_writing"]
