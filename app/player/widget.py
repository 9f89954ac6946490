"""The video player: frame-accurate display, overlays, play/pause with audio, speeds, shuttle.

Decoding happens in :class:`app.player.frame_server.FrameServer` (its own thread). Playback is driven by
a GUI-thread timer against a monotonic master clock; audio (QtMultimedia) follows that clock and is
re-synced when it drifts. Overlays registered on the :class:`ReviewContext` are painted over the
video in source-pixel coordinates mapped to the on-screen video rectangle. GUI thread only.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from app.review.context import ReviewContext
from app.player.frame_server import FrameServer, display_size
from app.player.icons import PAUSE, PLAY, transport_icon
from app.player.proxy import ProxyMaker
from core.errors import ClipDeskError

log = logging.getLogger(__name__)

SPEEDS = (0.25, 0.5, 1.0, 1.5, 2.0, 4.0)
SHUTTLE = (1.0, 2.0, 4.0)
AUDIO_DRIFT_S = 0.08


def fit_rect(src_w: int, src_h: int, area: QRectF) -> QRectF:
    """The largest rectangle of the source's aspect centred in ``area``."""
    if src_w <= 0 or src_h <= 0 or area.width() <= 0 or area.height() <= 0:
        return QRectF()
    s = min(area.width() / src_w, area.height() / src_h)
    w, h = src_w * s, src_h * s
    return QRectF(area.x() + (area.width() - w) / 2, area.y() + (area.height() - h) / 2, w, h)


class VideoView(QWidget):
    """Paints the current frame letterboxed on black, then every registered overlay."""

    def __init__(self, ctx: ReviewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.image: QImage | None = None
        self.frame = 0
        self.is_exact = True
        self.message = "Open a video or a project (File \u25b8 Open, or drop a file here)"
        self.setMinimumSize(320, 180)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        ctx.overlaysChanged.connect(self.update)

    def show_image(self, frame: int, image: QImage, exact: bool) -> None:
        self.image, self.frame, self.is_exact = image, frame, exact
        self.update()

    def clear(self, message: str = "") -> None:
        self.image = None
        self.message = message
        self.update()

    def video_rect(self) -> QRectF:
        v = self.ctx.video
        if v is None:
            return QRectF()
        w, h = v.info.display_size
        return fit_rect(int(w), int(h), QRectF(self.rect()))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(12, 12, 14))
        if self.image is None or self.ctx.video is None:
            p.setPen(QColor(150, 150, 160))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.message)
            return
        target = self.video_rect()
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.drawImage(target, self.image)
        v = self.ctx.video
        src = v.info.display_size
        for ov in list(self.ctx.overlays):
            p.save()
            try:
                ov.paint(p, self.frame, target, (int(src[0]), int(src[1])))
            except Exception as e:  # noqa: BLE001 - a broken overlay must not break the player
                log.warning("overlay %s: %s", getattr(ov, "name", ov), e)
            p.restore()
        if not self.is_exact:  # keyframe/proxy preview while scrubbing; exact on release
            p.setPen(QColor(255, 200, 80))
            p.drawText(target.adjusted(8, 6, -8, -6), Qt.AlignmentFlag.AlignTop
                       | Qt.AlignmentFlag.AlignRight, "scrub preview")


class PlayerWidget(QWidget):
    """Video view plus transport; listens to the context and drives the playhead."""

    playingChanged = Signal(bool)
    frameShown = Signal(int)

    def __init__(self, ctx: ReviewContext, parent: QWidget | None = None,
                 audio: bool | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.view = VideoView(ctx, self)
        self.server: FrameServer | None = None
        self.speed = 1.0
        self.direction = 1
        self.playing = False
        self._t0 = 0.0
        self._time0 = 0.0
        self._last_req = -1
        self._want_audio = (os.environ.get("CLIPDESK_NO_AUDIO") != "1") if audio is None else audio
        self._audio: Any = None
        self._audio_out: Any = None
        self._proxies = ProxyMaker(self)
        self._proxies.ready.connect(self._on_proxy)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)

        self.play_btn = QToolButton()
        self.play_btn.setIconSize(QSize(18, 18))
        self.play_btn.setIcon(self._icon(PLAY))
        self.play_btn.setToolTip("Play / pause (Space)")
        self.play_btn.clicked.connect(self.toggle)
        self.speed_box = QComboBox()
        for s in SPEEDS:
            self.speed_box.addItem(f"{s:g}\u00d7", s)
        self.speed_box.setCurrentIndex(SPEEDS.index(1.0))
        self.speed_box.setToolTip("Playback speed")
        self.speed_box.currentIndexChanged.connect(
            lambda i: self.set_speed(float(self.speed_box.itemData(i))))
        self.tc_label = QLabel("--:--:--:--")
        self.tc_label.setStyleSheet("font-family: monospace; font-size: 13px;")
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        bar.addWidget(self.play_btn)
        bar.addWidget(self.speed_box)
        bar.addWidget(self.tc_label, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.view, 1)
        lay.addLayout(bar)

        ctx.projectChanged.connect(self._on_project)
        ctx.seekRequested.connect(lambda f: self._request(f, True))
        ctx.scrubRequested.connect(lambda f: self._request(f, False))
        ctx.playheadChanged.connect(self._update_label)
        ctx.marksChanged.connect(lambda: self._update_label(ctx.playhead))
        ctx.timeFormatChanged.connect(lambda _f: self._update_label(ctx.playhead))

    # -- video switching ---------------------------------------------------------------------
    def _on_project(self) -> None:
        v = self.ctx.video
        path = v.path if v is not None else None
        if self.server is not None and getattr(self, "_path", None) == path:
            if self.ctx.clock is not None and self.ctx.clock.frame_count != self._frames:
                self._open(path)
            return
        self._open(path)

    def _open(self, path: str | None) -> None:
        self.pause()
        if self.server is not None:
            self.server.close()
            self.server = None
        self._path = path
        v, clock = self.ctx.video, self.ctx.clock
        if path is None or v is None or clock is None:
            self.view.clear("Open a video or a project (File \u25b8 Open, or drop a file here)")
            self._update_label(0)
            return
        if not os.path.exists(path):
            self.view.clear(f"Video not found: {path}")
            return
        try:  # never play another file that now sits at the video's path
            path = str(self.ctx.project.video_file(v.id)) if self.ctx.project is not None else path
        except ClipDeskError as e:
            self.view.clear(str(e))
            return
        self._frames = clock.frame_count
        w, h = v.info.display_size
        dw, dh = display_size(int(w), int(h))
        if v.info.rotation in (90, 270):
            dw, dh = dh, dw
        self.server = FrameServer(path, clock, (dw, dh), v.info.rotation, self)
        self.server.frameReady.connect(self._on_frame)
        self.server.failed.connect(lambda m: self.view.clear(m))
        self._proxies.request(path, clock.duration)
        self._setup_audio(path if v.info.has_audio else None)
        self._request(self.ctx.playhead, True)
        self._update_label(self.ctx.playhead)

    def _on_proxy(self, video: str, proxy: str) -> None:
        if self.server is not None and video == getattr(self, "_path", None):
            self.server.set_proxy(proxy)

    def _setup_audio(self, path: str | None) -> None:
        if self._audio is not None:
            self._audio.stop()
            self._audio.setSource(QUrl())
        if not self._want_audio or path is None:
            return
        try:
            from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
        except ImportError:
            return
        if self._audio is None:
            self._audio = QMediaPlayer(self)
            self._audio_out = QAudioOutput(self)
            self._audio.setAudioOutput(self._audio_out)
            self._audio.setVideoOutput(None)
        self._audio.setSource(QUrl.fromLocalFile(path))

    def close_media(self) -> None:
        self.pause()
        if self.server is not None:
            self.server.close()
            self.server = None
        if self._audio is not None:
            self._audio.stop()

    # -- frames ------------------------------------------------------------------------------
    def _request(self, frame: int, exact: bool) -> None:
        if self.server is not None:
            self._last_req = frame
            self.server.request(frame, exact)

    def _on_frame(self, requested: int, shown: int, image: QImage) -> None:
        exact = requested == shown  # else a keyframe or proxy preview while scrubbing
        self.view.show_image(shown if exact else requested, image, exact)
        if exact:
            if self.playing:
                self.ctx.set_playhead(shown)
            self.frameShown.emit(shown)

    def _update_label(self, frame: int) -> None:
        v = self.ctx.video
        if v is None:
            self.tc_label.setText("--:--:--:--")
            return
        fmt = self.ctx.fmt_frame  # the window's time format
        parts = [f"{fmt(frame)}   frame {frame} / {max(0, v.frame_count - 1)}"]
        if self.ctx.mark_in is not None or self.ctx.mark_out is not None:
            mi = "-" if self.ctx.mark_in is None else fmt(self.ctx.mark_in)
            mo = "-" if self.ctx.mark_out is None else fmt(self.ctx.mark_out)
            parts.append(f"in {mi}  out {mo}")
        if self.playing and (self.speed != 1.0 or self.direction < 0):
            parts.append(f"{'-' if self.direction < 0 else ''}{self.speed:g}\u00d7")
        self.tc_label.setText("    ".join(parts))

    # -- transport ---------------------------------------------------------------------------
    def toggle(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def set_speed(self, speed: float) -> None:
        self.speed = max(0.25, min(4.0, speed))
        if self.playing:
            self.play(self.direction)

    def _icon(self, kind: str) -> QIcon:
        return transport_icon(kind, self.play_btn.palette().color(QPalette.ColorRole.ButtonText))

    def _show_speed(self) -> None:
        """The speed box says the speed playing now (J/L shuttle changes it too)."""
        i = self.speed_box.findData(self.speed)
        if i >= 0 and i != self.speed_box.currentIndex():
            self.speed_box.blockSignals(True)
            self.speed_box.setCurrentIndex(i)
            self.speed_box.blockSignals(False)

    def play(self, direction: int = 1) -> None:
        clock = self.ctx.clock
        if clock is None or self.server is None:
            return
        self.direction = 1 if direction >= 0 else -1
        start = self.ctx.playhead
        if self.direction > 0 and start >= clock.frame_count - 1:
            start = 0
            self.ctx.seek(0)
        self._t0 = time.monotonic()
        self._time0 = clock.time(start)
        was = self.playing
        self.playing = True
        fps = clock.rate.fps * self.speed
        self._timer.start(max(4, int(500 / max(fps, 1))))
        self._sync_audio(force=True)
        self.play_btn.setIcon(self._icon(PAUSE))
        self._show_speed()
        if not was:
            self.playingChanged.emit(True)
        self._update_label(start)

    def pause(self) -> None:
        self._timer.stop()
        if self._audio is not None:
            self._audio.pause()
        if self.playing:
            self.playing = False
            self.play_btn.setIcon(self._icon(PLAY))
            self.playingChanged.emit(False)
            self.ctx.seek(self.ctx.playhead)  # settle on an exact frame
            self._update_label(self.ctx.playhead)

    def shuttle(self, direction: int) -> None:
        """J/L: start or speed up playback in ``direction`` (1x, 2x, 4x); K stops."""
        if direction == 0:
            self.pause()
            return
        if self.playing and self.direction == direction:
            i = SHUTTLE.index(self.speed) if self.speed in SHUTTLE else 0
            self.speed = SHUTTLE[min(i + 1, len(SHUTTLE) - 1)]
        else:
            self.speed = 1.0
        self.play(direction)

    def master_time(self) -> float:
        return self._time0 + (time.monotonic() - self._t0) * self.speed * self.direction

    def _sync_audio(self, force: bool = False) -> None:
        a = self._audio
        if a is None:
            return
        if not self.playing or self.direction < 0 or not (0.5 <= self.speed <= 2.0):
            a.pause()
            return
        t = self.master_time()
        if force or abs(a.position() / 1000.0 - t) > AUDIO_DRIFT_S:
            a.setPlaybackRate(self.speed)
            a.setPosition(int(t * 1000))
        if force or a.playbackState() != a.PlaybackState.PlayingState:
            a.play()

    def _tick(self) -> None:
        clock = self.ctx.clock
        if clock is None or self.server is None:
            self.pause()
            return
        t = self.master_time()
        frame = clock.frame_at(t)
        end = t >= clock.duration or (self.direction < 0 and t <= 0)
        if frame != self._last_req and not self.server.busy:
            self._request(frame, True)
        if end:
            self.ctx.set_playhead(frame)
            self.pause()
            return
        self._sync_audio()
