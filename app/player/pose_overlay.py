"""Overlay drawing tracked persons over the video: boxes, COCO skeletons, track ids and roles.

:class:`PoseOverlay` implements the ReviewContext overlay protocol (``name``, ``paint``). It
caches the video's pose table (reloaded when the project changes), draws poses interpolated at
the shown frame, highlights the followed person, and answers :meth:`person_at` so a click on a
box can pick "follow this person" (the reframe panel wires the click). GUI thread only.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from core.persons.poses import COCO_SKELETON, Pose, PoseTable, load_poses
from core.persons.roles import load_roles, role_label

_KPT_MIN_CONF = 0.3


def _color(track_id: int) -> QColor:
    return QColor.fromHsv((track_id * 67) % 360, 200, 255)


class PoseOverlay:
    """Person boxes, skeletons and ids for the context's current video."""

    name = "poses"

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.visible = True
        self.followed: int | None = None
        self._table = PoseTable(None)
        self._roles: dict[int, dict[str, Any]] = {}
        self._video_id: int | None = None
        ctx.projectChanged.connect(self.reload)
        self.reload()

    def reload(self) -> None:
        v = self.ctx.video
        if self.ctx.project is None or v is None:
            self._table, self._video_id, self._roles = PoseTable(None), None, {}
            return
        self._table = load_poses(self.ctx.project, v.id)
        self._roles = load_roles(self.ctx.project, v.id)
        self._video_id = v.id

    def role_text(self, track_id: int) -> str:
        """The track's role for labels: player A, official, other, person; empty for poses analysed
        before roles existed."""
        r = self._roles.get(int(track_id))
        return role_label(r.get("role"), r.get("team")) if r else ""

    @property
    def table(self) -> PoseTable:
        return self._table

    def poses_at(self, frame: int) -> list[Pose]:
        return self._table.interpolated(frame) if len(self._table) else []

    def person_at(self, frame: int, x: float, y: float) -> int | None:
        """Track id of the smallest person box containing source point ``(x, y)``."""
        hits = [(float((p.box[2] - p.box[0]) * (p.box[3] - p.box[1])), p.track_id)
                for p in self.poses_at(frame)
                if p.box[0] <= x <= p.box[2] and p.box[1] <= y <= p.box[3]]
        return min(hits)[1] if hits else None

    def paint(self, painter: QPainter, frame: int, target: QRectF, source_size: tuple[int, int]) -> None:
        if not self.visible or not len(self._table):
            return
        sw, sh = source_size
        if sw <= 0 or sh <= 0:
            return
        sx, sy = target.width() / sw, target.height() / sh

        def pt(x: float, y: float) -> QPointF:
            return QPointF(target.x() + x * sx, target.y() + y * sy)

        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for p in self.poses_at(frame):
            c = _color(p.track_id)
            followed = p.track_id == self.followed
            painter.setPen(QPen(c, 3 if followed else 1.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            tl, br = pt(p.box[0], p.box[1]), pt(p.box[2], p.box[3])
            painter.drawRect(QRectF(tl, br))
            k = p.keypoints
            painter.setPen(QPen(c, 2))
            for a, b in COCO_SKELETON:
                if k[a, 2] >= _KPT_MIN_CONF and k[b, 2] >= _KPT_MIN_CONF:
                    painter.drawLine(pt(k[a, 0], k[a, 1]), pt(k[b, 0], k[b, 1]))
            role = self.role_text(p.track_id)
            label = f"#{p.track_id}" + (f" {role}" if role else "") + (" \u2605" if followed else "")
            painter.fillRect(QRectF(tl.x(), tl.y() - 16, 12 + 8 * len(label), 16), QColor(0, 0, 0, 160))
            painter.setPen(c)
            painter.drawText(QPointF(tl.x() + 3, tl.y() - 4), label)
