"""Outputs never destroy inputs: every command that writes refuses (one line, exit 2) an output
that is, links to or would overwrite the project, its SQLite companions or a source video; a
folder means "into this folder"; a cancelled, failed or interrupted write leaves no temp file."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from app.cli import main
from core.errors import Cancelled, ClipDeskError
from core.export.paths import atomic_target, check_output
from core.media.reader import probe
from core.progress import Task
from core.segments import Segment
from core.store.project import Project


@pytest.fixture
def proj(tmp_path: Path, make_video) -> tuple[Path, Path]:
    """A project beside its 20-frame source video, with two shots."""
    video = make_video("src.mp4", frames=20, size=(64, 48))
    path = tmp_path / "src.clipdesk"
    with Project(path) as p:
        vid = p.add_video(probe(video)).id
        for s, e in ((0, 8), (8, 20)):
            p.insert_segment(vid, Segment("shot", s, e, source="model:shots@1"))
    return path, video


def _digests(*paths: Path) -> dict[Path, str | None]:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else None for p in paths}


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("clipdesk: "), err
    assert "Traceback" not in err
    return lines[0]


def _targets(proj_path: Path, video: Path) -> dict[str, Path]:
    tmp = proj_path.parent
    (tmp / "sub").mkdir(exist_ok=True)
    link = tmp / "link.mp4"
    link.symlink_to(video)
    hard = tmp / "hard.mp4"
    os.link(video, hard)
    return {"project": proj_path, "wal": Path(f"{proj_path}-wal"), "video": video, "symlink": link,
            "hardlink": hard, "dotdot": tmp / "sub" / ".." / video.name,
            "shm": Path(f"{proj_path}-shm")}


CLIP = ["clip", "--start", "0.1", "--end", "0.5", "--aspect", "source", "-q"]


@pytest.mark.parametrize("kind", ["project", "wal", "shm", "video", "symlink", "hardlink", "dotdot"])
@pytest.mark.parametrize("command", ["clip", "export", "report", "clip-crop-path"])
def test_output_onto_an_input_is_refused(proj, kind: str, command: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path, video = proj
    target = _targets(path, video)[kind]
    watched = [path, video, Path(f"{path}-wal"), Path(f"{path}-shm")]
    before = _digests(*watched)
    if command == "clip":
        argv = [CLIP[0], str(path), *CLIP[1:], "--out", str(target)]
    elif command == "clip-crop-path":
        argv = [CLIP[0], str(path), *CLIP[1:], "--out", str(path.parent / "ok.mp4"), "--crop-path", str(target)]
    elif command == "export":
        argv = ["export", str(path), "--format", "json", "--out", str(target)]
    else:
        argv = ["report", str(path), "--out", str(target)]
    assert main(argv) == 2
    line = _one_line(capsys.readouterr().err)
    assert "refusing to overwrite an input" in line
    assert _digests(*watched) == before
    assert not (path.parent / "ok.mp4").exists()
    assert not [p for p in path.parent.rglob("*") if ".part" in p.name]


def test_clip_out_folder_gets_the_default_name_and_cwd_stays_empty(proj, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path, video = proj
    work = tmp_path / "work"
    work.mkdir()
    (work / "cli").mkdir()
    monkeypatch.chdir(work)
    before = _digests(path, video)
    assert main([CLIP[0], str(path), *CLIP[1:], "--out", "cli"]) == 0, capsys.readouterr().err
    assert [p.name for p in (work / "cli").iterdir()] == ["src_0.1-0.5.mp4"]
    assert probe(work / "cli" / "src_0.1-0.5.mp4").frame_count == 10
    assert [p.name for p in work.iterdir()] == ["cli"]  # no .cli.part.mp4 beside the folder
    # a folder elsewhere, written with a trailing slash: same default name, cwd untouched
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert main([CLIP[0], str(path), *CLIP[1:], "--gif", "--out", f"{elsewhere}/"]) == 0
    assert [p.name for p in elsewhere.iterdir()] == ["src_0.1-0.5.gif"]
    assert [p.name for p in work.iterdir()] == ["cli"]
    assert _digests(path, video) == before


def test_export_out_folder_and_missing_folder(proj, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, _video = proj
    dest = tmp_path / "dest"
    dest.mkdir()
    assert main(["export", str(path), "--format", "csv", "--out", str(dest)]) == 0
    assert [p.name for p in dest.iterdir()] == ["src.csv"]
    capsys.readouterr()
    assert main(["export", str(path), "--format", "csv", "--out", str(tmp_path / "nope" / "x.csv")]) == 2
    assert "no such folder" in _one_line(capsys.readouterr().err)
    assert main(["clip", str(path), *CLIP[1:], "--out", f"{tmp_path / 'nope'}/"]) == 2
    assert "no such folder" in _one_line(capsys.readouterr().err)
    assert not (tmp_path / "nope").exists()


@pytest.mark.parametrize("kind", ["file", "project", "video"])
def test_highlights_export_dir_onto_a_file_is_refused_before_any_work(proj, tmp_path: Path, kind: str,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    path, video = proj
    other = tmp_path / "notes.txt"
    other.write_text("keep me")
    target = {"file": other, "project": path, "video": video}[kind]
    before = _digests(path, video, other)
    assert main(["highlights", str(path), "--export-dir", str(target), "-q"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "--export-dir" in line and str(target) in line
    assert _digests(path, video, other) == before  # not even the highlight track was proposed


def test_highlights_unknown_media_refused_before_any_work(proj, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    path, video = proj
    before = _digests(path, video)
    assert main(["highlights", str(path), "--export-dir", str(tmp_path / "reel"), "--media", "mov"]) == 2
    assert "--media" in _one_line(capsys.readouterr().err)
    assert _digests(path, video) == before and not (tmp_path / "reel").exists()


def test_train_out_onto_the_project_is_refused(proj, capsys: pytest.CaptureFixture[str]) -> None:
    path, video = proj
    before = _digests(path, video)
    assert main(["train", "actions", str(path), "--out", str(path), "--epochs", "1", "-q"]) == 2
    assert "not a folder" in _one_line(capsys.readouterr().err)
    assert _digests(path, video) == before


def test_model_files_named_by_settings_are_inputs(proj, tmp_path: Path) -> None:
    path, _video = proj
    weights = tmp_path / "models" / "best.pt"
    weights.parent.mkdir()
    weights.write_bytes(b"weights")
    with Project(path, create=False) as p:
        p.set_setting("persons", {"ball_weights": "models/best.pt"})  # relative to the project
        from core.export.paths import project_inputs

        with pytest.raises(ClipDeskError, match="refusing to overwrite"):
            check_output(weights, project_inputs(p))
    assert weights.read_bytes() == b"weights"


# -- atomic writes: nothing half-written, no temp file left ---------------------------------------

def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("stop", [Cancelled, KeyboardInterrupt])
@pytest.mark.parametrize("kind", ["mp4", "gif"])
def test_stopped_clip_export_leaves_nothing(proj, tmp_path: Path, kind: str, stop: type[BaseException]) -> None:
    from core.export.clip import export_clip, export_gif

    path, video = proj
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    calls = []

    def progress(_stage: str, fraction: float, _msg: str) -> None:
        calls.append(fraction)
        if len(calls) == 2:  # midway: after the first frames went to ffmpeg
            if stop is Cancelled:
                task.cancel()
            else:
                raise KeyboardInterrupt

    task = Task(on_progress=progress, min_interval=0.0)
    with Project(path, create=False) as p:
        clock = p.clock(1)
    fn = export_clip if kind == "mp4" else export_gif
    with pytest.raises(stop):
        fn(str(video), clock, 0, 20, out_dir / f"c.{kind}", task=task)
    assert calls, "the export never reported progress"
    assert list(out_dir.iterdir()) == []


def test_failed_still_and_text_writes_leave_nothing(proj, tmp_path: Path) -> None:
    from core.export.clip import export_still
    from core.export.paths import write_text_atomic

    path, video = proj
    with Project(path, create=False) as p:
        clock = p.clock(1)
    with pytest.raises(ClipDeskError, match="cannot write image"):
        export_still(str(video), clock, 3, tmp_path / "still.xyz")
    assert not (tmp_path / "still.xyz").exists() and _leftovers(tmp_path) == []
    target = tmp_path / "t.txt"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_target(target) as tmp:
            tmp.write_text("half")
            raise KeyboardInterrupt
    assert target.read_text() == "old" and _leftovers(tmp_path) == []
    assert write_text_atomic(target, "new").read_text() == "new" and _leftovers(tmp_path) == []
    # a new file gets the usual permissions (not mkstemp's 0600)
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask


def test_window_export_panel_refuses_inputs(qtbot, proj) -> None:
    from app.panels.export import MP4, ExportPanel
    from app.review.context import ReviewContext

    path, video = proj
    before = _digests(path, video)
    project = Project(path, create=False)
    ctx = ReviewContext()
    ctx.set_project(project, 1)
    panel = ExportPanel(ctx)
    qtbot.addWidget(panel)
    try:
        ctx.set_marks(mark_in=2, mark_out=10)
        for target in (video, path, Path(f"{path}-wal")):
            panel.out.setText(str(target))
            panel._add_clicked()
            assert "refusing to overwrite an input" in panel.message.text()
            assert "\n" not in panel.message.text()
        assert panel.rows == {}
        job = panel.add_job(MP4, str(path.parent))  # a folder: the default name inside it
        assert Path(job.out).parent == path.parent and Path(job.out).name.startswith("src_")
        panel.queue.cancel(job.id)
    finally:
        panel.shutdown()
        project.close()
    assert _digests(path, video) == before
