"""QA view for vertical reframes: crop window over the video, vertical preview, per-shot controls.

:class:`ReframePanel` (a side panel) lists the crop track's shots for an aspect, switches each
shot's camera mode, approves or rejects it, picks the person to follow and clears pins; it shows
the reframed picture side by side with the source. :class:`CropOverlay` draws the crop window
over the player (outside dimmed, pins marked); dragging the window at the playhead pins a
keyframe there and re-solves the shot's path, as one undoable edit (``core.edit.ops.SetAttrs``).
Clicking a person box without dragging follows that person. Planning runs on a worker thread;
everything else is GUI-thread only.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton,
                               QSizePolicy, QVBoxLayout, QWidget)

from app.player.pose_overlay import PoseOverlay
from app.review.names import person_summary
from core.export.clip import Overlay
from core.errors import ClipDeskError
from core.reframe.aspect import Rect
from core.reframe.path import CropPath
from core.reframe.plan import add_pin, crop_segments, plan_video, resolve
from core.reframe.solver import MODES
from core.segments import ACCEPTED, REJECTED, Segment

log = logging.getLogger(__name__)

ASPECT_CHOICES = ("9:16", "4:5", "1:1")
_DRAG_START_PX = 4


class _Worker(QObject):
    done = Signal(object)  # error message or None


class PreviewWidget(QWidget):
    """The reframed picture: the crop of the frame the player shows, scaled to fit."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.source_rect = QRectF()
        self.board_rect = QRectF()  # scoreboard box in image pixels, re-placed at the top
        self.aspect = 9 / 16
        self.setMinimumSize(120, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def show_crop(self, image: QImage | None, source_rect: QRectF, aspect: float,
                  board_rect: QRectF | None = None) -> None:
        self.image, self.source_rect, self.aspect = image, source_rect, aspect
        self.board_rect = board_rect or QRectF()
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(12, 12, 14))
        h = float(self.height())
        w = h * self.aspect
        if w > self.width():
            w = float(self.width())
            h = w / self.aspect
        box = QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)
        if self.image is None or self.source_rect.isEmpty():
            p.setPen(QColor(150, 150, 160))
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, "no preview")
            return
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.drawImage(box, self.image, self.source_rect)
        b = self.board_rect
        if not b.isEmpty():  # the same placement the export uses
            x, y, w, h = Overlay((0, 0, max(1, int(b.width())), max(1, int(b.height())))).placement(
                int(box.width()), int(box.height()))
            p.drawImage(QRectF(box.x() + x, box.y() + y, w, h), self.image, b)
        p.setPen(QPen(QColor(255, 200, 60), 1))
        p.drawRect(box.adjusted(0, 0, -1, -1))


class CropOverlay(QObject):
    """Draws the crop window over the video and turns drags into pins (see module docstring)."""

    name = "reframe"

    def __init__(self, panel: "ReframePanel") -> None:
        super().__init__(panel)
        self.panel = panel
        self._views: set[int] = set()
        self._target = QRectF()
        self._source = (1, 1)
        self._press: QPointF | None = None
        self._grab: tuple[float, float] | None = None  # source offset of the press inside the window
        self.drag_center: tuple[float, float] | None = None
        self.drawing_box = False  # the next drag draws the scoreboard box instead of moving the window
        self.box_drag: tuple[int, int, int, int] | None = None

    # -- drawing -----------------------------------------------------------------------------
    def paint(self, painter: QPainter, frame: int, target: QRectF, source_size: tuple[int, int]) -> None:
        dev = painter.device()
        if isinstance(dev, QWidget) and id(dev) not in self._views:
            dev.installEventFilter(self)
            dev.setMouseTracking(False)
            self._views.add(id(dev))
        self._target, self._source = QRectF(target), source_size
        rect = self.panel.rect_at(frame)
        if rect is None:
            return
        if self.drag_center is not None:
            rect = self._centered(rect, *self.drag_center)
        win = self._to_screen(rect)
        shade = QColor(0, 0, 0, 120)
        painter.fillRect(QRectF(target.left(), target.top(), win.left() - target.left(), target.height()), shade)
        painter.fillRect(QRectF(win.right(), target.top(), target.right() - win.right(), target.height()), shade)
        painter.fillRect(QRectF(win.left(), target.top(), win.width(), win.top() - target.top()), shade)
        painter.fillRect(QRectF(win.left(), win.bottom(), win.width(), target.bottom() - win.bottom()), shade)
        painter.setPen(QPen(QColor(255, 200, 60), 2))
        painter.drawRect(win)
        seg = self.panel.segment_at(frame)
        if seg is not None:
            painter.setPen(QPen(QColor(80, 220, 255), 2))
            for p in seg.attrs.get("pins", []):
                if int(p[0]) == frame:
                    c = self._point(p[1], p[2])
                    painter.drawEllipse(c, 6, 6)
        box = self.box_drag or self.panel.board_box_at(frame)
        if box is not None:
            pen = QPen(QColor(80, 220, 255), 2)
            pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.drawRect(self._to_screen(box))
        image = getattr(dev, "image", None)
        self.panel.update_preview(image if isinstance(image, QImage) else None, rect, source_size, box)

    def _point(self, x: float, y: float) -> QPointF:
        sw, sh = self._source
        t = self._target
        return QPointF(t.x() + x * t.width() / sw, t.y() + y * t.height() / sh)

    def _to_screen(self, r: tuple[int, int, int, int]) -> QRectF:
        tl = self._point(r[0], r[1])
        br = self._point(r[0] + r[2], r[1] + r[3])
        return QRectF(tl, br)

    def _to_source(self, pos: QPointF) -> tuple[float, float]:
        sw, sh = self._source
        t = self._target
        if t.width() <= 0 or t.height() <= 0:
            return 0.0, 0.0
        return (pos.x() - t.x()) * sw / t.width(), (pos.y() - t.y()) * sh / t.height()

    @staticmethod
    def _centered(r: tuple[int, int, int, int], cx: float, cy: float) -> tuple[int, int, int, int]:
        return int(cx - r[2] / 2), int(cy - r[3] / 2), r[2], r[3]

    # -- interaction -------------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        et = event.type()
        if et not in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.MouseButtonRelease):
            return False
        if not isinstance(event, QMouseEvent) or self not in self.panel.ctx.overlays:
            return False  # the panel is closed: leave the video's mouse alone
        pos = event.position()
        frame = self.panel.ctx.playhead
        if self.drawing_box:
            return self._draw_box(obj, et, pos)
        if et == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            rect = self.panel.rect_at(frame)
            if rect is None or not self._target.contains(pos):
                return False
            self._press = QPointF(pos)
            sx, sy = self._to_source(pos)
            self._grab = (sx - (rect[0] + rect[2] / 2), sy - (rect[1] + rect[3] / 2))
            return True
        if self._press is None:
            return False
        if et == QEvent.Type.MouseMove:
            if (pos - self._press).manhattanLength() >= _DRAG_START_PX and self._grab is not None:
                sx, sy = self._to_source(pos)
                self.drag_center = (sx - self._grab[0], sy - self._grab[1])
                if isinstance(obj, QWidget):
                    obj.update()
            return True
        # release
        press, self._press = self._press, None
        center, self.drag_center = self.drag_center, None
        if center is not None:
            self.panel.pin(frame, center[0], center[1])
        else:
            sx, sy = self._to_source(press)
            self.panel.follow_at(frame, sx, sy)
        if isinstance(obj, QWidget):
            obj.update()
        return True


    def _draw_box(self, obj: QObject, et: QEvent.Type, pos: QPointF) -> bool:
        if et == QEvent.Type.MouseButtonPress:
            if not self._target.contains(pos):
                return False
            self._press = QPointF(pos)
            return True
        if self._press is None:
            return False
        x0, y0 = self._to_source(self._press)
        x1, y1 = self._to_source(pos)
        sw, sh = self._source
        lx, ly = max(0.0, min(x0, x1)), max(0.0, min(y0, y1))
        hx, hy = min(float(sw), max(x0, x1)), min(float(sh), max(y0, y1))
        self.box_drag = (int(lx), int(ly), int(hx - lx), int(hy - ly))
        if et == QEvent.Type.MouseButtonRelease:
            box, self.box_drag, self._press = self.box_drag, None, None
            self.drawing_box = False
            if box[2] >= 8 and box[3] >= 8:
                self.panel.set_scoreboard_box(list(box))
            self.panel.board_btn.setChecked(False)
        if isinstance(obj, QWidget):
            obj.update()
        return True


class ReframePanel(QWidget):
    """Per-shot reframing QA (see module docstring)."""

    title = "Reframe"
    area = "right"

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.aspect = ASPECT_CHOICES[0]
        self._segs: list[Segment] = []
        self._paths: list[CropPath] = []
        self._starts = np.zeros(0, np.int64)
        self._planning = False
        self._worker = _Worker()
        self._worker.done.connect(self._planned)

        self.aspect_box = QComboBox()
        self.aspect_box.addItems(list(ASPECT_CHOICES))
        self.aspect_box.setToolTip("Output aspect of the crop path shown and edited")
        self.aspect_box.currentTextChanged.connect(self.set_aspect)
        self.plan_btn = QPushButton("Plan crops")
        self.plan_btn.setToolTip("Compute the crop path for every shot not yet edited")
        self.plan_btn.clicked.connect(self.plan)
        self.shot_list = QListWidget()
        self.shot_list.itemActivated.connect(self._seek_item)
        self.shot_list.itemClicked.connect(self._seek_item)
        self.mode_box = QComboBox()
        self.mode_box.addItem("auto", None)
        for m in MODES:
            self.mode_box.addItem(m, m)
        self.mode_box.setToolTip("Camera mode of the shot at the playhead")
        self.mode_box.activated.connect(lambda _i: self.set_mode(self.mode_box.currentData()))
        self.approve_btn = QPushButton("Approve")
        self.approve_btn.clicked.connect(lambda: self.set_approved(True))
        self.reject_btn = QPushButton("Reject")
        self.reject_btn.clicked.connect(lambda: self.set_approved(False))
        self.clear_btn = QPushButton("Clear pins")
        self.clear_btn.clicked.connect(self.clear_pins)
        self.person_box = QComboBox()
        self.person_box.setToolTip("Person the camera follows in this shot (or click a box on the video)")
        self.person_box.activated.connect(lambda _i: self.set_follow(self.person_box.currentData()))
        self.board_btn = QPushButton("Scoreboard box")
        self.board_btn.setCheckable(True)
        self.board_btn.setToolTip("Drag on the video to mark the scoreboard: it is re-placed inside the"
                                  " vertical frame instead of being cut off")
        self.board_btn.toggled.connect(self._toggle_board)
        self.board_off_btn = QPushButton("No overlay")
        self.board_off_btn.setToolTip("Do not re-place the scoreboard in this aspect's clips")
        self.board_off_btn.clicked.connect(lambda: self.set_scoreboard_box(None))
        self.preview = PreviewWidget()
        self.status = QLabel("")
        self.status.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(QLabel("Aspect"))
        top.addWidget(self.aspect_box)
        top.addWidget(self.plan_btn)
        board = QHBoxLayout()
        board.addWidget(self.board_btn)
        board.addWidget(self.board_off_btn)
        row = QHBoxLayout()
        row.addWidget(QLabel("Mode"))
        row.addWidget(self.mode_box, 1)
        row.addWidget(QLabel("Follow"))
        row.addWidget(self.person_box, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.approve_btn)
        buttons.addWidget(self.reject_btn)
        buttons.addWidget(self.clear_btn)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.preview, 3)
        lay.addLayout(row)
        lay.addLayout(buttons)
        lay.addLayout(board)
        lay.addWidget(self.shot_list, 2)
        lay.addWidget(self.status)

        self.poses = PoseOverlay(ctx)
        self.overlay = CropOverlay(self)  # registered with the player while the panel is shown
        ctx.projectChanged.connect(self.reload)
        ctx.segmentsChanged.connect(lambda _c: self.reload())
        ctx.timeFormatChanged.connect(lambda _f: self.reload())
        ctx.playheadChanged.connect(self._on_playhead)
        self.reload()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        """Overlays and drag-to-pin are live only while the panel is open."""
        self.ctx.add_overlay(self.poses)
        self.ctx.add_overlay(self.overlay)
        super().showEvent(event)

    def hideEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self.ctx.remove_overlay(self.poses.name)
        self.ctx.remove_overlay(self.overlay.name)
        super().hideEvent(event)

    # -- data --------------------------------------------------------------------------------
    def reload(self) -> None:
        p, v = self.ctx.project, self.ctx.video
        self._segs = crop_segments(p, v.id, self.aspect) if p is not None and v is not None else []
        size = v.info.display_size if v is not None else (1, 1)
        self._paths = [CropPath.from_attrs(s.start_frame, s.end_frame, s.attrs, size) for s in self._segs]
        self._starts = np.array([s.start_frame for s in self._segs], np.int64)
        self.shot_list.clear()
        for i, s in enumerate(self._segs):
            a = s.attrs
            ok = a.get("approved")
            mark = "\u2713" if ok is True else "\u2717" if ok is False else "\u00b7"
            pins = len(a.get("pins", []))
            span = f"{self.ctx.fmt_frame(s.start_frame)}\u2013{self.ctx.fmt_frame(s.end_frame)}"
            item = QListWidgetItem(f"{mark} shot {i + 1}  {span}  {a.get('mode')}"
                                   + (f"  \u25c6{pins}" if pins else ""))
            item.setData(Qt.ItemDataRole.UserRole, s.start_frame)
            self.shot_list.addItem(item)
        if v is not None and not self._segs:
            self.status.setText(f"No {self.aspect} crop path yet: press \u201cPlan crops\u201d.")
        elif self._segs:
            self.status.setText(f"{len(self._segs)} shots; drag the window on the video to pin a keyframe.")
        self.poses.reload()
        self._on_playhead(self.ctx.playhead)

    def segment_at(self, frame: int) -> Segment | None:
        if not len(self._starts):
            return None
        i = int(np.searchsorted(self._starts, frame, side="right")) - 1
        if i < 0 or frame >= self._segs[i].end_frame:
            return None
        return self._segs[i]

    def rect_at(self, frame: int) -> tuple[int, int, int, int] | None:
        seg = self.segment_at(frame)
        if seg is None:
            return None
        path = self._paths[self._segs.index(seg)]
        r = path.rects(np.array([frame]))[0]
        return int(r[0]), int(r[1]), int(r[2]), int(r[3])

    def board_box_at(self, frame: int) -> tuple[int, int, int, int] | None:
        """The scoreboard box re-placed in the shot at ``frame`` (None if off or unknown)."""
        seg = self.segment_at(frame)
        o = seg.attrs.get("overlay") if seg is not None else None
        if isinstance(o, dict) and o.get("box"):
            x, y, w, h = (int(v) for v in o["box"])
            return x, y, w, h
        return None

    def update_preview(self, image: QImage | None, rect: tuple[int, int, int, int],
                       source_size: tuple[int, int], board: tuple[int, int, int, int] | None = None) -> None:
        if image is None:
            self.preview.show_crop(None, QRectF(), rect[2] / max(1, rect[3]))
            return
        s = image.width() / max(1, source_size[0])
        b = QRectF(board[0] * s, board[1] * s, board[2] * s, board[3] * s) if board else None
        self.preview.show_crop(image, QRectF(rect[0] * s, rect[1] * s, rect[2] * s, rect[3] * s),
                               rect[2] / max(1, rect[3]), b)

    # -- view sync ---------------------------------------------------------------------------
    def _on_playhead(self, frame: int) -> None:
        seg = self.segment_at(frame)
        for w in (self.mode_box, self.approve_btn, self.reject_btn, self.clear_btn, self.person_box):
            w.setEnabled(seg is not None)
        if seg is None:
            return
        row = self._segs.index(seg)
        if self.shot_list.currentRow() != row:
            self.shot_list.setCurrentRow(row)
        idx = self.mode_box.findData(seg.attrs.get("mode"))
        self.mode_box.setCurrentIndex(max(0, idx))
        self.person_box.clear()
        self.person_box.addItem("auto", None)
        a = self.poses.table.array
        inside = a[(a[:, 0] >= seg.start_frame) & (a[:, 0] < seg.end_frame)] if len(a) else a
        size = self.ctx.video.info.display_size if self.ctx.video is not None else (1, 1)
        tids = sorted({int(t) for t in inside[:, 1]}) if len(inside) else []
        # most present first: the person a viewer would follow is at the top
        tids.sort(key=lambda t: -int((inside[:, 1] == t).sum()))
        for tid in tids:
            role = self.poses.role_text(tid)  # "#3 player A – 82 % of frames, ..."
            text = person_summary(inside, tid, size)
            self.person_box.addItem(text.replace(f"#{tid}", f"#{tid} {role}", 1) if role else text, tid)
        follow = seg.attrs.get("follow")
        self.person_box.setCurrentIndex(max(0, self.person_box.findData(follow)) if follow is not None else 0)
        self.poses.followed = follow if follow is not None else seg.attrs.get("subject")

    def _seek_item(self, item: QListWidgetItem) -> None:
        self.ctx.seek(int(item.data(Qt.ItemDataRole.UserRole)))

    def set_aspect(self, aspect: str) -> None:
        self.aspect = aspect
        self.reload()

    # -- edits -------------------------------------------------------------------------------
    def _apply(self, seg: Segment, attrs: dict[str, Any], status: str | None = None) -> None:
        from core.edit.ops import Batch, SetAttrs, SetStatus

        edit: Any = SetAttrs(seg.id or 0, attrs)
        if status is not None:
            edit = Batch("Reject crop" if status == REJECTED else "Approve crop",
                         [edit, SetStatus([seg.id or 0], status)])
        try:
            self.ctx.apply(edit)
        except ClipDeskError as e:
            self.status.setText(str(e))

    def _resolve(self, seg: Segment, **changes: Any) -> dict[str, Any]:
        return resolve(self.ctx.project, self.ctx.video.id, seg, **changes)

    def pin(self, frame: int, cx: float, cy: float) -> None:
        """Pin the crop centre at ``frame`` and re-solve the shot (undoable)."""
        seg = self.segment_at(frame)
        if seg is None:
            return
        c = seg.attrs.get("content")
        if c:  # keep the pin where the window can actually be
            b = Rect(*c)
            r = self.rect_at(frame) or (0, 0, b.w, b.h)
            cx = float(np.clip(cx, b.x + r[2] / 2, b.x + b.w - r[2] / 2))
            cy = float(np.clip(cy, b.y + r[3] / 2, b.y + b.h - r[3] / 2))
        pins = add_pin(seg.attrs.get("pins", []), frame, cx, cy)
        mode = seg.attrs.get("mode")
        if mode == "static" and len(pins) > 1:
            mode = "tracking"  # several pins describe a moving camera
        self._apply(seg, self._resolve(seg, pins=pins, mode=mode))

    def clear_pins(self) -> None:
        seg = self.segment_at(self.ctx.playhead)
        if seg is not None and seg.attrs.get("pins"):
            self._apply(seg, self._resolve(seg, pins=[]))

    def set_mode(self, mode: str | None) -> None:
        seg = self.segment_at(self.ctx.playhead)
        if seg is None:
            return
        attrs = self._resolve(seg, mode=mode or seg.attrs.get("auto_mode") or "tracking")
        self._apply(seg, attrs)

    def set_follow(self, track: int | None) -> None:
        """Follow ``track`` in the shot at the playhead (``None``: back to the automatic choice)."""
        seg = self.segment_at(self.ctx.playhead)
        if seg is None:
            return
        base = seg if track is not None else seg.with_(attrs={**seg.attrs, "follow": None})
        self._apply(seg, self._resolve(base, follow=track))

    def follow_at(self, frame: int, x: float, y: float) -> None:
        """A click on the video: follow the person under it, if any."""
        track = self.poses.person_at(frame, x, y)
        if track is not None:
            self.set_follow(track)

    def _toggle_board(self, on: bool) -> None:
        self.overlay.drawing_box = on
        if on:
            self.status.setText("Drag a box around the scoreboard on the video.")

    def set_scoreboard_box(self, box: list[int] | None) -> None:
        """Re-place ``box`` (source pixels) in every shot of this aspect; ``None`` turns it off.
        One undoable step; the box also becomes the default for shots planned later."""
        from core.edit.ops import Batch, SetAttrs

        p = self.ctx.project
        if p is None or not self._segs:
            return
        value: Any = {"box": [int(v) for v in box], "place": "top"} if box else False
        if box:
            settings = dict(p.get_setting("reframe", {}) or {})
            settings["scoreboard_box"] = value["box"]
            p.set_setting("reframe", settings)
        edits = [SetAttrs(s.id or 0, {"overlay": value}) for s in self._segs]
        try:
            self.ctx.apply(Batch("Scoreboard overlay" if box else "No scoreboard overlay", edits))
        except ClipDeskError as e:
            self.status.setText(str(e))

    def set_approved(self, ok: bool) -> None:
        seg = self.segment_at(self.ctx.playhead)
        if seg is not None:
            self._apply(seg, {"approved": ok}, ACCEPTED if ok else REJECTED)

    # -- planning ----------------------------------------------------------------------------
    def plan(self) -> None:
        """Plan the crop path for the current aspect on a worker thread."""
        p, v = self.ctx.project, self.ctx.video
        if p is None or v is None or self._planning:
            return
        self._planning = True
        self.plan_btn.setEnabled(False)
        self.status.setText("Planning crops\u2026")
        aspect = self.aspect

        def work() -> None:
            try:
                plan_video(p, v.id, aspect)
                self._worker.done.emit(None)
            except Exception as e:  # noqa: BLE001 - reported in the panel, never a crash
                log.warning("reframe planning failed: %s", e)
                self._worker.done.emit(str(e))

        threading.Thread(target=work, name="reframe-plan", daemon=True).start()

    def _planned(self, error: object) -> None:
        self._planning = False
        self.plan_btn.setEnabled(True)
        self.ctx.segmentsChanged.emit(None)
        if error:
            self.status.setText(f"Planning failed: {error}")


def main(argv: list[str] | None = None) -> int:
    """``python -m app.panels.reframe PROJECT``: the player and this panel side by side."""
    import sys

    from PySide6.QtWidgets import QApplication, QSplitter

    from app.review.context import ReviewContext
    from app.player.widget import PlayerWidget
    from core.store.project import Project

    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m app.panels.reframe PROJECT.clipdesk", file=sys.stderr)
        return 2
    app = QApplication.instance() or QApplication(sys.argv[:1])
    ctx = ReviewContext()
    split = QSplitter()
    split.addWidget(PlayerWidget(ctx))
    split.addWidget(ReframePanel(ctx))
    split.resize(1400, 800)
    split.show()
    with Project(args[0], create=False) as project:
        ctx.set_project(project)
        ctx.seek(0)
        return int(app.exec())


if __name__ == "__main__":
    raise SystemExit(main())
