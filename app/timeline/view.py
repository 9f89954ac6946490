"""The multi-track timeline: ruler, thumbnail strip, audio lane and any number of segment tracks.

Painted directly (no item per segment): each paint asks every track for the segments in the
visible frame range by binary search, and when more than one segment falls on a pixel it draws
coverage runs instead (level of detail), so 5,000+ segments pan and zoom in a few milliseconds.
Edge drags snap (Alt disables) and are applied through ``ReviewContext.apply`` as ``core.edit.ops``
edits. Track headers toggle visibility and lock. GUI thread only.

``python -m app.timeline.view`` shows it on a generated demo project.
"""

from __future__ import annotations

import logging
import math
import sys
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (QColor, QContextMenuEvent, QFont, QImage, QMouseEvent, QPainter, QPaintEvent,
                           QPen, QPolygonF, QResizeEvent, QStaticText, QWheelEvent)
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QMenu, QScrollBar, QToolButton, QVBoxLayout,
                               QWidget)

from app.review.context import ReviewContext
from app.review.names import display_label, signal_line
from app.timeline.snapping import Snapper
from app.timeline.thumbnails import ThumbnailCache
from app.timeline.model import TimelineModel, TrackData, track_color
from app.timeline.waveform import LoudnessLoader
from core import segments as sg
from core.segments import Segment

log = logging.getLogger(__name__)

HEADER_W = 136
RULER_H = 24
THUMB_H = 44
WAVE_H = 34
TRACK_H = 24
EDGE_PX = 5
SNAP_PX = 8
WORDS_MIN_PX_PER_S = 60.0  # the word track appears when one second is at least this wide
TICK_STEPS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)

BG = QColor(30, 31, 35)
HEADER_BG = QColor(40, 42, 48)
GRID = QColor(55, 57, 64)
TEXT = QColor(205, 208, 214)
DIM = QColor(130, 134, 142)
PLAYHEAD = QColor(255, 70, 60)
MARKS = QColor(255, 210, 80, 45)
INSIDE_SPEECH = QColor(255, 90, 90)
MARKER_COLORS = (QColor(80, 200, 255), QColor(120, 230, 120), QColor(255, 150, 220),
                 QColor(255, 170, 60))
MARKER_PX = 4  # a click this close to a marker tick on the ruler seeks to it exactly


class TimelineCanvas(QWidget):
    """Draws and edits; the :class:`Timeline` wrapper adds scroll bars and buttons."""

    viewChanged = Signal()
    message = Signal(str)

    def __init__(self, ctx: ReviewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = TimelineModel()
        self.ppf = 2.0  # pixels per frame
        self.x0 = 0.0  # frame at the left edge of the track area
        self.v_offset = 0
        self.follow = True
        self.thumbs: ThumbnailCache | None = None
        self.loudness: np.ndarray | None = None
        self._loader = LoudnessLoader(self)
        self._loader.loaded.connect(self._on_loudness)
        self._inside_speech: set[int] = set()
        self._drag: dict[str, Any] | None = None
        self._video_key: tuple[int, str] | None = None
        self._labels: dict[tuple[str, int], QStaticText] = {}
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setMinimumHeight(RULER_H + THUMB_H + WAVE_H + 3 * TRACK_H)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._font = QFont(self.font())
        self._font.setPointSizeF(8.5)
        ctx.projectChanged.connect(self.reload)
        ctx.segmentsChanged.connect(self._on_segments)
        ctx.playheadChanged.connect(self._on_playhead)
        ctx.selectionChanged.connect(lambda _s: self.update())
        ctx.marksChanged.connect(self.update)
        ctx.markersChanged.connect(self.update)
        ctx.timeFormatChanged.connect(lambda _f: self.update())

    # -- data --------------------------------------------------------------------------------
    def reload(self) -> None:
        ctx = self.ctx
        v = ctx.video
        key = (v.id, v.path) if v is not None else None
        if key != self._video_key:
            self._video_key = key
            if self.thumbs is not None:
                self.thumbs.close()
                self.thumbs = None
            self.loudness = None
            if v is not None and ctx.clock is not None and ctx.project is not None:
                w, h = v.info.display_size
                th = THUMB_H - 4
                tw = max(8, int(round(th * w / max(h, 1))) & ~1)
                src = ""
                try:
                    src = str(ctx.project.video_file(v.id))  # changed or missing: no frames
                    self.thumbs = ThumbnailCache(src, ctx.clock, (tw, th & ~1),
                                                 v.info.rotation, parent=self)
                    self.thumbs.ready.connect(lambda _f: self.update())
                except Exception as e:  # noqa: BLE001
                    log.info("no thumbnails: %s", e)
                self.loudness = self._loader.load(ctx.project, v.id, src or v.path, ctx.clock,
                                                  v.info.has_audio and bool(src))
            self.model.views.clear()
            self._load_views()
            self.x0 = 0.0
            self.fit()
        elif self.loudness is None and v is not None and ctx.project is not None \
                and ctx.clock is not None:  # analysis may have stored the audio lanes by now
            from app.timeline.waveform import stored_loudness

            self.loudness = stored_loudness(ctx.project, v.id, ctx.clock)
        self.model.load(ctx.segments(), extra_tracks=(sg.SHOT,) if v is not None else ())
        self._compute_speech_flags()
        self.viewChanged.emit()
        self.update()

    def _load_views(self) -> None:
        """Track visibility and locks are part of the project (reopening shows the same)."""
        from app.timeline.model import TrackView

        p, v = self.ctx.project, self.ctx.video
        if p is None or v is None:
            return
        stored = p.get_setting(f"ui.tracks.{v.id}", {})
        if isinstance(stored, dict):
            for t, st in stored.items():
                if isinstance(st, dict):
                    self.model.views[t] = TrackView(bool(st.get("visible", True)),
                                                    bool(st.get("locked", False)))

    def _save_views(self) -> None:
        p, v = self.ctx.project, self.ctx.video
        if p is not None and v is not None:
            p.set_setting(f"ui.tracks.{v.id}", {t: {"visible": tv.visible, "locked": tv.locked}
                                                 for t, tv in self.model.views.items()})

    def _on_loudness(self, arr: np.ndarray) -> None:
        self.loudness = arr
        self.update()

    def _on_segments(self, change: Any) -> None:
        tracks = getattr(change, "tracks", None)
        if change is None or tracks is None:
            self.model.load(self.ctx.segments())
        else:
            for t in tracks:
                self.model.reload_track(t, self.ctx.segments(t))
        if tracks is None or {sg.SHOT, sg.SPEECH} & set(tracks):
            self._compute_speech_flags()
        self.viewChanged.emit()
        self.update()

    def _compute_speech_flags(self) -> None:
        """Shot boundaries that cut through speech (``core.audio.speech.speech_safe_boundary``)."""
        self._inside_speech = set()
        speech = self.model.tracks.get(sg.SPEECH)
        shots = self.model.tracks.get(sg.SHOT)
        if speech is None or shots is None or not len(speech) or not len(shots):
            return
        try:  # the same blocks speech_safe_boundary uses: inside <=> a < frame < b
            from core.audio.speech import speech_blocks
        except ImportError:
            return
        blocks = speech_blocks(speech.segs)
        if not blocks:
            return
        a = np.array([b[0] for b in blocks], np.int64)
        b = np.array([b[1] for b in blocks], np.int64)
        f = shots.starts[1:]
        k = np.searchsorted(a, f, side="left") - 1
        ok = k >= 0
        inside = np.zeros(f.size, bool)
        inside[ok] = (f[ok] > a[k[ok]]) & (f[ok] < b[k[ok]])
        self._inside_speech = {int(x) for x in f[inside]}

    # -- geometry ----------------------------------------------------------------------------
    @property
    def frame_count(self) -> int:
        return max(1, self.ctx.frame_count)

    @property
    def fps(self) -> float:
        return self.ctx.video.rate.fps if self.ctx.video is not None else 25.0

    def track_width(self) -> float:
        return max(1.0, self.width() - HEADER_W)

    def visible_frames(self) -> float:
        return self.track_width() / self.ppf

    def x_of(self, frame: float) -> float:
        return HEADER_W + (frame - self.x0) * self.ppf

    def frame_of(self, x: float) -> float:
        return self.x0 + (x - HEADER_W) / self.ppf

    def top_height(self) -> int:
        return RULER_H + (THUMB_H + WAVE_H if self.ctx.video is not None else 0)

    def shown_tracks(self) -> list[str]:
        words_ok = self.ppf * self.fps >= WORDS_MIN_PX_PER_S
        return [t for t in self.model.names() if t != sg.WORD or words_ok]

    def track_rows(self) -> list[tuple[str, int]]:
        y = self.top_height() - self.v_offset
        out = []
        for t in self.shown_tracks():
            out.append((t, y))
            y += TRACK_H
        return out

    def content_height(self) -> int:
        return len(self.shown_tracks()) * TRACK_H

    def row_at(self, y: float) -> str | None:
        if y < self.top_height():
            return None
        for t, ty in self.track_rows():
            if ty <= y < ty + TRACK_H:
                return t
        return None

    def set_view(self, x0: float, ppf: float | None = None) -> None:
        if ppf is not None:
            self.ppf = float(min(max(ppf, self.track_width() / (self.frame_count * 1.05)), 64.0))
        vis = self.visible_frames()
        self.x0 = float(min(max(x0, 0.0), max(0.0, self.frame_count - vis * 0.9)))
        self.viewChanged.emit()
        self.update()

    def fit(self) -> None:
        self.ppf = self.track_width() / (self.frame_count * 1.02)
        self.set_view(0.0, self.ppf)

    def zoom(self, factor: float, anchor_x: float | None = None) -> None:
        ax = anchor_x if anchor_x is not None else self.x_of(self.ctx.playhead)
        f = self.frame_of(ax)
        new = self.ppf * factor
        new = float(min(max(new, self.track_width() / (self.frame_count * 1.05)), 64.0))
        self.set_view(f - (ax - HEADER_W) / new, new)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if event.oldSize().width() <= 0 or self.ppf * self.frame_count <= event.oldSize().width():
            self.fit()
        self.viewChanged.emit()

    def _on_playhead(self, frame: int) -> None:
        if self.follow and self._drag is None:
            vis = self.visible_frames()
            if frame < self.x0 or frame > self.x0 + vis * 0.97:
                self.set_view(frame - vis * 0.1)
        self.update()

    # -- painting ----------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.setFont(self._font)
        p.fillRect(self.rect(), BG)
        if self.ctx.video is None:
            p.setPen(DIM)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No video")
            return
        top = self.top_height()
        p.save()
        p.setClipRect(QRectF(0, top, self.width(), self.height() - top))
        for track, y in self.track_rows():
            if y + TRACK_H < top or y > self.height():
                continue
            self._paint_track(p, track, y)
        p.restore()
        self._paint_marks(p)
        self._paint_ruler(p)
        self._paint_markers(p)
        self._paint_thumbs(p)
        self._paint_wave(p)
        self._paint_playhead(p)

    def _paint_ruler(self, p: QPainter) -> None:
        w = self.width()
        p.fillRect(QRectF(0, 0, w, RULER_H), HEADER_BG)
        v = self.ctx.video
        assert v is not None
        px_per_s = self.ppf * self.fps
        step_s = next((s for s in TICK_STEPS_S if s * px_per_s >= 90), TICK_STEPS_S[-1])
        step_f = step_s * self.fps
        if px_per_s >= 200:  # zoomed to frames: tick every few frames
            step_f = max(1, round(90 / self.ppf))
        f = math.floor(self.x0 / step_f) * step_f
        end = self.frame_of(w)
        p.setPen(DIM)
        while f <= end:
            fr = int(round(f))
            x = self.x_of(fr)
            if x >= HEADER_W:
                p.drawLine(QPointF(x, RULER_H - 8), QPointF(x, RULER_H))
                p.drawText(QPointF(x + 3, RULER_H - 10), self.ctx.fmt_frame(fr))
            f += step_f
        p.setPen(TEXT)
        p.drawText(QRectF(6, 0, HEADER_W - 8, RULER_H), Qt.AlignmentFlag.AlignVCenter,
                   self.ctx.fmt_frame(self.ctx.playhead))

    def marker_color(self, name: str) -> QColor:
        names = sorted(self.ctx.markers())
        i = names.index(name) if name in names else 0
        return MARKER_COLORS[i % len(MARKER_COLORS)]

    def _paint_markers(self, p: QPainter) -> None:
        """``ReviewContext.markers()`` as thin coloured ticks over the ruler (a small head on top)."""
        end = self.frame_of(self.width())
        for name, frames in self.ctx.markers().items():
            col = self.marker_color(name)
            p.setPen(QPen(col, 2.0))
            for f in frames:
                if f < self.x0 - 1 or f > end + 1:
                    continue
                x = self.x_of(f)
                if x < HEADER_W:
                    continue
                p.drawLine(QPointF(x, 4), QPointF(x, RULER_H))
                p.fillRect(QRectF(x - 3, 0, 6, 4), col)

    def marker_at(self, x: float) -> int | None:
        """The marked frame whose tick is nearest ``x`` (within ``MARKER_PX``), else None."""
        best: tuple[float, int] | None = None
        for frames in self.ctx.markers().values():
            for f in frames:
                d = abs(self.x_of(f) - x)
                if d <= MARKER_PX and (best is None or d < best[0]):
                    best = (d, f)
        return best[1] if best is not None else None

    def _paint_thumbs(self, p: QPainter) -> None:
        y = RULER_H
        p.fillRect(QRectF(0, y, self.width(), THUMB_H), QColor(22, 22, 26))
        p.fillRect(QRectF(0, y, HEADER_W, THUMB_H), HEADER_BG)
        p.setPen(DIM)
        p.drawText(QRectF(8, y, HEADER_W - 8, THUMB_H), Qt.AlignmentFlag.AlignVCenter, "Picture")
        if self.thumbs is None:
            return
        tw = self.thumbs.size[0]
        step = max(1, int(round((tw + 2) / self.ppf)))
        first = int(max(0, self.x0) // step * step)
        last = min(self.frame_count - 1, int(self.frame_of(self.width())) + 1)
        frames = list(range(first, last + 1, step))
        self.thumbs.want(frames)
        p.save()
        p.setClipRect(QRectF(HEADER_W, y, self.width() - HEADER_W, THUMB_H))
        for f in frames:
            x = self.x_of(f)
            img = self.thumbs.get(f)
            r = QRectF(x, y + 2, tw, THUMB_H - 4)
            if img is not None:
                p.drawImage(r, img)
            else:
                p.fillRect(r, QColor(45, 45, 52))
        p.restore()

    def _paint_wave(self, p: QPainter) -> None:
        y = RULER_H + THUMB_H
        w = self.width()
        p.fillRect(QRectF(0, y, w, WAVE_H), QColor(26, 28, 32))
        p.fillRect(QRectF(0, y, HEADER_W, WAVE_H), HEADER_BG)
        p.setPen(DIM)
        p.drawText(QRectF(8, y, HEADER_W - 8, WAVE_H), Qt.AlignmentFlag.AlignVCenter, "Audio")
        arr = self.loudness
        if arr is None or not arr.size:
            v = self.ctx.video
            p.drawText(QRectF(HEADER_W + 8, y, 300, WAVE_H), Qt.AlignmentFlag.AlignVCenter,
                       "no audio" if v is not None and not v.info.has_audio else "reading audio\u2026")
            return
        n = arr.size
        cols = np.arange(HEADER_W, w, dtype=np.float64)
        fa = self.x0 + (cols - HEADER_W) / self.ppf
        f = np.clip(fa.astype(np.int64), 0, n - 1)
        if self.ppf < 1:  # several frames per pixel: each column's loudest frame
            vals = np.maximum.reduceat(arr, f) if f.size and np.all(np.diff(f) > 0) else arr[f]
        else:
            vals = arr[f]
        vals = np.where((fa >= 0) & (fa < n), vals, -90.0)
        half = (WAVE_H - 4) / 2
        lvl = np.clip((vals + 60.0) / 60.0, 0.0, 1.0) * half
        rows = np.abs(np.arange(WAVE_H - 4) - (WAVE_H - 4) / 2 + 0.5)[:, None]
        mask = rows <= lvl[None, :]
        rgba = np.zeros((WAVE_H - 4, cols.size, 4), np.uint8)
        rgba[mask] = (140, 190, 90, 255)  # BGRA in memory for Format_ARGB32 on little endian
        image = QImage(rgba.data, cols.size, WAVE_H - 4, cols.size * 4, QImage.Format.Format_ARGB32)
        p.drawImage(QPointF(HEADER_W, y + 2), image)

    def _paint_track(self, p: QPainter, track: str, y: int) -> None:
        w = self.width()
        td = self.model.tracks[track]
        view = self.model.views[track]
        p.setPen(GRID)
        p.drawLine(QPointF(HEADER_W, y + TRACK_H - 0.5), QPointF(w, y + TRACK_H - 0.5))
        if view.visible:
            self._paint_segments(p, td, y)
            if track == sg.SHOT:
                self._paint_transition_spans(p, y)
        # header: name, count, eye and lock toggles
        p.fillRect(QRectF(0, y, HEADER_W, TRACK_H), HEADER_BG)
        r, g, b = track_color(track)
        p.fillRect(QRectF(0, y + 2, 4, TRACK_H - 4), QColor(r, g, b))
        p.setPen(TEXT if view.visible else DIM)
        p.drawText(QRectF(10, y, HEADER_W - 54, TRACK_H), Qt.AlignmentFlag.AlignVCenter,
                   f"{track} ({len(td)})")
        self._paint_eye(p, self._eye_rect(y), view.visible)
        self._paint_lock(p, self._lock_rect(y), view.locked)
        p.setPen(GRID)
        p.drawLine(QPointF(0, y + TRACK_H - 0.5), QPointF(HEADER_W, y + TRACK_H - 0.5))

    @staticmethod
    def _paint_eye(p: QPainter, r: QRectF, on: bool) -> None:
        """An eye: open (track shown) or struck through (hidden)."""
        c = r.center()
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(TEXT if on else DIM, 1.2))
        p.drawEllipse(c, 6.5, 3.8)
        if on:
            p.setBrush(TEXT)
            p.drawEllipse(c, 1.8, 1.8)
        else:
            p.drawLine(QPointF(c.x() - 6, c.y() + 5), QPointF(c.x() + 6, c.y() - 5))

    @staticmethod
    def _paint_lock(p: QPainter, r: QRectF, locked: bool) -> None:
        """A padlock: closed and amber when locked, open and dim otherwise."""
        c = r.center()
        col = QColor(240, 190, 90) if locked else DIM
        p.setPen(QPen(col, 1.2))
        p.setBrush(col if locked else Qt.BrushStyle.NoBrush)
        p.drawRect(QRectF(c.x() - 4.5, c.y() - 0.5, 9, 6.5))
        p.setBrush(Qt.BrushStyle.NoBrush)
        shift = 0.0 if locked else 3.0  # an open shackle swings up and to the side
        p.drawArc(QRectF(c.x() - 3 + shift, c.y() - 7 - (1 if not locked else 0), 6, 9), 0, 180 * 16)

    def _eye_rect(self, y: int) -> QRectF:
        return QRectF(HEADER_W - 44, y, 20, TRACK_H)

    def _lock_rect(self, y: int) -> QRectF:
        return QRectF(HEADER_W - 22, y, 20, TRACK_H)

    def _paint_segments(self, p: QPainter, td: TrackData, y: int) -> None:
        f0, f1 = self.x0, self.frame_of(self.width())
        i, j = td.visible_range(f0, f1)
        if j <= i:
            return
        # a long segment early on widens [i, j): keep only those that reach into view
        idx = i + np.flatnonzero(td.ends[i:j] >= f0)
        if not idx.size:
            return
        r, g, b = track_color(td.name)
        top, h = float(y + 2), float(TRACK_H - 4)
        if idx.size > self.track_width() / 12:  # dense: a coverage strip, not segments
            self._paint_dense(p, td, int(idx[0]), j, top, h, (r, g, b))
            return
        sel_ids = {s.id for s in self.ctx.selected() if s.id is not None}
        drag = self._drag
        fills = {sg.REJECTED: QColor(90, 90, 96, 150), sg.ACCEPTED: QColor(r, g, b, 235)}
        suggested = QColor(r, g, b, 140)
        dash = QPen(QColor(255, 255, 255, 150), 1)
        blend = QPen(QColor(20, 20, 20, 200), 1.5)
        label_dark = QColor(15, 15, 18)
        edge = QColor(0, 0, 0, 140)
        lanes = td.n_lanes if td.name not in (sg.SHOT, sg.SCENE) else 1
        lane_h = h / lanes
        row_top = top
        for k in idx:
            s = td.segs[int(k)]
            sf, ef = s.start_frame, s.end_frame
            if drag is not None and drag["id"] == s.id:
                sf, ef = drag["start"], drag["end"]
            x0, x1 = self.x_of(sf), self.x_of(ef)
            if lanes > 1:  # overlapping segments (a correction over a suggestion): one sub-row each
                top = row_top + int(td.lane[int(k)]) * lane_h
                h = lane_h - 1
            rect = QRectF(x0, top, max(1.0, x1 - x0 - 1), h)
            p.fillRect(rect, fills.get(s.status, suggested))
            if s.status == sg.SUGGESTED and rect.width() > 6:  # dashed top edge: "to review"
                p.setPen(dash)
                p.drawLine(rect.topLeft(), rect.topRight())
            if s.track == sg.TRANSITION and rect.width() > 4:  # a blend: diagonal across the span
                p.setPen(blend)
                p.drawLine(rect.bottomLeft(), rect.topRight())
            p.setPen(edge)
            p.drawLine(QPointF(x0, top), QPointF(x0, top + h))
            if rect.width() > 40 and h >= 9:
                text = display_label(s, int(k), self.ctx.clock)
                if s.status == sg.REJECTED:
                    text = "\u2717 " + text
                elif s.status == sg.ACCEPTED:
                    text = "\u2713 " + text
                p.setPen(label_dark if s.status != sg.REJECTED else TEXT)
                st = self._label(p, text, int(rect.width() - 6) // 8 * 8)
                p.drawStaticText(QPointF(x0 + 4, top + (h - st.size().height()) / 2), st)
            cover = s.attrs.get("cover_frame") if s.attrs else None
            if isinstance(cover, (int, float)) and sf <= cover < ef:  # the chosen cover frame
                cx = self.x_of(cover + 0.5)
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(QColor(255, 255, 255, 230))
                p.drawPolygon(QPolygonF([QPointF(cx, top + h - 8), QPointF(cx + 4, top + h - 4),
                                         QPointF(cx, top + h), QPointF(cx - 4, top + h - 4)]))
            if s.id is not None and s.id in sel_ids:
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.setPen(QPen(QColor(255, 255, 255), 2))
                p.drawRect(rect.adjusted(1, 1, -1, -1))
            if td.name == sg.SHOT and s.start_frame in self._inside_speech:
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(INSIDE_SPEECH)
                p.drawPolygon(QPolygonF([QPointF(x0 - 4, top), QPointF(x0 + 4, top),
                                         QPointF(x0, top + 6)]))

    def _paint_transition_spans(self, p: QPainter, y: int) -> None:
        """Gradual transitions shaded on the shot row too, so a boundary reads as a span."""
        td = self.model.tracks.get(sg.TRANSITION)
        if td is None or not len(td):
            return
        f0, f1 = self.x0, self.frame_of(self.width())
        i, j = td.visible_range(f0, f1)
        if j - i > 400:
            return
        shade = QColor(0, 0, 0, 110)
        p.setPen(QPen(QColor(240, 240, 240, 160), 1))
        for s in td.segs[i:j]:
            if s.length <= 0 or s.end_frame < f0:
                continue
            a, b = self.x_of(s.start_frame), self.x_of(s.end_frame)
            if b - a < 2:
                continue
            r = QRectF(a, y + 2, b - a, TRACK_H - 4)
            p.fillRect(r, shade)
            p.drawLine(r.bottomLeft(), r.topRight())

    def _label(self, p: QPainter, text: str, width: int) -> QStaticText:
        """Elided label as cached static text (text layout is the costliest part of a paint)."""
        key = (text, width)
        st = self._labels.get(key)
        if st is None:
            if len(self._labels) > 4000:
                self._labels.clear()
            st = QStaticText(p.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, width))
            st.setTextFormat(Qt.TextFormat.PlainText)
            st.prepare(font=self._font)
            self._labels[key] = st
        return st

    def _paint_dense(self, p: QPainter, td: TrackData, i: int, j: int, top: float, h: float,
                     rgb: tuple[int, int, int]) -> None:
        """Level of detail: one image row (coverage, darker at segment starts) stretched to
        the track height; a single draw call however many segments are visible."""
        w = self.width()
        xs = np.floor(HEADER_W + (td.starts[i:j] - self.x0) * self.ppf)
        xe = np.maximum(xs + 1, np.ceil(HEADER_W + (td.ends[i:j] - self.x0) * self.ppf))
        xs = np.clip(xs, HEADER_W, w).astype(np.int64)
        xe = np.clip(xe, HEADER_W, w).astype(np.int64)
        cov = np.bincount(xs, minlength=w + 1)[:w + 1] - np.bincount(xe, minlength=w + 1)[:w + 1]
        on = np.cumsum(cov)[:w] > 0
        row = np.zeros((1, w, 4), np.uint8)
        r, g, b = rgb
        row[0, on] = (b, g, r, 200)
        starts = np.zeros(w, bool)
        starts[np.clip(xs, 0, w - 1)] = True
        row[0, starts & on, :3] = (row[0, starts & on, :3] * 0.55).astype(np.uint8)
        image = QImage(row.data, w, 1, w * 4, QImage.Format.Format_ARGB32)
        p.drawImage(QRectF(HEADER_W, top, w - HEADER_W, h), image,
                    QRectF(HEADER_W, 0, w - HEADER_W, 1))

    def _paint_marks(self, p: QPainter) -> None:
        mi, mo = self.ctx.mark_in, self.ctx.mark_out
        if mi is None and mo is None:
            return
        a = self.x_of(mi if mi is not None else 0)
        b = self.x_of(mo if mo is not None else self.frame_count)
        a = max(a, HEADER_W)
        if b > a:
            p.fillRect(QRectF(a, 0, b - a, self.height()), MARKS)
        p.setPen(QPen(QColor(255, 210, 80), 1))
        for f in (mi, mo):
            if f is not None and self.x_of(f) >= HEADER_W:
                p.drawLine(QPointF(self.x_of(f), 0), QPointF(self.x_of(f), self.height()))

    def _paint_playhead(self, p: QPainter) -> None:
        x = self.x_of(self.ctx.playhead)
        if x < HEADER_W or x > self.width():
            return
        p.setPen(QPen(PLAYHEAD, 1.5))
        p.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(PLAYHEAD)
        p.drawPolygon(QPolygonF([QPointF(x - 6, 0), QPointF(x + 6, 0), QPointF(x, 8)]))
        d = self._drag
        if d is not None and d.get("snap"):
            sx = self.x_of(d["snap"][0])
            p.setPen(QPen(QColor(120, 220, 255), 1, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(sx, 0), QPointF(sx, self.height()))
            p.drawText(QPointF(sx + 4, self.top_height() - 4), d["snap"][1])

    # -- hit testing -------------------------------------------------------------------------
    def lane_at(self, track: str, y: float) -> int | None:
        """The sub-row under ``y`` on a track that draws overlapping segments in lanes."""
        td = self.model.tracks[track]
        if td.n_lanes <= 1 or track in (sg.SHOT, sg.SCENE):
            return None
        ty = dict(self.track_rows())[track]
        return int(min(td.n_lanes - 1, max(0, (y - ty - 2) // ((TRACK_H - 4) / td.n_lanes))))

    def segment_at(self, x: float, y: float) -> Segment | None:
        track = self.row_at(y)
        if track is None or not self.model.views[track].visible:
            return None
        return self.model.tracks[track].at(self.frame_of(x), self.lane_at(track, y))

    def edge_at(self, x: float, y: float) -> tuple[Segment, str] | None:
        """A segment edge within a few pixels of ``x`` on the row at ``y``: (segment, side)."""
        track = self.row_at(y)
        if track is None or not self.model.views[track].visible:
            return None
        td = self.model.tracks[track]
        tol = EDGE_PX / self.ppf
        f = self.frame_of(x)
        i, j = td.visible_range(f - tol, f + tol)
        best: tuple[float, Segment, str] | None = None
        sel = self.ctx.selection
        lane = self.lane_at(track, y)
        for k in range(i, j):
            s = td.segs[k]
            if lane is not None and int(td.lane[k]) != lane:
                continue
            for side, ef in (("start", s.start_frame), ("end", s.end_frame)):
                d = abs(self.x_of(ef) - x)
                if d <= EDGE_PX:
                    # prefer the selected segment, then the segment the cursor is inside
                    inside = s.start_frame <= f < s.end_frame
                    score = d - (10 if sel is not None and sel.id == s.id else 0) - (2 if inside else 0)
                    if best is None or score < best[0]:
                        best = (score, s, side)
        return (best[1], best[2]) if best else None

    # -- mouse -------------------------------------------------------------------------------
    def mousePressEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        if self.ctx.video is None or e.button() != Qt.MouseButton.LeftButton:
            return
        pos = e.position()
        x, y = pos.x(), pos.y()
        if x < HEADER_W:
            track = self.row_at(y)
            if track is not None:
                ty = dict(self.track_rows())[track]
                view = self.model.views[track]
                if self._eye_rect(ty).contains(pos):
                    view.visible = not view.visible
                elif self._lock_rect(ty).contains(pos):
                    view.locked = not view.locked
                self._save_views()
                self.viewChanged.emit()
                self.update()
            return
        if y < RULER_H:
            marked = self.marker_at(x)
            if marked is not None:
                self.ctx.seek(marked)
                return
        if y < self.top_height():
            self._drag = {"kind": "scrub", "id": None}
            self.ctx.scrub(int(self.frame_of(x)))
            return
        hit = self.edge_at(x, y)
        if hit is not None and not self.model.views[hit[0].track].locked:
            seg, side = hit
            self.ctx.select(seg)
            others = [s for name, td in self.model.tracks.items()
                      if self.model.views[name].visible for s in td.segs]
            self._drag = {
                "kind": "edge", "id": seg.id, "seg": seg, "side": side,
                "start": seg.start_frame, "end": seg.end_frame, "snap": None,
                "snapper": Snapper(self.ctx.project, seg.video_id or 0, self.ctx.playhead,
                                   [seg.id] if seg.id is not None else [], others,
                                   (self.ctx.mark_in, self.ctx.mark_out)),
            }
            return
        under = self.segment_at(x, y)
        self.ctx.select(under, extend=bool(e.modifiers() & Qt.KeyboardModifier.ShiftModifier))
        if under is None:
            self._drag = {"kind": "scrub", "id": None}
            self.ctx.scrub(int(self.frame_of(x)))

    def contextMenuEvent(self, e: QContextMenuEvent) -> None:  # noqa: N802
        """Right-click a track header: review the whole track at once, hide, lock."""
        track = self.row_at(e.pos().y()) if e.pos().x() < HEADER_W else None
        if track is None:
            return
        menu = QMenu(self)
        n = sum(1 for s in self.model.tracks[track].segs if s.status == sg.SUGGESTED)
        menu.addAction(f"Accept all {n} suggestions on \u2018{track}\u2019").triggered.connect(
            lambda: self.review_track(track, sg.ACCEPTED))
        menu.addAction(f"Reject all {n} suggestions on \u2018{track}\u2019").triggered.connect(
            lambda: self.review_track(track, sg.REJECTED))
        menu.addSeparator()
        view = self.model.views[track]
        menu.addAction("Show" if not view.visible else "Hide").triggered.connect(
            lambda: self._toggle_view(track, "visible"))
        menu.addAction("Unlock" if view.locked else "Lock").triggered.connect(
            lambda: self._toggle_view(track, "locked"))
        menu.popup(e.globalPos())

    def _toggle_view(self, track: str, attr: str) -> None:
        view = self.model.views[track]
        setattr(view, attr, not getattr(view, attr))
        self._save_views()
        self.update()

    def review_track(self, track: str, status: str) -> int:
        """Accept or reject every still-suggested segment of a track as one undo step."""
        from core.edit.ops import SetStatus

        ids = [s.id for s in self.model.tracks[track].segs
               if s.status == sg.SUGGESTED and s.id is not None]
        if not ids:
            return 0
        if self.model.views[track].locked:
            self.message.emit(f"the {track} track is locked")
            return 0
        try:
            self.ctx.apply(SetStatus(ids, status))
        except Exception as ex:  # noqa: BLE001 - refused edits are reported, never raised
            self.message.emit(str(ex))
            return 0
        return len(ids)

    def mouseDoubleClickEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        seg = self.segment_at(e.position().x(), e.position().y())
        if seg is not None:
            self.ctx.seek(seg.start_frame)

    def _tooltip(self, s: Segment) -> str:
        v = self.ctx.video
        if v is None:
            return ""
        conf = "" if s.confidence is None else f"  (confidence {s.confidence:.2f})"
        td = self.model.tracks.get(s.track)
        name = display_label(s, td.index_of(s) if td is not None else 0, self.ctx.clock)
        fired = signal_line(s)  # a fused event: which signals fired, and why
        why = "".join(f"\n{w}" for w in (s.attrs or {}).get("why", [])) if fired else ""
        return (f"{s.track} #{s.id}: {name or '(no label)'}{conf}\n"
                f"{self.ctx.fmt_frame(s.start_frame)} \u2192 {self.ctx.fmt_frame(s.end_frame)}"
                f"  ({self.ctx.fmt_length(s.start_frame, s.end_frame)})\n{s.status} \u00b7 {s.source}"
                + (f"\n{fired}{why}" if fired else ""))

    def mouseMoveEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        x, y = e.position().x(), e.position().y()
        d = self._drag
        if d is None:
            hit = self.edge_at(x, y) if x >= HEADER_W else None
            self.setCursor(Qt.CursorShape.SizeHorCursor if hit else Qt.CursorShape.ArrowCursor)
            under = self.segment_at(x, y) if x >= HEADER_W else None
            self.setToolTip(self._tooltip(under) if under is not None else "")
            return
        frame = int(round(self.frame_of(x)))
        if d["kind"] == "scrub":
            self.ctx.scrub(int(self.frame_of(x)))
            return
        alt = bool(e.modifiers() & Qt.KeyboardModifier.AltModifier)
        d["snap"] = None
        if not alt:
            hit = d["snapper"].snap(frame, SNAP_PX / self.ppf)
            if hit is not None:
                frame, _kind = hit
                d["snap"] = hit
        seg: Segment = d["seg"]
        frame = max(0, min(self.frame_count, frame))
        if d["side"] == "start":
            d["start"] = min(frame, seg.end_frame - 1)
        else:
            d["end"] = max(frame, seg.start_frame + 1)
        self.ctx.preview(seg.with_(start_frame=d["start"], end_frame=d["end"]))
        self.update()

    def mouseReleaseEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        d, self._drag = self._drag, None
        if d is None:
            return
        if d["kind"] == "scrub":
            self.ctx.seek(int(self.frame_of(e.position().x())))
            return
        seg: Segment = d["seg"]
        self.ctx.preview(None)
        if (d["start"], d["end"]) != (seg.start_frame, seg.end_frame) and seg.id is not None:
            self.apply_bounds(seg.id, d["start"], d["end"])
        self.update()

    def apply_bounds(self, seg_id: int, start: int, end: int) -> bool:
        from core.edit.ops import SetBounds

        try:
            self.ctx.apply(SetBounds(seg_id, start, end))
        except Exception as ex:  # noqa: BLE001 - refused edits are reported, never raised
            self.message.emit(str(ex))
            return False
        return True

    def wheelEvent(self, e: QWheelEvent) -> None:  # noqa: N802
        delta = e.angleDelta()
        mods = e.modifiers()
        if mods & Qt.KeyboardModifier.ControlModifier:
            self.zoom(1.25 ** (delta.y() / 120.0), e.position().x())
        elif mods & Qt.KeyboardModifier.ShiftModifier or delta.x():
            d = delta.x() or delta.y()
            self.set_view(self.x0 - d / 120.0 * self.visible_frames() * 0.1)
        else:
            maxv = max(0, self.content_height() - (self.height() - self.top_height()))
            self.v_offset = int(min(max(self.v_offset - delta.y() / 4, 0), maxv))
            self.viewChanged.emit()
            self.update()
        e.accept()


class Timeline(QWidget):
    """The timeline panel: zoom buttons, canvas and scroll bars."""

    title = "Timeline"
    area = "bottom"

    def __init__(self, ctx: ReviewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.canvas = TimelineCanvas(ctx, self)
        self.hbar = QScrollBar(Qt.Orientation.Horizontal)
        self.vbar = QScrollBar(Qt.Orientation.Vertical)
        self.status = QLabel("")
        self.status.setStyleSheet("color: #e0a060;")
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        for text, tip, fn in (("Fit", "Fit the whole video (Shift+Z)", self.canvas.fit),
                              ("\u2212", "Zoom out (Ctrl+wheel, -)", lambda: self.canvas.zoom(1 / 1.5)),
                              ("+", "Zoom in (Ctrl+wheel, +)", lambda: self.canvas.zoom(1.5))):
            b = QToolButton()
            b.setText(text)
            b.setToolTip(tip)
            b.clicked.connect(fn)
            bar.addWidget(b)
        self.follow_btn = QToolButton()
        self.follow_btn.setText("Follow")
        self.follow_btn.setCheckable(True)
        self.follow_btn.setChecked(True)
        self.follow_btn.setToolTip("Scroll to keep the playhead in view")
        self.follow_btn.toggled.connect(lambda on: setattr(self.canvas, "follow", on))
        bar.addWidget(self.follow_btn)
        self.signals_btn = QToolButton()
        self.signals_btn.setText("Signals")
        self.signals_btn.setCheckable(True)
        self.signals_btn.setChecked(True)
        self.signals_btn.setToolTip("Show the signal lanes: excitement and loudness, the shot score "
                                    "with its threshold (drag it), action and scoreboard confidence")
        bar.addWidget(self.signals_btn)
        bar.addWidget(self.status, 1)
        mid = QHBoxLayout()
        mid.setSpacing(0)
        mid.addWidget(self.canvas, 1)
        mid.addWidget(self.vbar)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addLayout(bar)
        lay.addLayout(mid, 1)
        self.lanes: QWidget | None = None
        try:  # pyqtgraph lanes under the tracks (app.timeline.signals)
            from app.timeline.signals import SignalLanes

            self.lanes = SignalLanes(ctx, self.canvas, self)
            self.lanes.message.connect(self.status.setText)
            self.signals_btn.toggled.connect(self.lanes.setVisible)
            lay.addWidget(self.lanes)
        except Exception as e:  # noqa: BLE001 - the timeline works without its lanes
            log.warning("signal lanes unavailable: %s", e)
            self.signals_btn.setEnabled(False)
        lay.addWidget(self.hbar)
        self._syncing = False
        self.canvas.viewChanged.connect(self._sync_bars)
        self.canvas.message.connect(self.status.setText)
        ctx.segmentsChanged.connect(lambda _c: self.status.setText(""))
        self.hbar.valueChanged.connect(self._on_hbar)
        self.vbar.valueChanged.connect(self._on_vbar)

    def _sync_bars(self) -> None:
        c = self.canvas
        self._syncing = True
        vis = int(c.visible_frames())
        self.hbar.setRange(0, max(0, c.frame_count - vis))
        self.hbar.setPageStep(max(1, vis))
        self.hbar.setSingleStep(max(1, vis // 20))
        self.hbar.setValue(int(c.x0))
        maxv = max(0, c.content_height() - (c.height() - c.top_height()))
        self.vbar.setRange(0, maxv)
        self.vbar.setPageStep(max(1, c.height() - c.top_height()))
        self.vbar.setValue(c.v_offset)
        self.vbar.setVisible(maxv > 0)
        self._syncing = False

    def _on_hbar(self, v: int) -> None:
        if not self._syncing:
            self.canvas.set_view(float(v))

    def _on_vbar(self, v: int) -> None:
        if not self._syncing:
            self.canvas.v_offset = v
            self.canvas.update()


def main() -> int:
    """Show the timeline (with a player) on a generated demo project."""
    import tempfile

    from core.testing.demo import build_demo_project
    from app.review.qtenv import make_app

    app = make_app(sys.argv)
    tmp = tempfile.mkdtemp(prefix="clipdesk-demo-")
    project = build_demo_project(tmp)
    from app.player.widget import PlayerWidget

    ctx = ReviewContext()
    w = QWidget()
    lay = QVBoxLayout(w)
    lay.addWidget(PlayerWidget(ctx), 2)
    lay.addWidget(Timeline(ctx), 1)
    w.resize(1200, 800)
    w.setWindowTitle("ClipDesk timeline demo")
    ctx.set_project(project)
    w.show()
    return int(app.exec())


if __name__ == "__main__":
    sys.exit(main())
