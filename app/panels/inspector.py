"""Inspector: everything about the selected segment, its review actions and correction history.

Shows times in the window's time format and as frames (start, end, duration), label (editable: Enter relabels),
a highlight's title (proposed from what was found, editable: Enter keeps it; exports carry it),
confidence, source, status with Accept/Reject, attributes as readable lines (the "why" first, its
numbers from the current bounds; the raw JSON behind "Raw") and the label history as sentences.
While an edge is dragged on the timeline it shows the dragged bounds live. Every change is a
``core.edit.ops`` edit through the context. GUI thread only.
"""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from app.review.context import ReviewContext
from app.review.names import attr_lines, display_label, history_lines
from core import segments as sg
from core.segments import Segment
from app.review.timefmt import FRAMES


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
        self.raw = QCheckBox("Raw")
        self.raw.setToolTip("Show the attributes as stored (JSON)")
        self.raw.toggled.connect(lambda _on: self._show_attrs(self._shown))
        form.addRow("", self.raw)
        self._shown: Segment | None = None
        self.label_edit = QLineEdit()
        self.label_edit.setPlaceholderText("label (Enter to apply)")
        self.label_edit.returnPressed.connect(self._relabel)
        form.insertRow(3, "Label", self.label_edit)
        self.title_edit = QLineEdit()  # highlights: the title exports carry (clip and file names)
        self.title_edit.setToolTip("The highlight's title: clip names in OTIO/FCPXML, file names and "
                                   "the MP4 title tag. Proposed from what was found; Enter keeps yours, "
                                   "empty + Enter goes back to the proposal.")
        self.title_edit.returnPressed.connect(self._retitle)
        form.insertRow(3, "Title", self.title_edit)
        self.form = form
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
        self.history.setMinimumHeight(40)  # the dock may shrink when a tall panel below needs room
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
        ctx.previewChanged.connect(self._preview)
        ctx.timeFormatChanged.connect(lambda _f: self.show_segment(ctx.selection))
        self.show_segment(None)

    def _preview(self, seg: Segment | None) -> None:
        """A drag in progress: bounds and attributes follow it; None: back to the stored one."""
        sel = self.ctx.selection
        if seg is None:
            self.show_segment(sel)
        elif sel is not None and seg.id == sel.id:
            self._show_fields(seg)

    def show_segment(self, seg: Segment | None) -> None:
        enabled = seg is not None and self.ctx.video is not None
        for w in (self.label_edit, self.accept_btn, self.reject_btn):
            w.setEnabled(enabled)
        is_hl = enabled and seg is not None and seg.track == sg.HIGHLIGHT
        self.form.setRowVisible(self.title_edit, is_hl)
        if is_hl and seg is not None:
            self._show_title(seg)
        self.history.clear()
        self.error.setText("")
        if seg is None or self.ctx.video is None:
            self.heading.setText("No segment selected")
            for lab in self.fields.values():
                lab.setText("-")
            self._shown = None
            self.label_edit.setText("")
            return
        self._show_fields(seg)
        self.label_edit.setText(seg.label or "")
        if self.ctx.project is not None and seg.id is not None:
            for h in history_lines(self.ctx.project.history(seg.id), self.ctx.clock, seg,
                                   self.ctx.fmt_frame):
                item = QTreeWidgetItem([h["at"], h["who"], h["change"]])
                item.setToolTip(2, h["change"])
                self.history.addTopLevelItem(item)
            for i in range(3):
                self.history.resizeColumnToContents(i)

    def _show_fields(self, seg: Segment) -> None:
        assert self.ctx.video is not None
        clock = self.ctx.clock
        name = display_label(seg, 0, clock) if seg.track == sg.HIGHLIGHT else ""
        self.heading.setText(f"{seg.track} #{seg.id}" + (f": {name}" if name else ""))

        def t(f: int) -> str:  # the chosen format first; the frame always, for reference
            return self.ctx.fmt_frame(f) + ("" if self.ctx.time_format == FRAMES else f"  (frame {f})")

        self.fields["Start"].setText(t(seg.start_frame))
        self.fields["End"].setText(t(seg.end_frame))
        length = self.ctx.fmt_length(seg.start_frame, seg.end_frame)
        extra = "" if self.ctx.time_format == FRAMES else f"  ({seg.length} frames)"
        self.fields["Duration"].setText(length + extra)
        self.fields["Confidence"].setText("-" if seg.confidence is None else f"{seg.confidence:.3f}")
        self.fields["Source"].setText(seg.source)
        self.fields["Status"].setText(seg.status)
        self._show_attrs(seg)

    def _show_attrs(self, seg: Segment | None) -> None:
        self._shown = seg
        lab = self.fields["Attributes"]
        if seg is None or not seg.attrs:
            lab.setText("-")
        elif self.raw.isChecked():
            lab.setText(json.dumps(seg.attrs, sort_keys=True, indent=1))
        else:
            lines = attr_lines(seg, self.ctx.clock, self.ctx.fmt_frame)
            lab.setText("\n".join(f"\u2022 {x}" for x in lines) or "-")

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

    def proposed_title(self, seg: Segment) -> str:
        from core.highlights.titles import propose_title

        return propose_title(seg, self.ctx.segments(), self.ctx.clock)

    def _show_title(self, seg: Segment) -> None:
        typed = (seg.attrs or {}).get("title")
        self.title_edit.setPlaceholderText(self.proposed_title(seg))
        self.title_edit.setText(typed if isinstance(typed, str) else "")

    def _retitle(self) -> None:
        """Enter in Title: store the typed title (one undoable edit); empty: back to the proposal."""
        from core.edit.ops import SetAttrs

        seg = self.ctx.selection
        if seg is None or seg.id is None or seg.track != sg.HIGHLIGHT:
            return
        text = " ".join(self.title_edit.text().split()) or None
        if text != (seg.attrs or {}).get("title"):
            edit = SetAttrs(seg.id, {"title": text})
            edit.text = "Change title"
            self._apply(edit)

    def _status(self, status: str) -> None:
        from core.edit.ops import SetStatus

        seg = self.ctx.selection
        if seg is not None and seg.id is not None:
            self._apply(SetStatus([seg.id], status))
