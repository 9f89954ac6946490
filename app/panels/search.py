"""Search panel: "find similar" from the current frame or an image file.

The query runs on a worker thread with its own project connection (builds missing embeddings
with the ``search`` stage first, then searches with ``models.search.index``); results come back
through a Qt signal and are listed best first; clicking a hit in this project switches to its
video if needed and seeks there. The current video's hits are also published as the
``"search"`` markers of the review context (ticks on the timeline ruler). The panel also
registers the scoreboard overlay (``app.player.scoreboard_overlay``) on the review context. GUI thread
only (the worker never touches widgets).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton,
    QSpinBox, QVBoxLayout, QWidget,
)

from app.player.scoreboard_overlay import ScoreboardOverlay
from core.timebase import clock as clock_text

log = logging.getLogger(__name__)

SCOPES = ("This video", "Project", "Library")
MARKER_NAME = "search"


def run_query(project_path: str, image: np.ndarray, scope: str, video_id: int | None,
              top: int, embedder: Any = None) -> list[Any]:
    """The search itself (worker thread): returns ``models.search.index.Hit`` objects."""
    from models.search.query import ensure_embeddings
    from core.store.project import Project
    from models.search.index import ProjectSearch, register_project, search_library

    with Project(project_path, create=False) as project:
        ensure_embeddings(project)
        register_project(project_path)
        if scope == "Library":
            return search_library(image, top)
        vid = video_id if scope == "This video" else None
        return ProjectSearch(project).search(image, top, video_id=vid, embedder=embedder)


class SearchPanel(QWidget):
    title = "Search"
    area = "right"

    resultsReady = Signal(object, str)  # hits, error message ("" if fine)

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._thread: threading.Thread | None = None
        self._embedder: Any = None
        self.hits: list[Any] = []
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        self.from_frame = QPushButton("Similar to frame")
        self.from_frame.setToolTip("Find moments that look like the frame under the playhead")
        self.from_file = QPushButton("From image…")
        row.addWidget(self.from_frame)
        row.addWidget(self.from_file)
        lay.addLayout(row)
        row2 = QHBoxLayout()
        self.scope = QComboBox()
        self.scope.addItems(SCOPES)
        self.scope.setCurrentText("Project")
        self.top = QSpinBox()
        self.top.setRange(1, 200)
        self.top.setValue(20)
        row2.addWidget(QLabel("In"))
        row2.addWidget(self.scope, 1)
        row2.addWidget(QLabel("Top"))
        row2.addWidget(self.top)
        lay.addLayout(row2)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        self.list = QListWidget()
        lay.addWidget(self.list, 1)
        self.from_frame.clicked.connect(self.search_current_frame)
        self.from_file.clicked.connect(self._pick_file)
        self.list.itemActivated.connect(self._activate)
        self.list.itemClicked.connect(self._activate)
        self.resultsReady.connect(self._show)
        try:
            ctx.add_overlay(ScoreboardOverlay(ctx))
        except Exception as e:  # noqa: BLE001 - the panel works without the overlay
            log.warning("scoreboard overlay unavailable: %s", e)
        self._update_enabled()
        sig = getattr(ctx, "projectChanged", None)
        if sig is not None:
            sig.connect(self._update_enabled)
            sig.connect(self.publish_markers)

    # -- queries -----------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _update_enabled(self) -> None:
        has = getattr(self.ctx, "project", None) is not None and getattr(self.ctx, "video", None) is not None
        for b in (self.from_frame, self.from_file):
            b.setEnabled(has and not self.busy)

    def current_frame_image(self) -> np.ndarray:
        from core.media.reader import FrameReader

        video, clock = self.ctx.video, self.ctx.clock
        with FrameReader(str(self.ctx.project.video_file(video.id)), clock) as fr:  # never another file
            return fr.read(int(self.ctx.playhead))

    def search_current_frame(self) -> None:
        if self.ctx.video is None:
            return
        try:
            img = self.current_frame_image()
        except Exception as e:  # noqa: BLE001 - shown as one line
            self.status.setText(f"Cannot read the frame: {e}")
            return
        self.search_image(img, f"frame {self.ctx.playhead}")

    def _pick_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Find similar to image", "",
                                              "Images (*.png *.jpg *.jpeg *.bmp *.webp)")
        if path:
            self.search_file(path)

    def search_file(self, path: str | Path) -> None:
        from core.media.image import read_image
        from core.errors import ClipDeskError

        try:
            img = read_image(path)
        except ClipDeskError as e:
            self.status.setText(str(e))
            return
        self.search_image(img, Path(path).name)

    def search_image(self, image: np.ndarray, what: str) -> None:
        """Start a query on the worker thread (ignored while one runs)."""
        if self.busy or self.ctx.project is None:
            return
        self.status.setText(f"Searching for {what}…")
        args = (str(self.ctx.project.path), image, self.scope.currentText(),
                self.ctx.video.id if self.ctx.video is not None else None, int(self.top.value()))
        self._thread = threading.Thread(target=self._work, args=args, name="clipdesk-search",
                                        daemon=True)
        self._thread.start()
        self._update_enabled()

    def _work(self, path: str, image: np.ndarray, scope: str, video_id: int | None, top: int) -> None:
        try:
            if self._embedder is None:
                from models.search.embeddings import DeepEmbedder

                self._embedder = DeepEmbedder()
            hits = run_query(path, image, scope, video_id, top, self._embedder)
            self.resultsReady.emit(hits, "")
        except Exception as e:  # noqa: BLE001 - shown as one line; details in the log
            log.warning("search failed", exc_info=True)
            self.resultsReady.emit([], f"Search failed: {e}")

    def wait(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.busy

    # -- results -----------------------------------------------------------------------------
    def _show(self, hits: list[Any], error: str) -> None:
        self.hits = list(hits)
        self.list.clear()
        here = str(Path(self.ctx.project.path).resolve()) if self.ctx.project is not None else ""
        for h in self.hits:
            other = bool(h.project) and str(Path(h.project).resolve()) != here
            text = f"{h.score:.3f}   {clock_text(h.time)}   {h.video}" + ("   (other project)" if other else "")
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, h)
            item.setToolTip(f"{h.path}\nframe {h.frame}")
            if other:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            self.list.addItem(item)
        self.status.setText(error or (f"{len(self.hits)} match(es)" if self.hits else "No matches"))
        self._update_enabled()
        self.publish_markers()

    def hit_frames(self) -> list[int]:
        """Frames of the hits that lie in the current video of this project."""
        ctx = self.ctx
        if ctx.project is None or ctx.video is None:
            return []
        here = str(Path(ctx.project.path).resolve())
        return [int(h.frame) for h in self.hits if h.video_id == ctx.video.id
                and (not h.project or str(Path(h.project).resolve()) == here)]

    def publish_markers(self) -> None:
        """Show the current video's hits as ``"search"`` markers on the timeline."""
        set_markers = getattr(self.ctx, "set_markers", None)
        if set_markers is not None:
            set_markers(MARKER_NAME, self.hit_frames())

    def _activate(self, item: QListWidgetItem) -> None:
        h = item.data(Qt.ItemDataRole.UserRole)
        if h is None:
            return
        self.open_hit(h)

    def open_hit(self, h: Any) -> None:
        """Seek to a hit of this project (switching video if needed)."""
        ctx = self.ctx
        if ctx.project is None:
            return
        if h.project and str(Path(h.project).resolve()) != str(Path(ctx.project.path).resolve()):
            return
        if ctx.video is None or ctx.video.id != h.video_id:
            ctx.set_video(h.video_id)
        ctx.seek(int(h.frame))


__all__ = ["MARKER_NAME", "SCOPES", "SearchPanel", "run_query"]
