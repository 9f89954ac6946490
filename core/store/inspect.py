"""What ``clipdesk check`` reports about a project file, read without writing a byte.

``inspect_project(path)`` runs the complete ``PRAGMA integrity_check``, reads the
``application_id`` and schema version, and checks that every video is present and unchanged
(fingerprint). Each finding is a line; ``problems`` are what make the project unhealthy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import ProjectError
from core.store.fingerprint import mismatch
from core.store.health import (APPLICATION_ID, CLIPDESK_TABLES, DB_ERRORS, ForeignFileError,
                               describe, integrity_report, read_header, read_only)
from core.store.migrations import LATEST


@dataclass
class Inspection:
    path: Path
    lines: list[str] = field(default_factory=list)  # the report, in order
    problems: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems

    def problem(self, text: str) -> None:
        self.problems.append(text)
        self.lines.append(f"PROBLEM  {text}")

    def ok(self, text: str) -> None:
        self.lines.append(f"ok       {text}")


def inspect_project(path: str | os.PathLike[str]) -> Inspection:
    p = Path(path)
    if not p.is_file():
        raise ProjectError(f"{p}: no such project")
    header = read_header(p)
    if header is None:
        raise ForeignFileError(f"{p}: not a ClipDesk project (the file is empty)")
    if header.application_id not in (0, APPLICATION_ID):
        raise ForeignFileError(f"{p}: not a ClipDesk project (an SQLite database of another "
                               f"application, id 0x{header.application_id:08x})")
    res = Inspection(p)
    integ = integrity_report(p)
    if integ.problems:
        more = f" (+{len(integ.problems) - 1} more)" if len(integ.problems) > 1 else ""
        res.problem(f"integrity_check: {integ.problems[0]}{more}")
        res.lines.extend(f"         {x}" for x in integ.problems[1:10])
    else:
        res.ok("integrity_check: every page and index is whole")
    try:
        with read_only(p) as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if integ.application_id == 0 and not CLIPDESK_TABLES <= tables:
                raise ForeignFileError(f"{p}: not a ClipDesk project (an SQLite database of "
                                       "another application)")
            _ids(res, integ.application_id, integ.user_version)
            videos = conn.execute("SELECT id, path, fingerprint FROM videos ORDER BY id").fetchall()
    except DB_ERRORS as e:
        res.problem(f"cannot read the videos: {describe(e)}")
        return res
    _values(res, p)
    for vid, vpath, fp in videos:
        res.lines.append(f"video {vid}: {vpath}")
        _video(res, vid, vpath, fp)
    if not videos:
        res.ok("no videos yet")
    return res


def _values(res: Inspection, p: Path) -> None:
    """Every row read and decoded, as the project reads it (a flipped byte inside a value
    passes SQLite's checks but not this)."""
    from core.store.recover import scan

    with read_only(p, strict_text=True) as conn:
        tables = scan(conn)
    bad = {t: r for t, r in tables.items() if r.rejected or r.unreadable or r.error}
    for t, r in bad.items():
        res.problem(f"rows: {t}: {r.describe()}")
    if not bad:
        res.ok(f"rows: all {sum(r.saved for r in tables.values())} rows read and decoded")


def _ids(res: Inspection, app_id: int, version: int) -> None:
    if app_id == APPLICATION_ID:
        res.ok("application_id: ClipDesk (0x434c5044)")
    else:
        res.ok("application_id: not set yet (an older project; set when ClipDesk next opens it)")
    if version > LATEST:
        res.problem(f"schema {version}: written by a newer ClipDesk (this one knows {LATEST})")
    elif version < LATEST:
        res.ok(f"schema {version} of {LATEST} (upgraded, after a backup, when ClipDesk opens it)")
    else:
        res.ok(f"schema {version} (current)")


def _video(res: Inspection, vid: int, vpath: object, fp: object) -> None:
    if not isinstance(vpath, str) or not isinstance(fp, str):
        res.problem(f"video {vid}: its record is unreadable")
        return
    if not os.path.isfile(vpath):
        res.problem(f"video {vid}: missing at {vpath} (relink it with `clipdesk relink "
                    f"{res.path} --video {vid} PATH`)")
        return
    try:
        why = mismatch(fp, vpath)
    except OSError as e:
        res.problem(f"video {vid}: cannot be read ({e.strerror or e})")
        return
    if why is not None:
        res.problem(f"video {vid}: {vpath} is not the video the project was analysed from ({why})")
    else:
        res.ok(f"video {vid}: present and unchanged")
