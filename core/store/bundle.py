"""A video's analysis state and results as plain data, for analysis that runs in another process.

The project file has one writer. An engine that analyses videos elsewhere (``clipdesk analyze
--engine ray``) sends a worker the video's current state (:func:`video_state`: the video row, its
finished runs, segments, touched-segment markers, signals and the project settings); the worker
seeds a private scratch project with it (:func:`seed_project`), runs the ordinary pipeline there
(finished stages are skipped exactly as in the real project) and returns what changed
(:func:`video_result`). The driver commits that in one transaction (:func:`commit_result`): the
runs it claimed become done, replaced suggestions go, new segments, signals and settings arrive.
Nothing is half-written: a result either lands whole or not at all.

Everything here is picklable builtins, bytes and lists: no numpy, no project objects.
"""

from __future__ import annotations

from typing import Any

from core.errors import ProjectError
from core.segments import SUGGESTED
from core.store.project import Project, now_iso

_VIDEO_COLS = ("id", "path", "fingerprint", "info", "fps_num", "fps_den", "frame_count", "duration",
               "width", "height", "frame_times", "added_at")
_RUN_COLS = ("id", "video_id", "stage", "model", "version", "params", "status", "message",
             "started_at", "finished_at")
_SEG_COLS = ("id", "video_id", "track", "start_frame", "end_frame", "label", "confidence", "attrs",
             "source", "status", "run_id", "deleted", "created_at", "updated_at")
_HIST_COLS = ("id", "segment_id", "video_id", "op", "field", "old_value", "new_value", "who", "at",
              "batch")
_SIG_COLS = ("video_id", "name", "key", "dtype", "shape", "data", "created_at")


class ResultConflict(ProjectError):
    """A result learned a project-wide setting (e.g. the search codebook) that another video
    stored first with another value: the result was computed against the wrong one; redo it."""


def _rows(project: Project, sql: str, args: tuple[Any, ...], cols: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{c: r[c] for c in cols} for r in project.query(sql, args)]


def video_state(project: Project, video_id: int) -> dict[str, Any]:
    """What a worker needs to resume video ``video_id`` as the project would."""
    videos = _rows(project, f"SELECT {', '.join(_VIDEO_COLS)} FROM videos WHERE id=?", (video_id,), _VIDEO_COLS)
    if not videos:
        raise ProjectError(f"no video {video_id} in {project.path}")
    return {
        "video": videos[0],
        "runs": _rows(project, f"SELECT {', '.join(_RUN_COLS)} FROM runs WHERE video_id=? AND status='done'"
                      " ORDER BY id", (video_id,), _RUN_COLS),
        "segments": _rows(project, f"SELECT {', '.join(_SEG_COLS)} FROM segments WHERE video_id=? ORDER BY id",
                          (video_id,), _SEG_COLS),
        # Only "this segment was touched" matters to the stages (they never replace those).
        "history": _rows(project, f"SELECT {', '.join(_HIST_COLS)} FROM label_history WHERE video_id=?"
                         " AND op!='create' ORDER BY id", (video_id,), _HIST_COLS),
        "signals": _rows(project, f"SELECT {', '.join(_SIG_COLS)} FROM signals WHERE video_id=?",
                         (video_id,), _SIG_COLS),
        "settings": {r["key"]: r["value"] for r in project.query("SELECT key, value FROM settings")},
    }


def _insert(c: Any, table: str, row: dict[str, Any]) -> int:
    cols = list(row)
    cur = c.execute(f"INSERT INTO {table}({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                    [row[k] for k in cols])
    return int(cur.lastrowid or 0)


def seed_project(project: Project, state: dict[str, Any]) -> None:
    """Fill an empty scratch project with ``state`` (same ids as the real project)."""
    with project.transaction() as c:
        _insert(c, "videos", state["video"])
        for r in state["runs"]:
            _insert(c, "runs", r)
        for s in state["segments"]:
            _insert(c, "segments", s)
        for h in state["history"]:
            _insert(c, "label_history", h)
        for g in state["signals"]:
            _insert(c, "signals", g)
        for k, v in state["settings"].items():
            c.execute("INSERT OR REPLACE INTO settings(key, value) VALUES (?,?)", (k, v))


def video_result(project: Project, video_id: int, state: dict[str, Any]) -> dict[str, Any]:
    """What the analysis in the scratch ``project`` changed since it was seeded with ``state``."""
    seeded_runs = {r["id"] for r in state["runs"]}
    seeded_segs = {s["id"] for s in state["segments"]}
    seeded_hist = max((h["id"] for h in state["history"]), default=0)
    runs = [r for r in _rows(project, f"SELECT {', '.join(_RUN_COLS)} FROM runs WHERE video_id=? ORDER BY id",
                             (video_id,), _RUN_COLS) if r["id"] not in seeded_runs]
    segs = _rows(project, f"SELECT {', '.join(_SEG_COLS)} FROM segments WHERE video_id=? ORDER BY id",
                 (video_id,), _SEG_COLS)
    now_ids = {s["id"] for s in segs}
    old_sig = {(g["name"], g["key"]): g["data"] for g in state["signals"]}
    signals = [g for g in _rows(project, f"SELECT {', '.join(_SIG_COLS)} FROM signals WHERE video_id=?",
                                (video_id,), _SIG_COLS)
               if old_sig.get((g["name"], g["key"])) != g["data"]]
    settings = {r["key"]: r["value"] for r in project.query("SELECT key, value FROM settings")
                if state["settings"].get(r["key"]) != r["value"]}
    video = _rows(project, "SELECT frame_times, frame_count, duration, info FROM videos WHERE id=?",
                  (video_id,), ("frame_times", "frame_count", "duration", "info"))[0]
    return {
        "video_id": video_id,
        "video": video,
        "runs": runs,
        "removed": sorted(seeded_segs - now_ids),
        "segments": [s for s in segs if s["id"] not in seeded_segs],
        "history": _rows(project, f"SELECT {', '.join(_HIST_COLS)} FROM label_history WHERE video_id=?"
                         " AND id>? ORDER BY id", (video_id, seeded_hist), _HIST_COLS),
        "signals": signals,
        "settings": settings,
        "new_settings": sorted(k for k in settings if k not in state["settings"]),
    }


def commit_result(project: Project, result: dict[str, Any], claimed: dict[str, int]) -> dict[str, int]:
    """Write a worker's ``result`` into ``project`` in one transaction.

    ``claimed`` maps stage -> the run the driver started for it (status ``running``); each becomes
    the run of the worker's run of that stage. Returns stage -> run id in ``project``. Raises
    :class:`ResultConflict` (nothing written) when a setting the worker created was stored
    meanwhile with another value.
    """
    vid = int(result["video_id"])
    out: dict[str, int] = {}
    with project.transaction() as c:
        for key in result["new_settings"]:
            row = c.execute("SELECT value FROM settings WHERE key=?", (key,)).fetchone()
            if row is not None and row[0] != result["settings"][key]:
                raise ResultConflict(f"setting {key} was stored by another video meanwhile")
        v = result["video"]
        c.execute("UPDATE videos SET frame_times=?, frame_count=?, duration=?, info=? WHERE id=?",
                  (v["frame_times"], v["frame_count"], v["duration"], v["info"], vid))
        run_map: dict[int, int] = {}
        for r in result["runs"]:
            rid = claimed.get(r["stage"])
            if rid is not None and r["stage"] not in out:
                c.execute("UPDATE runs SET status=?, message=?, finished_at=?, heartbeat_at=? WHERE id=?",
                          (r["status"], r["message"], r["finished_at"] or now_iso(), now_iso(), rid))
            else:
                rid = _insert(c, "runs", {k: r[k] for k in _RUN_COLS if k != "id"} | {"video_id": vid})
            run_map[int(r["id"])] = rid
            out[r["stage"]] = rid
        for sid in result["removed"]:  # a suggestion nobody has touched since: the stage replaced it
            c.execute("DELETE FROM segments WHERE id=? AND video_id=? AND status=? AND id NOT IN"
                      " (SELECT segment_id FROM label_history WHERE op!='create')", (sid, vid, SUGGESTED))
        seg_map: dict[int, int] = {}
        for s in result["segments"]:
            row = {k: s[k] for k in _SEG_COLS if k != "id"} | {"video_id": vid}
            if row["run_id"] is not None:
                row["run_id"] = run_map.get(int(row["run_id"]), row["run_id"])
            seg_map[int(s["id"])] = _insert(c, "segments", row)
        for h in result["history"]:
            sid = seg_map.get(int(h["segment_id"]), h["segment_id"])
            _insert(c, "label_history", {k: h[k] for k in _HIST_COLS if k != "id"}
                    | {"segment_id": sid, "video_id": vid})
        for g in result["signals"]:
            c.execute("INSERT OR REPLACE INTO signals(video_id, name, key, dtype, shape, data, created_at)"
                      " VALUES (?,?,?,?,?,?,?)", (vid, g["name"], g["key"], g["dtype"], g["shape"], g["data"],
                                                  g["created_at"]))
        for k, value in result["settings"].items():
            c.execute("INSERT OR REPLACE INTO settings(key, value) VALUES (?,?)", (k, value))
    return out

