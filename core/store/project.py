"""One ClipDesk project = one SQLite file (WAL), opened through sqlite-utils.

Owns videos, analysis runs, segments with their full label history, the per-frame signal cache
and project settings. Every write happens inside a transaction, so a crash or a kill leaves the
file consistent. Opening checks the file before anything writes to it (:mod:`core.store.health`:
another application's database, a non-SQLite file and a damaged project are refused with one
line, the file untouched); a read that meets damage later raises the same one line
(:class:`DamagedProjectError`) and the project then refuses every write. Existing files are backed
up before a migration and every 200 edits (:mod:`core.store.backup`). Each video is known by its
fingerprint (:mod:`core.store.fingerprint`): :meth:`Project.video_file` is the one way to get a
video's file for reading, and refuses a file that is not the one the project was analysed from.
Each run records the process that owns it (host, pid, heartbeat), so several processes can
share a project without failing each other's live runs. A ``Project`` may be shared between
threads (a lock serialises access), but the app gives each thread its own connection and keeps
one writer at a time.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import sqlite3
import threading
import uuid
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from core.errors import ProjectError
from core.media.reader import MediaInfo
from core.segments import ACCEPTED, SUGGESTED, Segment
from core.store import backup as backups
from core.store.fingerprint import candidates, fingerprint, mismatch
from core.store.health import (APPLICATION_ID, DB_ERRORS, DamagedProjectError, describe,
                               is_corruption, preflight)
from core.store.migrations import LATEST, migrate
from core.store.sqlite_lib import sqlite_utils
from core.timebase import FrameClock, Rate

PROJECT_SUFFIX = ".clipdesk"
HEARTBEAT_INTERVAL_S = 60.0
"""How often a live analysis refreshes its runs' ``heartbeat_at``."""
STALE_HEARTBEAT_S = 15 * 60.0
"""A run whose pid cannot be checked here (another host or pid namespace) is taken as dead once
its heartbeat is older than this: 15 missed beats, so a crash elsewhere (or on Windows, where pids
are not checked) blocks its video for minutes, not hours."""
_SEG_FIELDS = ("track", "start_frame", "end_frame", "label", "confidence", "attrs", "status", "source")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def default_user() -> str:
    try:
        name = os.environ.get("CLIPDESK_USER") or getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        name = "local"
    return f"user:{name}"


def project_path_for(video: str | os.PathLike[str]) -> Path:
    """``match.mp4`` -> ``match.clipdesk`` beside it (INTERFACES.md)."""
    return Path(video).with_suffix(PROJECT_SUFFIX)


class VideoChangedError(ProjectError):
    """The file at a video's stored path is not the video the project was analysed from."""

    def __init__(self, message: str, reason: str = "content changed") -> None:
        super().__init__(message)
        self.reason = reason  # a few words: "size changed: 1 -> 2 bytes", "content changed"


class VideoMissingError(ProjectError):
    """No file at a video's stored path."""


def _read(path: str, link: bool = False) -> str:
    try:
        return os.readlink(path) if link else Path(path).read_text().strip()
    except OSError:
        return ""


def _proc_stat(pid: int) -> tuple[str, str] | None:
    """(state, start tick) of process ``pid`` from /proc (Linux); None when unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return fields[0], fields[19]
    except (OSError, IndexError):
        return None


def process_identity() -> str:
    """What tells this process apart beyond its pid: ``pid namespace|boot id|start tick``.

    Linux only (the parts are empty elsewhere). Another pid namespace (a container, a flatpak)
    cannot check our pid; a reboot or a reused pid must not pass for the original owner.
    """
    stat = _proc_stat(os.getpid())
    return "|".join((_read("/proc/self/ns/pid", link=True),
                     _read("/proc/sys/kernel/random/boot_id"), stat[1] if stat else ""))


def _split_identity(ident: str | None) -> tuple[str, str, str]:
    parts = (ident or "").split("|")
    parts += [""] * (3 - len(parts))
    return parts[0], parts[1], parts[2]


def _pid_alive(pid: int, start: str) -> bool:
    """Whether process ``pid`` (started at tick ``start`` if known) still runs on this machine."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return not start or start == _split_identity(process_identity())[2]
    try:
        os.kill(pid, 0)  # signal 0: existence check only
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, owned by another user
    except OverflowError:
        return False
    except OSError:
        return True  # cannot tell: never fail another process's run on a guess
    stat = _proc_stat(pid)
    if stat is not None and (stat[0] in ("Z", "X") or (start and stat[1] != start)):
        return False  # exited (not yet reaped), or the pid now belongs to another process
    return True


def owner_alive(host: str | None, pid: int | None, identity: str | None,
                heartbeat_at: str | None, now: datetime | None = None) -> bool:
    """Whether the process that owns a run may still be running it.

    Rows from before owners were recorded have none: nothing can still be running them. On this
    host (and pid namespace) the pid decides; elsewhere only the heartbeat can, and the owner
    counts as alive until it is :data:`STALE_HEARTBEAT_S` old.
    """
    if host is None or pid is None:
        return False
    ns, boot, start = _split_identity(identity)
    here_ns, here_boot, _ = _split_identity(process_identity())
    if host != socket.gethostname() or ns != here_ns or os.name == "nt":
        # Its pids mean nothing here (and os.kill(pid, 0) would end a process on Windows).
        try:
            beat = datetime.fromisoformat(heartbeat_at or "")
        except ValueError:
            return False
        if beat.tzinfo is None:
            beat = beat.replace(tzinfo=timezone.utc)
        age = ((now or datetime.now(timezone.utc)) - beat).total_seconds()
        return age < STALE_HEARTBEAT_S
    if boot and here_boot and boot != here_boot:
        return False  # started before the machine last booted
    return _pid_alive(int(pid), start)


@dataclass(frozen=True)
class VideoRecord:
    id: int
    path: str
    info: MediaInfo
    rate: Rate
    frame_count: int
    duration: float
    width: int
    height: int
    exact: bool  # frame count and times come from a full decode

    @property
    def name(self) -> str:
        return Path(self.path).name


@dataclass(frozen=True)
class RunRecord:
    id: int
    video_id: int
    stage: str
    model: str
    version: str
    params: dict[str, Any]
    status: str
    message: str | None
    started_at: str
    finished_at: str | None
    host: str | None = None  # owner (NULL for runs from before owners were recorded)
    pid: int | None = None
    heartbeat_at: str | None = None

    @property
    def here(self) -> bool:
        """Owned by a process of this host."""
        return self.host == socket.gethostname()


def _params_json(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)


def _beat(c: sqlite3.Connection, ids: Sequence[int]) -> None:
    c.execute(f"UPDATE runs SET heartbeat_at=? WHERE status='running' AND id IN"
              f" ({','.join('?' * len(ids))})", (now_iso(), *ids))


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


class Project:
    """A project file. Use as a context manager or call :meth:`close`."""

    def __init__(self, path: str | os.PathLike[str], create: bool = True) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise ProjectError(f"{self.path}: is a directory, not a project file")
        exists = self.path.exists()
        if not create and not exists:
            raise ProjectError(f"{self.path}: no such project")
        if exists and not self.path.is_file():
            raise ProjectError(f"{self.path}: not a regular file, not a project")
        # Nothing below writes until the file is known to be a whole ClipDesk project.
        new = not exists or preflight(self.path, create, LATEST)
        self._lock = threading.RLock()
        self._depth = 0
        self._damaged: DamagedProjectError | None = None
        self._verified: dict[tuple[int, str, int, int, str], str | None] = {}
        self._history_rows = 0
        self.notes: list[str] = []
        try:
            conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False,
                                   timeout=30)
            if new:  # in the main file before WAL starts: other processes see it at once
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            migrate(conn, backup=lambda v: backups.migration_backup(conn, self.path, v))
        except DB_ERRORS as e:
            if is_corruption(e):
                raise DamagedProjectError(self.path, describe(e)) from None
            raise ProjectError(f"{self.path}: cannot be opened as a ClipDesk project ({e})") from None
        except OSError as e:
            raise ProjectError(f"{self.path}: cannot back up the project before upgrading it "
                               f"({e.strerror or e})") from None
        self.conn = conn
        self.db = sqlite_utils.Database(conn)

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            self.conn.close()

    def __enter__(self) -> "Project":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _damage(self, problem: str) -> DamagedProjectError:
        """Remember that the file is damaged (no more writes) and return the one-line error."""
        if self._damaged is None:
            self._damaged = DamagedProjectError(self.path, problem)
        return self._damaged

    @contextmanager
    def _decoding(self, what: str) -> Iterator[None]:
        """A stored value that cannot be decoded means the file is damaged."""
        try:
            yield
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, zlib.error) as e:
            raise self._damage(f"unreadable {what}: {type(e).__name__}") from None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All writes inside commit together or not at all (nested calls join the outer one).

        A damaged file is never written: once any read or write has met damage, every
        transaction is refused with the same one line."""
        with self._lock:
            if self._damaged is not None:
                raise self._damaged
            try:
                if self._depth == 0:
                    self.conn.execute("BEGIN IMMEDIATE")
                    self._history_rows = 0
                self._depth += 1
            except DB_ERRORS as e:
                if is_corruption(e):
                    raise self._damage(describe(e)) from None
                raise
            try:
                yield self.conn
            except BaseException as e:
                self._depth -= 1
                if self._depth == 0:
                    try:
                        self.conn.execute("ROLLBACK")
                    except DB_ERRORS:
                        if not is_corruption(e):
                            raise
                if is_corruption(e):
                    raise self._damage(describe(e)) from None
                raise
            else:
                self._depth -= 1
                if self._depth == 0:
                    try:
                        self.conn.execute("COMMIT")
                    except DB_ERRORS as e:
                        if is_corruption(e):
                            raise self._damage(describe(e)) from None
                        raise
                    if self._history_rows:
                        self._count_edits(self._history_rows)

    def _count_edits(self, rows: int) -> None:
        """Every :data:`backup.EDIT_INTERVAL` label-history rows, a rotating backup."""
        mark = self.get_setting("backup.edit_mark")
        last = int(self._q("SELECT COALESCE(MAX(id), 0) AS n FROM label_history")[0]["n"])
        if not isinstance(mark, int) or mark > last:
            mark = max(0, last - rows)
        if last - mark >= backups.EDIT_INTERVAL:
            with self._lock:
                try:
                    backups.edit_backup(self.conn, self.path)
                except (OSError, sqlite3.Error):
                    return  # a full disk must not fail the edit; the next one tries again
            self.set_setting("backup.edit_mark", last)
        elif self.get_setting("backup.edit_mark") is None:
            self.set_setting("backup.edit_mark", mark)

    def query(self, sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Read-only SQL for indexed look-ups other modules need (rows as dicts)."""
        return self._q(sql, args)

    def _q(self, sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self._lock:
            try:
                cur = self.conn.execute(sql, tuple(args))
                cols = [d[0] for d in cur.description] if cur.description else []
                return [dict(zip(cols, row)) for row in cur.fetchall()]
            except DB_ERRORS as e:
                if is_corruption(e):
                    raise self._damage(describe(e)) from None
                raise

    # -- videos ------------------------------------------------------------------------------
    def add_video(self, info: MediaInfo) -> VideoRecord:
        """Register a probed video, or find it again.

        The video already at this path is that video (refused with :class:`VideoChangedError`
        when the file there is no longer the one analysed). The same bytes under another name are
        that video only when its stored path no longer exists (the file was moved; the path is
        updated and :meth:`take_notes` says so); a copy beside the original is a new video.
        """
        path = os.path.abspath(info.path)
        fps = candidates(path)
        with self.transaction() as c:
            rows = self._q("SELECT id, path, fingerprint FROM videos")
            same_path = [r for r in rows if _same_file_path(r["path"], path)]
            if same_path:
                vid = int(same_path[0]["id"])
                try:
                    self.video_file(vid)
                except VideoChangedError as e:
                    raise VideoChangedError(
                        f"{path}: this is not the video {vid} the project was analysed from "
                        f"({e.reason}); put the original back, or analyse this file as a new video "
                        f"under another name or into another project (--project NEW)", e.reason
                    ) from None
                return self.video(vid)
            moved = [r for r in rows if r["fingerprint"] in fps and not os.path.exists(r["path"])]
            if moved:
                vid = int(moved[0]["id"])
                c.execute("UPDATE videos SET path=?, fingerprint=? WHERE id=?", (path, fps[0], vid))
                self.notes.append(f"video {vid} was at {moved[0]['path']}; found it moved to {path}")
            else:
                cur = c.execute(
                    "INSERT INTO videos(path, fingerprint, info, fps_num, fps_den, frame_count,"
                    " duration, width, height, added_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (path, fps[0], json.dumps({**info.to_json(), "path": path}), info.rate.num,
                     info.rate.den, info.frame_count, info.duration, info.width, info.height,
                     now_iso()),
                )
                vid = int(cur.lastrowid or 0)
        return self.video(vid)

    def take_notes(self) -> list[str]:
        """One-line notices from :meth:`add_video` (a moved video found again), then cleared."""
        out, self.notes[:] = list(self.notes), []
        return out

    def _stored_fingerprint(self, video_id: int) -> tuple[str, str]:
        rows = self._q("SELECT path, fingerprint FROM videos WHERE id=?", (video_id,))
        if not rows:
            raise ProjectError(f"no video {video_id} in {self.path}")
        path, fp = rows[0]["path"], rows[0]["fingerprint"]
        if not isinstance(path, str) or not isinstance(fp, str):
            raise self._damage(f"unreadable video {video_id}")
        return path, fp

    def _mismatch(self, video_id: int, path: str, stored: str) -> str | None:
        """Why the file at ``path`` is not video ``video_id`` (None: it is); cached per
        (path, mtime, size), so checking again costs a stat."""
        st = os.stat(path)
        key = (video_id, os.path.abspath(path), st.st_mtime_ns, st.st_size, stored)
        if key not in self._verified:
            try:
                self._verified[key] = mismatch(stored, path)
            except OSError as e:
                raise VideoMissingError(f"{path}: the project's video cannot be read "
                                        f"({e.strerror or e})") from None
        return self._verified[key]

    def video_file(self, video_id: int, missing_ok: bool = False) -> Path:
        """The file of video ``video_id``, for reading: the one way every reader gets it.

        Raises :class:`VideoChangedError` when the file now at the stored path is not the video
        the project was analysed from, :class:`VideoMissingError` when there is none (unless
        ``missing_ok``: exports that only name the file)."""
        path, stored = self._stored_fingerprint(video_id)
        how = f"`clipdesk relink {self.path} --video {video_id} PATH`"
        if not os.path.isfile(path):
            if missing_ok and not os.path.exists(path):
                return Path(path)
            raise VideoMissingError(f"{path}: the project's video {video_id} is missing; if it was "
                                    f"moved, relink it with {how}")
        why = self._mismatch(video_id, path, stored)
        if why is not None:
            raise VideoChangedError(f"{path}: this is not the video the project was analysed from "
                                    f"({why}); put the original back or relink it with {how}", why)
        return Path(path)

    def relink(self, video_id: int, new_path: str | os.PathLike[str]) -> VideoRecord:
        """Point video ``video_id`` at ``new_path``, which must hold the same video (fingerprint);
        a different file is refused: analyse it as a new video instead."""
        _, stored = self._stored_fingerprint(video_id)
        new = os.path.abspath(new_path)
        if not os.path.isfile(new):
            raise VideoMissingError(f"{new}: no such file")
        why = self._mismatch(video_id, new, stored)
        if why is not None:
            raise VideoChangedError(f"{new}: not the video {video_id} the project was analysed from "
                                    f"({why}); analyse it as a new video instead "
                                    f"(clipdesk analyze {new} --project {self.path})", why)
        with self.transaction() as c:
            info = json.loads(c.execute("SELECT info FROM videos WHERE id=?",
                                        (video_id,)).fetchone()[0])
            info["path"] = new
            c.execute("UPDATE videos SET path=?, fingerprint=?, info=? WHERE id=?",
                      (new, fingerprint(new), json.dumps(info), video_id))
        return self.video(video_id)

    def _video_from_row(self, r: dict[str, Any]) -> VideoRecord:
        with self._decoding(f"video {r.get('id')}"):
            info = MediaInfo.from_json(json.loads(r["info"]))
            if not isinstance(r["path"], str):
                raise TypeError("path")
            return VideoRecord(
                id=int(r["id"]), path=r["path"], info=info,
                rate=Rate(int(r["fps_num"]), int(r["fps_den"])),
                frame_count=int(r["frame_count"]), duration=float(r["duration"]),
                width=int(r["width"]), height=int(r["height"]), exact=r["frame_times"] is not None,
            )

    def video(self, video_id: int) -> VideoRecord:
        rows = self._q("SELECT * FROM videos WHERE id=?", (video_id,))
        if not rows:
            raise ProjectError(f"no video {video_id} in {self.path}")
        return self._video_from_row(rows[0])

    def videos(self) -> list[VideoRecord]:
        return [self._video_from_row(r) for r in self._q("SELECT * FROM videos ORDER BY id")]

    def set_rate(self, video_id: int, rate: Rate, vfr: bool) -> None:
        """Correct a video's nominal rate (a growing recording probed from its first packets may
        have guessed it); frames stay frames, their times follow the new rate."""
        with self.transaction() as c:
            info = json.loads(c.execute("SELECT info FROM videos WHERE id=?", (video_id,)).fetchone()[0])
            info["rate"] = {"num": rate.num, "den": rate.den}
            info["vfr"] = bool(vfr)
            c.execute("UPDATE videos SET fps_num=?, fps_den=?, info=? WHERE id=?",
                      (rate.num, rate.den, json.dumps(info), video_id))

    def set_frame_times(self, video_id: int, times: np.ndarray) -> None:
        """Record the exact decoded frame table (count, duration and VFR times)."""
        times = np.asarray(times, dtype=np.float64)
        n = int(times.size)
        dur = float(times[-1] + (times[-1] - times[-2] if n > 1 else 0.0)) if n else 0.0
        with self.transaction() as c:
            info = json.loads(c.execute("SELECT info FROM videos WHERE id=?", (video_id,)).fetchone()[0])
            info["frame_count"] = n
            info["duration"] = dur
            info["frame_count_exact"] = True
            c.execute(
                "UPDATE videos SET frame_times=?, frame_count=?, duration=?, info=? WHERE id=?",
                (zlib.compress(times.tobytes()), n, dur, json.dumps(info), video_id),
            )

    def frame_times(self, video_id: int) -> np.ndarray | None:
        rows = self._q("SELECT frame_times FROM videos WHERE id=?", (video_id,))
        if not rows or rows[0]["frame_times"] is None:
            return None
        with self._decoding(f"frame times of video {video_id}"):
            return np.frombuffer(zlib.decompress(rows[0]["frame_times"]), dtype=np.float64)

    def clock(self, video_id: int) -> FrameClock:
        v = self.video(video_id)
        times = self.frame_times(video_id)
        return FrameClock(v.rate, v.frame_count, times.tolist() if times is not None and v.info.vfr else None)

    # -- runs --------------------------------------------------------------------------------
    def start_run(self, video_id: int, stage: str, model: str, version: str,
                  params: dict[str, Any]) -> int:
        """A 'running' run owned by this process (host, pid, identity; heartbeat now)."""
        ts = now_iso()
        with self.transaction() as c:
            cur = c.execute(
                "INSERT INTO runs(video_id, stage, model, version, params, status, started_at,"
                " host, pid, pid_started, heartbeat_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (video_id, stage, model, version, _params_json(params), "running", ts,
                 socket.gethostname(), os.getpid(), process_identity(), ts),
            )
            return int(cur.lastrowid or 0)

    @contextmanager
    def keep_alive(self, run_ids: Sequence[int],
                   interval: float = HEARTBEAT_INTERVAL_S) -> Iterator[None]:
        """Refresh the runs' heartbeat every ``interval`` s while the block runs.

        A daemon thread with its own short-timeout connection: it never waits on this
        connection's lock or transactions, and a busy file only skips a beat.
        """
        ids = [int(i) for i in run_ids]
        stop = threading.Event()

        def beat() -> None:
            conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=5)
            try:
                while not stop.wait(interval):
                    try:
                        _beat(conn, ids)
                    except sqlite3.Error:
                        pass  # busy: the next beat tries again
            finally:
                conn.close()

        thread = None
        if ids:
            thread = threading.Thread(target=beat, name="clipdesk-heartbeat", daemon=True)
            thread.start()
        try:
            yield
        finally:
            stop.set()
            if thread is not None:
                thread.join()

    def finish_run(self, run_id: int, status: str = "done", message: str | None = None) -> None:
        with self.transaction() as c:
            c.execute("UPDATE runs SET status=?, message=?, finished_at=? WHERE id=?",
                      (status, message, now_iso(), run_id))

    def _run_from_row(self, r: dict[str, Any]) -> RunRecord:
        with self._decoding(f"run {r.get('id')}"):
            return self._run_record(r)

    @staticmethod
    def _run_record(r: dict[str, Any]) -> RunRecord:
        return RunRecord(id=r["id"], video_id=r["video_id"], stage=r["stage"], model=r["model"],
                         version=r["version"], params=json.loads(r["params"]), status=r["status"],
                         message=r["message"], started_at=r["started_at"],
                         finished_at=r["finished_at"], host=r["host"], pid=r["pid"],
                         heartbeat_at=r["heartbeat_at"])

    def done_run(self, video_id: int, stage: str, version: str,
                 params: dict[str, Any]) -> RunRecord | None:
        """The latest finished run of ``stage`` with this version and parameters, if any."""
        rows = self._q(
            "SELECT * FROM runs WHERE video_id=? AND stage=? AND version=? AND params=?"
            " AND status='done' ORDER BY id DESC LIMIT 1",
            (video_id, stage, version, _params_json(params)),
        )
        return self._run_from_row(rows[0]) if rows else None

    def runs(self, video_id: int | None = None) -> list[RunRecord]:
        if video_id is None:
            rows = self._q("SELECT * FROM runs ORDER BY id")
        else:
            rows = self._q("SELECT * FROM runs WHERE video_id=? ORDER BY id", (video_id,))
        return [self._run_from_row(r) for r in rows]

    def _running(self, video_id: int | None, alive: bool) -> list[dict[str, Any]]:
        sql, args = "SELECT * FROM runs WHERE status='running'", []
        if video_id is not None:
            sql, args = sql + " AND video_id=?", [video_id]
        now = datetime.now(timezone.utc)
        return [r for r in self._q(sql + " ORDER BY id", args)
                if owner_alive(r["host"], r["pid"], r["pid_started"], r["heartbeat_at"], now) == alive]

    def live_runs(self, video_id: int | None = None) -> list[RunRecord]:
        """Runs 'running' under an owner that may still be at work (this process included).

        The one liveness rule (:func:`owner_alive`) behind :meth:`mark_interrupted_runs` too.
        """
        return [self._run_from_row(r) for r in self._running(video_id, alive=True)]

    def mark_interrupted_runs(self) -> int:
        """Runs left 'running' by a dead owner become 'failed' (they are redone).

        Dead: a process of this host that is gone, another host's that stopped its heartbeat
        (:data:`STALE_HEARTBEAT_S`), or a row with no owner (older ClipDesk). Runs other live processes are
        working on are left alone.
        """
        with self.transaction() as c:
            dead = [r["id"] for r in self._running(None, alive=False)]
            for rid in dead:
                c.execute("UPDATE runs SET status='failed', message='interrupted', finished_at=?"
                          " WHERE id=? AND status='running'", (now_iso(), rid))
            return len(dead)

    # -- segments ----------------------------------------------------------------------------
    def _seg_from_row(self, r: dict[str, Any]) -> Segment:
        with self._decoding(f"segment {r.get('id')}"):
            attrs = json.loads(r["attrs"] or "{}")
            conf = r["confidence"]
            if not isinstance(attrs, dict) or not isinstance(r["track"], str) \
                    or not isinstance(r["label"], (str, type(None))):
                raise TypeError("segment fields")
            return Segment(
                id=int(r["id"]), video_id=int(r["video_id"]), track=r["track"],
                start_frame=_int(r["start_frame"]), end_frame=_int(r["end_frame"]),
                label=r["label"], confidence=None if conf is None else float(conf), attrs=attrs,
                source=str(r["source"]), status=str(r["status"]),
                run_id=None if r["run_id"] is None else int(r["run_id"]),
            )

    def segments(self, video_id: int, track: str | None = None,
                 include_deleted: bool = False) -> list[Segment]:
        sql = "SELECT * FROM segments WHERE video_id=?"
        args: list[Any] = [video_id]
        if track is not None:
            sql += " AND track=?"
            args.append(track)
        if not include_deleted:
            sql += " AND deleted=0"
        sql += " ORDER BY track, start_frame, end_frame, id"
        return [self._seg_from_row(r) for r in self._q(sql, args)]

    def segment(self, segment_id: int) -> Segment:
        rows = self._q("SELECT * FROM segments WHERE id=?", (segment_id,))
        if not rows:
            raise ProjectError(f"no segment {segment_id}")
        return self._seg_from_row(rows[0])

    def is_deleted(self, segment_id: int) -> bool:
        rows = self._q("SELECT deleted FROM segments WHERE id=?", (segment_id,))
        return bool(rows and rows[0]["deleted"])

    def tracks(self, video_id: int) -> list[str]:
        return [r["track"] for r in self._q(
            "SELECT DISTINCT track FROM segments WHERE video_id=? AND deleted=0 ORDER BY track",
            (video_id,))]

    def _history(self, c: sqlite3.Connection, seg_id: int, video_id: int, op: str, who: str,
                 batch: str | None, field: str | None = None, old: Any = None,
                 new: Any = None) -> None:
        self._history_rows += 1
        c.execute(
            "INSERT INTO label_history(segment_id, video_id, op, field, old_value, new_value, who,"
            " at, batch) VALUES (?,?,?,?,?,?,?,?,?)",
            (seg_id, video_id, op, field, None if old is None else _dump(old),
             None if new is None else _dump(new), who, now_iso(), batch),
        )

    def insert_segment(self, video_id: int, seg: Segment, who: str | None = None,
                       batch: str | None = None, history: bool = True) -> Segment:
        who = who or seg.source
        ts = now_iso()
        with self.transaction() as c:
            cur = c.execute(
                "INSERT INTO segments(video_id, track, start_frame, end_frame, label, confidence,"
                " attrs, source, status, run_id, created_at, updated_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (video_id, seg.track, int(seg.start_frame), int(seg.end_frame), seg.label,
                 seg.confidence, _dump(seg.attrs), seg.source, seg.status, seg.run_id, ts, ts),
            )
            sid = int(cur.lastrowid or 0)
            if history:
                self._history(c, sid, video_id, "create", who, batch, new={
                    "track": seg.track, "start_frame": seg.start_frame, "end_frame": seg.end_frame,
                    "label": seg.label, "confidence": seg.confidence, "status": seg.status})
        return seg.with_(id=sid, video_id=video_id)

    def update_segment(self, segment_id: int, who: str | None = None, batch: str | None = None,
                       **fields: Any) -> Segment:
        """Change fields of a segment, recording old and new value of each in the history."""
        who = who or default_user()
        bad = set(fields) - set(_SEG_FIELDS)
        if bad:
            raise ValueError(f"unknown segment fields {sorted(bad)}")
        with self.transaction() as c:
            old = self.segment(segment_id)
            sets: list[str] = []
            args: list[Any] = []
            for k, v in fields.items():
                ov = getattr(old, k)
                if ov == v:
                    continue
                sets.append(f"{k}=?")
                args.append(_dump(v) if k == "attrs" else v)
                self._history(c, segment_id, old.video_id or 0, "update", who, batch, k, ov, v)
            s = fields.get("start_frame", old.start_frame)
            e = fields.get("end_frame", old.end_frame)
            if e < s:
                raise ValueError(f"segment end {e} before start {s}")
            if sets:
                sets.append("updated_at=?")
                args.append(now_iso())
                c.execute(f"UPDATE segments SET {', '.join(sets)} WHERE id=?", (*args, segment_id))
        return self.segment(segment_id)

    def delete_segment(self, segment_id: int, who: str | None = None, batch: str | None = None,
                       deleted: bool = True) -> None:
        """Soft delete (or restore): the row and its history stay for training and undo."""
        who = who or default_user()
        with self.transaction() as c:
            seg = self.segment(segment_id)
            c.execute("UPDATE segments SET deleted=?, updated_at=? WHERE id=?",
                      (1 if deleted else 0, now_iso(), segment_id))
            self._history(c, segment_id, seg.video_id or 0, "delete" if deleted else "restore",
                          who, batch)

    def history(self, segment_id: int) -> list[dict[str, Any]]:
        rows = self._q("SELECT * FROM label_history WHERE segment_id=? ORDER BY id", (segment_id,))
        with self._decoding(f"history of segment {segment_id}"):
            for r in rows:
                for k in ("old_value", "new_value"):
                    r[k] = json.loads(r[k]) if r[k] is not None else None
        return rows

    def replace_machine_segments(self, video_id: int, track: str, segs: Sequence[Segment],
                                 run_id: int | None) -> list[Segment]:
        """Store a model's output for ``track``, replacing its own earlier *untouched* suggestions.

        Only suggestions of the same stage (earlier runs of it, any version) or the same model
        name are replaced, so stages sharing a track (scenes from shots and from the scoreboard
        clock; events from the scoreboard and from fusion) never erase each other. Segments a
        person accepted, rejected or edited are kept: the machine value and the correction survive
        as training data.
        """
        prefixes = {s.source.split("@")[0] + "@%" for s in segs if s.source.startswith("model:")}
        stage = None
        if run_id is not None:
            rows = self._q("SELECT stage, model FROM runs WHERE id=?", (run_id,))
            if rows:
                stage = rows[0]["stage"]
                prefixes.add(f"model:{rows[0]['model']}@%")
        mine = ["source LIKE ?"] * len(prefixes)
        args: list[Any] = sorted(prefixes)
        if stage is not None:
            mine.append("run_id IN (SELECT id FROM runs WHERE video_id=? AND stage=?)")
            args += [video_id, stage]
        with self.transaction() as c:
            if mine:  # nothing to say whose they are (no run, no segments): replace nothing
                c.execute(
                    "DELETE FROM segments WHERE video_id=? AND track=? AND status=? AND source LIKE"
                    " 'model:%' AND id NOT IN (SELECT segment_id FROM label_history WHERE op!='create')"
                    f" AND ({' OR '.join(mine)})",
                    (video_id, track, SUGGESTED, *args),
                )
            out = [self.insert_segment(video_id, s.with_(run_id=run_id), history=False) for s in segs]
        return out

    def reviewed_count(self, video_id: int, track: str) -> int:
        rows = self._q("SELECT COUNT(*) AS n FROM segments WHERE video_id=? AND track=? AND"
                       " deleted=0 AND status=?", (video_id, track, ACCEPTED))
        return int(rows[0]["n"])

    # -- signals -----------------------------------------------------------------------------
    def put_signal(self, video_id: int, name: str, key: str, array: np.ndarray) -> None:
        a = np.ascontiguousarray(array)
        with self.transaction() as c:
            c.execute(
                "INSERT OR REPLACE INTO signals(video_id, name, key, dtype, shape, data, created_at)"
                " VALUES (?,?,?,?,?,?,?)",
                (video_id, name, key, a.dtype.str, json.dumps(list(a.shape)),
                 zlib.compress(a.tobytes(), 3), now_iso()),
            )

    def signal_keys(self, video_id: int, name: str) -> list[str]:
        """Keys stored for a signal of a video, newest first (any model version/parameters)."""
        rows = self._q("SELECT key FROM signals WHERE video_id=? AND name=?"
                       " ORDER BY created_at DESC, rowid DESC", (video_id, name))
        return [str(r["key"]) for r in rows]

    def get_signal(self, video_id: int, name: str, key: str) -> np.ndarray | None:
        rows = self._q("SELECT dtype, shape, data FROM signals WHERE video_id=? AND name=? AND key=?",
                       (video_id, name, key))
        if not rows:
            return None
        r = rows[0]
        with self._decoding(f"signal {name}"):
            return np.frombuffer(zlib.decompress(r["data"]), dtype=np.dtype(r["dtype"])).reshape(
                json.loads(r["shape"]))

    # -- settings ----------------------------------------------------------------------------
    def get_setting(self, key: str, default: Any = None) -> Any:
        rows = self._q("SELECT value FROM settings WHERE key=?", (key,))
        if not rows:
            return default
        with self._decoding(f"setting {key}"):
            return json.loads(rows[0]["value"])

    def set_setting(self, key: str, value: Any) -> None:
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO settings(key, value) VALUES (?,?)", (key, _dump(value)))


def _int(v: Any) -> int:
    """An integer column (a float or blob there means a damaged record)."""
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"expected an integer, got {type(v).__name__}")
    return v


def _same_file_path(stored: Any, path: str) -> bool:
    """Whether a stored video path names ``path`` (absolute now; older projects may hold
    relative paths, which are compared by name only if they still point here)."""
    if not isinstance(stored, str):
        return False
    if os.path.abspath(stored) == path:
        return True
    try:
        return os.path.exists(stored) and os.path.samefile(stored, path)
    except OSError:
        return False


def new_batch() -> str:
    return uuid.uuid4().hex[:12]
