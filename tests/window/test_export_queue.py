"""Export queue panel (offscreen Qt): queued jobs run one at a time off the GUI thread with exact
frame counts and audio; cancelling a running or queued job leaves no file; errors are one line."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from app.review.context import ReviewContext  # noqa: E402
from app.panels.export import CANCELLED, DONE, FAILED, GIF, MP4, STILL, ExportPanel  # noqa: E402
from core.media.reader import probe  # noqa: E402
from core.segments import Segment  # noqa: E402
from core.store import Project  # noqa: E402


@pytest.fixture
def session(qtbot, tmp_path: Path, make_video):
    video = make_video("src.mp4", frames=60, size=(96, 64), fps=25, audio=True)
    project = Project(tmp_path / "p.clipdesk")
    vid = project.add_video(probe(video)).id
    ctx = ReviewContext()
    ctx.set_project(project, vid)
    panel = ExportPanel(ctx)
    qtbot.addWidget(panel)
    yield ctx, panel, project, tmp_path
    panel.shutdown()
    project.close()


def _finished(panel: ExportPanel) -> dict[int, tuple[str, str]]:
    out: dict[int, tuple[str, str]] = {}
    panel.queue.jobFinished.connect(lambda i, s, m: out.__setitem__(i, (s, m)))
    return out


def test_two_queued_mp4_jobs_finish_with_exact_frames_and_audio(qtbot, session) -> None:
    ctx, panel, project, tmp = session
    ends = _finished(panel)
    ctx.set_marks(mark_in=5, mark_out=30)
    a = panel.add_job(MP4, str(tmp / "a.mp4"))
    seg = project.insert_segment(ctx.video.id, Segment("action", 10, 50, "x"))
    ctx.mark_in = ctx.mark_out = None  # no marks: the selected segment is the range
    ctx.select(seg)
    b = panel.add_job(MP4, str(tmp / "b.mp4"))
    assert (a.start, a.end) == (5, 30) and (b.start, b.end) == (10, 50)
    qtbot.waitUntil(lambda: len(ends) == 2, timeout=60000)
    assert ends[a.id][0] == DONE and ends[b.id][0] == DONE, ends
    for path, n in ((tmp / "a.mp4", 25), (tmp / "b.mp4", 40)):
        info = probe(path)
        assert info.frame_count == n
        assert info.has_audio
        assert abs(info.duration - n / 25) < 0.1
    assert panel.rows[a.id].bar.value() == 1000
    assert "frames" in panel.rows[b.id].status.text()
    assert not panel.queue.busy


def test_gif_and_still_exports(qtbot, session) -> None:
    ctx, panel, _project, tmp = session
    ends = _finished(panel)
    ctx.seek(12)
    g = panel.add_job(GIF, str(tmp / "c.gif"), frames=(0, 25))
    s = panel.add_job(STILL, str(tmp / "still.png"))
    assert (s.start, s.end) == (12, 13)
    qtbot.waitUntil(lambda: len(ends) == 2, timeout=60000)
    assert ends[g.id][0] == DONE and ends[s.id][0] == DONE, ends
    assert (tmp / "c.gif").read_bytes()[:6] == b"GIF89a"
    import cv2

    img = cv2.imread(str(tmp / "still.png"))
    assert img is not None and img.shape[:2] == (64, 96)


def test_cancel_running_and_queued_jobs_leave_no_file(qtbot, session) -> None:
    ctx, panel, _project, tmp = session
    ends = _finished(panel)
    first: list[int] = []

    def on_progress(job_id: int, _fraction: float) -> None:  # worker thread: cancel mid-encode
        if not first:
            first.append(job_id)
            panel.queue.cancel(job_id)

    panel.queue.jobProgress.connect(on_progress, Qt.ConnectionType.DirectConnection)
    run = panel.add_job(MP4, str(tmp / "run.mp4"), frames=(0, 60))
    queued = panel.add_job(MP4, str(tmp / "queued.mp4"), frames=(0, 60))
    panel.queue.cancel(queued.id)
    qtbot.waitUntil(lambda: len(ends) == 2, timeout=60000)
    assert ends[run.id][0] == CANCELLED and ends[queued.id][0] == CANCELLED, ends
    assert first == [run.id]
    assert sorted(p.name for p in tmp.iterdir() if p.suffix in (".mp4",) and p.name != "src.mp4") == []
    assert not any(".part" in p.name for p in tmp.iterdir())
    assert not panel.rows[run.id].cancel_btn.isEnabled()


def test_bad_range_is_a_one_line_error_in_the_row(qtbot, session) -> None:
    ctx, panel, _project, tmp = session
    ends = _finished(panel)
    job = panel.add_job(MP4, str(tmp / "bad.mp4"), frames=(50, 500))
    qtbot.waitUntil(lambda: job.id in ends, timeout=30000)
    status, msg = ends[job.id]
    assert status == FAILED and "\n" not in msg and msg
    assert panel.rows[job.id].status.text().startswith("failed: ")
    assert not (tmp / "bad.mp4").exists()


def test_add_without_range_is_refused(qtbot, session) -> None:
    from core.errors import ClipDeskError

    _ctx, panel, _project, _tmp = session
    with pytest.raises(ClipDeskError):
        panel.add_job(MP4)
    panel._add_clicked()
    assert "in/out" in panel.message.text()
    assert panel.rows == {}


def test_reframed_mp4_writes_crop_sidecar(qtbot, session) -> None:
    import json

    from app.panels.export import REFRAMED

    ctx, panel, _project, tmp = session
    ends = _finished(panel)
    job = panel.add_job(REFRAMED, str(tmp / "r.mp4"), "4:5", frames=(5, 30))
    assert job.crop_json == str(tmp / "r.crop.json")
    qtbot.waitUntil(lambda: job.id in ends, timeout=60000)
    assert ends[job.id][0] == DONE, ends
    info = probe(tmp / "r.mp4")
    assert info.frame_count == 25 and info.has_audio
    w, h = info.display_size
    assert abs(w / h - 4 / 5) < 0.02
    doc = json.loads((tmp / "r.crop.json").read_text())
    assert "4:5" in json.dumps(doc)


def test_window_ctrl_e_shows_export_dock_and_exports_marks(qtbot, tmp_path: Path, make_video,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from app.window.main_window import MainWindow

    monkeypatch.setenv("CLIPDESK_CONFIG_DIR", str(tmp_path / "cfg"))
    video = make_video("w.mp4", frames=50, size=(96, 64), audio=True)
    w = MainWindow(interactive=False, audio=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.open_path(video, analyze=False)
    dock = w.docks["Export"]
    panel = next(p for p in w.plugin_panels if isinstance(p, ExportPanel))
    act = next(a for a in w.findChildren(type(w.menuBar().actions()[0]))
               if a.shortcut().toString() == "Ctrl+E")
    act.trigger()
    assert dock.isVisible()
    w.ctx.set_marks(mark_in=10, mark_out=35)
    assert panel.range_label.text() == "00:00:00:10 \u2013 00:00:01:10  (00:00:01:00)"
    w.set_time_format("frames")  # the one time format, here too
    assert panel.range_label.text() == "10 \u2013 35  (25 frames)"
    ends = _finished(panel)
    panel.out.setText(str(tmp_path / "marks.mp4"))
    panel.add_btn.click()
    qtbot.waitUntil(lambda: len(ends) == 1, timeout=60000)
    assert list(ends.values())[0][0] == DONE
    assert probe(tmp_path / "marks.mp4").frame_count == 25
    row = next(iter(panel.rows.values()))  # done: reveal in the folder, or open the file
    assert not row.reveal_btn.isHidden() and not row.open_btn.isHidden() and row.cancel_btn.isHidden()
    w.close()
