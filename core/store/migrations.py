"""Numbered schema migrations, driven by ``PRAGMA user_version``; each runs in one transaction.

Never edit a released migration: append a new one. ``tests/test_store.py`` opens a version-1
file and checks that it upgrades. Before an existing file is migrated, :func:`migrate` calls its
``backup`` hook once with the old version (``Project`` writes
``<stem>.clipdesk-backups/<stem>.v<old>.clipdesk``, see :mod:`core.store.backup`).
"""

from __future__ import annotations

import sqlite3
from typing import Callable

from core.errors import ProjectError
from core.store.health import APPLICATION_ID


def _run_sql(db: sqlite3.Connection, sql: str) -> None:
    # Statement by statement: ``executescript`` would COMMIT and break the migration transaction.
    for stmt in sql.split(";"):
        if stmt.strip():
            db.execute(stmt)


def _m1(db: sqlite3.Connection) -> None:
    _run_sql(
        db,
        """
        CREATE TABLE videos (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            info TEXT NOT NULL,              -- MediaInfo as JSON
            fps_num INTEGER NOT NULL,
            fps_den INTEGER NOT NULL,
            frame_count INTEGER NOT NULL,
            duration REAL NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            frame_times BLOB,                -- float64 presentation times, zlib (exact after decode)
            added_at TEXT NOT NULL
        );
        CREATE UNIQUE INDEX videos_fingerprint ON videos(fingerprint);

        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
            stage TEXT NOT NULL,
            model TEXT NOT NULL,
            version TEXT NOT NULL,
            params TEXT NOT NULL,            -- JSON, keys sorted
            status TEXT NOT NULL,            -- running | done | failed | cancelled
            message TEXT,
            started_at TEXT NOT NULL,
            finished_at TEXT
        );
        CREATE INDEX runs_video_stage ON runs(video_id, stage);

        CREATE TABLE segments (
            id INTEGER PRIMARY KEY,
            video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
            track TEXT NOT NULL,
            start_frame INTEGER NOT NULL,
            end_frame INTEGER NOT NULL,
            label TEXT,
            confidence REAL,
            attrs TEXT NOT NULL DEFAULT '{}',
            source TEXT NOT NULL,            -- model:<name>@<version> | user:<name>
            status TEXT NOT NULL DEFAULT 'suggested',
            run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
            deleted INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            CHECK (end_frame >= start_frame)
        );
        CREATE INDEX segments_track ON segments(video_id, track, deleted, start_frame);

        -- Every change to a segment, machine or human: both survive as training data.
        CREATE TABLE label_history (
            id INTEGER PRIMARY KEY,
            segment_id INTEGER NOT NULL,
            video_id INTEGER NOT NULL,
            op TEXT NOT NULL,                -- create | update | delete | restore
            field TEXT,                      -- for update: which field
            old_value TEXT,                  -- JSON
            new_value TEXT,                  -- JSON
            who TEXT NOT NULL,
            at TEXT NOT NULL,
            batch TEXT                       -- groups the rows of one user operation
        );
        CREATE INDEX label_history_segment ON label_history(segment_id);

        -- Expensive per-frame signals and embeddings, keyed by model and version, so a new
        -- threshold needs no new decode.
        CREATE TABLE signals (
            video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            key TEXT NOT NULL,               -- model@version plus parameters that change it
            dtype TEXT NOT NULL,
            shape TEXT NOT NULL,             -- JSON list
            data BLOB NOT NULL,              -- zlib-compressed array bytes
            created_at TEXT NOT NULL,
            PRIMARY KEY (video_id, name, key)
        );

        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """
    )


def _m2(db: sqlite3.Connection) -> None:
    """Runs get an owner, so one process never fails another's live runs (NULL: older rows).

    ``host``/``pid`` name the process; ``pid_started`` tells a reused pid from the original
    (Linux: boot id and start tick); ``heartbeat_at`` is refreshed while the run is live, the
    only sign of life another host can read.
    """
    _run_sql(
        db,
        """
        ALTER TABLE runs ADD COLUMN host TEXT;
        ALTER TABLE runs ADD COLUMN pid INTEGER;
        ALTER TABLE runs ADD COLUMN pid_started TEXT;
        ALTER TABLE runs ADD COLUMN heartbeat_at TEXT;
        CREATE INDEX runs_status ON runs(status)
        """
    )


def _m3(db: sqlite3.Connection) -> None:
    """The file says it is a ClipDesk project (``application_id`` "CLPD"), and one file may be
    several videos of the project (a copy under another name is a video of its own): the
    fingerprint index is no longer unique."""
    _run_sql(
        db,
        f"""
        DROP INDEX IF EXISTS videos_fingerprint;
        CREATE INDEX videos_fingerprint ON videos(fingerprint);
        PRAGMA application_id = {APPLICATION_ID}
        """
    )


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_m1, _m2, _m3]
LATEST = len(MIGRATIONS)


def migrate(db: sqlite3.Connection, backup: Callable[[int], object] | None = None) -> int:
    """Bring ``db`` to the latest schema; returns the version it had. ``backup(old_version)``
    runs first when an existing (version >= 1) file is about to change."""
    before = int(db.execute("PRAGMA user_version").fetchone()[0])
    if before > LATEST:
        raise ProjectError(
            f"project was written by a newer ClipDesk (schema {before}, this one knows {LATEST})"
        )
    if 0 < before < LATEST and backup is not None:
        backup(before)
    for version in range(before, LATEST):
        db.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[version](db)
            db.execute(f"PRAGMA user_version = {version + 1}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return before
