"""Hostile project files and swapped videos (issue 12, items 3 and 4).

A foreign SQLite database, a file that is not SQLite and an empty file given to every command are
refused with one line, byte-identical and with no ``-wal``/``-shm`` beside them. A video whose
file was replaced by another is refused by clip, export, highlights, report and the window; the
same bytes under another name are never silently re-pointed; relink works (same file only).
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from app.cli import main
from core.store.project import Project

STAGES = "shots,audio"


def _state(path: Path) -> tuple[bytes, bool, bool]:
    return (path.read_bytes(), path.with_name(path.name + "-wal").exists(),
            path.with_name(path.name + "-shm").exists())


def _run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def _one_line(err: str, *needles: str) -> str:
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("clipdesk: "), err
    assert "Traceback" not in err
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def analysed(make_video, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    video = make_video("bikes.mp4", frames=40, audio=True)
    rc, _, err = _run(capsys, "analyze", video, "--stages", STAGES, "-q")
    assert rc == 0, err
    return video, video.with_suffix(".clipdesk")


def _foreign(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"{kind}.clipdesk"
    if kind == "text":
        path.write_text("name,score\nalice,3\n" * 50)
        return path
    if kind == "empty":
        path.write_bytes(b"")
        return path
    db = sqlite3.connect(path)
    if kind == "wal":
        db.execute("PRAGMA journal_mode=WAL")
    if kind == "appid":
        db.execute("PRAGMA application_id = 1196444237")  # 'GPKG': a GeoPackage
    db.execute("CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT, email TEXT)")
    db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    db.executemany("INSERT INTO contacts(name, email) VALUES (?, ?)",
                   [(f"person {i}", f"p{i}@example.org") for i in range(100)])
    db.execute("PRAGMA user_version = 7")
    db.commit()
    db.close()
    return path


def _commands(path: Path, video: Path, image: Path, out: Path) -> list[list[str | Path]]:
    return [
        ["export", path, "--format", "json", "--out", out / "x.json"],
        ["export", path, "--format", "json", "--out", "-"],
        ["clip", path, "--start", "0", "--end", "1", "--out", out / "c.mp4", "-q"],
        ["analyze", video, "--project", path, "--stages", "shots", "-q"],
        ["highlights", path, "-q"],
        ["report", path, "--out", out / "r.html"],
        ["search", path, "--image", image],
        ["check", path],
        ["relink", path, "--video", "1", video],
        ["recover", path, "--out", out / "rec.clipdesk"],
    ]


@pytest.mark.parametrize("kind", ["tables", "wal", "appid", "text", "empty"])
def test_foreign_file_refused_untouched_by_every_command(kind: str, make_video, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    import cv2
    import numpy as np

    path = _foreign(tmp_path, kind)
    video = make_video("v.mp4", frames=20)
    image = tmp_path / "q.png"
    cv2.imwrite(str(image), np.full((32, 32, 3), 128, np.uint8))
    out = tmp_path / "out"
    out.mkdir()
    before = _state(path)
    for argv in _commands(path, video, image, out):
        rc, _, err = _run(capsys, *argv)
        assert rc == 2, (argv, err)
        _one_line(err, "not a ClipDesk project")
        assert _state(path) == before, argv
    assert not any(out.iterdir())  # nothing was written anywhere


def test_foreign_file_refused_by_the_window(qtbot, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = _foreign(tmp_path, "tables")
    before = _state(path)
    rc, _, err = _run(capsys, "gui", path, "--screenshot", tmp_path / "shot.png")
    assert rc == 2
    _one_line(err, "not a ClipDesk project")
    assert _state(path) == before and not (tmp_path / "shot.png").exists()


def test_window_file_open_shows_one_message_for_a_foreign_file(qtbot, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    from app.window.main_window import MainWindow
    from core.errors import ProjectError

    monkeypatch.setenv("CLIPDESK_CONFIG_DIR", str(tmp_path / "cfg"))
    path = _foreign(tmp_path, "wal")
    before = _state(path)
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    w = MainWindow(interactive=True, audio=False)
    qtbot.addWidget(w)
    with pytest.raises(ProjectError):
        w.open_path(path)
    assert len(shown) == 1 and "not a ClipDesk project" in shown[0]
    assert w.project is None and _state(path) == before
    w.close()


def _swap(video: Path, make_video) -> None:
    other = make_video("goldeneye.mp4", frames=40, seed=9, size=(80, 48))
    shutil.copyfile(other, video)


def test_swapped_video_is_refused_by_clip_export_highlights_report(
        analysed, make_video, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    video, proj = analysed
    _swap(video, make_video)
    before = proj.read_bytes()
    for argv in (["clip", proj, "--start", "0", "--end", "1", "--out", tmp_path / "c.mp4", "-q"],
                 ["export", proj, "--format", "json", "--out", tmp_path / "x.json"],
                 ["export", proj, "--format", "fcpxml", "--out", "-"],
                 ["highlights", proj, "-q"],
                 ["report", proj, "--out", tmp_path / "r.html"]):
        rc, _, err = _run(capsys, *argv)
        assert rc == 2, (argv, err)
        _one_line(err, str(video), "not the video the project was analysed from", "relink")
    assert proj.read_bytes() == before
    assert not (tmp_path / "c.mp4").exists() and not (tmp_path / "x.json").exists()
    rc, out, err = _run(capsys, "check", proj)
    assert rc == 2 and "not the video the project was analysed from" in out
    rc, _, err = _run(capsys, "analyze", video, "--project", proj, "--stages", "shots", "-q")
    assert rc == 2
    _one_line(err, "not the video 1 the project was analysed from", "--project NEW")
    assert proj.read_bytes() == before


def test_swapped_video_window_says_so_and_plays_nothing(qtbot, analysed, make_video, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from app.window.main_window import MainWindow

    monkeypatch.setenv("CLIPDESK_CONFIG_DIR", str(tmp_path / "cfg"))
    video, proj = analysed
    _swap(video, make_video)
    w = MainWindow(interactive=False, audio=False)
    qtbot.addWidget(w)
    w.open_project(proj)
    assert "not the video the project was analysed from" in w.statusBar().currentMessage()
    assert w.player.server is None  # no frame of the other file is decoded
    assert w.timeline.canvas.thumbs is None
    w.close()


def test_window_relinks_a_changed_video(qtbot, analysed, make_video, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from app.window.main_window import MainWindow

    monkeypatch.setenv("CLIPDESK_CONFIG_DIR", str(tmp_path / "cfg"))
    video, proj = analysed
    original = tmp_path / "keep" / "bikes.mp4"
    original.parent.mkdir()
    shutil.copyfile(video, original)
    _swap(video, make_video)
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(original), ""))
    w = MainWindow(interactive=True, audio=False)
    qtbot.addWidget(w)
    w.open_project(proj)
    assert asked and "not the video this project was analysed from" in asked[0] and "Relink" in asked[0]
    assert w.ctx.video is not None and Path(w.ctx.video.path) == original
    assert w.player.server is not None
    w.close()


def test_same_bytes_elsewhere_are_not_silently_repointed(analysed, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    video, proj = analysed
    copy = tmp_path / "copy_of_bikes.mp4"
    shutil.copyfile(video, copy)
    rc, _, err = _run(capsys, "analyze", copy, "--project", proj, "--stages", "shots", "-q")
    assert rc == 0, err
    with Project(proj, create=False) as p:
        paths = [v.path for v in p.videos()]
    assert paths == [str(video), str(copy)]  # the original keeps its path; the copy is new

    moved = tmp_path / "moved" / "bikes.mp4"
    moved.parent.mkdir()
    video.rename(moved)
    rc, _, err = _run(capsys, "analyze", moved, "--project", proj, "--stages", "shots", "-q")
    assert rc == 0, err
    line = _one_line(err, "moved", str(moved))
    assert "warning" in line
    with Project(proj, create=False) as p:
        assert [v.path for v in p.videos()] == [str(moved), str(copy)]


def test_relink_same_file_only(analysed, make_video, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    video, proj = analysed
    moved = tmp_path / "new home" / "bikes.mp4"
    moved.parent.mkdir()
    video.rename(moved)
    rc, _, err = _run(capsys, "clip", proj, "--start", "0", "--end", "1", "--out", tmp_path / "c.mp4", "-q")
    assert rc == 2
    _one_line(err, "missing", "clipdesk relink")

    other = make_video("other.mp4", frames=40, seed=4)
    before = proj.read_bytes()
    rc, _, err = _run(capsys, "relink", proj, "--video", "1", other)
    assert rc == 2
    _one_line(err, "not the video 1", "analyse it as a new video instead")
    assert proj.read_bytes() == before

    rc, _, err = _run(capsys, "relink", proj, "--video", "bikes.mp4", moved)
    assert rc == 0, err
    rc, out, err = _run(capsys, "check", proj)
    assert rc == 0 and "healthy" in out, out + err
    rc, _, err = _run(capsys, "clip", proj, "--start", "0", "--end", "1", "--out", tmp_path / "c.mp4", "-q")
    assert rc == 0, err
    assert (tmp_path / "c.mp4").stat().st_size > 0


def test_relative_stored_path_is_not_resolved_from_the_working_directory(
        analysed, make_video, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """An old project storing ``bikes.mp4`` (relative) must not pick up whatever file of that
    name sits in the current folder: it is checked like any other path."""
    video, proj = analysed
    with Project(proj, create=False) as p:
        p.conn.execute("UPDATE videos SET path='bikes.mp4'")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copyfile(make_video("imposter.mp4", frames=40, seed=7), elsewhere / "bikes.mp4")
    monkeypatch.chdir(elsewhere)
    rc, _, err = _run(capsys, "export", proj, "--format", "json", "--out", tmp_path / "x.json")
    assert rc == 2
    _one_line(err, "not the video the project was analysed from")


def test_migration_backs_up_and_sets_application_id(tmp_path: Path) -> None:
    from core.store.health import APPLICATION_ID
    from core.store.migrations import LATEST, MIGRATIONS

    path = tmp_path / "old.clipdesk"
    db = sqlite3.connect(path, isolation_level=None)
    for m in MIGRATIONS[:2]:
        m(db)
    db.execute("PRAGMA user_version = 2")
    db.execute("INSERT INTO settings(key, value) VALUES ('k', '42')")
    db.close()
    with Project(path) as p:
        assert p.conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert p.conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
    backup = tmp_path / "old.clipdesk-backups" / "old.v2.clipdesk"
    b = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    assert b.execute("PRAGMA user_version").fetchone()[0] == 2
    assert b.execute("SELECT value FROM settings WHERE key='k'").fetchone()[0] == "42"
    b.close()
    assert not list(backup.parent.glob("*.part"))


def test_edits_make_rotating_backups(project: Project, make_video,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from core.media.reader import probe
    from core.segments import Segment
    from core.store import backup

    monkeypatch.setattr(backup, "EDIT_INTERVAL", 4)
    vid = project.add_video(probe(make_video(frames=20))).id
    seg = project.insert_segment(vid, Segment("shot", 0, 10), who="user:t")
    for i in range(21):
        project.update_segment(seg.id, who="user:t", label=f"l{i}")
    folder = project.path.with_name(project.path.name + "-backups")
    kept = sorted(folder.glob("*.edits-*.clipdesk"))
    assert len(kept) == backup.KEEP_EDIT_BACKUPS
    newest = sqlite3.connect(f"file:{kept[-1]}?mode=ro", uri=True)
    label = newest.execute("SELECT label FROM segments WHERE id=?", (seg.id,)).fetchone()[0]
    newest.close()
    assert label in {f"l{i}" for i in range(16, 21)}


def test_fingerprint_sees_the_middle_and_reads_old_projects(tmp_path: Path, project: Project,
                                                            make_video) -> None:
    from core.media.reader import probe
    from core.store.fingerprint import MIB, SAMPLE, SAMPLES, fingerprint, legacy_fingerprint, mismatch

    big = tmp_path / "big.bin"
    data = bytearray(random_bytes(5 << 20))
    big.write_bytes(bytes(data))
    stored, old = fingerprint(big), legacy_fingerprint(big)
    span = (5 << 20) - (2 << 20) - SAMPLE
    data[MIB + span * 7 // (2 * SAMPLES) + 100] ^= 0xFF  # inside a middle sample; same size, ends
    big.write_bytes(bytes(data))
    assert mismatch(stored, big) == "content changed"
    assert mismatch(old, big) is None  # the legacy form never looked there
    big.write_bytes(bytes(data[:-1]))
    assert mismatch(stored, big) == f"size changed: {5 << 20} -> {(5 << 20) - 1} bytes"

    video = make_video("a.mp4", frames=20)
    vid = project.add_video(probe(video)).id
    project.conn.execute("UPDATE videos SET fingerprint=? WHERE id=?", (legacy_fingerprint(video), vid))
    assert project.video_file(vid) == video  # a project from before v2 fingerprints still works


def random_bytes(n: int) -> bytes:
    import numpy as np

    return np.random.default_rng(5).integers(0, 256, n, dtype=np.uint8).tobytes()
