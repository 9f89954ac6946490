"""Covers: a filmstrip of the best poster frames for the selected shot or highlight.

Candidates come from ``core.highlights.covers.cover_candidates`` (sharp, well exposed, not inside a
transition, person visible when poses exist), computed on a worker thread. Clicking one stores it
as ``attrs["cover_frame"]`` through a ``SetAttrs`` edit (undoable) and shows it in the player;
"Export cover..." saves the chosen frame at full resolution as an image. GUI thread, except the
candidate search.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QPushButton, QScrollArea,
                               QToolButton, QVBoxLayout, QWidget)

from app.review.context import ReviewContext
from app.player.frame_server import to_qimage
from core import segments as sg
from core.errors import ClipDeskError
from core.segments import Segment

log = logging.getLogger(__name__)

COVER_TRACKS = (sg.SHOT, sg.HIGHLIGHT, sg.SCENE, sg.EVENT, sg.ACTION)


def export_cover(ctx: ReviewContext, frame: int, out: str | Path) -> Path:
    """Decode ``frame`` exactly at full size and save it (format from the suffix)."""
    from core.media.reader import FrameReader

    v, clock = ctx.video, ctx.clock
    if v is None or clock is None or ctx.project is None:
        raise ValueError("no video open")
    src = str(ctx.project.video_file(v.id))  # missing or changed: one line, never another file's frame
    with FrameReader(src, clock, rotation=v.info.rotation) as r:
        img = to_qimage(r.read(frame))
    out = Path(out)
    if not img.save(str(out)):
        raise OSError(f"cannot write {out}")
    return out


class CoversPanel(QWidget):
    title = "Covers"
    area = "right"
    _found = Signal(object)

    def __init__(self, ctx: ReviewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.candidates: list = []
        self._gen = 0
        self.info = QLabel("Select a shot or highlight to see cover candidates")
        self.info.setWordWrap(True)
        self.strip = QWidget()
        self.strip_lay = QHBoxLayout(self.strip)
        self.strip_lay.setContentsMargins(2, 2, 2, 2)
        self.strip_lay.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.strip)
        scroll.setMinimumHeight(130)
        self.export_btn = QPushButton("Export cover\u2026")
        self.export_btn.setEnabled(False)
        self.export_btn.clicked.connect(self._export)
        lay = QVBoxLayout(self)
        lay.addWidget(self.info)
        lay.addWidget(scroll)
        lay.addWidget(self.export_btn)
        lay.addStretch(1)
        self._found.connect(self._show)
        ctx.selectionChanged.connect(self._on_selection)
        self._seg_key: tuple | None = None

    def current_cover(self) -> int | None:
        seg = self.ctx.selection
        if seg is None:
            return None
        f = seg.attrs.get("cover_frame")
        return int(f) if isinstance(f, (int, float)) else None

    def _on_selection(self, seg: Segment | None) -> None:
        self.export_btn.setEnabled(self.current_cover() is not None)
        if seg is None or seg.track not in COVER_TRACKS or self.ctx.video is None:
            self._seg_key = None
            self._clear()
            self.info.setText("Select a shot or highlight to see cover candidates")
            return
        key = (seg.id, seg.start_frame, seg.end_frame)
        if key == self._seg_key:
            self._mark_chosen()
            return
        self._seg_key = key
        self._clear()
        self.info.setText(f"Finding covers for {seg.track} #{seg.id}\u2026")
        self._gen += 1
        self._search(seg, self._gen)

    def _search(self, seg: Segment, gen: int) -> None:
        ctx = self.ctx
        v, clock, project = ctx.video, ctx.clock, ctx.project
        assert v is not None and clock is not None and project is not None
        spans = [(s.start_frame, s.end_frame) for s in project.segments(v.id, sg.TRANSITION)]
        poses = None
        try:
            from core.persons.poses import load_poses

            poses = load_poses(project, v.id)
        except Exception:  # noqa: BLE001 - no poses: subject is unknown
            poses = None
        size = v.info.display_size
        try:
            src = str(project.video_file(v.id))
        except ClipDeskError as e:  # missing or changed: no candidates from another file
            self.info.setText(str(e))
            return

        def work() -> None:
            from core.highlights.covers import cover_candidates

            try:
                cands = cover_candidates(src, clock, seg.start_frame, seg.end_frame,
                                         transitions=spans, poses=poses, source_size=size,
                                         rotation=v.info.rotation)
            except Exception as e:  # noqa: BLE001
                log.warning("covers: %s", e)
                cands = []
            try:
                self._found.emit((gen, cands))
            except RuntimeError:  # the panel was closed meanwhile
                pass

        threading.Thread(target=work, daemon=True, name="clipdesk-covers").start()

    def _clear(self) -> None:
        self.candidates = []
        while self.strip_lay.count() > 1:
            item = self.strip_lay.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None:
                w.deleteLater()

    def _show(self, result: tuple[int, list]) -> None:
        gen, cands = result
        if gen != self._gen:
            return
        self._clear()
        self.candidates = cands
        seg = self.ctx.selection
        if not cands:
            self.info.setText("No cover candidates")
            return
        self.info.setText(f"{len(cands)} candidates for {seg.track if seg else ''} "
                          f"#{seg.id if seg else ''}, best first \u2014 click to choose")
        for rank, c in enumerate(cands):
            btn = QToolButton()
            btn.setCheckable(True)
            pix = QPixmap.fromImage(to_qimage(c.image)) if c.image is not None else QPixmap()
            btn.setIcon(QIcon(pix))
            btn.setIconSize(QSize(160, 90))
            btn.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            btn.setText(f"#{rank + 1}  {self.ctx.fmt_frame(c.frame)}")
            btn.setToolTip(f"{self.ctx.fmt_frame(c.frame)} (frame {c.frame}): score {c.score:.2f} = "
                           f"sharpness {c.sharpness:.2f}, exposure {c.exposure:.2f}, subject "
                           f"{c.subject:.2f}. Click to make it the cover (Ctrl+Z undoes).")
            btn.setProperty("frame", c.frame)
            btn.clicked.connect(lambda _=False, f=c.frame: self.choose(f))
            self.strip_lay.insertWidget(self.strip_lay.count() - 1, btn)
        self._mark_chosen()

    def _mark_chosen(self) -> None:
        cur = self.current_cover()
        for i in range(self.strip_lay.count()):
            item = self.strip_lay.itemAt(i)
            w = item.widget() if item is not None else None
            if isinstance(w, QToolButton):
                w.setChecked(w.property("frame") == cur)
        self.export_btn.setEnabled(cur is not None)

    def choose(self, frame: int) -> None:
        from core.edit.ops import SetAttrs

        seg = self.ctx.selection
        if seg is None or seg.id is None:
            return
        try:
            self.ctx.apply(SetAttrs(seg.id, {"cover_frame": int(frame)}))
        except Exception as e:  # noqa: BLE001
            self.info.setText(str(e))
            return
        self.ctx.seek(int(frame))
        self._mark_chosen()

    def _export(self) -> None:
        f = self.current_cover()
        v = self.ctx.video
        if f is None or v is None:
            return
        default = str(Path(v.path).with_name(f"{Path(v.path).stem}_cover_{f}.png"))
        out, _ = QFileDialog.getSaveFileName(self, "Export cover", default, "Images (*.png *.jpg)")
        if out:
            try:
                export_cover(self.ctx, f, out)
                self.info.setText(f"Cover saved to {out}")
            except Exception as e:  # noqa: BLE001
                self.info.setText(f"Export failed: {e}")
