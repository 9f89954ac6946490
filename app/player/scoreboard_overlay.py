"""Overlay drawing the scoreboard's box and its current reading over the video.

Reads the ``scoreboard`` segments of the context's video (cached; refreshed when the project or
the segments change) and, for the frame being painted, outlines ``attrs["box"]`` (source pixels)
and writes the reading (score, clock, teams) beside it. GUI thread only.
"""

from __future__ import annotations

import bisect
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen

from core.segments import SCOREBOARD, Segment


def reading_text(seg: Segment) -> str:
    a = seg.attrs or {}
    parts = [p for p in (a.get("home"), seg.label, a.get("away")) if p]
    if a.get("clock"):
        parts.append(str(a["clock"]))
    return "  ".join(str(p) for p in parts)


class ScoreboardOverlay:
    name = "scoreboard"

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.enabled = True
        self._segs: list[Segment] | None = None
        self._starts: list[int] = []
        for sig in ("projectChanged", "segmentsChanged"):
            s = getattr(ctx, sig, None)
            if s is not None:
                s.connect(self.invalidate)

    def invalidate(self, *args: object) -> None:
        self._segs = None

    def _segments(self) -> list[Segment]:
        if self._segs is None:
            segs = sorted(self.ctx.segments(SCOREBOARD), key=lambda s: s.start_frame) \
                if getattr(self.ctx, "video", None) is not None else []
            self._segs = [s for s in segs if s.status != "rejected"]
            self._starts = [s.start_frame for s in self._segs]
        return self._segs

    def segment_at(self, frame: int) -> Segment | None:
        segs = self._segments()
        i = bisect.bisect_right(self._starts, frame) - 1
        if i >= 0 and segs[i].contains(frame):
            return segs[i]
        return None

    def paint(self, painter: QPainter, frame: int, target: QRectF,
              source_size: tuple[int, int]) -> None:
        if not self.enabled:
            return
        seg = self.segment_at(frame)
        if seg is None:
            return
        box = (seg.attrs or {}).get("box")
        sw, sh = source_size
        if not box or sw <= 0 or sh <= 0:
            return
        fx, fy = target.width() / sw, target.height() / sh
        x, y, w, h = (float(v) for v in box)
        r = QRectF(target.left() + x * fx, target.top() + y * fy, w * fx, h * fy)
        painter.save()
        pen = QPen(QColor(255, 200, 0), 2)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(r)
        text = reading_text(seg)
        font = QFont(painter.font())
        font.setPointSizeF(max(8.0, min(14.0, r.height() * 0.3)))
        painter.setFont(font)
        metrics = painter.fontMetrics()
        tw, th = metrics.horizontalAdvance(text) + 8, metrics.height() + 4
        below = r.bottom() + th <= target.bottom()
        ty = r.bottom() + 2 if below else r.top() - th - 2
        bg = QRectF(r.left(), ty, tw, th)
        painter.fillRect(bg, QColor(0, 0, 0, 170))
        painter.setPen(QColor(255, 220, 60))
        painter.drawText(QPointF(bg.left() + 4, bg.top() + metrics.ascent() + 2), text)
        painter.restore()


__all__ = ["ScoreboardOverlay", "reading_text"]
