"""Transport icons drawn with QPainter: play (a triangle) and pause (two bars).

Drawn, not font glyphs: "\u23f8" is missing from many fonts and rendered as an empty box.
GUI thread only (QPixmap).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap, QPolygonF

PLAY, PAUSE = "play", "pause"
ICON_PX = 32


def transport_pixmap(kind: str, size: int = ICON_PX, color: QColor | None = None) -> QPixmap:
    """A ``size`` square pixmap, transparent around the shape."""
    pm = QPixmap(size, size)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color or QColor(235, 235, 240))
    m = size * 0.2
    if kind == PAUSE:
        bar = size * 0.2
        p.drawRect(QRectF(m, m, bar, size - 2 * m))
        p.drawRect(QRectF(size - m - bar, m, bar, size - 2 * m))
    else:
        p.drawPolygon(QPolygonF([QPointF(m * 1.25, m), QPointF(size - m, size / 2),
                                 QPointF(m * 1.25, size - m)]))
    p.end()
    return pm


def transport_icon(kind: str, color: QColor | None = None) -> QIcon:
    """The icon in ``color`` (pass the button's text colour: it must show on its background)."""
    return QIcon(transport_pixmap(kind, color=color))


__all__ = ["PAUSE", "PLAY", "transport_icon", "transport_pixmap"]
