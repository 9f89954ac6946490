"""Keyboard shortcut table and the help overlay that lists it (? or F1). GUI thread only."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QKeyEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

# (section, keys, what) - the window binds these and the overlay shows them.
SHORTCUTS: list[tuple[str, str, str]] = [
    ("Playback", "Space", "Play / pause"),
    ("Playback", "J / K / L", "Shuttle back / stop / forward (press again: faster)"),
    ("Playback", "\u2190 / \u2192  or  , / .", "One frame back / forward"),
    ("Playback", "Shift+\u2190 / Shift+\u2192", "One second back / forward"),
    ("Playback", "\u2191 / \u2193", "Previous / next shot boundary"),
    ("Playback", "Home / End", "First / last frame"),
    ("Playback", "I / O", "Set in / out mark"),
    ("Playback", "[ / ]", "Slower / faster playback speed"),
    ("Edit", "S", "Split the selected segment at the playhead"),
    ("Edit", "Shift+click", "Add a segment of the same track to the selection"),
    ("Edit", "M", "Merge the selection (or the selected segment with the next one)"),
    ("Edit", "Del", "Delete the selected segments"),
    ("Edit", "A", "Add a segment from the in/out marks (the selected track, else a highlight)"),
    ("Edit", "R", "Relabel from the picker"),
    ("Edit", "1 \u2026 9", "Apply label 1\u20269 of the track's label list"),
    ("Edit", "Enter / Backspace", "Accept / reject the suggestion"),
    ("Edit", "Ctrl+Z / Ctrl+Shift+Z", "Undo / redo"),
    ("Edit", "Drag an edge", "Move a boundary (snaps; hold Alt to disable snapping)"),
    ("Navigate", "Ctrl+\u2190 / Ctrl+\u2192", "Previous / next segment on the selected track"),
    ("Navigate", "N / Shift+N", "Next / previous unreviewed suggestion"),
    ("Navigate", "Ctrl+wheel, + / -", "Zoom the timeline"),
    ("Navigate", "Shift+Z", "Fit the whole video in the timeline"),
    ("Navigate", "Click a ruler tick", "Seek to a marker (search hit)"),
    ("View", "Ctrl+E", "Export clip: in/out or selection, MP4 / reframed / GIF / still, queued"),
    ("View", "? / F1", "Show / hide this help"),
]


class HelpOverlay(QWidget):
    """A translucent sheet over the window listing every shortcut; any key or click closes it."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, False)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.hide()
        parent.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        parent = self.parentWidget()
        if parent is not None and obj is parent and event.type() == QEvent.Type.Resize:
            self.setGeometry(parent.rect())
        return False

    def toggle(self) -> None:
        if self.isVisible():
            self.hide()
        else:
            parent = self.parentWidget()
            if parent is not None:
                self.setGeometry(parent.rect())
            self.raise_()
            self.show()
            self.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        self.hide()

    def mousePressEvent(self, event: object) -> None:  # noqa: N802
        self.hide()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(10, 10, 14, 215))
        f = QFont(self.font())
        f.setPointSizeF(11)
        p.setFont(f)
        lh = 22
        box_w = min(760, self.width() - 40)
        box_h = (len(SHORTCUTS) + 5) * lh
        x0 = (self.width() - box_w) / 2
        y = max(20.0, (self.height() - box_h) / 2)
        p.setPen(QColor(255, 255, 255))
        bold = QFont(f)
        bold.setBold(True)
        bold.setPointSizeF(14)
        p.setFont(bold)
        p.drawText(QRectF(x0, y, box_w, lh + 6), Qt.AlignmentFlag.AlignLeft, "Keyboard shortcuts")
        y += lh + 12
        section = ""
        for sec, keys, what in SHORTCUTS:
            if sec != section:
                section = sec
                p.setFont(bold)
                p.setPen(QColor(240, 190, 90))
                p.drawText(QRectF(x0, y, box_w, lh), Qt.AlignmentFlag.AlignLeft, sec)
                y += lh
            p.setFont(f)
            p.setPen(QColor(140, 200, 255))
            p.drawText(QRectF(x0 + 12, y, 220, lh), Qt.AlignmentFlag.AlignLeft, keys)
            p.setPen(QColor(225, 225, 230))
            p.drawText(QRectF(x0 + 240, y, box_w - 240, lh), Qt.AlignmentFlag.AlignLeft, what)
            y += lh
        p.setPen(QColor(150, 150, 160))
        p.drawText(QRectF(x0, y + 8, box_w, lh), Qt.AlignmentFlag.AlignLeft,
                   "Press any key to close")
