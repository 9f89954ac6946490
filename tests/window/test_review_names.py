"""Readable names instead of raw internals (app.review.names): highlight names from their cues,
"shot N" instead of a confidence, a why that follows a trim, history rows as sentences, and the
inspector's attribute list with its Raw toggle, following a timeline drag live."""

from __future__ import annotations

import json

from PySide6.QtCore import QPoint, Qt

from app.review.names import attr_lines, display_label, highlight_name, history_lines, why_lines
from app.window.main_window import MainWindow
from core import segments as sg
from core.segments import Segment
from core.timebase import FrameClock, Rate

CLK = FrameClock(Rate(25, 1), 2000)
WHY = ["crowd/commentary peak at 0:42: -18 LUFS, +9 LU over the video's median (excitement 0.81)",
       "in at shot boundary, out at silence; 7.0 s (target 6.0 s)"]


def _hl(label: str | None, signals: dict, why: list[str] = WHY, start: int = 1000,
        end: int = 1175) -> Segment:
    return Segment(sg.HIGHLIGHT, start, end, label, 0.8,
                   {"why": why, "signals": signals, "anchor": 1050, "score": 0.8, "order": 1,
                    "bounds": {"start": "shot", "end": "silence"}, "target_s": 6.0})


def test_highlights_are_named_from_their_cues_not_moment() -> None:
    crowd = _hl("moment", {"excitement": 0.81, "kinds": ["excitement"]})
    assert highlight_name(crowd, CLK) == "applause 0:42"  # anchor frame 1050 at 25 fps
    goal = _hl("goal", {"events": ["goal"], "kinds": ["event"]},
               why=["score changed 1-1 \u2192 2-1 (HOM) at 0:41 (match clock 21:11)"])
    assert highlight_name(goal, CLK) == "goal 2-1"
    action = _hl("moment", {"actions": [["pass", 0.4], ["header", 0.9]], "kinds": ["action"]})
    assert highlight_name(action, CLK) == "header 0:42"
    rhythm = _hl(None, {"shot_rhythm": {"shots": 5}, "kinds": ["rhythm"]})
    assert highlight_name(rhythm, CLK).startswith("fast cutting")
    assert highlight_name(_hl("my title", {}), CLK) == "my title 0:42"


def test_shot_blocks_say_shot_n_never_a_confidence() -> None:
    shot = Segment(sg.SHOT, 0, 50, None, 0.47)
    assert display_label(shot, 2, CLK) == "shot 3"
    assert "0.47" not in display_label(Segment(sg.ACTION, 0, 9, None, 0.47), 0, CLK)
    assert display_label(Segment(sg.SHOT, 0, 50, "close-up", 0.85), 0, CLK) == "close-up"


def test_why_follows_the_current_bounds_after_a_trim() -> None:
    trimmed = _hl("moment", {"excitement": 0.8}, end=1000 + 120)  # 4.8 s at 25 fps
    lines = why_lines(trimmed, CLK)
    assert "4.8 s (target 6.0 s)" in lines[1] and "7.0 s" not in lines[1]
    attrs = attr_lines(trimmed, CLK)
    assert attrs[:2] == lines  # the why first
    assert not any(line.lstrip().startswith("{") for line in attrs)  # no JSON


def test_history_rows_read_as_sentences() -> None:
    rows = [
        {"op": "update", "field": "start_frame", "old_value": 1000, "new_value": 1000 + 10,
         "batch": "b1", "who": "ed", "at": "2026-01-01T10:00:00"},
        {"op": "update", "field": "end_frame", "old_value": 1175, "new_value": 1130,
         "batch": "b1", "who": "ed", "at": "2026-01-01T10:00:00"},
        {"op": "update", "field": "label", "old_value": "kick", "new_value": "header",
         "batch": "b2", "who": "ed", "at": "2026-01-01T10:01:00"},
        {"op": "update", "field": "attrs", "old_value": {"anchor": 600, "why": ["a"]},
         "new_value": {"anchor": 700, "why": ["b"]}, "batch": "b3", "who": "ed",
         "at": "2026-01-01T10:02:00"},
    ]
    out = [h["change"] for h in history_lines(rows, CLK)]
    assert out == ["trimmed 7.0 s \u2192 4.8 s", "label: kick \u2192 header", "anchor: 600 \u2192 700"]


def _add_highlight(w: MainWindow) -> Segment:
    from core.edit.ops import AddSegment

    n = w.ctx.frame_count
    edit = AddSegment(w.ctx.video.id, _hl("moment", {"excitement": 0.8, "kinds": ["excitement"]},
                                          start=n // 2, end=n // 2 + 100))
    w.ctx.apply(edit)
    seg = w.project.segment(edit.id)
    w.ctx.select(seg)
    return seg


def test_inspector_attributes_readable_raw_toggle_and_trim_history(qtbot, win: MainWindow) -> None:
    from core.edit.ops import SetBounds

    seg = _add_highlight(win)
    insp = win.inspector
    text = insp.fields["Attributes"].text()
    assert text.startswith("\u2022 crowd/commentary peak") and "{" not in text
    assert "applause" in insp.heading.text()
    insp.raw.setChecked(True)
    assert json.loads(insp.fields["Attributes"].text())["anchor"] == 1050
    insp.raw.setChecked(False)
    win.ctx.apply(SetBounds(seg.id, seg.start_frame, seg.start_frame + 60))  # 4.0 s -> 2.4 s
    assert "2.4 s (target" in insp.fields["Attributes"].text()
    changes = [insp.history.topLevelItem(i).text(2) for i in range(insp.history.topLevelItemCount())]
    assert "trimmed 4.0 s \u2192 2.4 s" in changes
    assert not any("{" in c for c in changes)


def test_inspector_follows_an_edge_drag_live(qtbot, win: MainWindow) -> None:
    seg = _add_highlight(win)
    c = win.timeline.canvas
    y = int(dict(c.track_rows())[sg.HIGHLIGHT] + 10)
    x_end = int(round(c.x_of(seg.end_frame)))
    qtbot.mousePress(c, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.AltModifier, QPoint(x_end, y))
    assert c._drag is not None and c._drag["kind"] == "edge"
    x_new = x_end + 40
    qtbot.mouseMove(c, QPoint(x_new, y))
    live = c._drag["end"]
    assert live > seg.end_frame
    assert f"frame {live}" in win.inspector.fields["End"].text()  # before the release
    assert win.project.segment(seg.id).end_frame == seg.end_frame
    qtbot.mouseRelease(c, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.AltModifier, QPoint(x_new, y))
    assert win.project.segment(seg.id).end_frame == live
    assert f"frame {live}" in win.inspector.fields["End"].text()
