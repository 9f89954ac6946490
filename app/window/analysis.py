"""Background analysis for the window: ``core.pipeline.analyze`` on a worker thread.

``AnalysisWorker.start(project_path, video_path, stages=None)`` opens its *own* connection to the
project (SQLite WAL: the GUI keeps reading and editing through its connection), runs every
available stage (``models.stages.available_stages``) and reports through Qt signals, which Qt
delivers on the GUI thread: ``progress(stage, fraction, message)``, ``stageDone(stage)`` as each
stage's results are committed, ``finished(ok, message)``, and ``notice(message)`` when the project
names a model file that is not trusted (``models.trust``): that file is left out, the stage runs
with its default model, and the notice says so in one line. ``confirm_model_files`` (GUI thread,
before a run, interactive windows only) asks whether to trust such a file. ``cancel()`` is honoured
at the next check. ``AnalysisPanel`` shows one progress bar per stage, the notice and a Cancel
button. The worker never touches widgets.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QGridLayout, QLabel, QMessageBox, QProgressBar, QPushButton,
                               QVBoxLayout, QWidget)

from app.review.task_worker import TaskWorker
from core.errors import Cancelled, ClipDeskError
from core.progress import Task
from core.store.project import Project

log = logging.getLogger(__name__)

DECODE_STAGE = "decode"


def _setting_name(key: tuple[str, ...]) -> str:
    return "analysis." + ".".join(key)


def confirm_model_files(parent: QWidget, project: Project) -> None:
    """Ask, for each model file the project's settings name that is neither bundled, in the
    models folder nor trusted, whether to trust it (its path and sha256 go to the user's trust
    store). Files that name code are never offered; the worker's notice says why they are left out."""
    from models.safe_load import scan
    from models.stages import model_file_settings
    from models.trust import UntrustedModelError, check_model_path, sha256_file, trust

    for key, value, fallback in model_file_settings(project.get_setting("analysis", {}) or {}):
        try:
            check_model_path(value, _setting_name(key))
            continue
        except UntrustedModelError as e:
            if e.reason == "missing":
                continue
            path, changed = e.path, e.reason == "changed"
        try:
            scan(path)
            digest = sha256_file(path)
        except (ClipDeskError, OSError):
            continue
        what = "has changed since you trusted it" if changed else "is not in your models folder"
        ans = QMessageBox.question(
            parent, "Untrusted model file",
            f"This project's setting {_setting_name(key)} names the model file\n{path}\nwhich {what}.\n\n"
            f"Trust this file (sha256 {digest[:16]}\u2026) and use it? Otherwise the analysis uses {fallback}.")
        if ans == QMessageBox.StandardButton.Yes:
            try:
                trust(path)
            except ClipDeskError as err:
                QMessageBox.warning(parent, "Untrusted model file", str(err))


class AnalysisWorker(TaskWorker):
    started = Signal(list)  # stage names, in order
    stageDone = Signal(str)
    finished = Signal(bool, str)
    notice = Signal(str)  # one line: a model file the project names was left out, and why

    def start(self, project_path: str | Path, video_path: str | Path,
              stages: Sequence[str] | None = None) -> None:
        if self.running:
            raise ClipDeskError("an analysis is already running")
        self.launch("clipdesk-analysis", self._run, str(project_path), str(video_path), stages)

    def _run(self, project_path: str, video_path: str, wanted: Sequence[str] | None,
             task: Task) -> None:
        from core.pipeline import analyze, order_stages
        from core.store.project import Project

        try:
            with Project(project_path) as project:
                notices: list[str] = []
                try:
                    from models.stages import available_stages, without_untrusted_models

                    settings, notices = without_untrusted_models(project.get_setting("analysis", {}) or {},
                                                                 name=_setting_name)
                    avail = available_stages(settings)
                except Exception as e:  # noqa: BLE001 - analysis without model stages still probes
                    log.warning("no analysis stages: %s", e)
                    avail = []
                stages = order_stages(avail, wanted)
                self.started.emit([DECODE_STAGE] + [s.name for s in stages])
                if notices:
                    self.notice.emit("; ".join(notices))
                report = analyze(project, video_path, stages, task,
                                 on_stage_done=self.stageDone.emit)
            ran = ", ".join(report.ran) or "nothing new"
            warn = ("; " + "; ".join(notices + report.warnings)) if notices or report.warnings else ""
            self.finished.emit(True, f"Analysis done: ran {ran}{warn}")
        except Cancelled:
            self.finished.emit(False, "Analysis cancelled")
        except ClipDeskError as e:
            self.finished.emit(False, f"Analysis failed: {e}")
        except Exception as e:  # noqa: BLE001 - shown as one line; details in the log
            log.exception("analysis failed")
            self.finished.emit(False, f"Analysis failed: {type(e).__name__}: {e}")


class AnalysisPanel(QWidget):
    """One progress bar per stage, a status line and Cancel."""

    title = "Analysis"
    area = "right"

    def __init__(self, worker: AnalysisWorker, parent: QWidget | None = None, ctx: object | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.bars: dict[str, QProgressBar] = {}
        self.grid = QGridLayout()
        self.status = QLabel("No analysis running")
        self.status.setWordWrap(True)
        self.notice = QLabel("")
        self.notice.setWordWrap(True)
        self.notice.setVisible(False)
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setEnabled(False)
        self.cancel_btn.clicked.connect(worker.cancel)
        lay = QVBoxLayout(self)
        self.action_model = None
        if ctx is not None:  # the project's action model: shown and chosen here (issue 15)
            from app.panels.actions import ActionModelChooser

            self.action_model = ActionModelChooser(ctx)
            lay.addWidget(self.action_model)
        lay.addWidget(self.status)
        lay.addWidget(self.notice)
        lay.addLayout(self.grid)
        lay.addWidget(self.cancel_btn)
        lay.addStretch(1)
        worker.started.connect(self._on_started)
        worker.progress.connect(self._on_progress)
        worker.stageDone.connect(lambda s: self._on_progress(s, 1.0, "done"))
        worker.finished.connect(self._on_finished)
        worker.notice.connect(self._on_notice)

    def _bar(self, stage: str) -> QProgressBar:
        bar = self.bars.get(stage)
        if bar is None:
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setFormat(f"{stage}  %p%")
            row = len(self.bars)
            self.grid.addWidget(QLabel(stage), row, 0)
            self.grid.addWidget(bar, row, 1)
            self.bars[stage] = bar
        return bar

    def _on_started(self, stages: list[str]) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None:
                w.deleteLater()
        self.bars.clear()
        for s in stages:
            self._bar(s)
        self.notice.setText("")  # a notice of this run follows its start
        self.notice.setVisible(False)
        self.status.setText("Analyzing\u2026 results appear on the timeline as stages finish")
        self.cancel_btn.setEnabled(True)

    def _on_progress(self, stage: str, fraction: float, message: str) -> None:
        bar = self._bar(stage)
        bar.setValue(int(fraction * 1000))
        if message:
            bar.setFormat(f"%p%  {message}"[:60])

    def _on_notice(self, message: str) -> None:
        self.notice.setText(f"\u26a0 {message}")
        self.notice.setVisible(True)

    def _on_finished(self, ok: bool, message: str) -> None:
        self.status.setText(message)
        self.cancel_btn.setEnabled(False)
