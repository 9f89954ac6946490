"""The review session shared by every panel: project, current video, playhead, selection, edits.

``ReviewContext`` is the one object panels talk to. It owns no widgets. Panels listen to its
signals and ask it to seek or to apply an edit; the player and the timeline are panels like any
other. Edits go through ``core.edit.ops`` (the document's own undo history) and are mirrored on a
``QUndoStack`` so Qt's Undo/Redo actions, menus and views work. GUI thread only.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, QRectF, Signal
from PySide6.QtGui import QPainter, QUndoCommand, QUndoStack

from app.review.qtenv import fix_signal_refcount
from app.review.timefmt import FORMATS, TIMECODE, format_frame, format_length

fix_signal_refcount()  # before any panel emits a signal (PySide6 6.12 refcount bug)

if TYPE_CHECKING:
    from core.segments import Segment
    from core.store.project import Project, VideoRecord
    from core.timebase import FrameClock

log = logging.getLogger(__name__)


class Overlay(Protocol):
    """Something drawn over the video (person boxes, scoreboard box, 9:16 crop window)."""

    name: str

    def paint(self, painter: QPainter, frame: int, target: QRectF,
              source_size: tuple[int, int]) -> None: ...


class _EditCommand(QUndoCommand):
    """Adapter: one core edit on the Qt undo stack. The document's EditStack does the work."""

    def __init__(self, ctx: "ReviewContext", edit: Any) -> None:
        super().__init__(str(getattr(edit, "text", None) or type(edit).__name__))
        self._ctx = ctx
        self._edit = edit
        self._first = True

    def redo(self) -> None:
        edits = self._ctx.edits
        if edits is None:
            return
        if self._first:  # the edit was already applied by ReviewContext.apply
            self._first = False
            return
        self._ctx._changed(edits.redo())

    def undo(self) -> None:
        edits = self._ctx.edits
        if edits is None:
            return
        self._ctx._changed(edits.undo())


class ReviewContext(QObject):
    """Shared state of one review window (see module docstring)."""

    projectChanged = Signal()  # project or current video switched (or analysis added results)
    playheadChanged = Signal(int)  # current frame
    seekRequested = Signal(int)  # any panel asks the player to show a frame
    scrubRequested = Signal(int)  # like seekRequested while dragging: a nearby keyframe will do
    selectionChanged = Signal(object)  # Segment | None
    segmentsChanged = Signal(object)  # core.edit.ops.ChangeSet, or None = everything
    marksChanged = Signal()  # in/out marks changed
    overlaysChanged = Signal()
    markersChanged = Signal()  # named frame markers (e.g. search hits) changed
    timeFormatChanged = Signal(str)  # app.review.timefmt: timecode | seconds | frames
    previewChanged = Signal(object)  # Segment with the bounds of a live drag, or None when it ends

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project: Project | None = None
        self.video: VideoRecord | None = None
        self.clock: FrameClock | None = None
        self.playhead: int = 0
        self.selection: Segment | None = None
        self.extra_selection: list[Segment] = []  # more segments on the same track (Shift+click)
        self.mark_in: int | None = None
        self.mark_out: int | None = None
        self.edits: Any = None  # core.edit.ops.EditStack
        self.undo_stack = QUndoStack(self)
        self.overlays: list[Overlay] = []
        self._markers: dict[str, list[int]] = {}
        self.time_format = TIMECODE

    # -- project / video ---------------------------------------------------------------------
    def set_project(self, project: "Project | None", video_id: int | None = None) -> None:
        """Switch project (and video: the first one unless ``video_id`` is given)."""
        self.project = project
        video = None
        if project is not None:
            videos = project.videos()
            if video_id is not None:
                video = next((v for v in videos if v.id == video_id), None)
            elif videos:
                video = videos[0]
        self._set_video(video)

    def set_video(self, video_id: int) -> None:
        if self.project is not None:
            self._set_video(self.project.video(video_id))

    def _set_video(self, video: "VideoRecord | None") -> None:
        self.video = video
        self.clock = None
        self.edits = None
        self.undo_stack.clear()
        self.selection = None
        self.extra_selection = []
        self.mark_in = self.mark_out = None
        self.playhead = 0
        self._markers = {}  # frames of the previous video mean nothing here
        if video is not None and self.project is not None:
            self.clock = self.project.clock(video.id)
            try:
                from core.edit.ops import EditStack
            except ImportError as e:  # editing is unavailable, viewing still works
                log.warning("editing disabled: %s", e)
            else:
                self.edits = EditStack(self.project)
        self.markersChanged.emit()
        self.projectChanged.emit()
        self.selectionChanged.emit(None)
        self.playheadChanged.emit(0)

    def reload(self) -> None:
        """Analysis added results: refresh every view (keeps playhead and undo history)."""
        if self.project is not None and self.video is not None:
            self.video = self.project.video(self.video.id)
            self.clock = self.project.clock(self.video.id)
        self.projectChanged.emit()

    @property
    def frame_count(self) -> int:
        return self.video.frame_count if self.video is not None else 0

    def segments(self, track: str | None = None) -> "list[Segment]":
        if self.project is None or self.video is None:
            return []
        return self.project.segments(self.video.id, track)

    # -- playhead ----------------------------------------------------------------------------
    def clamp(self, frame: int) -> int:
        return max(0, min(int(frame), max(0, self.frame_count - 1)))

    def seek(self, frame: int) -> None:
        """Ask the player to show ``frame``; the playhead moves when it is shown."""
        frame = self.clamp(frame)
        self.set_playhead(frame)
        self.seekRequested.emit(frame)

    def scrub(self, frame: int) -> None:
        """While dragging: move the playhead, show the nearest keyframe (exact on ``seek``)."""
        frame = self.clamp(frame)
        self.set_playhead(frame)
        self.scrubRequested.emit(frame)

    def set_playhead(self, frame: int) -> None:
        """Called by the player when a frame is on screen (does not request a decode)."""
        frame = self.clamp(frame)
        if frame != self.playhead:
            self.playhead = frame
            self.playheadChanged.emit(frame)

    def set_marks(self, mark_in: int | None = None, mark_out: int | None = None) -> None:
        if mark_in is not None:
            self.mark_in = self.clamp(mark_in)
        if mark_out is not None:
            self.mark_out = min(int(mark_out), self.frame_count)
        self.marksChanged.emit()

    # -- selection ---------------------------------------------------------------------------
    def select(self, segment: "Segment | None", extend: bool = False) -> None:
        """Select one segment; ``extend`` (Shift+click) adds/removes it to/from the selection
        when it is on the primary selection's track. ``selectionChanged`` carries the primary."""
        if extend and segment is not None and self.selection is not None \
                and segment.track == self.selection.track and segment.id is not None:
            if segment.id == self.selection.id:
                return
            ids = [s.id for s in self.extra_selection]
            if segment.id in ids:
                self.extra_selection = [s for s in self.extra_selection if s.id != segment.id]
            else:
                self.extra_selection = [*self.extra_selection, segment]
            self.selectionChanged.emit(self.selection)
            return
        self.extra_selection = []
        self.selection = segment
        self.selectionChanged.emit(segment)

    def selected(self) -> "list[Segment]":
        """Every selected segment, primary first."""
        return ([self.selection] if self.selection is not None else []) + list(self.extra_selection)

    def _refresh_selection(self) -> None:
        sel = self.selection
        if sel is None or sel.id is None or self.project is None:
            return
        extra = [self.project.segment(s.id) for s in self.extra_selection
                 if s.id is not None and not self.project.is_deleted(s.id)]
        if self.project.is_deleted(sel.id):
            self.select(None)
        else:
            self.select(self.project.segment(sel.id))
            self.extra_selection = extra

    # -- edits -------------------------------------------------------------------------------
    def apply(self, edit: Any) -> Any:
        """Apply a ``core.edit.ops`` edit now (written to the project at once), undoable.

        Returns the ChangeSet. Raises the edit's own error (e.g. ``ClipDeskError``) unchanged
        and leaves the undo stack alone when the edit is refused.
        """
        if self.edits is None:
            raise RuntimeError("no video open for editing")
        change = self.edits.push(edit)
        self.undo_stack.push(_EditCommand(self, edit))
        self._changed(change)
        return change

    def undo(self) -> None:
        self.undo_stack.undo()

    def redo(self) -> None:
        self.undo_stack.redo()

    def _changed(self, change: Any) -> None:
        if change is None:
            return
        self.segmentsChanged.emit(change)
        self._refresh_selection()
        self.overlaysChanged.emit()  # overlays drawn from segments (crop window...) repaint now

    def set_time_format(self, fmt: str) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown time format {fmt!r}")
        if fmt != self.time_format:
            self.time_format = fmt
            self.timeFormatChanged.emit(fmt)

    def fmt_frame(self, frame: int) -> str:
        """``frame`` in the user's time format (``str(frame)`` with no video open)."""
        if self.video is None:
            return str(frame)
        return format_frame(frame, self.video.rate, self.clock, self.time_format)

    def fmt_length(self, start: int, end: int) -> str:
        if self.video is None:
            return f"{end - start} frames"
        return format_length(start, end, self.video.rate, self.clock, self.time_format)

    def preview(self, segment: "Segment | None") -> None:
        """A drag in progress shows ``segment`` (its new bounds, not yet applied); None: ended."""
        self.previewChanged.emit(segment)

    # -- overlays ----------------------------------------------------------------------------
    def add_overlay(self, overlay: Overlay) -> None:
        """Register something drawn over the video; replaces one with the same name."""
        self.overlays = [o for o in self.overlays if o.name != overlay.name] + [overlay]
        self.overlaysChanged.emit()

    def remove_overlay(self, name: str) -> None:
        self.overlays = [o for o in self.overlays if o.name != name]
        self.overlaysChanged.emit()

    # -- markers -----------------------------------------------------------------------------
    def set_markers(self, name: str, frames: "list[int]") -> None:
        """Publish the frames of the current video a panel wants marked on the timeline (search
        hits...). An empty list removes the set. Cleared when the video changes."""
        clean = sorted({self.clamp(f) for f in frames}) if self.video is not None else []
        if clean == self._markers.get(name, []):
            return
        if clean:
            self._markers[name] = clean
        else:
            self._markers.pop(name, None)
        self.markersChanged.emit()

    def markers(self) -> dict[str, list[int]]:
        """Every marker set of the current video: name -> sorted frames."""
        return {k: list(v) for k, v in self._markers.items()}
