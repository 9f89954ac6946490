"""Background analysis for the window: ``core.pipeline.analyze`` on a worker thread.

``AnalysisWorker.start(project_path, video_path, stages=None)`` opens its *own* connection to the
project (SQLite WAL: the GUI keeps reading and editing through its connection), runs every
available stage (``models.stages.available_stages``) and reports through Qt signals, which Qt
delivers on the GUI thread: ``progress(stage, fraction, message)``, ``stageDone(stage)`` as each
stage's results are committed, ``finished(ok, message)``. ``cancel()`` is honoured at the next
check. ``AnalysisPanel`` shows one progress bar per stage and a Cancel button. The worker never
touches widgets.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QGridLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout,
                               QWidget)

from app.review.task_worker import TaskWorker
from core.errors import Cancelled, ClipDeskError
from core.progress import Task

log = logging.getLogger(__name__)

DECODE_STAGE = "decode"


class AnalysisWorker(TaskWorker):
    started = Signal(list)  # stage names, in order
    stageDone = Signal(str)
    finished = Signal(bool, str)

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
                try:
                    from models.stages import available_stages

                    avail = available_stages(project.get_setting("analysis", {}))
                except Exception as e:  # noqa: BLE001 - analysis without model stages still probes
                    log.warning("no analysis stages: %s", e)
                    avail = []
                stages = order_stages(avail, wanted)
                self.started.emit([DECODE_STAGE] + [s.name for s in stages])
                report = analyze(project, video_path, stages, task,
                                 on_stage_done=self.stageDone.emit)
            ran = ", ".join(report.ran) or "nothing new"
            warn = ("; " + "; ".join(report.warnings)) if report.warnings else ""
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

    def __init__(self, worker: AnalysisWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.bars: dict[str, QProgressBar] = {}
        self.grid = QGridLayout()
        self.status = QLabel("No analysis running")
        self.status.setWordWrap(True)
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setEnabled(False)
        self.cancel_btn.clicked.connect(worker.cancel)
        lay = QVBoxLayout(self)
        lay.addWidget(self.status)
        lay.addLayout(self.grid)
        lay.addWidget(self.cancel_btn)
        lay.addStretch(1)
        worker.started.connect(self._on_started)
        worker.progress.connect(self._on_progress)
        worker.stageDone.connect(lambda s: self._on_progress(s, 1.0, "done"))
        worker.finished.connect(self._on_finished)

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
        self.status.setText("Analyzing\u2026 results appear on the timeline as stages finish")
        self.cancel_btn.setEnabled(True)

    def _on_progress(self, stage: str, fraction: float, message: str) -> None:
        bar = self._bar(stage)
        bar.setValue(int(fraction * 1000))
        if message:
            bar.setFormat(f"%p%  {message}"[:60])

    def _on_finished(self, ok: bool, message: str) -> None:
        self.status.setText(message)
        self.cancel_btn.setEnabled(False)
