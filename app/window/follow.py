"""File > Follow recording: analyse a recording while it is written, the timeline growing as it goes.

:class:`FollowWorker` runs :func:`core.live.follow.follow` on its own thread with its own project
connection (SQLite WAL: the window keeps reading and editing) and reports through Qt signals:
``committed(CommitInfo)`` after each commit, ``notice(line)`` for what the follower says (a
skipped segment, a lowered pose rate), ``finished(ok, message)``. :class:`FollowController` (GUI
thread) asks for the recording (a growing .ts/.mp4/.mkv or an .m3u8 playlist; chosen again while
one is followed, it stops that one), opens or creates its
project beside it, and on each commit brings the video's length up to date and reloads only the
tracks that changed; the status line says how far behind the live edge it is, and at the end
"recording ended, reel ready" (the reel and its clips are in ``<project>.live/reel``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog

from app.review.task_worker import TaskWorker
from core.errors import Cancelled, ClipDeskError
from core.progress import Task

log = logging.getLogger(__name__)

SOURCES = "Recordings (*.ts *.m2ts *.mts *.mp4 *.mkv *.webm *.m3u8 *.m3u);;All files (*)"


def project_for(source: str | Path) -> Path:
    """The project a followed recording goes into: beside it, like ``clipdesk analyze --follow``."""
    from core.live.source import is_playlist
    from core.store.project import project_path_for

    src = Path(source)
    return src.with_suffix(".clipdesk") if is_playlist(src) else project_path_for(src)


class FollowWorker(TaskWorker):
    committed = Signal(object)  # core.live.follow.CommitInfo
    notice = Signal(str)
    finished = Signal(bool, str)

    def start(self, project_path: str | Path, source: str | Path) -> None:
        if self.running:
            raise ClipDeskError("a recording is already being followed")
        self.launch("clipdesk-follow", self._run, str(project_path), str(source))

    def _run(self, project_path: str, source: str, task: Task) -> None:
        from core.highlights.reel import SETTING_KEY
        from core.highlights.stage import HighlightStage
        from core.live.follow import FollowOptions, follow
        from core.pipeline import order_stages
        from core.store.project import Project
        from models.live import live_stage
        from models.stages import available_stages, without_untrusted_models

        try:
            with Project(project_path) as project:
                settings, notices = without_untrusted_models(project.get_setting("analysis", {}) or {})
                for n in notices:
                    self.notice.emit(n)
                stages = order_stages(available_stages(settings), None)
                if project.get_setting(SETTING_KEY) is None:
                    stages = [HighlightStage("reel") if s.name == "highlights" else s for s in stages]
                live_dir = Path(project_path).with_name(Path(project_path).stem + ".live")
                opts = FollowOptions(reel_dir=live_dir / "reel", goals_dir=live_dir / "goals")
                report = follow(project, source, stages, live_stage, task, options=opts,
                                on_commit=self.committed.emit, say=self.notice.emit)
            if report.reel:
                self.finished.emit(True, f"recording ended, reel ready ({len(report.reel['highlights'])} "
                                         f"highlight(s) in {live_dir / 'reel'})")
            else:
                self.finished.emit(True, "recording ended, results ready (no highlights for a reel)")
        except Cancelled:
            self.finished.emit(False, "Following cancelled (the results so far are kept)")
        except ClipDeskError as e:
            self.finished.emit(False, f"Following failed: {e}")
        except Exception as e:  # noqa: BLE001 - one line; details in the log
            log.exception("follow failed")
            self.finished.emit(False, f"Following failed: {type(e).__name__}: {e}")


class FollowController(QObject):
    """Wires the worker to a main window (its ``ctx``, ``project``, status bar)."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.worker = FollowWorker(self)
        self.worker.committed.connect(self._on_commit)
        self.worker.notice.connect(lambda m: window.statusBar().showMessage(m, 10000))
        self.worker.finished.connect(self._on_finished)
        self.project_path: Path | None = None

    def dialog(self) -> None:
        """Ask for a recording to follow; while one is followed, stop it instead (results kept)."""
        if self.worker.running:
            self.cancel()
            self.window.statusBar().showMessage("Stopping the follow\u2026 (the results so far are kept)")
            return
        path, _ = QFileDialog.getOpenFileName(self.window, "Follow a recording being written", "", SOURCES)
        if path:
            self.start(path)

    def start(self, source: str | Path) -> None:
        proj = project_for(source)
        w = self.window
        if w.project is None or Path(w.project.path).resolve() != proj.resolve():
            w.open_project(proj, create=True)
        self.project_path = proj
        self.worker.start(proj, source)
        w.statusBar().showMessage(f"Following {Path(source).name}: waiting for the first results\u2026")

    def cancel(self) -> None:
        self.worker.cancel()

    def _on_commit(self, info: Any) -> None:
        from core.edit.ops import ChangeSet

        w = self.window
        ctx = w.ctx
        project = w.project
        if project is None or self.project_path is None or Path(project.path).resolve() != self.project_path.resolve():
            return  # the user opened something else meanwhile
        if ctx.video is None or ctx.video.id != info.video_id:
            ctx.set_project(project, info.video_id)
        else:  # the video grew: new length and clock, then only the tracks that changed
            ctx.video = project.video(info.video_id)
            ctx.clock = project.clock(info.video_id)
            tracks = set(info.changed) - {"audio", "search"}
            if tracks:
                ctx.segmentsChanged.emit(ChangeSet(info.video_id, tracks=tracks))
            w.timeline.update()
        if not info.final:
            w.statusBar().showMessage(info.message or f"Following: {info.media_s:.0f} s analysed, "
                                      f"{info.lag_s:.0f} s behind the live edge")

    def _on_finished(self, ok: bool, message: str) -> None:
        w = self.window
        if w.project is not None and self.project_path is not None \
                and Path(w.project.path).resolve() == self.project_path.resolve():
            w.ctx.reload()
        w.statusBar().showMessage(message, 0 if ok else 15000)


__all__ = ["FollowController", "FollowWorker", "project_for"]
