"""The ClipDesk review window: player over timeline, inspector/covers/analysis and plugin docks.

Owns the menus and NLE keyboard shortcuts (table in ``app.window.help_overlay.SHORTCUTS``), opening
videos and projects (drop or File menu, recent files), starting background analysis and relocating
a moved video. All editing goes through ``app.review.commands`` -> ``ReviewContext.apply``. GUI thread.
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (QAbstractSpinBox, QApplication, QDockWidget, QFileDialog, QFrame,
                               QLineEdit, QMainWindow, QMenu, QMessageBox, QPlainTextEdit,
                               QScrollArea, QSplitter, QTextEdit, QWidget)

from app.review import commands as cmd
from app.window.analysis import AnalysisPanel, AnalysisWorker, confirm_model_files
from app.window.follow import FollowController
from app.review.context import ReviewContext
from app.panels.covers import CoversPanel
from app.window.help_overlay import HelpOverlay
from app.window.palette import CommandPalette
from app.window.settings_dialog import SettingsDialog
from app.window.jobs import JobStatus
from app.window.summary import representative_frame, summary_line
from app.window.placement import fit_dock, restore_placement, save_placement
from app.panels.inspector import Inspector
from app.panels.registry import load_panels
from app.player.widget import PlayerWidget
from app.review.settings import Settings
from app.review.timefmt import FORMATS, LABELS as TIME_LABELS
from app.timeline.view import HEADER_W, Timeline
from core import segments as sg
from core.errors import ClipDeskError, ProjectError
from core.store.project import PROJECT_SUFFIX, Project, project_path_for

log = logging.getLogger(__name__)

_TEXT_INPUTS = (QLineEdit, QTextEdit, QPlainTextEdit, QAbstractSpinBox)

VIDEO_FILTER = "Videos (*.mp4 *.mov *.mkv *.webm *.avi *.m4v *.mts *.ts *.mxf *.mpg)"
PROJECT_FILTER = f"ClipDesk projects (*{PROJECT_SUFFIX})"
_AREAS = {"right": Qt.DockWidgetArea.RightDockWidgetArea,
          "left": Qt.DockWidgetArea.LeftDockWidgetArea,
          "bottom": Qt.DockWidgetArea.BottomDockWidgetArea}


class MainWindow(QMainWindow):
    def __init__(self, interactive: bool = True, audio: bool | None = None) -> None:
        super().__init__()
        self.interactive = interactive  # False: never open dialogs (screenshots, tests)
        self._typing = False
        self._plain_keys: list[tuple[QAction, list[QKeySequence]]] = []
        self.ctx = ReviewContext(self)
        self.settings = Settings()
        self.ctx.set_time_format(self.settings.time_format())
        self.project: Project | None = None
        self.setWindowTitle("ClipDesk")
        self.setAcceptDrops(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks
                            | QMainWindow.DockOption.AllowTabbedDocks)

        self.player = PlayerWidget(self.ctx, audio=audio)
        self.timeline = Timeline(self.ctx)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.player)
        split.addWidget(self.timeline)
        split.setStretchFactor(0, 5)  # the timeline also holds the signal lanes
        split.setStretchFactor(1, 4)
        self.setCentralWidget(split)

        self.worker = AnalysisWorker(self)
        self.worker.stageDone.connect(lambda _s: self.ctx.reload())
        self.worker.finished.connect(self._analysis_finished)
        self.worker.notice.connect(lambda m: self.statusBar().showMessage(m))  # untrusted model left out
        self.inspector = Inspector(self.ctx)
        self.covers = CoversPanel(self.ctx)
        self.analysis_panel = AnalysisPanel(self.worker, ctx=self.ctx)
        self.docks: dict[str, QDockWidget] = {}
        self._front_dock = ""  # the dock most recently brought to the front (tab raised)
        insp = QScrollArea()  # scrolls rather than pushing a tall panel below it off screen
        insp.setWidgetResizable(True)
        insp.setFrameShape(QFrame.Shape.NoFrame)
        insp.setWidget(self.inspector)
        self._add_dock(insp, "Inspector", "right")
        self._add_dock(self.covers, "Covers", "right")
        self._add_dock(self.analysis_panel, "Analysis", "right")
        self.tabifyDockWidget(self.docks["Covers"], self.docks["Analysis"])
        self.docks["Covers"].raise_()
        self.plugin_panels: list[QWidget] = []
        self._area_first: dict[str, QDockWidget] = {}
        for spec in load_panels():
            try:
                w = spec.cls(self.ctx)
            except Exception as e:  # noqa: BLE001 - a broken panel must not stop the window
                log.warning("panel %s failed: %s", spec.name, e)
                continue
            self.plugin_panels.append(w)
            # in a scroll area: a tall panel must not force the whole window taller
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(w)
            dock = self._add_dock(scroll, spec.title, spec.area)
            # one tab group per area keeps the window's minimum height sane
            first = {"right": self.docks["Covers"]}.get(spec.area) or self._area_first.get(spec.area)
            if first is None:
                self._area_first[spec.area] = dock
            else:
                self.tabifyDockWidget(first, dock)
        self.docks["Covers"].raise_()

        self.help = HelpOverlay(self)
        self.follow = FollowController(self)  # File > Follow recording (app/window/follow.py)
        self._build_menus()
        app = QApplication.instance()
        self._focus_connected = isinstance(app, QApplication)
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._on_focus)
        self.statusBar().showMessage("Open a video or project: File \u25b8 Open, or drop it here")
        self.jobs = JobStatus(self)  # what a background job is doing, always in view
        self.statusBar().addPermanentWidget(self.jobs)
        self.jobs.watch_analysis(self.worker)
        for w in self.plugin_panels:
            if hasattr(w, "queue") and hasattr(w.queue, "jobProgress"):
                self.jobs.watch_exports(w.queue)
        self.timeline.canvas.message.connect(lambda m: self.statusBar().showMessage(m, 6000))
        self.ctx.undo_stack.indexChanged.connect(self._update_title)
        if not (interactive and restore_placement(self, self.settings)):
            self.resize(1440, 900)

    # -- layout ------------------------------------------------------------------------------
    def _add_dock(self, w: QWidget, title: str, area: str) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title}")
        dock.setWidget(w)
        self.addDockWidget(_AREAS.get(area, Qt.DockWidgetArea.RightDockWidgetArea), dock)
        self.docks[title] = dock
        dock.visibilityChanged.connect(partial(self._dock_shown, title))
        return dock

    def _dock_shown(self, title: str, visible: bool) -> None:
        if visible:
            self._front_dock = title
            QTimer.singleShot(0, self, lambda: fit_dock(self, title))  # Train reachable, no scrolling

    def _raise_covers_if_untouched(self) -> None:
        """After an analysis: show the covers, unless the user brought another dock to the
        front since the run started (the layout must not jump away from what they use)."""
        covers = self.docks.get("Covers")
        if covers is not None and self._front_dock == "Analysis":
            covers.raise_()

    def _act(self, menu: QMenu, text: str, keys: str | list[str] | None,
             fn: Callable[[], object], tip: str = "") -> QAction:
        a = QAction(text, self)
        if keys:
            seqs = [QKeySequence(k) for k in ([keys] if isinstance(keys, str) else keys)]
            a.setShortcuts(seqs)
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            a.setStatusTip(tip)
        plain = text.replace("&", "").rstrip("\u2026")
        shown = ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in a.shortcuts())
        a.setToolTip(f"{plain} ({shown})" if shown else plain)  # tooltips name the shortcut
        menu.setToolTipsVisible(True)
        a.triggered.connect(lambda _=False: self._run(fn))
        if keys and all(not (s[0].keyboardModifiers() & (Qt.KeyboardModifier.ControlModifier
                                                         | Qt.KeyboardModifier.AltModifier))
                        for s in seqs):
            self._plain_keys.append((a, seqs))
        menu.addAction(a)
        self.addAction(a)
        return a

    def _on_focus(self, _old: QWidget | None, new: QWidget | None) -> None:
        """Plain-key shortcuts (Return, 1, S, Space...) belong to a text field while it has focus."""
        typing = isinstance(new, _TEXT_INPUTS)
        if typing == self._typing:
            return
        self._typing = typing
        for action, seqs in self._plain_keys:
            action.setShortcuts([] if typing else seqs)

    def _run(self, fn: Callable[[], object]) -> None:
        """Run a command; a refused edit becomes a status message, never a traceback."""
        try:
            out = fn()
        except ClipDeskError as e:
            self.statusBar().showMessage(str(e), 6000)
            return
        if isinstance(out, str):
            self.statusBar().showMessage(out, 4000)

    def _build_menus(self) -> None:
        c = self.ctx
        mb = self.menuBar()
        f = mb.addMenu("&File")
        self._act(f, "&Open video or project\u2026", "Ctrl+O",
                  self.open_dialog)
        self.recent_menu = f.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.videos_menu = f.addMenu("&Video in project")
        self.videos_menu.aboutToShow.connect(self._fill_videos)
        self._act(f, "&Save project as\u2026", "Ctrl+Shift+S", self.save_as)
        self._act(f, "Re&link video\u2026", None, lambda: self._run(self.relink_videos),
                  "point the project at a moved video (the same file only)")
        self._act(f, "&Analyze current video", "Ctrl+R", self.analyze_current)
        self._act(f, "&Follow recording\u2026", None, lambda: self._run(self.follow.dialog),
                  "analyse a recording while it is written (growing .ts/.mp4/.mkv or an .m3u8)")
        self._act(f, "&Export clip\u2026", "Ctrl+E", self.show_export)
        f.addSeparator()
        self._act(f, "&Quit", "Ctrl+Q", self.close)

        e = mb.addMenu("&Edit")
        undo = c.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence("Ctrl+Z"))
        redo = c.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        for a in (undo, redo):
            e.addAction(a)
            self.addAction(a)
        e.addSeparator()
        self._act(e, "&Split at playhead", "S", lambda: cmd.split_at_playhead(c))
        self._act(e, "&Merge with next", "M", lambda: cmd.merge_with_next(c))
        self._act(e, "&Delete segment", ["Del", "Ctrl+Backspace"], lambda: cmd.delete_selected(c))
        self._act(e, "&Add segment from in/out", "A", lambda: self._add_from_marks())
        e.addSeparator()
        self._act(e, "A&ccept suggestion", ["Return", "Enter"], lambda: cmd.set_status(c, sg.ACCEPTED))
        self._act(e, "&Reject suggestion", "Backspace", lambda: cmd.set_status(c, sg.REJECTED))
        self._act(e, "Re&label\u2026", "R", self.label_picker)
        quick = e.addMenu("Apply label &number")
        for i in range(1, 10):
            self._act(quick, f"Label {i} of the track's list", str(i), partial(self._label_n, i))

        p = mb.addMenu("&Playback")
        pl = self.player
        self._act(p, "Play / pause", "Space", pl.toggle)
        self._act(p, "Shuttle back", "J", lambda: pl.shuttle(-1))
        self._act(p, "Stop", "K", lambda: pl.shuttle(0))
        self._act(p, "Shuttle forward", "L", lambda: pl.shuttle(1))
        self._act(p, "Slower", "[", lambda: self._step_speed(-1))
        self._act(p, "Faster", "]", lambda: self._step_speed(1))
        p.addSeparator()
        self._act(p, "Frame back", ["Left", ","], lambda: self._step(-1))
        self._act(p, "Frame forward", ["Right", "."], lambda: self._step(1))
        self._act(p, "Second back", "Shift+Left", lambda: self._step_seconds(-1))
        self._act(p, "Second forward", "Shift+Right", lambda: self._step_seconds(1))
        self._act(p, "Previous shot boundary", "Up", lambda: cmd.shot_boundary(c, -1))
        self._act(p, "Next shot boundary", "Down", lambda: cmd.shot_boundary(c, 1))
        self._act(p, "First frame", "Home", lambda: c.seek(0))
        self._act(p, "Last frame", "End", lambda: c.seek(c.frame_count - 1))
        p.addSeparator()
        self._act(p, "Mark in", "I", lambda: c.set_marks(mark_in=c.playhead))
        self._act(p, "Mark out", "O", lambda: c.set_marks(mark_out=c.playhead + 1))

        n = mb.addMenu("&Navigate")
        self._act(n, "Previous segment", "Ctrl+Left", lambda: cmd.jump_segment(c, -1))
        self._act(n, "Next segment", "Ctrl+Right", lambda: cmd.jump_segment(c, 1))
        self._act(n, "Next unreviewed suggestion", "N", lambda: self._unreviewed(1))
        self._act(n, "Previous unreviewed suggestion", "Shift+N", lambda: self._unreviewed(-1))

        v = mb.addMenu("&View")
        tl = self.timeline.canvas
        self._act(v, "Fit timeline", "Shift+Z", tl.fit)
        self._act(v, "Zoom in", ["+", "="], lambda: tl.zoom(1.5))
        self._act(v, "Zoom out", "-", lambda: tl.zoom(1 / 1.5))
        tf = v.addMenu("&Time format")
        group = QActionGroup(self)
        self.time_actions: dict[str, QAction] = {}
        for fmt in FORMATS:
            a = tf.addAction(TIME_LABELS[fmt])
            a.setCheckable(True)
            a.setChecked(fmt == c.time_format)
            a.triggered.connect(lambda _=False, fmt=fmt: self.set_time_format(fmt))
            group.addAction(a)
            self.time_actions[fmt] = a
        v.addSeparator()
        for title, dock in self.docks.items():
            a = dock.toggleViewAction()
            a.setText(title)
            v.addAction(a)
        v.addSeparator()
        # "?" alone: "Shift+/" is the same key on most layouts and made Qt call it ambiguous
        self._act(v, "Keyboard shortcuts", ["?", "F1"], self.help.toggle)
        self._act(v, "Command &palette\u2026", "Ctrl+Shift+P", self.show_palette,
                  "find any command or shortcut by typing")
        self._act(e, "Se&ttings\u2026", "Ctrl+,", self.show_settings,
                  "time format, export folder, label keys, reaction lag, models")

    def show_palette(self) -> CommandPalette:
        """View > Command palette: every command with its shortcut, filtered as you type."""
        pal = CommandPalette(self)
        if self.interactive:
            pal.open()
        return pal

    def show_settings(self) -> SettingsDialog:
        dlg = SettingsDialog(self)
        if self.interactive:
            dlg.open()
        return dlg

    def set_time_format(self, fmt: str) -> None:
        """View > Time format: every panel shows times this way; remembered across sessions."""
        self.ctx.set_time_format(fmt)
        self.settings.set_time_format(fmt)
        self.time_actions[fmt].setChecked(True)

    # -- commands needing the window ---------------------------------------------------------
    def _step(self, n: int) -> None:
        self.player.pause()
        self.ctx.seek(self.ctx.playhead + n)

    def _step_seconds(self, n: int) -> None:
        v = self.ctx.video
        if v is not None:
            self._step(n * max(1, round(v.rate.fps)))

    def _step_speed(self, d: int) -> None:
        box = self.player.speed_box
        box.setCurrentIndex(max(0, min(box.count() - 1, box.currentIndex() + d)))

    def _unreviewed(self, d: int) -> str:
        seg = cmd.jump_unreviewed(self.ctx, d)
        return f"{seg.track} #{seg.id} to review" if seg else "No unreviewed suggestions left"

    def _add_from_marks(self) -> str:
        c = self.ctx
        seg = cmd.add_from_marks(c)
        clk = c.clock
        a, b = (clk.time(seg.start_frame), clk.time(seg.end_frame)) if clk is not None else (0.0, 0.0)
        return (f"Added {seg.track} #{seg.id}: {c.fmt_frame(seg.start_frame)} \u2013 "
                f"{c.fmt_frame(seg.end_frame)} ({b - a:.1f} s)")

    def _label_n(self, i: int) -> str:
        seg = self.ctx.selection
        if seg is None:
            raise ClipDeskError("select a segment first")
        labels = cmd.labels_for(self.ctx, seg.track)
        if i > len(labels):
            raise ClipDeskError(f"the {seg.track} track has no label {i}")
        return cmd.relabel(self.ctx, labels[i - 1])

    def _focus_label(self) -> None:
        self.docks["Inspector"].raise_()
        self.inspector.label_edit.setFocus()

    def label_picker(self) -> None:
        seg = self.ctx.selection
        if seg is None:
            raise ClipDeskError("select a segment first")
        menu = QMenu(self)
        for i, lab in enumerate(cmd.labels_for(self.ctx, seg.track), 1):
            menu.addAction(f"&{i}  {lab}").triggered.connect(
                lambda _=False, lab=lab: self._run(lambda: cmd.relabel(self.ctx, lab)))
        menu.addSeparator()
        menu.addAction("Other\u2026 (type in the Inspector)").triggered.connect(self._focus_label)
        menu.addAction("&0  no label").triggered.connect(
            lambda: self._run(lambda: cmd.relabel(self.ctx, None)))
        canvas = self.timeline.canvas
        x = max(HEADER_W, int(canvas.x_of(seg.start_frame)))
        menu.popup(canvas.mapToGlobal(QPoint(x, canvas.top_height())))

    # -- files -------------------------------------------------------------------------------
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open video or project", "",
                                              f"{VIDEO_FILTER};;{PROJECT_FILTER};;All files (*)")
        if path:
            self.open_path(path)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for r in self.settings.recent():
            self.recent_menu.addAction(r).triggered.connect(
                lambda _=False, r=r: self._run(lambda: self.open_path(r)))
        if not self.settings.recent():
            self.recent_menu.addAction("(none)").setEnabled(False)

    def _fill_videos(self) -> None:
        """Projects may hold several videos (``clipdesk analyze a.mp4 b.mp4 --project P``)."""
        self.videos_menu.clear()
        current = self.ctx.video.id if self.ctx.video is not None else None
        for v in self.project.videos() if self.project is not None else []:
            a = self.videos_menu.addAction(v.name)
            a.setCheckable(True)
            a.setChecked(v.id == current)
            a.triggered.connect(lambda _=False, vid=v.id: self.ctx.set_video(vid))
        if self.videos_menu.isEmpty():
            self.videos_menu.addAction("(no project open)").setEnabled(False)

    def open_path(self, path: str | Path, analyze: bool = True) -> None:
        """Open a project file, or a video (its project beside it; analysis starts if needed)."""
        path = Path(path)
        if path.suffix == PROJECT_SUFFIX:
            self.open_project(path)
            return
        if not path.exists():
            raise ClipDeskError(f"{path}: no such file")
        from core.media.reader import probe

        info = probe(path)
        proj_path = project_path_for(path)
        self.open_project(proj_path, create=True)
        assert self.project is not None
        video = self.project.add_video(info)
        self.ctx.set_project(self.project, video.id)
        self.settings.add_recent(path)
        if analyze and self._needs_analysis(video.id):
            self.start_analysis(path)
        else:
            self.statusBar().showMessage(f"Opened {path.name}: {self.show_found()}")

    def _needs_analysis(self, video_id: int) -> bool:
        assert self.project is not None
        done = {r.stage for r in self.project.runs(video_id) if r.status == "done"}
        try:
            from models.stages import available_stages

            names = {s.name for s in available_stages(self.project.get_setting("analysis", {}))}
        except Exception:  # noqa: BLE001
            names = set()
        return not self.project.video(video_id).exact or bool(names - done)

    def open_project(self, path: str | Path, create: bool = False) -> None:
        if self.worker.running:
            raise ClipDeskError("wait for the analysis to finish (or cancel it) first")
        try:  # a foreign, damaged or newer file: one clear message, nothing written to it
            project = Project(path, create=create)
        except ProjectError as e:
            self.statusBar().showMessage(str(e))
            if self.interactive:
                QMessageBox.warning(self, "Cannot open project", str(e))
            raise
        self.player.close_media()
        old, self.project = self.project, project
        self.ctx.set_project(None)
        if old is not None:
            old.close()
        problems = self._relocate_missing(project)
        self.ctx.set_project(project)
        self.settings.add_recent(path)
        self._update_title()
        if problems:  # a missing or changed video stays said until the next message
            self.statusBar().showMessage(problems[0])
        else:
            self.statusBar().showMessage(f"Opened {Path(path).name}: {self.show_found()}")

    def show_found(self) -> str:
        """Open on a representative frame (not the black frame 0) and say what was found."""
        c = self.ctx
        segs = c.segments()
        frame = representative_frame(segs)
        if frame is not None and c.playhead == 0 and c.selection is None:
            c.seek(frame)
        clk = c.clock
        return summary_line(segs, (lambda a, b: clk.time(b) - clk.time(a)) if clk is not None else None)

    def _relocate_missing(self, project: Project) -> list[str]:
        """A video missing, or another file at its path: say so and offer Relink... (the same
        file only, :meth:`Project.relink`); the player never shows another file's frames.
        Returns the one-line problems left unresolved."""
        from core.store.project import VideoChangedError

        problems: list[str] = []
        for v in project.videos():
            try:
                project.video_file(v.id)
                continue
            except VideoChangedError as e:
                title = "Video changed"
                text = (f"The file at\n{v.path}\nis not the video this project was analysed from "
                        f"({e.reason}).\nRelink\u2026 to the original?")
                line = str(e)
            except ClipDeskError as e:
                title, line = "Video moved", str(e)
                text = f"The video {v.name} is not at\n{v.path}\nLocate it (Relink\u2026)?"
            if self.interactive and QMessageBox.question(self, title, text) == \
                    QMessageBox.StandardButton.Yes:
                new, _ = QFileDialog.getOpenFileName(self, f"Relink {v.name}", "", VIDEO_FILTER)
                if new:
                    try:
                        project.relink(v.id, new)
                        continue
                    except ClipDeskError as e:
                        QMessageBox.warning(self, "Different video", str(e))
            problems.append(line)
        return problems

    def relink_videos(self) -> str:
        """File > Relink video...: every missing or changed video of the project, offered again."""
        if self.project is None:
            raise ClipDeskError("no project open")
        vid = self.ctx.video.id if self.ctx.video is not None else None
        problems = self._relocate_missing(self.project)
        self.ctx.set_project(self.project, vid)
        return problems[0] if problems else "every video of the project is in place"

    def save_as(self) -> None:
        if self.project is None:
            raise ClipDeskError("no project open")
        out, _ = QFileDialog.getSaveFileName(self, "Save project as", str(self.project.path),
                                             PROJECT_FILTER)
        if out:
            self.save_project_as(out)

    def save_project_as(self, out: str | Path) -> Path:
        """Edits are already saved; this writes a consistent copy and switches to it."""
        import sqlite3

        if self.project is None:
            raise ClipDeskError("no project open")
        out = Path(out).with_suffix(PROJECT_SUFFIX)
        dst = sqlite3.connect(str(out))
        with self.project._lock:
            self.project.conn.backup(dst)
        dst.close()
        vid = self.ctx.video.id if self.ctx.video else None
        self.open_project(out)
        if vid is not None:
            self.ctx.set_video(vid)
        return out

    # -- analysis ----------------------------------------------------------------------------
    def analyze_current(self) -> None:
        if self.ctx.video is None:
            raise ClipDeskError("open a video first")
        self.start_analysis(self.ctx.video.path)

    def start_analysis(self, video_path: str | Path) -> None:
        if self.project is None:
            raise ClipDeskError("no project open")
        if self.interactive:  # ask before a run whether to trust a model file the project names
            confirm_model_files(self, self.project)
        self.worker.start(self.project.path, video_path)
        self.docks["Analysis"].show()
        self.docks["Analysis"].raise_()
        self._front_dock = "Analysis"
        self.statusBar().showMessage("Analyzing in the background\u2026 (you can keep working)")

    def _analysis_finished(self, ok: bool, message: str) -> None:
        vid = self.ctx.video.id if self.ctx.video is not None else None
        if self.project is not None:
            if self.ctx.video is None and self.project.videos():
                self.ctx.set_project(self.project)
            elif vid is not None:
                self.ctx.reload()
        self.statusBar().showMessage(f"{message} — {self.show_found()}" if ok else message, 15000)
        if ok:
            covers = self.docks["Covers"]  # the dock as context: no call once it is gone
            QTimer.singleShot(1500, covers, self._raise_covers_if_untouched)

    def show_export(self) -> None:
        """File > Export clip: the Export dock (app.panels.export) takes marks or selection."""
        dock = self.docks.get("Export")
        if dock is None:
            raise ClipDeskError("the export panel is unavailable (see the log)")
        dock.show()
        dock.raise_()

    # -- window ------------------------------------------------------------------------------
    def _update_title(self, *_args: object) -> None:
        name = self.project.path.name if self.project is not None else ""
        self.setWindowTitle(f"ClipDesk \u2014 {name}" if name else "ClipDesk")

    def dragEnterEvent(self, e: QDragEnterEvent) -> None:  # noqa: N802
        if e.mimeData().hasUrls():
            e.acceptProposedAction()

    def dropEvent(self, e: QDropEvent) -> None:  # noqa: N802
        urls = e.mimeData().urls()
        if urls:
            path = urls[0].toLocalFile()
            self._run(lambda: self.open_path(path))

    def closeEvent(self, e: QCloseEvent) -> None:  # noqa: N802
        app = QApplication.instance()
        if isinstance(app, QApplication) and self._focus_connected:
            app.focusChanged.disconnect(self._on_focus)
            self._focus_connected = False
        if self.worker.running:  # cancelled; a stage in a long step is not waited for (Quit
            self.worker.cancel()   # took 6 s mid-analysis): the daemon thread ends with the process
            self.worker.wait(0.5)
        for w in self.plugin_panels:
            stop = getattr(w, "shutdown", None)
            if callable(stop):
                stop()
        self.player.close_media()
        if self.timeline.canvas.thumbs is not None:
            self.timeline.canvas.thumbs.close()
        if self.interactive:
            save_placement(self, self.settings)
        if self.project is not None:
            self.project.close()
            self.project = None
        super().closeEvent(e)
