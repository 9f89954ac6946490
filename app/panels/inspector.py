"""Inspector: everything about the selected segment, its review actions and correction history.

Shows times as timecode and frame (start, end, duration), label (editable: Enter relabels),
confidence, source, status with Accept/Reject, attributes and the label history from the
project. Every change is a ``core.edit.ops`` edit through the context. GUI thread only.
"""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from app.review.context import ReviewContext
from core import segments as sg
from core.segments import Segment
from core.timebase import timecode


def _short(v: object) -> str:
    s = json.dumps(v) if not isinstance(v, str) else v
    return s if len(s) <= 40 else s[:37] + "..."


class Inspector(QWidget):
    title = "Inspector"
    area = "right"

    def __init__(self, ctx: ReviewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.heading = QLabel("No segment selected")
        self.heading.setStyleSheet("font-weight: bold; font-size: 13px;")
        self.fields: dict[str, QLabel] = {}
        form = QFormLayout()
        for key in ("Start", "End", "Duration", "Confidence", "Source", "Status", "Attributes"):
            lab = QLabel("-")
            lab.setWordWrap(True)
            lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.fields[key] = lab
            form.addRow(key, lab)
        self.label_edit = QLineEdit()
        self.label_edit.setPlaceholderText("label (Enter to apply)")
        self.label_edit.returnPressed.connect(self._relabel)
        form.insertRow(3, "Label", self.label_edit)
        self.accept_btn = QPushButton("Accept")
        self.reject_btn = QPushButton("Reject")
        self.accept_btn.setToolTip("Accept the suggestion (Enter)")
        self.reject_btn.setToolTip("Reject the suggestion (Backspace)")
        self.accept_btn.clicked.connect(lambda: self._status(sg.ACCEPTED))
        self.reject_btn.clicked.connect(lambda: self._status(sg.REJECTED))
        row = QHBoxLayout()
        row.addWidget(self.accept_btn)
        row.addWidget(self.reject_btn)
        self.history = QTreeWidget()
        self.history.setHeaderLabels(["When", "Who", "Change"])
        self.history.setRootIsDecorated(False)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #e0a060;")
        self.error.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(self.heading)
        lay.addLayout(form)
        lay.addLayout(row)
        lay.addWidget(self.error)
        lay.addWidget(QLabel("History of corrections"))
        lay.addWidget(self.history, 1)
        ctx.selectionChanged.connect(self.show_segment)
        ctx.projectChanged.connect(lambda: self.show_segment(ctx.selection))
        self.show_segment(None)

    def show_segment(self, seg: Segment | None) -> None:
        enabled = seg is not None and self.ctx.video is not None
        for w in (self.label_edit, self.accept_btn, self.reject_btn):
            w.setEnabled(enabled)
        self.history.clear()
        self.error.setText("")
        if seg is None or self.ctx.video is None:
            self.heading.setText("No segment selected")
            for lab in self.fields.values():
                lab.setText("-")
            self.label_edit.setText("")
            return
        rate = self.ctx.video.rate
        clock = self.ctx.clock
        self.heading.setText(f"{seg.track} #{seg.id}")

        def t(f: int) -> str:
            secs = clock.time(f) if clock is not None else rate.seconds(f)
            return f"{timecode(f, rate)}  (frame {f}, {secs:.3f} s)"

        self.fields["Start"].setText(t(seg.start_frame))
        self.fields["End"].setText(t(seg.end_frame))
        self.fields["Duration"].setText(f"{timecode(seg.length, rate)}  ({seg.length} frames)")
        self.fields["Confidence"].setText("-" if seg.confidence is None else f"{seg.confidence:.3f}")
        self.fields["Source"].setText(seg.source)
        self.fields["Status"].setText(seg.status)
        self.fields["Attributes"].setText(json.dumps(seg.attrs, sort_keys=True) if seg.attrs else "-")
        self.label_edit.setText(seg.label or "")
        if self.ctx.project is not None and seg.id is not None:
            for h in self.ctx.project.history(seg.id):
                if h["op"] == "update":
                    change = f"{h['field']}: {_short(h['old_value'])} \u2192 {_short(h['new_value'])}"
                else:
                    change = str(h["op"])
                item = QTreeWidgetItem([str(h["at"])[:19].replace("T", " "), str(h["who"]), change])
                item.setToolTip(2, change)
                self.history.addTopLevelItem(item)
            for i in range(3):
                self.history.resizeColumnToContents(i)

    def _apply(self, edit: object) -> None:
        try:
            self.ctx.apply(edit)
        except Exception as e:  # noqa: BLE001 - refused edits are shown, never raised
            self.error.setText(str(e))

    def _relabel(self) -> None:
        from core.edit.ops import Relabel

        seg = self.ctx.selection
        if seg is not None and seg.id is not None:
            text = self.label_edit.text().strip() or None
            if text != seg.label:
                self._apply(Relabel([seg.id], text))

    def _status(self, status: str) -> None:
        from core.edit.ops import SetStatus

        seg = self.ctx.selection
        if seg is not None and seg.id is not None:
            self._apply(SetStatus([seg.id], status))
