"""The status bar's permanent line saying what background jobs are doing right now:
"Analyzing: persons 42 % (tracking) · Exporting clip_12-80.mp4 63 %", empty when idle.

Listens to the analysis worker's ``progress``/``finished`` and, when present, the Export panel's
queue (``jobStarted``/``jobProgress``/``jobFinished``). GUI thread.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QWidget


class JobStatus(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._analysis = ""
        self._exports: dict[int, str] = {}
        self._names: dict[int, str] = {}
        self.setStyleSheet("color: #9fc6ff; padding: 0 6px;")

    def watch_analysis(self, worker: Any) -> None:
        started = getattr(worker, "started", None)
        if started is not None:  # before the first progress report (models load first)
            started.connect(lambda stages: self._set_analysis(
                f"Analyzing: starting {len(stages)} stages (loading models)"))
        worker.progress.connect(self._on_analysis)
        worker.finished.connect(lambda _ok, _m: self._set_analysis(""))

    def _on_analysis(self, stage: str, fraction: float, message: str) -> None:
        text = f"Analyzing: {stage} {int(round(100 * max(0.0, min(1.0, fraction))))} %"
        self._set_analysis(text + (f" ({message})" if message else ""))

    def _set_analysis(self, text: str) -> None:
        self._analysis = text
        self._show()

    def watch_exports(self, queue: Any) -> None:
        from pathlib import Path

        queue.jobAdded.connect(lambda job: self._names.__setitem__(job.id, Path(job.out).name))
        queue.jobStarted.connect(lambda i: self._set_export(i, 0.0))
        queue.jobProgress.connect(self._set_export)
        queue.jobFinished.connect(self._end_export)

    def _set_export(self, job_id: int, fraction: float) -> None:
        name = self._names.get(job_id, f"job {job_id}")
        self._exports[job_id] = f"Exporting {name} {int(round(100 * fraction))} %"
        self._show()

    def _end_export(self, job_id: int, _status: str, _message: str) -> None:
        self._exports.pop(job_id, None)
        self._show()

    def _show(self) -> None:
        parts = [p for p in (self._analysis, *self._exports.values()) if p]
        self.setText(" \u00b7 ".join(parts))
        self.setToolTip("\n".join(parts))
