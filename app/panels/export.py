"""Clip export queue: MP4 (horizontal or reframed), GIF and still exports run one at a time.

``ExportQueue`` (a ``QObject``) owns a single worker thread that takes ``ExportJob``s in order and
calls ``core.export.clip.export_project_clip`` / ``export_gif`` / ``export_still`` with its own
project connection (SQLite WAL: the GUI keeps its own) and a ``core.progress.Task``. It reports
through Qt signals, delivered on the GUI thread: ``jobAdded(job)``, ``jobProgress(id, fraction)``,
``jobFinished(id, status, message)`` with status ``"done"``, ``"cancelled"`` or ``"failed"``.
``cancel(id)`` drops a queued job or stops the running one (core export writes to a temporary
file and removes it on cancel, so no partial output is left). The worker never touches widgets.
Outputs pass the output guard when the job is created (:func:`checked_outputs`, error shown in
the panel) and again in core before writing.

``ExportPanel`` (dock "Export", File > Export clip..., Ctrl+E) takes in/out from the I/O marks
or the selected segment, a kind and an output path, and lists every job with a progress bar,
status line and Cancel button. GUI thread only, except ``ExportQueue._run`` (worker thread).
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QGridLayout, QHBoxLayout, QLabel,
                               QLineEdit, QProgressBar, QPushButton, QVBoxLayout, QWidget)

from core.errors import Cancelled, ClipDeskError
from core.progress import Task

log = logging.getLogger(__name__)

MP4 = "mp4"
REFRAMED = "reframed"
GIF = "gif"
STILL = "still"
KINDS = {MP4: "MP4 horizontal", REFRAMED: "MP4 reframed", GIF: "GIF", STILL: "Still at playhead"}
ASPECTS = ("9:16", "4:5", "1:1")
SUFFIX = {MP4: ".mp4", REFRAMED: ".mp4", GIF: ".gif", STILL: ".png"}
DONE, CANCELLED, FAILED = "done", "cancelled", "failed"

_ids = itertools.count(1)


@dataclass
class ExportJob:
    """One export. ``start``/``end`` is the half-open frame range (``start`` is the frame for a
    still). ``crop_json`` (reframed MP4 only) receives the crop path sidecar."""

    project_path: str
    video_id: int
    kind: str
    start: int
    end: int
    out: str
    aspect: str = "9:16"
    crop_json: str | None = None
    size: tuple[int, int] | None = None  # reframed MP4: None = the default (1080 wide)
    title: str | None = None  # the MP4's title tag (the highlight's title)
    caption: bool = False  # reframed MP4: burn the title into the picture
    id: int = field(default_factory=lambda: next(_ids))
    task: Task | None = field(default=None, repr=False)


def crop_sidecar(out: str | Path) -> str:
    """The crop path JSON written beside a reframed clip."""
    p = Path(out)
    return str(p.with_name(p.stem + ".crop.json"))


def checked_outputs(project: Any, out: str, default_name: str, sidecar: bool) -> tuple[Path, str | None]:
    """The output file (a folder gets ``default_name``) and the crop sidecar, refused with one
    line when either would overwrite the project, its companions, a source video or a model."""
    from core.export.paths import check_output, project_inputs

    inputs = project_inputs(project)
    path = check_output(out, inputs, default_name=default_name, what="export")
    if not sidecar:
        return path, None
    return path, str(check_output(crop_sidecar(path), [*inputs, path], what="crop path"))


def run_job(job: ExportJob, task: Task) -> str:
    """Do one export (worker thread); returns a one-line summary. Raises ClipDeskError/Cancelled."""
    from core.export.clip import export_gif, export_project_clip, export_still
    from core.store.project import Project

    task.check()
    with Project(job.project_path, create=False) as project:
        v = project.video(job.video_id)
        src = str(project.video_file(job.video_id))  # missing or changed: one line
        if job.kind in (MP4, REFRAMED):
            aspect = job.aspect if job.kind == REFRAMED else "source"
            res = export_project_clip(project, job.video_id, job.start, job.end, job.out,
                                      aspect=aspect, crop_json=job.crop_json, task=task,
                                      size=job.size if job.kind == REFRAMED else None,
                                      title=job.title,
                                      caption=job.title if job.caption and job.kind == REFRAMED else None)
            return (f"{res.frames} frames, {res.size[0]}x{res.size[1]}, {res.duration:.2f} s"
                    + (", audio" if res.has_audio else ""))
        clock = project.clock(job.video_id)
        if job.kind == GIF:
            res = export_gif(src, clock, job.start, job.end, job.out,
                             rotation=v.info.rotation, task=task)
            return f"{res.frames} GIF frames, {res.size[0]}x{res.size[1]}"
        if job.kind == STILL:
            export_still(src, clock, job.start, job.out, rotation=v.info.rotation)
            task.progress("export", 1.0, "", force=True)
            return f"frame {job.start}"
    raise ClipDeskError(f"unknown export kind {job.kind!r}")


class ExportQueue(QObject):
    """Runs export jobs one at a time on a worker thread (see module docstring)."""

    jobAdded = Signal(object)  # ExportJob
    jobStarted = Signal(int)
    jobProgress = Signal(int, float)
    jobFinished = Signal(int, str, str)  # id, status, one-line message

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._queue: queue.Queue[ExportJob | None] = queue.Queue()
        self._cancelled: set[int] = set()
        self._lock = threading.Lock()
        self._running: ExportJob | None = None
        self._pending = 0
        self._thread: threading.Thread | None = None

    def add(self, job: ExportJob) -> ExportJob:
        """Queue a job (GUI thread); it runs after every job queued before it."""
        job_id = job.id

        def report(_stage: str, fraction: float, _msg: str) -> None:
            self.jobProgress.emit(job_id, fraction)

        job.task = Task(on_progress=report)
        with self._lock:
            self._pending += 1
        self.jobAdded.emit(job)
        self._queue.put(job)
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="clipdesk-export", daemon=True)
            self._thread.start()
        return job

    def cancel(self, job_id: int) -> None:
        """Drop a queued job or stop the running one; its output file is not left behind."""
        with self._lock:
            self._cancelled.add(job_id)
            running = self._running
        if running is not None and running.id == job_id and running.task is not None:
            running.task.cancel()

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._pending > 0

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every queued job ended (tests, closing the window)."""
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while self.busy:
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def shutdown(self) -> None:
        """Cancel everything and stop the worker (closing the window)."""
        with self._lock:
            running = self._running
        if running is not None and running.task is not None:
            running.task.cancel()
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                self._end(job, CANCELLED, "cancelled")
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(1.0)  # a cancelled encode removes its temp file itself

    def _end(self, job: ExportJob, status: str, message: str) -> None:
        with self._lock:
            self._pending -= 1
            if self._running is job:
                self._running = None
        self.jobFinished.emit(job.id, status, message)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            with self._lock:
                skip = job.id in self._cancelled
                self._running = None if skip else job
            if skip:
                self._end(job, CANCELLED, "cancelled")
                continue
            self.jobStarted.emit(job.id)
            task = job.task or Task()
            try:
                msg = run_job(job, task)
            except Cancelled:
                self._remove_outputs(job)
                self._end(job, CANCELLED, "cancelled")
            except ClipDeskError as e:
                self._end(job, FAILED, str(e))
            except Exception as e:  # noqa: BLE001 - shown as one line; details in the log
                log.exception("export failed")
                self._end(job, FAILED, f"{type(e).__name__}: {e}")
            else:
                self._end(job, DONE, msg)

    @staticmethod
    def _remove_outputs(job: ExportJob) -> None:
        """Cancelled mid-way: core left no file, but a sidecar of a finished encode may exist."""
        for p in (job.crop_json,):
            if p:
                Path(p).unlink(missing_ok=True)


class _JobRow(QWidget):
    def __init__(self, job: ExportJob, on_cancel: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job = job
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.status = QLabel("queued")
        self.status.setWordWrap(True)
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.clicked.connect(lambda: on_cancel(job.id))
        self.reveal_btn = QPushButton("Show in folder")
        self.reveal_btn.setToolTip(f"Open the folder {Path(job.out).parent}")
        self.reveal_btn.clicked.connect(self.reveal)
        self.open_btn = QPushButton("Open")
        self.open_btn.setToolTip("Open the exported file in the system's player/viewer")
        self.open_btn.clicked.connect(self.open_file)
        for b in (self.reveal_btn, self.open_btn):
            b.setVisible(False)
        lay = QGridLayout(self)
        lay.setContentsMargins(0, 2, 0, 2)
        lay.addWidget(QLabel(f"{Path(job.out).name}  ({KINDS.get(job.kind, job.kind)})"), 0, 0, 1, 3)
        lay.addWidget(self.bar, 1, 0)
        lay.addWidget(self.cancel_btn, 1, 1, 1, 2)
        lay.addWidget(self.status, 2, 0)
        lay.addWidget(self.reveal_btn, 2, 1)
        lay.addWidget(self.open_btn, 2, 2)

    def finish(self, status: str, message: str) -> None:
        if status == DONE:
            self.bar.setValue(1000)
            self.cancel_btn.setVisible(False)
            for b in (self.reveal_btn, self.open_btn):
                b.setVisible(True)
        self.status.setText(message if status != FAILED else f"failed: {message}")
        self.cancel_btn.setEnabled(False)

    def reveal(self) -> bool:
        """Show the export's folder in the file manager."""
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(self.job.out).parent)))

    def open_file(self) -> bool:
        return QDesktopServices.openUrl(QUrl.fromLocalFile(self.job.out))


class ExportPanel(QWidget):
    """The export form and the job list (see module docstring)."""

    title = "Export"
    area = "right"

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.queue = ExportQueue(self)
        self.rows: dict[int, _JobRow] = {}
        self.range_label = QLabel("")
        self.range_label.setWordWrap(True)
        self.kind = QComboBox()
        for k, text in KINDS.items():
            self.kind.addItem(text, k)
        self.aspect = QComboBox()
        self.aspect.addItems(ASPECTS)
        self.size = QComboBox()  # reframed: the default 1080-wide size or the crop's own size
        self.size.setToolTip("Output size of a reframed clip: 1080 wide, or the crop's own "
                             "resolution (no upscaling)")
        self.upscale = QLabel("")  # "5.3x upscaling" warning with the offer of the source size
        self.upscale.setWordWrap(True)
        self.upscale.setStyleSheet("color: #e0a060;")
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText("title (MP4 tag and file name; from the highlight)")
        self.caption = QCheckBox("Burn the title into the vertical clip")
        self.caption.setToolTip("A caption band with the title near the bottom of a reframed clip")
        self.out = QLineEdit()
        self.out.setPlaceholderText("output file (default: the project's export folder)")
        browse = QPushButton("\u2026")
        browse.setToolTip("Choose the output file")
        browse.clicked.connect(self._browse)
        self.add_btn = QPushButton("Add to queue")
        self.add_btn.clicked.connect(self._add_clicked)
        self.message = QLabel("")
        self.message.setStyleSheet("color: #e0a060;")
        self.message.setWordWrap(True)
        form = QGridLayout()
        form.addWidget(QLabel("Kind"), 0, 0)
        form.addWidget(self.kind, 0, 1)
        form.addWidget(self.aspect, 0, 2)
        form.addWidget(QLabel("Size"), 1, 0)
        form.addWidget(self.size, 1, 1, 1, 2)
        form.addWidget(self.upscale, 2, 0, 1, 3)
        form.addWidget(QLabel("Title"), 3, 0)
        form.addWidget(self.title_edit, 3, 1, 1, 2)
        form.addWidget(self.caption, 4, 1, 1, 2)
        form.addWidget(QLabel("File"), 5, 0)
        form.addWidget(self.out, 5, 1)
        form.addWidget(browse, 5, 2)
        self.jobs = QVBoxLayout()
        lay = QVBoxLayout(self)
        lay.addWidget(self.range_label)
        lay.addLayout(form)
        row = QHBoxLayout()
        row.addWidget(self.add_btn)
        row.addWidget(self.message, 1)
        lay.addLayout(row)
        lay.addLayout(self.jobs)
        lay.addStretch(1)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.aspect.currentIndexChanged.connect(self._refresh_sizes)
        self.size.currentIndexChanged.connect(self._refresh_upscale)
        for name in ("selectionChanged", "projectChanged"):
            sig = getattr(ctx, name, None)
            if sig is not None:
                sig.connect(self._refresh_title)
        if getattr(ctx, "projectChanged", None) is not None:
            ctx.projectChanged.connect(self._refresh_sizes)  # sizes follow the video's resolution
        self.queue.jobAdded.connect(self._on_added)
        self.queue.jobStarted.connect(lambda i: self._set_status(i, "exporting\u2026"))
        self.queue.jobProgress.connect(self._on_progress)
        self.queue.jobFinished.connect(self._on_finished)
        for name in ("marksChanged", "selectionChanged", "playheadChanged", "projectChanged",
                     "timeFormatChanged"):
            sig = getattr(ctx, name, None)
            if sig is not None:
                sig.connect(self._refresh_range)
        self._kind_changed()

    # -- form --------------------------------------------------------------------------------
    def current_range(self) -> tuple[int, int] | None:
        """In/out marks when both are set, else the selected segment, else None."""
        ctx = self.ctx
        if ctx.mark_in is not None and ctx.mark_out is not None and ctx.mark_out > ctx.mark_in:
            return int(ctx.mark_in), int(ctx.mark_out)
        sel = ctx.selected()
        if sel:
            return min(s.start_frame for s in sel), max(s.end_frame for s in sel)
        return None

    def _refresh_range(self, *_a: object) -> None:
        ctx = self.ctx
        if self.kind.currentData() == STILL:
            self.range_label.setText(f"{ctx.fmt_frame(ctx.playhead)} (playhead)")
            return
        r = self.current_range()
        self.range_label.setText("Set in/out (I, O) or select a segment" if r is None
                                 else f"{ctx.fmt_frame(r[0])} \u2013 {ctx.fmt_frame(r[1])}  "
                                      f"({ctx.fmt_length(r[0], r[1])})")

    def _kind_changed(self, *_a: object) -> None:
        kind = str(self.kind.currentData())
        self.aspect.setEnabled(kind == REFRAMED)
        self.size.setEnabled(kind == REFRAMED)
        self.caption.setEnabled(kind == REFRAMED)
        self._refresh_sizes()
        text = self.out.text().strip()
        if text:
            self.out.setText(str(Path(text).with_suffix(SUFFIX[kind])))
        self._refresh_range()

    # -- size, upscaling, title, folder ------------------------------------------------------
    def _plan(self, size: tuple[int, int] | None = None) -> Any:
        from core.export.sizes import size_plan

        v = self.ctx.video
        if v is None:
            return None
        return size_plan(tuple(v.info.display_size), self.aspect.currentText(), size)

    def _refresh_sizes(self, *_a: object) -> None:
        """Size choices for the aspect: the default (1080 wide) and the crop's own resolution."""
        plan = self._plan()
        keep = self.size.currentIndex()
        self.size.blockSignals(True)
        self.size.clear()
        if plan is not None:
            self.size.addItem(f"{plan.out[0]}x{plan.out[1]} (default)", None)
            self.size.addItem(f"{plan.native[0]}x{plan.native[1]} (source resolution)", plan.native)
            self.size.setCurrentIndex(max(0, min(keep, 1)))
        self.size.blockSignals(False)
        self._refresh_upscale()

    def chosen_size(self) -> tuple[int, int] | None:
        data = self.size.currentData()
        return (int(data[0]), int(data[1])) if isinstance(data, (tuple, list)) else None

    def use_source_resolution(self) -> None:
        self.size.setCurrentIndex(1)

    def _refresh_upscale(self, *_a: object) -> None:
        plan = self._plan(self.chosen_size())
        if plan is None or self.kind.currentData() != REFRAMED or not plan.upscaled:
            self.upscale.setText("")
            self.upscale.setVisible(False)
            return
        self.upscale.setText(f"\u26a0 the {plan.crop[0]}x{plan.crop[1]} crop is scaled up "
                             f"{plan.factor:.1f}x to {plan.out[0]}x{plan.out[1]} and will look soft; "
                             f"choose {plan.native[0]}x{plan.native[1]} (source resolution) in Size "
                             "to keep every pixel sharp.")
        self.upscale.setVisible(True)

    def _refresh_title(self, *_a: object) -> None:
        """The selected highlight's title (typed in the Inspector, else proposed)."""
        self.title_edit.setText(self.proposed_title() or "")

    def proposed_title(self) -> str | None:
        from core.segments import HIGHLIGHT

        ctx = self.ctx
        sel = ctx.selection
        if sel is None or sel.track != HIGHLIGHT or ctx.project is None or ctx.video is None:
            return None
        from core.highlights.titles import title_of

        return title_of(sel, ctx.segments(), ctx.clock)

    def export_folder(self) -> Path:
        """Settings' export folder, else ``<project folder>/<project name> exports``."""
        from app.review.settings import Settings

        chosen = str(Settings().value("export_folder", "") or "").strip()
        if chosen:
            return Path(chosen).expanduser()
        p = self.ctx.project
        if p is None:
            return Path.cwd()
        return Path(p.path).parent / f"{Path(p.path).stem} exports"

    def _default_out(self, kind: str) -> str:
        from core.highlights.titles import slug

        v = self.ctx.video
        base = Path(v.path).stem if v is not None else "clip"
        r = self.current_range()
        title = self.title_edit.text().strip()
        tag = f"{self.ctx.playhead}" if kind == STILL or r is None else f"{r[0]}-{r[1]}"
        name = f"{slug(title)}_{tag}" if title and kind != STILL else f"{base}_{tag}"
        extra = "_" + self.aspect.currentText().replace(":", "x") if kind == REFRAMED else ""
        return str(self.export_folder() / f"{name}{extra}{SUFFIX[kind]}")

    def _browse(self) -> None:
        kind = str(self.kind.currentData())
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.out.text() or self._default_out(kind))
        if path:
            self.out.setText(path)

    def _add_clicked(self) -> None:
        try:
            job = self.add_job(str(self.kind.currentData()), self.out.text().strip() or None,
                               self.aspect.currentText(), size=self.chosen_size())
        except ClipDeskError as e:
            self.message.setText(str(e))
            return
        self.message.setText("")
        self.out.clear()  # the next job gets its own default name
        log.info("queued export %s", job)

    def add_job(self, kind: str, out: str | None = None, aspect: str = "9:16",
                frames: tuple[int, int] | None = None, size: tuple[int, int] | None = None,
                title: str | None = None, caption: bool | None = None) -> ExportJob:
        """Queue an export of the current video (range from the marks/selection unless given)."""
        ctx = self.ctx
        if ctx.project is None or ctx.video is None:
            raise ClipDeskError("open a video first")
        if kind not in KINDS:
            raise ClipDeskError(f"unknown export kind {kind!r}")
        if kind == STILL:
            r = frames or (int(ctx.playhead), int(ctx.playhead) + 1)
        else:
            found = frames or self.current_range()
            if found is None:
                raise ClipDeskError("set in/out marks (I, O) or select a segment to export")
            r = found
        if not out:  # the project's export folder is made on first use
            self.export_folder().mkdir(parents=True, exist_ok=True)
        out_path, sidecar = checked_outputs(ctx.project, out or self._default_out(kind),
                                            Path(self._default_out(kind)).name, kind == REFRAMED)
        job = ExportJob(str(ctx.project.path), int(ctx.video.id), kind, r[0], r[1], str(out_path), aspect,
                        sidecar, size=size if kind == REFRAMED else None,
                        title=title or self.title_edit.text().strip() or None,
                        caption=bool(self.caption.isChecked() if caption is None else caption))
        return self.queue.add(job)

    # -- job list ----------------------------------------------------------------------------
    def _on_added(self, job: ExportJob) -> None:
        row = _JobRow(job, self.queue.cancel, self)
        self.rows[job.id] = row
        self.jobs.addWidget(row)

    def _set_status(self, job_id: int, text: str) -> None:
        row = self.rows.get(job_id)
        if row is not None:
            row.status.setText(text)

    def _on_progress(self, job_id: int, fraction: float) -> None:
        row = self.rows.get(job_id)
        if row is not None:
            row.bar.setValue(int(fraction * 1000))

    def _on_finished(self, job_id: int, status: str, message: str) -> None:
        row = self.rows.get(job_id)
        if row is not None:
            row.finish(status, message)

    def shutdown(self) -> None:
        """Cancel every job and stop the worker (the window is closing)."""
        self.queue.shutdown()


__all__ = ["ASPECTS", "ExportJob", "ExportPanel", "ExportQueue", "KINDS", "crop_sidecar", "run_job"]
