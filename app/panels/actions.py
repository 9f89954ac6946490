"""Actions panel: the annotator's loop for action labels, and retraining from them.

* **Classes** — the project's class list (setting ``action_classes``), editable; class *n* is
  bound to number key *n*.
* **Label while playing** — with "Number keys label" on, holding a number key marks a span of
  that class from key-down to key-up (ELAN-style); both edges are moved back by the reaction-lag
  setting (``action_reaction_lag_ms``, ms). The span is added through ``core.edit.ops.AddSegment``
  (undoable, source ``user:*``, accepted), optionally for a given person (track id).
* **Review queue** — suggested ``action`` segments below a confidence threshold, least sure
  first; selecting one seeks there; Accept / Reject go through ``core.edit.ops.SetStatus``.
* **Train** — trains an ST-GCN from this project's reviewed labels on a worker thread (its own
  project connection) with progress and Cancel, then makes it the project's action model.

GUI thread only; the training worker never touches widgets (results come back by signal).
Run alone on a project: ``python -m app.panels.actions PROJECT.clipdesk``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox, QApplication, QCheckBox, QComboBox, QDoubleSpinBox, QGroupBox, QHBoxLayout, QLabel,
    QLineEdit, QListWidget, QListWidgetItem, QProgressBar, QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from app.review.task_worker import TaskWorker
from core.segments import ACCEPTED, ACTION, REJECTED, SUGGESTED, Segment

log = logging.getLogger(__name__)

CLASSES_SETTING = "action_classes"
LAG_SETTING = "action_reaction_lag_ms"
DEFAULT_LAG_MS = 200
_DIGITS = {getattr(Qt.Key, f"Key_{i}"): i for i in range(1, 10)}


class _CompactList(QListWidget):
    """A list that asks for a few rows, not Qt's 192 px: the panel fits a laptop-height dock with
    Train in view, and the lists take whatever height is left."""

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(super().sizeHint().width(), 96)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(super().minimumSizeHint().width(), 48)


class _TrainWorker(TaskWorker):
    finished = Signal(bool, str, object)  # ok, message, TrainResult | None

    def start(self, project_path: str, epochs: int) -> None:
        self.launch("clipdesk-train-actions", self._run, project_path, epochs)

    def _run(self, project_path: str, epochs: int, task: Any) -> None:
        from core.errors import Cancelled, ClipDeskError
        from core.store.project import Project
        from models.actions.train import TrainConfig, train_actions

        try:
            with Project(project_path, create=False) as project:
                res = train_actions([project], None, TrainConfig(epochs=epochs), task)
            self.finished.emit(True, f"trained {res.model_id}", res)
        except Cancelled:
            self.finished.emit(False, "training cancelled", None)
        except ClipDeskError as e:
            self.finished.emit(False, str(e), None)
        except Exception as e:  # noqa: BLE001 - report, never crash the window
            log.exception("action training failed")
            self.finished.emit(False, f"training failed: {type(e).__name__}: {e}", None)


def _typing_text() -> bool:
    """The focus is in a text field (a class name, a title), where digits are text. Spin boxes
    do not count: while the mode is on, a digit is a label even there."""
    focus = QApplication.focusWidget()
    if not isinstance(focus, QLineEdit):
        return False
    parent = focus.parentWidget()
    return not isinstance(parent, QAbstractSpinBox)


class ActionModelChooser(QWidget):
    """Which action model the project uses: the starter (kinematic rules, the default) or a
    trained model the user picks; stored as the project's ``analysis.action_model`` setting
    (absent = the starter) and shown in the Analysis panel. A change applies at the next
    analysis of the actions stage (its cache key is the model)."""

    changed = Signal(str)  # the model's id ("starter" or a trained model's id)

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(QLabel("Action model"))
        self.combo = QComboBox()
        self.combo.setToolTip("The starter finds shots, serves, strokes, jumps, kicks, falls, sprints and "
                              "celebrations with rules over the pose tracks; a model you trained applies only "
                              "to the projects where you choose it")
        lay.addWidget(self.combo, 1)
        self._loading = False
        self.combo.currentIndexChanged.connect(self._on_choice)
        ctx.projectChanged.connect(self.reload)
        self.reload()

    def reload(self) -> None:
        from models.actions.registry import MODEL_SETTING, list_models

        self._loading = True
        try:
            self.combo.clear()
            self.combo.addItem("Starter (rules, no training)", None)
            try:
                cards = list_models(shipped=True)  # with the pre-trained model that ships with ClipDesk
            except OSError:
                cards = []
            for c in cards:
                if c["path"] == "pretrained":  # models.actions.registry.PRETRAINED
                    self.combo.addItem(f"Pre-trained ST-GCN, ships with ClipDesk ({len(c['classes']) - 1} classes; "
                                       "a start for fine-tuning)", c["path"])
                    continue
                self.combo.addItem(f"{c['id']} ({', '.join(c['classes'][1:])[:40]})", c["path"])
            p = self.ctx.project
            ref = (p.get_setting("analysis", {}) or {}).get(MODEL_SETTING) if p is not None else None
            if ref and ref != "starter":
                i = self.combo.findData(str(ref))
                if i < 0:
                    self.combo.addItem(f"{Path(str(ref)).name} (chosen path)", str(ref))
                    i = self.combo.count() - 1
                self.combo.setCurrentIndex(i)
            self.setEnabled(p is not None)
        finally:
            self._loading = False

    def current_id(self) -> str:
        data = self.combo.currentData()
        return "starter" if not data else Path(str(data)).name

    def _on_choice(self, _i: int) -> None:
        if self._loading or self.ctx.project is None:
            return
        from models.actions.registry import MODEL_SETTING

        analysis = dict(self.ctx.project.get_setting("analysis", {}) or {})
        data = self.combo.currentData()
        if data:
            analysis[MODEL_SETTING] = str(data)
        else:
            analysis.pop(MODEL_SETTING, None)
        self.ctx.project.set_setting("analysis", analysis)
        self.changed.emit(self.current_id())


class ActionPanel(QWidget):
    title = "Actions"
    area = "right"

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._held: dict[int, int] = {}  # class number -> start frame (lag applied)
        # class number -> playhead at a key release not yet final: the X server's auto-repeat is a
        # release followed at once by a press, and under load Qt may not flag that pair as a repeat
        # (it looks for the press already queued); a press within the grace continues the span.
        self._releasing: dict[int, int] = {}
        self._worker = _TrainWorker(self)
        self._worker.progress.connect(self._on_progress)
        self._worker.finished.connect(self._on_trained)
        self._filter_on = False
        self._busy = False  # a training run is in progress (cleared when its result arrives)
        lay = QVBoxLayout(self)

        box = QGroupBox("Classes (number key = class)")
        bl = QVBoxLayout(box)
        self.class_list = _CompactList()
        self.class_list.itemChanged.connect(lambda _i: self._save_classes())
        bl.addWidget(self.class_list)
        row = QHBoxLayout()
        self.class_edit = QLineEdit()
        self.class_edit.setPlaceholderText("new class")
        self.class_edit.returnPressed.connect(self._add_class)
        add, rem = QPushButton("Add"), QPushButton("Remove")
        add.clicked.connect(self._add_class)
        rem.clicked.connect(self._remove_class)
        row.addWidget(self.class_edit)
        row.addWidget(add)
        row.addWidget(rem)
        bl.addLayout(row)
        lay.addWidget(box)

        box = QGroupBox("Label while playing")
        bl = QVBoxLayout(box)
        self.keys_on = QCheckBox("Number keys label (hold to mark a span)")
        self.keys_on.toggled.connect(self._set_key_capture)
        bl.addWidget(self.keys_on)
        row = QHBoxLayout()
        row.addWidget(QLabel("Reaction lag"))
        self.lag = QSpinBox()
        self.lag.setRange(0, 2000)
        self.lag.setSingleStep(50)
        self.lag.setSuffix(" ms")
        self.lag.valueChanged.connect(self._save_lag)
        row.addWidget(self.lag)
        row.addWidget(QLabel("Person"))
        self.person = QSpinBox()
        self.person.setRange(0, 100000)
        self.person.setSpecialValueText("any")
        row.addWidget(self.person)
        bl.addLayout(row)
        self.mark_label = QLabel("")
        bl.addWidget(self.mark_label)
        lay.addWidget(box)

        box = QGroupBox("Review queue (least confident first)")
        bl = QVBoxLayout(box)
        row = QHBoxLayout()
        row.addWidget(QLabel("Below"))
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.0, 1.01)
        self.threshold.setSingleStep(0.05)
        self.threshold.setValue(0.7)
        self.threshold.valueChanged.connect(lambda _v: self.refresh_queue())
        row.addWidget(self.threshold)
        row.addStretch(1)
        bl.addLayout(row)
        self.queue = _CompactList()
        self.queue.currentItemChanged.connect(self._on_queue_item)
        bl.addWidget(self.queue)
        row = QHBoxLayout()
        self.accept_btn, self.reject_btn = QPushButton("Accept"), QPushButton("Reject")
        self.accept_btn.clicked.connect(lambda: self.review_current(ACCEPTED))
        self.reject_btn.clicked.connect(lambda: self.review_current(REJECTED))
        row.addWidget(self.accept_btn)
        row.addWidget(self.reject_btn)
        bl.addLayout(row)
        lay.addWidget(box)

        box = QGroupBox("Training data files")
        bl = QHBoxLayout(box)
        self.export_btn, self.import_btn = QPushButton("Export labels\u2026"), QPushButton("Import labels\u2026")
        self.export_btn.setToolTip("PYSKL/MMAction2 skeleton pickle (.pkl), COCO keypoints or ActivityNet JSON")
        self.export_btn.clicked.connect(self._export_dialog)
        self.import_btn.clicked.connect(self._import_dialog)
        bl.addWidget(self.export_btn)
        bl.addWidget(self.import_btn)
        lay.addWidget(box)

        box = QGroupBox("Model")
        bl = QVBoxLayout(box)
        self.model_label = QLabel("")
        self.model_label.setWordWrap(True)
        bl.addWidget(self.model_label)
        row = QHBoxLayout()
        row.addWidget(QLabel("Epochs"))
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 500)
        self.epochs.setValue(30)
        row.addWidget(self.epochs)
        self.train_btn, self.cancel_btn = QPushButton("Train"), QPushButton("Cancel")
        self.train_btn.clicked.connect(self.start_training)
        self.cancel_btn.clicked.connect(self._worker.cancel)
        self.cancel_btn.setEnabled(False)
        row.addWidget(self.train_btn)
        row.addWidget(self.cancel_btn)
        bl.addLayout(row)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        bl.addWidget(self.bar)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        bl.addWidget(self.status)
        lay.insertWidget(2, box)  # Train right below the labelling: in view without scrolling
        lay.addStretch(1)

        ctx.projectChanged.connect(self.reload)
        ctx.segmentsChanged.connect(lambda _c: self.refresh_queue())
        ctx.timeFormatChanged.connect(lambda _f: self.refresh_queue())
        self.reload()

    # -- project state -----------------------------------------------------------------------
    def reload(self) -> None:
        p = self.ctx.project
        self.class_list.blockSignals(True)
        self.class_list.clear()
        if p is not None:
            from core.actions.dataset import project_classes

            for c in project_classes(p):
                self._append_class_item(c)
            self.lag.blockSignals(True)
            self.lag.setValue(int(p.get_setting(LAG_SETTING, DEFAULT_LAG_MS)))
            self.lag.blockSignals(False)
        self.class_list.blockSignals(False)
        self._renumber()
        self.refresh_queue()
        self._show_model()

    def classes(self) -> list[str]:
        return [str(self.class_list.item(i).data(Qt.ItemDataRole.UserRole))
                for i in range(self.class_list.count())]

    def _append_class_item(self, name: str) -> None:
        it = QListWidgetItem(name)
        it.setData(Qt.ItemDataRole.UserRole, name)
        it.setFlags(it.flags() | Qt.ItemFlag.ItemIsEditable)
        self.class_list.addItem(it)

    def _renumber(self) -> None:
        self.class_list.blockSignals(True)
        for i in range(self.class_list.count()):
            it = self.class_list.item(i)
            name = str(it.data(Qt.ItemDataRole.UserRole))
            it.setText(f"{i + 1}  {name}" if i < 9 else name)
        self.class_list.blockSignals(False)

    def _add_class(self) -> None:
        name = self.class_edit.text().strip()
        if name and name not in self.classes():
            self._append_class_item(name)
            self.class_edit.clear()
            self._renumber()
            self._save_classes()

    def _remove_class(self) -> None:
        row = self.class_list.currentRow()
        if row >= 0:
            self.class_list.takeItem(row)
            self._renumber()
            self._save_classes()

    def _save_classes(self) -> None:
        # An edited item's text is the new name (minus the key number we display).
        self.class_list.blockSignals(True)
        for i in range(self.class_list.count()):
            it = self.class_list.item(i)
            text = it.text().strip()
            parts = text.split(None, 1)
            name = parts[1] if len(parts) == 2 and parts[0].isdigit() else text
            it.setData(Qt.ItemDataRole.UserRole, name)
        self.class_list.blockSignals(False)
        self._renumber()
        if self.ctx.project is not None:
            self.ctx.project.set_setting(CLASSES_SETTING, self.classes())

    def set_classes(self, names: list[str]) -> None:
        self.class_list.clear()
        for n in names:
            self._append_class_item(n)
        self._renumber()
        self._save_classes()

    def _save_lag(self, value: int) -> None:
        if self.ctx.project is not None:
            self.ctx.project.set_setting(LAG_SETTING, int(value))

    # -- label while playing -----------------------------------------------------------------
    def _lag_frames(self) -> int:
        clk = self.ctx.clock
        fps = clk.rate.fps if clk is not None else 25.0
        return int(round(self.lag.value() / 1000 * fps))

    def press_class(self, number: int) -> None:
        """Key ``number`` (1-9) went down: remember where the span starts."""
        if number in self._held or not (1 <= number <= len(self.classes())) or self.ctx.video is None:
            return
        self._held[number] = max(0, int(self.ctx.playhead) - self._lag_frames())
        self.mark_label.setText(f"marking {self.classes()[number - 1]} \u2026")

    def release_class(self, number: int, at_frame: int | None = None) -> Segment | None:
        """Key ``number`` came up (with the playhead at ``at_frame``, default now): add the span
        (undoable) and return it."""
        start = self._held.pop(number, None)
        if start is None or self.ctx.video is None or self.ctx.project is None:
            return None
        from core.edit.ops import AddSegment

        at = int(self.ctx.playhead) if at_frame is None else int(at_frame)
        end = max(start + 1, at - self._lag_frames() + 1)
        end = min(end, self.ctx.video.frame_count)
        start = min(start, end - 1)
        attrs = {"person": self.person.value()} if self.person.value() > 0 else {}
        edit = AddSegment(self.ctx.video.id, Segment(ACTION, start, end, self.classes()[number - 1],
                                                     None, attrs))
        self.ctx.apply(edit)
        seg = self.ctx.project.segment(edit.id) if edit.id is not None else None
        if seg is not None:
            self.mark_label.setText(f"added {seg.label} {self._at(seg.start_frame)}\u2013{self._at(seg.end_frame)}")
        return seg

    def _set_key_capture(self, on: bool) -> None:
        app = QApplication.instance()
        if app is None or on == self._filter_on:
            return
        if on:
            app.installEventFilter(self)
        else:
            app.removeEventFilter(self)
            self._releasing.clear()
            self._held.clear()
        self._filter_on = on

    RELEASE_GRACE_MS = 120

    def _key_down(self, number: int) -> None:
        if self._releasing.pop(number, None) is None:  # else: an unflagged auto-repeat, the span goes on
            self.press_class(number)

    def _key_up(self, number: int) -> None:
        if number not in self._held:
            return
        self._releasing[number] = int(self.ctx.playhead)
        QTimer.singleShot(self.RELEASE_GRACE_MS, self, lambda: self._release_final(number))

    def _release_final(self, number: int) -> None:
        at = self._releasing.pop(number, None)
        if at is not None:
            self.release_class(number, at)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        et = event.type()
        if et in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            key = event.key()  # type: ignore[attr-defined]
            mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier  # type: ignore[attr-defined]
            if key in _DIGITS and mods == Qt.KeyboardModifier.NoModifier and not _typing_text():
                if event.isAutoRepeat():  # type: ignore[attr-defined]
                    return True  # one held key is one span: the key's auto-repeat is ignored
                if et == QEvent.Type.KeyPress:
                    self._key_down(_DIGITS[key])
                else:
                    self._key_up(_DIGITS[key])
                return True
        elif et == QEvent.Type.ShortcutOverride:
            # While the mode is on the digits are ours: accepting the override stops every
            # shortcut (menu "Apply label N", a panel's "1" = accept) from taking the key, and
            # Qt delivers it as a key press instead, which the branch above consumes.
            key = event.key()  # type: ignore[attr-defined]
            mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier  # type: ignore[attr-defined]
            if key in _DIGITS and mods == Qt.KeyboardModifier.NoModifier and not _typing_text():
                event.accept()
                return True
        return super().eventFilter(obj, event)

    # -- review queue ------------------------------------------------------------------------
    def _at(self, frame: int) -> str:
        return self.ctx.fmt_frame(frame)  # the window's time format

    def refresh_queue(self) -> None:
        self.queue.clear()
        p, v = self.ctx.project, self.ctx.video
        if p is None or v is None:
            return
        thr = self.threshold.value()
        segs = [s for s in p.segments(v.id, ACTION) if s.status == SUGGESTED and (s.confidence or 0.0) < thr]
        for s in sorted(segs, key=lambda s: (s.confidence or 0.0, s.start_frame)):
            it = QListWidgetItem(f"{s.confidence or 0:.2f}  {s.label}  person {s.attrs.get('person', '?')}  "
                                 f"{self._at(s.start_frame)}")
            it.setData(Qt.ItemDataRole.UserRole, s.id)
            self.queue.addItem(it)

    def _on_queue_item(self, cur: QListWidgetItem | None, _prev: QListWidgetItem | None) -> None:
        if cur is None or self.ctx.project is None:
            return
        seg = self.ctx.project.segment(int(cur.data(Qt.ItemDataRole.UserRole)))
        self.ctx.seek(seg.start_frame)

    def review_current(self, status: str) -> None:
        it = self.queue.currentItem() or (self.queue.item(0) if self.queue.count() else None)
        if it is None:
            return
        from core.edit.ops import SetStatus

        row = self.queue.row(it)
        self.ctx.apply(SetStatus([int(it.data(Qt.ItemDataRole.UserRole))], status))
        if self.queue.count():
            self.queue.setCurrentRow(min(row, self.queue.count() - 1))

    # -- label files -------------------------------------------------------------------------
    _FILTERS = {"PYSKL / MMAction2 skeleton pickle (*.pkl)": "pyskl",
                "COCO keypoints JSON, this video (*.json)": "coco",
                "ActivityNet JSON (*.json)": "activitynet"}

    def export_to(self, path: str, fmt: str) -> str:
        from core.actions.formats import export_labels

        p, v = self.ctx.project, self.ctx.video
        if p is None:
            return ""
        counts = export_labels(p, path, fmt, v.id if v is not None else None)
        msg = f"exported {fmt}: " + ", ".join(f"{k} {n}" for k, n in counts.items())
        self.status.setText(msg)
        return msg

    def import_from(self, path: str) -> str:
        from core.actions.formats import import_labels

        if self.ctx.project is None:
            return ""
        fmt, counts = import_labels(self.ctx.project, path)
        msg = f"imported {fmt}: {counts['added']} span(s), {counts['skipped']} for other videos"
        self.status.setText(msg)
        self.ctx.segmentsChanged.emit(None)
        return msg

    def _export_dialog(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        from core.errors import ClipDeskError

        path, flt = QFileDialog.getSaveFileName(self, "Export action labels", "", ";;".join(self._FILTERS))
        if path:
            try:
                self.export_to(path, self._FILTERS.get(flt, "pyskl"))
            except (ClipDeskError, OSError) as e:
                self.status.setText(str(e))

    def _import_dialog(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        from core.errors import ClipDeskError

        path, _ = QFileDialog.getOpenFileName(self, "Import action labels", "",
                                              "Label files (*.pkl *.pickle *.json)")
        if path:
            try:
                self.import_from(path)
            except (ClipDeskError, OSError) as e:
                self.status.setText(str(e))

    # -- training ----------------------------------------------------------------------------
    def _show_model(self) -> None:
        p = self.ctx.project
        try:
            from models.actions.registry import MODEL_SETTING, list_models, load_model, resolve_model

            ref = (p.get_setting("analysis", {}) or {}).get(MODEL_SETTING) if p is not None else None
            path = resolve_model(ref) if ref and ref != "starter" else None
            if path is None:
                self.model_label.setText("Action model: the starter (rules over the pose tracks). Label "
                                         "actions here and train a model to learn your own classes.")
                return
            card = next((c for c in list_models() if c["path"] == path), None) or load_model(path).card
            acc = ((card.get("validation") or {}).get("window_level") or {}).get("accuracy")
            self.model_label.setText(f"Model {card['id']}: {', '.join(card['classes'][1:])}; "
                                     f"validation accuracy {acc if acc is not None else 'n/a'}")
        except Exception as e:  # noqa: BLE001 - a bad model setting must not break the panel
            self.model_label.setText(f"Action model unavailable: {e}")

    def start_training(self) -> None:
        p = self.ctx.project
        if p is None or self._busy:
            return
        self._busy = True
        self.train_btn.setEnabled(False)
        self.cancel_btn.setEnabled(True)
        self.bar.setValue(0)
        self.status.setText("training\u2026")
        self._worker.start(str(p.path), self.epochs.value())

    def _on_progress(self, stage: str, fraction: float, message: str) -> None:
        if stage == "train":
            self.bar.setValue(int(fraction * 1000))
        self.status.setText(f"{stage}: {message}")

    def _on_trained(self, ok: bool, message: str, result: Any) -> None:
        self._busy = False
        self.train_btn.setEnabled(True)
        self.cancel_btn.setEnabled(False)
        if ok and result is not None and self.ctx.project is not None:
            from models.actions.registry import MODEL_SETTING

            analysis = dict(self.ctx.project.get_setting("analysis", {}) or {})
            analysis[MODEL_SETTING] = str(Path(result.path).resolve())
            self.ctx.project.set_setting("analysis", analysis)
            acc = ((result.card.get("validation") or {}).get("window_level") or {}).get("accuracy")
            message += f"; validation accuracy {acc}; re-run the actions stage to use it"
            self.bar.setValue(1000)
        self.status.setText(message)
        self._show_model()

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        self._set_key_capture(False)
        self._worker.cancel()
        self._worker.wait(5)
        super().closeEvent(event)


def main(argv: list[str] | None = None) -> int:
    import sys

    from app.review.context import ReviewContext
    from core.store.project import Project

    args = sys.argv[1:] if argv is None else argv
    app = QApplication.instance() or QApplication(sys.argv[:1])
    ctx = ReviewContext()
    if args:
        ctx.set_project(Project(args[0], create=False))
    w = ActionPanel(ctx)
    w.show()
    return int(app.exec())


if __name__ == "__main__":
    raise SystemExit(main())
