"""Project store: migrations, transactions, history, signals, WAL."""

import sqlite3

import numpy as np
import pytest

from core.errors import ProjectError
from core.media.reader import probe
from core.segments import Segment
from core.store import Project
from core.store.migrations import LATEST, MIGRATIONS


def test_new_project_is_wal_and_latest(tmp_path):
    with Project(tmp_path / "p.clipdesk") as p:
        assert p.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert p.conn.execute("PRAGMA user_version").fetchone()[0] == LATEST


def test_old_file_upgrades(tmp_path):
    path = tmp_path / "old.clipdesk"
    db = sqlite3.connect(path, isolation_level=None)
    MIGRATIONS[0](db)  # a version-1 file as the first release wrote it
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO settings(key, value) VALUES ('k', '42')")
    db.close()
    with Project(path) as p:
        assert p.conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
        assert p.get_setting("k") == 42


def test_newer_file_is_refused(tmp_path):
    path = tmp_path / "new.clipdesk"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {LATEST + 5}")
    db.close()
    with pytest.raises(ProjectError, match="newer ClipDesk"):
        Project(path)


def test_not_a_project(tmp_path):
    bad = tmp_path / "bad.clipdesk"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ProjectError):
        Project(bad)
    with pytest.raises(ProjectError):
        Project(tmp_path)


def test_transaction_rolls_back_whole(project, make_video):
    v = project.add_video(probe(make_video()))
    with pytest.raises(RuntimeError):
        with project.transaction():
            project.insert_segment(v.id, Segment("shot", 0, 10))
            project.insert_segment(v.id, Segment("shot", 10, 20))
            raise RuntimeError("power cut")
    assert project.segments(v.id) == []


def test_history_keeps_machine_value_and_correction(project, make_video):
    v = project.add_video(probe(make_video()))
    s = project.insert_segment(v.id, Segment("action", 3, 9, label="pass", source="model:stgcn@1"))
    project.update_segment(s.id, who="user:ann", label="shot_on_goal", start_frame=4)
    project.delete_segment(s.id, who="user:ann")
    h = project.history(s.id)
    assert [r["op"] for r in h] == ["create", "update", "update", "delete"]
    lab = next(r for r in h if r["field"] == "label")
    assert (lab["old_value"], lab["new_value"], lab["who"]) == ("pass", "shot_on_goal", "user:ann")
    assert project.segments(v.id) == []
    assert project.segments(v.id, include_deleted=True)[0].label == "shot_on_goal"


def test_replace_machine_segments_keeps_human_work(project, make_video):
    v = project.add_video(probe(make_video()))
    a, b = project.replace_machine_segments(
        v.id, "shot", [Segment("shot", 0, 10, source="model:s@1"), Segment("shot", 10, 30, source="model:s@1")],
        None)
    project.update_segment(b.id, who="user:ed", label="wide")
    project.replace_machine_segments(v.id, "shot", [Segment("shot", 0, 30, source="model:s@2")], None)
    segs = project.segments(v.id, "shot")
    assert {s.id for s in segs} >= {b.id} and a.id not in {s.id for s in segs}


def test_signals_round_trip(project, make_video):
    v = project.add_video(probe(make_video()))
    arr = np.random.default_rng(0).random((500, 3)).astype(np.float32)
    project.put_signal(v.id, "shot_scores", "feat@1", arr)
    assert np.array_equal(project.get_signal(v.id, "shot_scores", "feat@1"), arr)
    assert project.get_signal(v.id, "shot_scores", "feat@2") is None


def test_video_found_again_after_move(project, make_video, tmp_path):
    p = make_video("a.mp4")
    v1 = project.add_video(probe(p))
    moved = tmp_path / "moved.mp4"
    p.rename(moved)
    v2 = project.add_video(probe(moved))
    assert v1.id == v2.id and v2.path.endswith("moved.mp4")


def test_frame_table_makes_clock_exact(project, make_video):
    v = project.add_video(probe(make_video(frames=20)))
    project.set_frame_times(v.id, np.arange(20) / 25.0)
    v = project.video(v.id)
    assert v.exact and v.frame_count == 20 and v.duration == pytest.approx(0.8)


def test_stages_sharing_a_track_do_not_erase_each_other(project, make_video):
    v = project.add_video(probe(make_video()))
    r_scenes = project.start_run(v.id, "scenes", "scenes", "1", {})
    r_board = project.start_run(v.id, "scoreboard", "board", "1", {})
    project.replace_machine_segments(v.id, "scene", [Segment("scene", 0, 30, source="model:scenes@1")], r_scenes)
    project.replace_machine_segments(v.id, "scene", [Segment("scene", 0, 10, label="first_half",
                                                             source="model:board@1")], r_board)
    r2 = project.start_run(v.id, "scenes", "scenes", "2", {})
    project.replace_machine_segments(v.id, "scene", [], r2)  # a re-run that finds no scenes
    assert [s.label for s in project.segments(v.id, "scene")] == ["first_half"]
