"""Is this file a ClipDesk project, and is it whole? Checked before anything writes to it.

A project carries ``PRAGMA application_id`` = :data:`APPLICATION_ID` ("CLPD"; set on creation and
by migration 3 for older files). :func:`preflight` reads the 100-byte header and then the schema
and ``PRAGMA quick_check`` through a read-only connection that never creates a ``-wal`` or
``-shm`` (``immutable=1`` when the file is in WAL mode and has no ``-wal`` beside it), so a foreign
SQLite database, a file that is not SQLite at all, a project from a newer ClipDesk and a damaged
project are all refused with one line while staying byte-identical, with no files appearing
beside them. Files up to :data:`FULL_CHECK_MAX_BYTES` get the complete ``integrity_check`` on open
(it also finds a damaged index, which would silently hide rows; about 0.2 s at that size), larger
ones the faster ``quick_check``. :func:`integrity_report` is the slow, complete check behind ``clipdesk check``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from contextlib import contextmanager

from core.errors import ProjectError

APPLICATION_ID = 0x434C5044  # "CLPD"
SQLITE_MAGIC = b"SQLite format 3\x00"
# Tables every ClipDesk schema (version 1 on) has: a database with these and application_id 0 is
# a ClipDesk project from before application_id was set.
CLIPDESK_TABLES = frozenset({"videos", "runs", "segments", "label_history", "signals", "settings"})
_CORRUPT_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
FULL_CHECK_MAX_BYTES = 32 << 20


class DamagedProjectError(ProjectError):
    """The project file is damaged; ``clipdesk check`` tells more, ``clipdesk recover`` salvages."""

    def __init__(self, path: str | Path, problem: str) -> None:
        problem = " ".join(str(problem).split())[:160] or "unreadable"
        problem = problem.replace("*** in database main ***", "").strip() or "unreadable"
        super().__init__(f"{path}: the project file is damaged ({problem}); run `clipdesk check "
                         f"{path}` for details or `clipdesk recover {path}`")
        self.problem = problem


class ForeignFileError(ProjectError):
    """The file is not a ClipDesk project (another application's database, not SQLite, ...)."""


# What an sqlite3 call on a damaged file may raise: SQLite's own error, or Python failing to
# decode an error message that quotes garbled bytes.
DB_ERRORS = (sqlite3.DatabaseError, UnicodeDecodeError)


def describe(e: BaseException) -> str:
    if isinstance(e, UnicodeDecodeError):
        return "SQLite reported garbled bytes"
    return str(e).replace("*** in database main ***", "").strip()


def is_corruption(e: BaseException) -> bool:
    """Whether an sqlite3 error means the file is damaged (not busy, locked or a bad query)."""
    if isinstance(e, UnicodeDecodeError):
        return True
    if not isinstance(e, sqlite3.DatabaseError):
        return False
    if getattr(e, "sqlite_errorcode", None) in _CORRUPT_CODES:
        return True
    text = str(e).lower()
    return "malformed" in text or "not a database" in text or "could not decode to utf-8" in text


@dataclass(frozen=True)
class Header:
    application_id: int
    user_version: int
    wal: bool  # file format version bytes say WAL


def read_header(path: Path) -> Header | None:
    """The SQLite header fields we need; None for an empty (0-byte) file."""
    try:
        with open(path, "rb") as f:
            head = f.read(100)
    except OSError as e:
        raise ProjectError(f"{path}: cannot be read ({e.strerror or e})") from None
    if not head:
        return None
    if len(head) < 100 or not head.startswith(SQLITE_MAGIC):
        raise ForeignFileError(f"{path}: not a ClipDesk project (not an SQLite database)")
    return Header(application_id=int.from_bytes(head[68:72], "big"),
                  user_version=int.from_bytes(head[60:64], "big"), wal=head[18] == 2)


@contextmanager
def read_only(path: Path, strict_text: bool = False) -> Iterator[sqlite3.Connection]:
    """A connection that cannot write and creates nothing beside the file. Text that is not
    UTF-8 reads with replacement characters, or with ``strict_text`` raises (as it does in a
    project)."""
    header = read_header(path)
    wal_file = path.with_name(path.name + "-wal")
    immutable = header is not None and header.wal and not wal_file.exists()
    uri = path.resolve().as_uri() + ("?mode=ro&immutable=1" if immutable else "?mode=ro")
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    if not strict_text:
        conn.text_factory = lambda b: b.decode("utf-8", "replace")  # damaged text still reads
    try:
        yield conn
    finally:
        conn.close()


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def preflight(path: Path, create: bool, latest: int) -> bool:
    """Refuse (one line, nothing written) anything but a whole ClipDesk project of a schema this
    ClipDesk knows. Returns True when the file is a new, empty one that may become a project."""
    header = read_header(path)
    if header is None:
        if create:
            return True
        raise ForeignFileError(f"{path}: not a ClipDesk project (the file is empty)")
    if header.application_id not in (0, APPLICATION_ID):
        raise ForeignFileError(f"{path}: not a ClipDesk project (an SQLite database of another "
                               f"application, id 0x{header.application_id:08x})")
    try:
        with read_only(path) as conn:
            app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            tables = _tables(conn)
            if app_id not in (0, APPLICATION_ID):
                raise ForeignFileError(f"{path}: not a ClipDesk project (an SQLite database of "
                                       f"another application, id 0x{app_id:08x})")
            if version > latest and (app_id == APPLICATION_ID or not tables
                                     or CLIPDESK_TABLES <= tables):
                raise ProjectError(f"{path}: project was written by a newer ClipDesk (schema "
                                   f"{version}, this one knows {latest})")
            if app_id == 0 and not tables and version == 0:
                if create:
                    return True
                raise ForeignFileError(f"{path}: not a ClipDesk project (an empty SQLite database)")
            if app_id == 0 and not CLIPDESK_TABLES <= tables:
                names = ", ".join(sorted(tables)[:4]) + (", ..." if len(tables) > 4 else "")
                raise ForeignFileError(f"{path}: not a ClipDesk project (an SQLite database of "
                                       f"another application: tables {names or 'none'})")
            check = "integrity_check" if path.stat().st_size <= FULL_CHECK_MAX_BYTES else "quick_check"
            problems = [r[0] for r in conn.execute(f"PRAGMA {check}(5)")]
    except DB_ERRORS as e:
        if isinstance(e, sqlite3.OperationalError) and not is_corruption(e):
            raise ProjectError(f"{path}: cannot be opened ({e})") from None
        raise DamagedProjectError(path, describe(e)) from None
    if problems != ["ok"]:
        raise DamagedProjectError(path, problems[0] if problems else "quick_check said nothing")
    return False


@dataclass
class Integrity:
    problems: list[str]
    application_id: int
    user_version: int


def integrity_report(path: Path, limit: int = 20) -> Integrity:
    """``PRAGMA integrity_check`` (every page, every index) through a read-only connection."""
    read_header(path)
    try:
        with read_only(path) as conn:
            app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            rows = [r[0] for r in conn.execute(f"PRAGMA integrity_check({int(limit)})")]
    except DB_ERRORS as e:
        if isinstance(e, sqlite3.OperationalError) and not is_corruption(e):
            raise ProjectError(f"{path}: cannot be opened ({e})") from None
        return Integrity([describe(e)], 0, 0)
    return Integrity([] if rows == ["ok"] else rows, app_id, version)
