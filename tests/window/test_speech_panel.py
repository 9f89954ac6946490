"""app.panels.transcript with pytest-qt (offscreen) on a small project with a known transcript."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QUrl  # noqa: E402

from app.review.context import ReviewContext  # noqa: E402
from app.panels.transcript import SpeechSettingsDialog, TranscriptPanel, save_speech_settings  # noqa: E402
from core.media.reader import probe  # noqa: E402
from core.segments import SPEECH, WORD, Segment  # noqa: E402
from core.testing.synth import make_clip  # noqa: E402

LINES = [(0, 40, "and so my fellow americans"), (60, 110, "ask not what your country can do")]


@pytest.fixture
def ctx(qtbot, tmp_path, project):
    edit = make_clip(tmp_path / "v.mp4", frames=120)
    video = project.add_video(probe(edit.path))
    for a, b, text in LINES:
        project.insert_segment(video.id, Segment(SPEECH, a, b, text, 0.9, source="model:test@1"))
        words = text.split()
        step = (b - a) // len(words)
        for k, w in enumerate(words):
            project.insert_segment(video.id, Segment(WORD, a + k * step, a + (k + 1) * step, w, 0.8,
                                                     source="model:test@1"))
    project.set_setting(f"speech.status.{video.id}", {"audio": True, "messages": [], "model": "tiny"})
    c = ReviewContext()
    c.set_project(project, video.id)
    return c


@pytest.fixture
def panel(qtbot, ctx):
    p = TranscriptPanel(ctx)
    qtbot.addWidget(p)
    p.show()
    return p


def test_panel_shows_lines_and_words(panel):
    assert TranscriptPanel.title == "Transcript" and TranscriptPanel.area == "right"
    assert len(panel.lines) == 2 and len(panel.words) == 12
    text = panel.view.toPlainText()
    assert "fellow americans" in text and "your country can do" in text
    assert "0:00" in text and "0:02" in text  # line times (frame 60 at 25 fps = 2.4 s)
    assert "2 lines, 12 words" in panel.status.text()


def test_playhead_highlights_the_current_word(panel, ctx):
    w = next(x for x in panel.words if x.label == "country")
    ctx.set_playhead(w.start_frame + 1)
    assert panel.current_word is not None and panel.current_word.id == w.id
    sels = panel.view.extraSelections()
    assert len(sels) == 1 and sels[0].cursor.selectedText() == "country"
    ctx.set_playhead(50)  # a pause: nothing highlighted
    assert panel.current_word is None and panel.view.extraSelections() == []


def test_click_word_seeks(panel, ctx, qtbot):
    w = next(x for x in panel.words if x.label == "fellow")
    with qtbot.waitSignal(ctx.seekRequested, timeout=10000) as sig:
        panel._on_anchor(QUrl(f"w:{w.id}"))
    assert sig.args == [w.start_frame] and ctx.playhead == w.start_frame
    assert panel.current_word is not None and panel.current_word.id == w.id
    with qtbot.waitSignal(ctx.seekRequested, timeout=10000) as sig:
        panel._on_anchor(QUrl("t:60"))
    assert sig.args == [60]


def test_search_lists_hits_and_jumps(panel, ctx):
    panel.search.setText("Fellow Americans")
    assert len(panel.hits) == 1 and panel.hit_list.count() == 1 and panel.hit_list.isVisible()
    panel.next_hit()
    assert ctx.playhead == next(x for x in panel.words if x.label == "fellow").start_frame
    panel.search.setText("o")  # substring hits: so, fellow, not, your, country, do
    assert len(panel.hits) == 6
    panel.search.setText("zebra")
    assert panel.hits == [] and panel.hit_list.item(0).text() == "no matches"
    panel.search.setText("")
    assert not panel.hit_list.isVisible()


def test_correct_word_is_undoable_and_kept_in_history(panel, ctx):
    project, vid = ctx.project, ctx.video.id
    w = next(x for x in panel.words if x.label == "americans")
    panel.correct_word(w.id, "Americans,")
    assert project.segment(w.id).label == "Americans,"
    line = project.segments(vid, SPEECH)[0]
    assert line.label == "and so my fellow Americans,"
    hist = project.history(w.id)
    assert any(h["field"] == "label" and h["old_value"] == "americans" for h in hist)
    assert "Americans," in panel.view.toPlainText()  # the panel refreshed
    ctx.undo()
    assert project.segment(w.id).label == "americans"
    assert project.segments(vid, SPEECH)[0].label == "and so my fellow americans"
    ctx.redo()
    assert project.segment(w.id).label == "Americans,"
    with pytest.raises(ValueError):
        panel.correct_word(999999, "x")


def test_settings_dialog_values_and_check(qtbot, tmp_path):
    dlg = SpeechSettingsDialog({"language": "de", "beam_size": 3})
    qtbot.addWidget(dlg)
    v = dlg.values()
    assert v["language"] == "de" and v["beam_size"] == 3 and v["model_dir"] is None
    assert dlg.check() is None  # bundled model
    dlg.model_dir.setText(str(tmp_path))
    assert "model.bin" in (dlg.check() or "")
    dlg._accept()
    assert "model.bin" in dlg.error.text()


def test_panel_without_speech_explains_why(qtbot, tmp_path, project):
    edit = make_clip(tmp_path / "mute.mp4", frames=10)
    video = project.add_video(probe(edit.path))
    project.set_setting(f"speech.status.{video.id}", {"audio": False, "messages": ["no audio stream"]})
    c = ReviewContext()
    c.set_project(project, video.id)
    p = TranscriptPanel(c)
    qtbot.addWidget(p)
    assert p.lines == [] and "no audio stream" in p.status.text()
    c.set_project(None)
    assert "No video" in p.status.text()


def test_saved_settings_change_the_speech_stage_parameters(project):
    from models.stages import available_stages

    def speech_params():
        stages = available_stages(project.get_setting("analysis", {}))
        return next(s for s in stages if s.name == "speech").params()

    project.set_setting("analysis", {"other": 1})
    before = speech_params()
    save_speech_settings(project, {"model_dir": None, "language": "en", "compute_type": "int8",
                                   "device": "cpu", "beam_size": 2})
    assert project.get_setting("speech")["beam_size"] == 2
    assert project.get_setting("analysis")["other"] == 1
    after = speech_params()
    assert after != before and after["beam"] == 2
