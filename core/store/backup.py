"""Automatic project backups, in a folder beside the project.

``match.clipdesk`` keeps its backups in ``match.clipdesk-backups/``:

- ``match.v<N>.clipdesk``: the file as it was at schema version ``N``, written before a migration
  upgrades it (kept; one per version);
- ``match.edits-<UTC time>.clipdesk``: a copy every :data:`EDIT_INTERVAL` label edits, the newest
  :data:`KEEP_EDIT_BACKUPS` kept.

Each backup is a consistent snapshot made with SQLite's online backup API, written to a temporary
file in the same folder and renamed into place, so a crash never leaves a half-written backup.
A backup is itself a project: open it, or copy it over the damaged file.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from datetime import datetime, timezone
from pathlib import Path

EDIT_INTERVAL = 200
KEEP_EDIT_BACKUPS = 3


def backup_dir(project: Path) -> Path:
    return project.with_name(project.name + "-backups")


def write_backup(conn: sqlite3.Connection, dest: Path) -> Path:
    """Snapshot ``conn``'s database into ``dest`` atomically (temp file beside it, then rename)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    os.close(fd)
    try:
        out = sqlite3.connect(tmp)
        try:
            conn.backup(out)
            out.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
        finally:
            out.close()
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest


def migration_backup(conn: sqlite3.Connection, project: Path, version: int) -> Path:
    """The file as it is at schema ``version``, before a migration changes it."""
    return write_backup(conn, backup_dir(project) / f"{project.stem}.v{version}.clipdesk")


def edit_backup(conn: sqlite3.Connection, project: Path, keep: int = KEEP_EDIT_BACKUPS) -> Path:
    """A rotating backup after many edits; older ones beyond the newest ``keep`` are removed."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    folder = backup_dir(project)
    dest = write_backup(conn, folder / f"{project.stem}.edits-{stamp}.clipdesk")
    old = sorted(folder.glob(f"{project.stem}.edits-*.clipdesk"))
    for p in old[:-keep] if keep > 0 else old:
        p.unlink(missing_ok=True)
    return dest
