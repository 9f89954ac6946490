"""Edit > Settings...: one place for what an editor sets up once.

* **Time format** (user): timecode (drop-frame aware), seconds or frames, everywhere.
* **Export folder** (user): where the Export panel writes; empty = ``<project> exports`` beside
  the project.
* **Label keys** (project, ``labels.<track>``): the labels keys 1-9 apply on each track, in order.
* **Reaction lag** (project, ``action_reaction_lag_ms``): how far labelling-while-playing moves
  both edges back to make up for the reaction time.
* **Models** (project ``analysis`` settings, used by the next analysis): the shot refiner
  (``shots.refiner``: the CPU student, TransNetV2 or the fast pass alone) and its threshold, and
  the action model (``action_model``, a name from ``clipdesk models``/Actions panel or empty for
  the default). Model *files* still pass the trust check before any analysis uses them.

:meth:`SettingsDialog.apply` stores the values (OK calls it). GUI thread.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog,
                               QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QSpinBox, QVBoxLayout, QWidget)

from app.review import commands as cmd
from app.review.timefmt import FORMATS, LABELS

LABEL_TRACKS = ("action", "highlight", "event", "shot", "scene")
LAG_SETTING = "action_reaction_lag_ms"  # the Actions panel's setting (app.panels.actions)
REFINERS = (("student", "Shot student (fast, CPU default)"), ("transnetv2", "TransNetV2 (slower)"),
            ("none", "Fast pass alone (no network)"))


class SettingsDialog(QDialog):
    def __init__(self, win: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent or win)
        self.win = win
        self.setWindowTitle("ClipDesk settings")
        ctx, st = win.ctx, win.settings
        project = ctx.project
        lay = QVBoxLayout(self)

        gen = QGroupBox("Display and export (you)")
        f = QFormLayout(gen)
        self.time_format = QComboBox()
        for fmt in FORMATS:
            self.time_format.addItem(LABELS[fmt], fmt)
        self.time_format.setCurrentIndex(FORMATS.index(ctx.time_format))
        f.addRow("Time format", self.time_format)
        self.export_folder = QLineEdit(str(st.value("export_folder", "") or ""))
        self.export_folder.setPlaceholderText("<project name> exports, beside the project")
        browse = QPushButton("\u2026")
        browse.setToolTip("Choose the export folder")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.export_folder, 1)
        row.addWidget(browse)
        f.addRow("Export folder", row)
        lay.addWidget(gen)

        proj = QGroupBox("This project" + (f" ({project.path.name})" if project is not None else
                                           " (open one to change these)"))
        proj.setEnabled(project is not None)
        g = QFormLayout(proj)
        self.labels: dict[str, QLineEdit] = {}
        for track in LABEL_TRACKS:
            e = QLineEdit()
            stored = project.get_setting(f"labels.{track}") if project is not None else None
            if isinstance(stored, list):
                e.setText(", ".join(str(x) for x in stored))
            e.setPlaceholderText(", ".join(cmd.labels_for(ctx, track)) if project is not None else "")
            e.setToolTip(f"Labels keys 1-9 apply on the {track} track, comma-separated, in order")
            self.labels[track] = e
            g.addRow(f"Label keys: {track}", e)
        self.lag = QSpinBox()
        self.lag.setRange(0, 2000)
        self.lag.setSingleStep(50)
        self.lag.setSuffix(" ms")
        self.lag.setValue(int(project.get_setting(LAG_SETTING, 300)) if project is not None else 300)
        self.lag.setToolTip("Labelling while playing: both edges move back by this much")
        g.addRow("Reaction lag", self.lag)
        analysis = dict(project.get_setting("analysis", {}) or {}) if project is not None else {}
        self.refiner = QComboBox()
        for key, text in REFINERS:
            self.refiner.addItem(text, key)
        cur = str(analysis.get("shots.refiner", "student"))
        self.refiner.setCurrentIndex(max(0, [k for k, _ in REFINERS].index(cur)
                                         if cur in [k for k, _ in REFINERS] else 0))
        g.addRow("Shot model", self.refiner)
        self.shot_threshold = QDoubleSpinBox()
        self.shot_threshold.setRange(0.05, 0.95)
        self.shot_threshold.setSingleStep(0.05)
        self.shot_threshold.setValue(float(analysis.get("shots.threshold", 0.5)))
        self.shot_threshold.setToolTip("Probability above which the shot model calls a boundary "
                                       "(the signal lane's threshold line changes it per video)")
        g.addRow("Shot threshold", self.shot_threshold)
        self.action_model = QLineEdit(str(analysis.get("action_model", "") or ""))
        self.action_model.setPlaceholderText("default (the bundled starter model)")
        g.addRow("Action model", self.action_model)
        note = QLabel("Model choices apply to the next analysis (File \u25b8 Analyze, Ctrl+R).")
        note.setStyleSheet("color: #82868e;")
        g.addRow("", note)
        lay.addWidget(proj)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._ok)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def _browse(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Export folder", self.export_folder.text())
        if d:
            self.export_folder.setText(d)

    def _ok(self) -> None:
        self.apply()
        self.accept()

    def apply(self) -> None:
        """Store every value (user settings in the config file, the rest in the project)."""
        win = self.win
        win.set_time_format(str(self.time_format.currentData()))
        win.settings.set_value("export_folder", self.export_folder.text().strip())
        win.settings.qs.sync()
        project = win.ctx.project
        if project is None:
            return
        for track, e in self.labels.items():
            labels = [x.strip() for x in e.text().split(",") if x.strip()][:9]
            key = f"labels.{track}"
            if labels:
                project.set_setting(key, labels)
            elif project.get_setting(key) is not None:
                project.set_setting(key, [])
        project.set_setting(LAG_SETTING, int(self.lag.value()))
        analysis = dict(project.get_setting("analysis", {}) or {})
        analysis["shots.refiner"] = str(self.refiner.currentData())
        analysis["shots.threshold"] = round(float(self.shot_threshold.value()), 3)
        model = self.action_model.text().strip()
        if model:
            analysis["action_model"] = model
        else:
            analysis.pop("action_model", None)
        project.set_setting("analysis", analysis)
        win.ctx.reload()  # panels re-read project settings (lag, labels)
