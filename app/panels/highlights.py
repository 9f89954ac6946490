"""Highlights panel: the proposed reel with each highlight's why and score; reorder, trim,
accept/reject, set the cover, play the reel, propose again, export the reel, write the report.

The list shows every highlight of the video in reel order (``attrs["order"]``); rejected ones
stay listed, greyed. All edits go through ``ctx.apply`` (``core.edit.ops``: undoable, kept as labels).
Trimming at the playhead is speech-safe: an in/out point inside speech moves to the pause edge
(within 2 s), and the status line says so. "Play reel" walks the accepted highlights (all
proposed ones until any is accepted) in order through ``ctx.seek``, one frame per tick at the
video's rate, jumping from each highlight's out point to the next one's in point. Proposing,
exporting and the report run on worker threads with their own project connection. GUI thread
only (``python -m app.panels.highlights P`` shows it on its own).
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (QComboBox, QFileDialog, QGridLayout, QHBoxLayout, QLabel, QListWidget,
                               QListWidgetItem, QPushButton, QVBoxLayout, QWidget)

from app.review.context import ReviewContext
from app.review.names import highlight_name, why_lines
from core.segments import ACCEPTED, HIGHLIGHT, REJECTED, SPEECH, SUGGESTED, Segment

log = logging.getLogger(__name__)
TRIM_SPEECH_SHIFT_S = 2.0
_MARK = {ACCEPTED: "\u2713", REJECTED: "\u2717", SUGGESTED: "\u2022"}
# Target presets offered (core.highlights.reel.PRESETS), stored as the project setting "highlights".
TARGETS: tuple[tuple[str | None, str], ...] = (
    (None, "default: 30 s clips, reel \u2264 3 min"), ("15s", "15 s clips"), ("30s", "30 s clips"),
    ("60s", "60 s clips"), ("reel", "3-minute reel"))


class ReelPanel(QWidget):
    title = "Highlights"
    area = "right"
    _done = Signal(object)  # (kind, message, ok) from a worker thread

    def __init__(self, ctx: ReviewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.items: list[Segment] = []
        self.playing: list[Segment] = []
        self._play_index = 0
        self._play_frame = 0
        self.busy = False
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.currentRowChanged.connect(self._on_row)
        self.list.itemDoubleClicked.connect(lambda _it: self._seek_current())
        self.why = QLabel("")
        self.why.setWordWrap(True)
        self.why.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        grid = QGridLayout()
        self.buttons: dict[str, QPushButton] = {}
        specs: list[tuple[str, str, Callable[[], Any], str]] = [
            ("accept", "Accept", lambda: self.set_status(ACCEPTED), "A"),
            ("reject", "Reject", lambda: self.set_status(REJECTED), "R"),
            ("up", "Earlier in reel", lambda: self.move(-1), ""),
            ("down", "Later in reel", lambda: self.move(1), ""),
            ("in", "In at playhead", lambda: self.trim("in"), "I"),
            ("out", "Out at playhead", lambda: self.trim("out"), "O"),
            ("cover", "Cover = playhead", self.set_cover, ""),
            ("play", "Play reel", self.toggle_play, ""),
            ("propose", "Propose again", self.propose, ""),
            ("export", "Export reel\u2026", self._export_dialog, ""),
            ("report", "Report\u2026", self._report_dialog, ""),
        ]
        for i, (key, text, fn, tip) in enumerate(specs):
            b = QPushButton(text)
            b.clicked.connect(lambda _=False, f=fn: f())
            if tip:
                b.setToolTip(f"shortcut in the list: {tip}")
            grid.addWidget(b, i // 2, i % 2)
            self.buttons[key] = b
        self.target = QComboBox()
        for preset, text in TARGETS:
            self.target.addItem(text, preset)
        self.target.setToolTip("target durations used by Propose again (project setting 'highlights')")
        self.target.activated.connect(self._on_target)
        top = QHBoxLayout()
        top.addWidget(QLabel("Target:"))
        top.addWidget(self.target, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.list, 3)
        lay.addWidget(self.why, 1)
        lay.addLayout(grid)
        lay.addWidget(self.status)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._done.connect(self._on_done)
        ctx.projectChanged.connect(self.refresh)
        ctx.segmentsChanged.connect(self._on_segments)
        ctx.timeFormatChanged.connect(lambda _f: self.refresh())
        self.refresh()

    # -- list ------------------------------------------------------------------------------
    def _on_segments(self, change: Any) -> None:
        tracks = getattr(change, "tracks", None)
        if change is None or tracks is None or HIGHLIGHT in tracks:
            self.refresh()

    def _on_target(self, index: int) -> None:
        if self.ctx.project is not None:
            self.ctx.project.set_setting("highlights", self.target.itemData(index))
            self.status.setText(f"target: {self.target.itemText(index)} \u2014 Propose again to apply")

    def _sync_target(self) -> None:
        value = self.ctx.project.get_setting("highlights") if self.ctx.project is not None else None
        key = value if isinstance(value, str) else (value or {}).get("preset") if isinstance(value, dict) else None
        i = self.target.findData(key) if key else 0
        self.target.blockSignals(True)
        self.target.setCurrentIndex(max(0, i))
        self.target.blockSignals(False)

    def refresh(self) -> None:
        from core.highlights.reel import reel_order

        self._sync_target()
        current = self.current()
        self.items = reel_order(self.ctx.segments(HIGHLIGHT))
        clk = self.ctx.clock
        from core.highlights.titles import title_of

        every = self.ctx.segments()  # for the proposed titles (events, board, commentary, actions)
        self.list.blockSignals(True)
        self.list.clear()
        for i, s in enumerate(self.items, 1):
            a = clk.time(s.start_frame) if clk else 0.0
            b = clk.time(s.end_frame) if clk else 0.0
            score = s.attrs.get("score", s.confidence)
            why = why_lines(s, clk)
            head = (f"{_MARK.get(s.status, '')} {i}. {title_of(s, every, clk)}\n    "
                    f"{self.ctx.fmt_frame(s.start_frame)}\u2013{self.ctx.fmt_frame(s.end_frame)} ({b - a:.1f} s)"
                    + (f"  \u00b7 score {float(score):.2f}" if isinstance(score, (int, float)) else ""))
            item = QListWidgetItem(head + (f"\n    {why[0]}" if why else ""))
            item.setToolTip(f"{highlight_name(s, clk)}\n" + "\n".join(why))
            if s.status == REJECTED:
                item.setForeground(QBrush(QColor("#888")))
                f = QFont()
                f.setStrikeOut(True)
                item.setFont(f)
            self.list.addItem(item)
        self.list.blockSignals(False)
        if current is not None:
            row = next((i for i, s in enumerate(self.items) if s.id == current.id), -1)
            self.list.setCurrentRow(row)
        self._show_why()
        n_acc = sum(1 for s in self.items if s.status == ACCEPTED)
        if not self.busy:
            self.status.setText(f"{len(self.items)} highlight(s), {n_acc} accepted" if self.items
                                else "No highlights yet: Propose, or run the highlights stage")
        has = self.current() is not None
        for k in ("accept", "reject", "up", "down", "in", "out", "cover"):
            self.buttons[k].setEnabled(has)

    def current(self) -> Segment | None:
        r = self.list.currentRow()
        return self.items[r] if 0 <= r < len(self.items) else None

    def _on_row(self, _row: int) -> None:
        s = self.current()
        self._show_why()
        for k in ("accept", "reject", "up", "down", "in", "out", "cover"):
            self.buttons[k].setEnabled(s is not None)
        if s is not None and not self._timer.isActive():
            self.ctx.select(s)
            self.ctx.seek(s.start_frame)

    def _seek_current(self) -> None:
        s = self.current()
        if s is not None:
            self.ctx.seek(s.start_frame)

    def _show_why(self) -> None:
        s = self.current()
        if s is None:
            self.why.setText("")
            return
        lines = why_lines(s, self.ctx.clock) or ["(added by hand)"]
        cover = s.attrs.get("cover_frame")
        if isinstance(cover, (int, float)):
            lines.append(f"cover: frame {int(cover)}")
        self.why.setText("\n".join(f"\u2022 {w}" for w in lines))

    def keyPressEvent(self, e: Any) -> None:  # noqa: N802 - Qt override
        keys = {Qt.Key.Key_A: lambda: self.set_status(ACCEPTED), Qt.Key.Key_R: lambda: self.set_status(REJECTED),
                Qt.Key.Key_I: lambda: self.trim("in"), Qt.Key.Key_O: lambda: self.trim("out")}
        fn = keys.get(Qt.Key(e.key()))
        if fn is not None:
            fn()
        else:
            super().keyPressEvent(e)

    # -- edits -----------------------------------------------------------------------------
    def _apply(self, edit: Any) -> bool:
        try:
            self.ctx.apply(edit)
        except Exception as e:  # noqa: BLE001 - a refused edit is a message, not a crash
            self.status.setText(str(e))
            return False
        return True

    def set_status(self, status: str) -> None:
        from core.edit.ops import SetStatus

        s = self.current()
        if s is not None and s.id is not None:
            self._apply(SetStatus([s.id], status))

    def move(self, step: int) -> None:
        """Swap the current highlight with its neighbour in the reel (one undo step)."""
        from core.edit.ops import Batch, SetAttrs

        r = self.list.currentRow()
        j = r + step
        if not (0 <= r < len(self.items) and 0 <= j < len(self.items)):
            return
        a, b = self.items[r], self.items[j]
        assert a.id is not None and b.id is not None
        # Re-number from the positions shown, so highlights without an order sort correctly too.
        oa, ob = j + 1, r + 1
        if self._apply(Batch("Move in reel", [SetAttrs(a.id, {"order": oa}), SetAttrs(b.id, {"order": ob})])):
            self.list.setCurrentRow(next(i for i, s in enumerate(self.items) if s.id == a.id))

    def trim(self, side: str) -> None:
        """Move the in (or out) point to the playhead, kept out of speech."""
        from core.edit.ops import SetBounds
        from core.audio.speech import speech_safe_boundary

        s = self.current()
        clk = self.ctx.clock
        if s is None or s.id is None or clk is None:
            return
        f = self.ctx.playhead if side == "in" else self.ctx.playhead + 1
        shift = max(1, int(round(TRIM_SPEECH_SHIFT_S * clk.rate.fps)))
        safe = speech_safe_boundary(f, self.ctx.segments(SPEECH), shift,
                                    prefer="earlier" if side == "in" else "later")
        start, end = (safe.frame, s.end_frame) if side == "in" else (s.start_frame, safe.frame)
        if self._apply(SetBounds(s.id, start, end)):
            if safe.moved:
                self.status.setText(f"{side} point moved {abs(safe.frame - f)} frame(s) to a speech pause")
            elif safe.inside_speech:
                self.status.setText(f"warning: the {side} point cuts speech (no pause within "
                                    f"{TRIM_SPEECH_SHIFT_S:g} s)")

    def set_cover(self) -> None:
        from core.edit.ops import SetAttrs

        s = self.current()
        if s is None or s.id is None:
            return
        if not s.contains(self.ctx.playhead):
            self.status.setText("the playhead is outside this highlight")
            return
        self._apply(SetAttrs(s.id, {"cover_frame": int(self.ctx.playhead)}))

    # -- reel playback ---------------------------------------------------------------------
    def reel(self) -> list[Segment]:
        accepted = [s for s in self.items if s.status == ACCEPTED]
        return accepted or [s for s in self.items if s.status != REJECTED]

    def toggle_play(self) -> None:
        if self._timer.isActive():
            self.stop()
        else:
            self.play_reel()

    def play_reel(self) -> None:
        self.playing = self.reel()
        clk = self.ctx.clock
        if not self.playing or clk is None:
            self.status.setText("nothing to play")
            return
        self._play_index = 0
        self._play_frame = self.playing[0].start_frame
        self.ctx.seek(self._play_frame)
        self._timer.start(max(1, int(round(1000.0 / max(clk.rate.fps, 1.0)))))
        self.buttons["play"].setText("Stop")
        self.status.setText(f"playing the reel: 1/{len(self.playing)}")

    def stop(self) -> None:
        self._timer.stop()
        self.buttons["play"].setText("Play reel")

    def _tick(self) -> None:
        if not self.playing:
            self.stop()
            return
        f = self._play_frame + 1
        if f >= self.playing[self._play_index].end_frame:
            self._play_index += 1
            if self._play_index >= len(self.playing):
                self.stop()
                self.status.setText("reel finished")
                return
            f = self.playing[self._play_index].start_frame
            self.status.setText(f"playing the reel: {self._play_index + 1}/{len(self.playing)}")
        self._play_frame = f
        self.ctx.seek(f)

    # -- background work -------------------------------------------------------------------
    def _run(self, kind: str, work: Callable[[Any, int], str]) -> None:
        """Run ``work(project, video_id)`` on a thread with its own project connection."""
        if self.busy or self.ctx.project is None or self.ctx.video is None:
            return
        path, vid = self.ctx.project.path, self.ctx.video.id
        self.busy = True
        self.status.setText(f"{kind}\u2026")

        def job() -> None:
            from core.store.project import Project

            try:
                with Project(path, create=False) as p:
                    result = (kind, work(p, vid), True)
            except Exception as e:  # noqa: BLE001 - shown in the panel
                log.warning("%s: %s", kind, e)
                result = (kind, str(e), False)
            try:
                self._done.emit(result)
            except RuntimeError:  # the panel was closed meanwhile; the work itself is done
                log.info("%s finished after its panel closed: %s", kind, result[1])

        threading.Thread(target=job, daemon=True, name=f"clipdesk-{kind}").start()

    def _on_done(self, result: tuple[str, str, bool]) -> None:
        kind, msg, ok = result
        self.busy = False
        if kind == "propose" and ok:
            self.ctx.reload()
        self.status.setText(msg if ok else f"{kind} failed: {msg}")

    def propose(self) -> None:
        def work(p: Any, vid: int) -> str:
            from core.highlights.project import update_highlights

            new = update_highlights(p, vid)
            return f"{len(new)} new highlight(s) proposed; reviewed ones kept"

        self._run("propose", work)

    def export_to(self, folder: str, media: tuple[str, ...] = ("horizontal", "vertical", "gif", "still")) -> None:
        def work(p: Any, vid: int) -> str:
            from core.highlights.export import export_reel

            man = export_reel(p, vid, folder, media=media)
            return f"reel exported: {len(man['highlights'])} highlight(s) -> {folder}"

        self._run("export", work)

    def report_to(self, path: str) -> None:
        def work(p: Any, vid: int) -> str:
            from core.export.report import write_report

            return f"report written: {write_report(p, vid, path)}"

        self._run("report", work)

    def _export_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export the reel to")
        if folder:
            self.export_to(folder)

    def _report_dialog(self) -> None:
        name = self.ctx.video.name if self.ctx.video is not None else "video"
        path, _ = QFileDialog.getSaveFileName(self, "Producer report", f"{name}_report.html",
                                              "HTML (*.html)")
        if path:
            self.report_to(path)


def main(argv: list[str] | None = None) -> int:
    import sys

    from PySide6.QtWidgets import QApplication

    from core.store.project import Project

    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m app.panels.highlights PROJECT", file=sys.stderr)
        return 2
    app = QApplication.instance() or QApplication([])
    ctx = ReviewContext()
    ctx.set_project(Project(args[0], create=False))
    w = ReelPanel(ctx)
    w.resize(420, 640)
    w.show()
    return int(app.exec())


if __name__ == "__main__":
    raise SystemExit(main())
