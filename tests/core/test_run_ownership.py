"""Run ownership: two processes sharing a project never fail each other's live runs."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from core.errors import ClipDeskError
from core.media.reader import probe
from core.pipeline import Stage, analyze
from core.segments import Segment
from core.store import Project
from core.store.migrations import LATEST, MIGRATIONS
from core.store.project import STALE_HEARTBEAT_S, process_identity

REPO = Path(__file__).resolve().parents[2]

# Another ClipDesk process: claims a run of ``stage`` on a video, then exits or holds it.
CHILD = """
import sys
from core.store import Project
path, video_id, stage, hold = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "hold"
with Project(path) as p:
    rid = p.start_run(video_id, stage, "m", "1", {})
print(rid, flush=True)
if hold:
    sys.stdin.read()  # until the test kills us
"""


class Marker(Stage):
    name, version, tracks = "mark", "1", ("mark",)

    def finish(self, ctx):
        ctx.project.replace_machine_segments(
            ctx.video.id, "mark", [Segment("mark", 0, 1, source=self.source)], ctx.run_id)


def _child(project: Project, video_id: int, stage: str, hold: bool) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(project.path), str(video_id), stage, "hold" if hold else "exit"],
        cwd=str(REPO), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip().isdigit(), f"child failed: {line!r}"
    return proc, int(line)


@pytest.fixture
def held(project, make_video):
    """A video plus a live other process holding a 'running' run of stage 'mark' on it."""
    v = project.add_video(probe(make_video(frames=10)))
    proc, rid = _child(project, v.id, "mark", hold=True)
    yield v, proc, rid
    proc.kill()
    proc.wait()


def _status(project: Project, run_id: int) -> tuple[str, str | None]:
    r = next(r for r in project.runs() if r.id == run_id)
    return r.status, r.message


def test_start_run_records_this_process(project, make_video):
    v = project.add_video(probe(make_video(frames=10)))
    rid = project.start_run(v.id, "s", "m", "1", {})
    run = next(r for r in project.runs() if r.id == rid)
    assert (run.host, run.pid, run.status) == (socket.gethostname(), os.getpid(), "running")
    assert run.heartbeat_at == run.started_at
    # our own live run is neither failed nor invisible
    assert project.mark_interrupted_runs() == 0
    assert [r.id for r in project.live_runs(v.id)] == [run.id]


def test_run_of_a_dead_process_is_interrupted(project, make_video):
    v = project.add_video(probe(make_video(frames=10)))
    proc, rid = _child(project, v.id, "mark", hold=False)
    proc.wait()
    assert _status(project, rid) == ("running", None)
    assert project.live_runs(v.id) == []
    assert project.mark_interrupted_runs() == 1
    assert _status(project, rid) == ("failed", "interrupted")


def test_dead_pid_patched_in_is_interrupted(project, make_video):
    v = project.add_video(probe(make_video(frames=10)))
    rid = project.start_run(v.id, "s", "m", "1", {})
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    project.conn.execute("UPDATE runs SET pid=? WHERE id=?", (gone.pid, rid))
    assert project.mark_interrupted_runs() == 1
    assert _status(project, rid) == ("failed", "interrupted")


def test_run_of_a_live_process_is_left_alone(project, held):
    v, proc, rid = held
    assert project.mark_interrupted_runs() == 0
    assert _status(project, rid) == ("running", None)
    assert [(r.id, r.pid) for r in project.live_runs(v.id)] == [(rid, proc.pid)]
    proc.kill()
    proc.wait()
    assert project.mark_interrupted_runs() == 1
    assert _status(project, rid) == ("failed", "interrupted")


def test_analyze_refuses_a_video_another_process_is_analyzing(project, held):
    v, proc, rid = held
    before = len(project.runs())
    with pytest.raises(ClipDeskError) as err:
        analyze(project, v.path, [Marker()])
    msg = str(err.value)
    assert "\n" not in msg
    assert f"'{v.name}'" in msg and f"pid {proc.pid}" in msg and "another ClipDesk process" in msg
    assert len(project.runs()) == before  # nothing claimed, nothing decoded
    assert _status(project, rid) == ("running", None)
    assert project.segments(v.id, "mark") == []
    # once the other process is gone, its run is failed and the stage runs here
    proc.kill()
    proc.wait()
    report = analyze(project, v.path, [Marker()])
    assert report.ran == ["mark"]
    assert _status(project, rid) == ("failed", "interrupted")


def test_analyze_runs_stages_the_other_process_does_not_hold(project, held):
    v, proc, rid = held

    class Other(Marker):
        name, tracks = "other", ("other",)

    assert analyze(project, v.path, [Other()]).ran == ["other"]
    assert _status(project, rid) == ("running", None)


def test_legacy_run_without_owner_is_interrupted(project, make_video):
    v = project.add_video(probe(make_video(frames=10)))
    rid = project.start_run(v.id, "s", "m", "1", {})
    project.conn.execute("UPDATE runs SET host=NULL, pid=NULL, pid_started=NULL, heartbeat_at=NULL"
                         " WHERE id=?", (rid,))
    assert project.live_runs() == []
    assert project.mark_interrupted_runs() == 1
    assert _status(project, rid) == ("failed", "interrupted")


def test_other_host_counts_on_its_heartbeat(project, make_video):
    v = project.add_video(probe(make_video(frames=10)))
    fresh = project.start_run(v.id, "a", "m", "1", {})
    stale = project.start_run(v.id, "b", "m", "1", {})
    old = (datetime.now(timezone.utc) - timedelta(seconds=STALE_HEARTBEAT_S + 60)).isoformat()
    project.conn.execute("UPDATE runs SET host='elsewhere.invalid', pid=1")
    project.conn.execute("UPDATE runs SET heartbeat_at=? WHERE id=?", (old, stale))
    assert [r.id for r in project.live_runs(v.id)] == [fresh]
    assert project.mark_interrupted_runs() == 1
    assert _status(project, fresh) == ("running", None)
    assert _status(project, stale) == ("failed", "interrupted")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")
def test_reused_pid_is_not_the_owner(project, make_video):
    """A live pid that started at another time than the recorded owner is someone else."""
    v = project.add_video(probe(make_video(frames=10)))
    rid = project.start_run(v.id, "s", "m", "1", {})
    ns, boot, start = process_identity().split("|")
    project.conn.execute("UPDATE runs SET pid_started=? WHERE id=?",
                         (f"{ns}|{boot}|{int(start) + 1}", rid))
    assert project.mark_interrupted_runs() == 1
    assert _status(project, rid) == ("failed", "interrupted")


def test_keep_alive_refreshes_the_heartbeat(project, make_video):
    v = project.add_video(probe(make_video(frames=10)))
    rid = project.start_run(v.id, "s", "m", "1", {})
    project.conn.execute("UPDATE runs SET heartbeat_at='2000-01-01T00:00:00+00:00'")
    with project.keep_alive([rid], interval=0.01):
        deadline = time.monotonic() + 8
        while _beat_of(project, rid).startswith("2000") and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not _beat_of(project, rid).startswith("2000")
    assert not [t for t in threading.enumerate() if t.name == "clipdesk-heartbeat"]


def _beat_of(project: Project, run_id: int) -> str:
    return str(project.query("SELECT heartbeat_at FROM runs WHERE id=?", (run_id,))[0]["heartbeat_at"])


def test_previous_schema_upgrades_with_ownerless_runs(tmp_path):
    path = tmp_path / "v1.clipdesk"
    db = sqlite3.connect(path, isolation_level=None)
    for m in MIGRATIONS[:LATEST - 1]:  # the file as the previous release wrote it
        m(db)
    db.execute(f"PRAGMA user_version = {LATEST - 1}")
    db.execute("INSERT INTO videos(path, fingerprint, info, fps_num, fps_den, frame_count, duration,"
               " width, height, added_at) VALUES ('x.mp4', 'fp', '{}', 25, 1, 10, 0.4, 8, 8, 'now')")
    db.execute("INSERT INTO runs(video_id, stage, model, version, params, status, started_at)"
               " VALUES (1, 's', 'm', '1', '{}', 'running', 'then')")
    db.close()
    with Project(path) as p:
        assert p.conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
        cols = {r["name"] for r in p.query("PRAGMA table_info(runs)")}
        assert {"host", "pid", "pid_started", "heartbeat_at"} <= cols
        (run,) = p.runs()
        assert (run.host, run.pid, run.status) == (None, None, "running")
        assert p.mark_interrupted_runs() == 1
        assert _status(p, run.id) == ("failed", "interrupted")
