"""Salvage what SQLite can still read from a damaged project into a new project file.

``recover(src, out)`` opens the damaged file read-only (it is never written), creates a fresh
project with the current schema in a temporary file beside ``out`` and copies the rows table by
table (videos, runs, segments, label history, signals, settings), keeping their ids. A page that
cannot be read is stepped over by rowid (the scan resumes past it), and a row whose values cannot
be decoded or break the schema's constraints is left out. When the copy is done the temporary
file is renamed to ``out``, which must not exist yet. The per-table counts say what was saved and
what was lost.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from core.errors import ProjectError
from core.store.health import (APPLICATION_ID, DB_ERRORS, ForeignFileError, describe,
                               is_corruption, read_header, read_only)

# Parents before children, so foreign keys hold in the new file.
TABLES = ("videos", "runs", "segments", "label_history", "signals", "settings")
MAX_SKIPS = 64  # unreadable stretches stepped over per table before giving up on it


@dataclass
class TableResult:
    saved: int = 0
    rejected: int = 0  # read, but undecodable or against the schema
    unreadable: int = 0  # stretches of the table SQLite could not read
    error: str | None = None  # the table could not be read at all

    def describe(self) -> str:
        if self.error is not None and not self.saved:
            return f"lost ({self.error})"
        parts = [f"{self.saved} row(s) saved"]
        if self.rejected:
            parts.append(f"{self.rejected} damaged row(s) left out")
        if self.unreadable:
            parts.append(f"{self.unreadable} unreadable stretch(es) skipped")
        return ", ".join(parts)


@dataclass
class RecoverReport:
    source: Path
    out: Path
    tables: dict[str, TableResult] = field(default_factory=dict)

    @property
    def lost_anything(self) -> bool:
        return any(t.rejected or t.unreadable or t.error for t in self.tables.values())


def default_out(src: Path) -> Path:
    return src.with_name(f"{src.stem}.recovered{src.suffix or '.clipdesk'}")


def _json_ok(v: Any, kind: type | None = None) -> None:
    if v is not None:
        value = json.loads(v)
        if kind is not None and not isinstance(value, kind):
            raise TypeError(kind.__name__)


def _check_video(r: dict[str, Any]) -> None:
    from core.media.reader import MediaInfo

    MediaInfo.from_json(json.loads(r["info"]))
    if r.get("frame_times") is not None:
        zlib.decompress(r["frame_times"])


def _check_segment(r: dict[str, Any]) -> None:
    _json_ok(r.get("attrs") or "{}", dict)
    for k in ("start_frame", "end_frame"):
        if not isinstance(r.get(k), int):
            raise TypeError(k)


def _check_history(r: dict[str, Any]) -> None:
    _json_ok(r.get("old_value"))
    _json_ok(r.get("new_value"))


def _check_signal(r: dict[str, Any]) -> None:
    import numpy as np

    data = zlib.decompress(r["data"])
    np.frombuffer(data, dtype=np.dtype(r["dtype"])).reshape(json.loads(r["shape"]))


CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "videos": _check_video,
    "runs": lambda r: _json_ok(r["params"], dict),
    "segments": _check_segment,
    "label_history": _check_history,
    "signals": _check_signal,
    "settings": lambda r: _json_ok(r["value"]),
}


def _rows(conn: sqlite3.Connection, table: str, res: TableResult) -> Iterator[dict[str, Any]]:
    """Every row SQLite can read, by rowid, stepping over unreadable stretches."""
    last = -(1 << 62)
    skips = 0
    step = 1
    while True:
        try:
            cur = conn.execute(f'SELECT rowid AS "__rowid", * FROM "{table}" WHERE rowid > ?'
                               " ORDER BY rowid", (last,))
            cols = [d[0] for d in cur.description]
            for row in cur:
                r = dict(zip(cols, row))
                last = int(r.pop("__rowid"))
                step = 1
                yield r
            return
        except DB_ERRORS as e:
            if not is_corruption(e) and not isinstance(e, sqlite3.OperationalError):
                raise
            res.unreadable += 1
            skips += 1
            if skips > MAX_SKIPS:
                res.error = f"gave up after {MAX_SKIPS} unreadable stretches"
                return
            last += step  # past the damaged stretch, a little further each time
            step *= 4


def scan(conn: sqlite3.Connection) -> dict[str, TableResult]:
    """Read every row of every table and decode its values, writing nothing: what a recovery
    would save (``saved``) and lose (``clipdesk check``'s row-level check)."""
    out: dict[str, TableResult] = {}
    for table in TABLES:
        res = out.setdefault(table, TableResult())
        try:
            if not conn.execute(f'PRAGMA table_info("{table}")').fetchall():
                res.error = "table missing"
                continue
        except DB_ERRORS as e:
            res.error = describe(e)
            continue
        for r in _rows(conn, table, res):
            try:
                CHECKS[table](r)
                res.saved += 1
            except (ValueError, TypeError, KeyError, AttributeError, zlib.error):
                res.rejected += 1
    return out


def _copy_table(src: sqlite3.Connection, dst: sqlite3.Connection, table: str,
                res: TableResult) -> None:
    try:
        have = {r[1] for r in src.execute(f'PRAGMA table_info("{table}")')}
    except DB_ERRORS as e:
        res.error = describe(e)
        return
    if not have:
        res.error = "table missing"
        return
    want = [r[1] for r in dst.execute(f'PRAGMA table_info("{table}")')]
    check = CHECKS[table]
    for r in _rows(src, table, res):
        if table == "segments" and r.get("run_id") is not None and dst.execute(
                "SELECT 1 FROM runs WHERE id=?", (r["run_id"],)).fetchone() is None:
            r["run_id"] = None  # its run was lost: keep the segment
        try:
            check(r)
        except (ValueError, TypeError, KeyError, AttributeError, zlib.error):
            res.rejected += 1
            continue
        cols = [c for c in want if c in r]
        try:
            dst.execute(f'INSERT INTO "{table}"({", ".join(cols)}) VALUES '
                        f'({", ".join("?" * len(cols))})', [r[c] for c in cols])
            res.saved += 1
        except sqlite3.Error:  # NOT NULL, CHECK, foreign key or duplicate key
            res.rejected += 1


def recover(src: str | os.PathLike[str], out: str | os.PathLike[str] | None = None) -> RecoverReport:
    """Copy what is readable in ``src`` into the new project ``out`` (default
    ``<stem>.recovered.clipdesk`` beside it); ``src`` is only read."""
    from core.store.project import Project

    src_p = Path(src)
    if not src_p.is_file():
        raise ProjectError(f"{src_p}: no such project")
    out_p = Path(out) if out is not None else default_out(src_p)
    if out_p.is_dir():
        out_p = out_p / default_out(src_p).name
    if out_p.exists() and out_p.resolve() == src_p.resolve():
        raise ProjectError(f"{out_p}: is the damaged project itself; recovery writes a new file")
    if out_p.exists():
        raise ProjectError(f"{out_p}: already exists; give another --out (recovery never "
                           "overwrites a file)")
    header = read_header(src_p)  # not SQLite at all: one line
    if header is None or header.application_id not in (0, APPLICATION_ID):
        raise ForeignFileError(f"{src_p}: not a ClipDesk project; nothing to recover")
    report = RecoverReport(src_p, out_p)
    out_p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out_p.name}.", suffix=".part", dir=out_p.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # Project creates it
    try:
        with read_only(src_p) as conn, Project(tmp) as fresh:
            with fresh.transaction() as dst:
                for table in TABLES:
                    res = report.tables.setdefault(table, TableResult())
                    _copy_table(conn, dst, table, res)
                if all(r.error == "table missing" for r in report.tables.values()):
                    raise ForeignFileError(f"{src_p}: not a ClipDesk project (none of its tables"
                                           " are there); nothing to recover")
        if out_p.exists():
            raise ProjectError(f"{out_p}: appeared while recovering; not overwriting it")
        os.replace(tmp, out_p)
    finally:
        for p in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
            p.unlink(missing_ok=True)
    return report
