"""Transcript panel: the ``speech``/``word`` tracks as text, synced to the playhead.

The word under the playhead is highlighted; clicking a word (or a line's time) seeks there;
the search box lists every hit (phrases too) and jumps to it; double-clicking a word corrects
its text as an undoable edit (``core.edit.ops`` via ``ctx.apply``: the word and the line's text change
together and the machine value stays in the history); the "Model…" button edits the speech
settings (``project.set_setting("speech", ...)``) used by the next analysis.

GUI thread only. ``python -m app.panels.transcript PROJECT`` opens it on its own.
"""

from __future__ import annotations

import bisect
import re
import sys
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QInputDialog,
    QLabel, QLineEdit, QListWidget, QListWidgetItem, QPushButton, QSpinBox, QTextBrowser,
    QTextEdit, QVBoxLayout, QWidget,
)

from core.segments import SPEECH, WORD, Segment
from core.timebase import clock as clock_text

_NORM = re.compile(r"[^\w' ]+")


def _norm(text: str) -> str:
    return _NORM.sub(" ", text.lower()).strip()


class _TextView(QTextBrowser):
    """Read-only transcript; emits the anchor under a double-click (for corrections)."""

    anchorDoubleClicked = Signal(str)

    def mouseDoubleClickEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        href = self.anchorAt(event.position().toPoint())
        if href:
            self.anchorDoubleClicked.emit(href)
            return
        super().mouseDoubleClickEvent(event)


class SpeechSettingsDialog(QDialog):
    """Edit the project's ``speech`` settings (see ``models.speech.asr.SpeechSettings``)."""

    def __init__(self, settings: dict[str, Any] | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Speech model")
        s = dict(settings or {})
        form = QFormLayout(self)
        row = QHBoxLayout()
        self.model_dir = QLineEdit(s.get("model_dir") or "")
        self.model_dir.setPlaceholderText("bundled Whisper tiny.en")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row.addWidget(self.model_dir)
        row.addWidget(browse)
        form.addRow("Model directory (CTranslate2)", row)
        self.language = QLineEdit(s.get("language") or ("en" if "language" not in s else "auto"))
        self.language.setToolTip("ISO code such as en, de, fr; 'auto' detects (multilingual models)")
        form.addRow("Language", self.language)
        self.compute_type = QComboBox()
        self.compute_type.addItems(["int8", "int8_float32", "float32", "float16", "int8_float16"])
        self.compute_type.setCurrentText(str(s.get("compute_type", "int8")))
        form.addRow("Compute type", self.compute_type)
        self.device = QComboBox()
        self.device.addItems(["cpu", "cuda"])
        self.device.setCurrentText(str(s.get("device", "cpu")))
        form.addRow("Device", self.device)
        self.beam = QSpinBox()
        self.beam.setRange(1, 10)
        self.beam.setValue(int(s.get("beam_size", 5)))
        form.addRow("Beam size", self.beam)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #c0392b")
        form.addRow(self.error)
        sb = QDialogButtonBox.StandardButton
        buttons = QDialogButtonBox(sb.Ok | sb.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "CTranslate2 Whisper model directory")
        if d:
            self.model_dir.setText(d)

    def values(self) -> dict[str, Any]:
        lang = self.language.text().strip() or "auto"
        return {"model_dir": self.model_dir.text().strip() or None, "language": lang,
                "compute_type": self.compute_type.currentText(), "device": self.device.currentText(),
                "beam_size": self.beam.value()}

    def check(self) -> str | None:
        """A one-line problem with the values, or ``None`` when usable."""
        from models.speech.asr import SpeechSettings, SpeechSettingsError

        try:
            SpeechSettings.from_dict(self.values()).resolved_model_dir()
        except SpeechSettingsError as e:
            return str(e)
        return None

    def _accept(self) -> None:
        problem = self.check()
        if problem:
            self.error.setText(problem)
            return
        self.accept()


def save_speech_settings(project: Any, values: dict[str, Any]) -> None:
    """Store the speech settings as ``speech`` and inside ``analysis`` (what ``analyze`` passes to
    ``available_stages``), so a changed model changes the stage's parameters and re-runs it."""
    project.set_setting("speech", values)
    analysis = dict(project.get_setting("analysis", {}) or {})
    analysis["speech"] = values
    project.set_setting("analysis", analysis)


class TranscriptPanel(QWidget):
    """See the module docstring."""

    title = "Transcript"
    area = "right"

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.words: list[Segment] = []
        self.lines: list[tuple[Segment, list[Segment]]] = []
        self._word_pos: dict[int, tuple[int, int]] = {}  # word id -> (doc position, length)
        self._starts: list[int] = []
        self._current: int | None = None
        self.hits: list[int] = []  # indexes into self.words
        self._hit_index = -1

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search what was said…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._on_search)
        self.search.returnPressed.connect(self.next_hit)
        self.settings_button = QPushButton("Model…")
        self.settings_button.setToolTip("Speech model, language, compute type, device, beam size")
        self.settings_button.clicked.connect(self.open_settings)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.settings_button)
        self.hit_list = QListWidget()
        self.hit_list.setMaximumHeight(120)
        self.hit_list.setVisible(False)
        self.hit_list.itemActivated.connect(self._on_hit_item)
        self.hit_list.itemClicked.connect(self._on_hit_item)
        self.view = _TextView()
        self.view.setOpenLinks(False)
        self.view.setOpenExternalLinks(False)
        self.view.anchorClicked.connect(self._on_anchor)
        self.view.anchorDoubleClicked.connect(self._on_anchor_double)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(top)
        lay.addWidget(self.hit_list)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.status)

        ctx.projectChanged.connect(self.reload)
        ctx.playheadChanged.connect(self.set_playhead)
        ctx.segmentsChanged.connect(self._on_segments_changed)
        self.reload()

    # -- model ---------------------------------------------------------------------------------
    def reload(self) -> None:
        """Rebuild from the project (speech lines with their words)."""
        speech = sorted(self.ctx.segments(SPEECH), key=lambda s: (s.start_frame, s.end_frame))
        self.words = sorted(self.ctx.segments(WORD), key=lambda s: (s.start_frame, s.end_frame))
        self._starts = [w.start_frame for w in self.words]
        self.lines = []
        wi = 0
        for i, line in enumerate(speech):
            nxt = speech[i + 1].start_frame if i + 1 < len(speech) else None
            ws: list[Segment] = []
            while wi < len(self.words) and (nxt is None or self.words[wi].start_frame < nxt):
                ws.append(self.words[wi])
                wi += 1
            self.lines.append((line, ws))
        if wi < len(self.words) and not speech:
            self.lines.append((Segment(SPEECH, self.words[0].start_frame, self.words[-1].end_frame),
                               self.words[wi:]))
        self._render()
        self._current = None
        self._update_status()
        if self.search.text():
            self._on_search(self.search.text())
        self.set_playhead(getattr(self.ctx, "playhead", 0))

    def _update_status(self) -> None:
        project, video = self.ctx.project, self.ctx.video
        if project is None or video is None:
            self.status.setText("No video open.")
            return
        st = project.get_setting(f"speech.status.{video.id}")
        if not self.lines:
            if st and not st.get("audio"):
                msg = "; ".join(st.get("messages") or []) or "no audio"
                self.status.setText(f"No speech analysis: {msg}.")
            else:
                self.status.setText("No transcript yet: run the speech analysis.")
            return
        model = f" · {st['model']}" if st and st.get("model") else ""
        self.status.setText(f"{len(self.lines)} lines, {len(self.words)} words{model}")

    def _render(self) -> None:
        self.view.clear()
        self._word_pos.clear()
        doc = self.view.document()
        doc.setDefaultStyleSheet("a { text-decoration: none; }")
        cur = QTextCursor(doc)
        plain = QTextCharFormat()
        time_fmt = QTextCharFormat()
        time_fmt.setForeground(QColor("#7f8c8d"))
        rate = self.ctx.clock
        text_color = self.palette().color(self.foregroundRole())
        for li, (line, ws) in enumerate(self.lines):
            if li:
                cur.insertBlock()
            t = rate.time(line.start_frame) if rate is not None else 0.0
            f = QTextCharFormat(time_fmt)
            f.setAnchor(True)
            f.setAnchorHref(f"t:{line.start_frame}")
            cur.insertText(clock_text(t, millis=False), f)
            cur.insertText("  ", plain)
            if not ws:
                cur.insertText(line.label or "…", plain)
                continue
            for k, w in enumerate(ws):
                if k:
                    cur.insertText(" ", plain)
                wf = QTextCharFormat()
                wf.setAnchor(True)
                wf.setAnchorHref(f"w:{w.id}")
                wf.setForeground(text_color)
                if w.attrs.get("interpolated"):
                    wf.setFontItalic(True)
                    wf.setToolTip("time interpolated (weak alignment)")
                if w.status == "accepted" and w.source.startswith("user:"):
                    wf.setFontUnderline(True)
                pos = cur.position()
                text = w.label or ""
                cur.insertText(text, wf)
                if w.id is not None:
                    self._word_pos[w.id] = (pos, len(text))

    def _on_segments_changed(self, change: Any) -> None:
        tracks = getattr(change, "tracks", None)
        if change is None or tracks is None or tracks & {SPEECH, WORD}:
            self.reload()

    # -- playhead ------------------------------------------------------------------------------
    def word_at(self, frame: int) -> Segment | None:
        i = bisect.bisect_right(self._starts, frame) - 1
        if i >= 0 and self.words[i].start_frame <= frame < self.words[i].end_frame:
            return self.words[i]
        return None

    @property
    def current_word(self) -> Segment | None:
        if self._current is None:
            return None
        return next((w for w in self.words if w.id == self._current), None)

    def set_playhead(self, frame: int) -> None:
        w = self.word_at(frame)
        wid = w.id if w is not None else None
        if wid == self._current:
            return
        self._current = wid
        sels = []
        if wid is not None and wid in self._word_pos:
            pos, n = self._word_pos[wid]
            sel = QTextEdit.ExtraSelection()
            c = QTextCursor(self.view.document())
            c.setPosition(pos)
            c.setPosition(pos + n, QTextCursor.MoveMode.KeepAnchor)
            sel.cursor = c  # type: ignore[attr-defined]
            fmt = QTextCharFormat()
            fmt.setBackground(QColor("#f1c40f"))
            fmt.setForeground(QColor("#000000"))
            sel.format = fmt  # type: ignore[attr-defined]
            sels.append(sel)
            vis = QTextCursor(self.view.document())
            vis.setPosition(pos)
            self.view.setTextCursor(vis)
            self.view.ensureCursorVisible()
        self.view.setExtraSelections(sels)

    # -- clicks --------------------------------------------------------------------------------
    def _on_anchor(self, url: QUrl) -> None:
        href = url.toString()
        kind, _, val = href.partition(":")
        if kind == "t":
            self.ctx.seek(int(val))
        elif kind == "w":
            w = next((x for x in self.words if x.id == int(val)), None)
            if w is not None:
                self.seek_word(w)

    def seek_word(self, word: Segment) -> None:
        self.ctx.seek(word.start_frame)
        if hasattr(self.ctx, "select"):
            self.ctx.select(word)

    def _on_anchor_double(self, href: str) -> None:
        kind, _, val = href.partition(":")
        if kind != "w":
            return
        w = next((x for x in self.words if x.id == int(val)), None)
        if w is None:
            return
        text, ok = QInputDialog.getText(self, "Correct word", "Word:", text=w.label or "")
        if ok and text.strip() and text.strip() != w.label:
            self.correct_word(w.id or 0, text.strip())

    # -- corrections ---------------------------------------------------------------------------
    def correct_word(self, word_id: int, text: str) -> Any:
        """Change a word's text (and its line's text) as one undoable edit; returns the ChangeSet."""
        from core.edit.ops import Batch, Relabel

        word = next((w for w in self.words if w.id == word_id), None)
        if word is None:
            raise ValueError(f"no word {word_id} in the transcript")
        edits: list[Any] = [Relabel([word_id], text)]
        for line, ws in self.lines:
            if line.id is not None and any(w.id == word_id for w in ws):
                sentence = " ".join(text if w.id == word_id else (w.label or "") for w in ws)
                if sentence != line.label:
                    edits.append(Relabel([line.id], sentence))
                break
        edit = Batch(f"Correct word '{word.label}' → '{text}'", edits) if len(edits) > 1 else edits[0]
        return self.ctx.apply(edit)

    # -- search --------------------------------------------------------------------------------
    def find_words(self, query: str) -> list[int]:
        """Indexes of the words where ``query`` (a word or phrase, any case) starts."""
        q = _norm(query)
        if not q:
            return []
        flat_parts: list[str] = []
        offsets: list[int] = []
        pos = 0
        for w in self.words:
            t = _norm(w.label or "")
            offsets.append(pos)
            flat_parts.append(t)
            pos += len(t) + 1
        flat = " ".join(flat_parts)
        out: list[int] = []
        start = flat.find(q)
        while start >= 0:
            i = bisect.bisect_right(offsets, start) - 1
            if not out or out[-1] != i:
                out.append(i)
            start = flat.find(q, start + 1)
        return out

    def _on_search(self, text: str) -> None:
        self.hits = self.find_words(text)
        self._hit_index = -1
        self.hit_list.clear()
        self.hit_list.setVisible(bool(text.strip()))
        clock = self.ctx.clock
        for i in self.hits:
            w = self.words[i]
            t = clock.time(w.start_frame) if clock is not None else 0.0
            ctx_words = " ".join((x.label or "") for x in self.words[max(0, i - 3):i + 5])
            item = QListWidgetItem(f"{clock_text(t, millis=False)}  {ctx_words}")
            item.setData(Qt.ItemDataRole.UserRole, i)
            self.hit_list.addItem(item)
        if text.strip() and not self.hits:
            self.hit_list.addItem(QListWidgetItem("no matches"))

    def _on_hit_item(self, item: QListWidgetItem) -> None:
        i = item.data(Qt.ItemDataRole.UserRole)
        if i is not None:
            self._hit_index = self.hits.index(int(i))
            self.seek_word(self.words[int(i)])

    def next_hit(self) -> None:
        """Jump to the next search hit (wraps around)."""
        if not self.hits:
            return
        self._hit_index = (self._hit_index + 1) % len(self.hits)
        self.hit_list.setCurrentRow(self._hit_index)
        self.seek_word(self.words[self.hits[self._hit_index]])

    # -- settings ------------------------------------------------------------------------------
    def open_settings(self) -> None:
        project = self.ctx.project
        if project is None:
            return
        dlg = SpeechSettingsDialog(project.get_setting("speech"), self)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            save_speech_settings(project, dlg.values())
            self.status.setText("Speech settings saved: re-run the speech analysis to apply them.")


def main(argv: list[str] | None = None) -> int:
    from PySide6.QtWidgets import QApplication

    from app.review.context import ReviewContext
    from core.store.project import Project

    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m app.panels.transcript PROJECT", file=sys.stderr)
        return 2
    app = QApplication.instance() or QApplication(sys.argv)
    ctx = ReviewContext()
    ctx.set_project(Project(args[0], create=False))
    panel = TranscriptPanel(ctx)
    panel.resize(420, 600)
    panel.show()
    return int(app.exec())


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["SpeechSettingsDialog", "TranscriptPanel", "save_speech_settings"]
