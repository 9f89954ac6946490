"""One time format everywhere (View > Time format): timecode (drop-frame at 29.97), seconds or
frames, remembered in the settings and used by the inspector, its history, the player's time
label and the action review queue."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.review.settings import Settings
from app.review.timefmt import FRAMES, SECONDS, TIMECODE, drop_frame_timecode, format_frame
from app.window.main_window import MainWindow
from core import segments as sg
from core.testing.demo import copy_project
from core.timebase import FrameClock, Rate


def test_formats_and_drop_frame() -> None:
    ntsc = Rate(30000, 1001)
    assert drop_frame_timecode(1799, ntsc) == "00:00:59;29"
    assert drop_frame_timecode(1800, ntsc) == "00:01:00;02"  # ;00 and ;01 are skipped
    assert drop_frame_timecode(17982, ntsc) == "00:10:00;00"  # but not every tenth minute
    assert drop_frame_timecode(107892, ntsc) == "01:00:00;00"
    assert format_frame(1800, ntsc, None, TIMECODE) == "00:01:00;02"
    pal = Rate(25)
    clk = FrameClock(pal, 1000)
    assert format_frame(130, pal, clk, TIMECODE) == "00:00:05:05"
    assert format_frame(130, pal, clk, SECONDS) == "0:05.200"
    assert format_frame(130, pal, clk, FRAMES) == "130"


def _window(qtbot, template: Path, tmp_path: Path) -> MainWindow:
    w = MainWindow(interactive=False, audio=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.open_project(copy_project(template, tmp_path))
    return w


def test_view_menu_time_format_applies_everywhere_and_is_kept(qtbot, template: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from core.edit.ops import SetBounds

    monkeypatch.setenv("CLIPDESK_CONFIG_DIR", str(tmp_path / "cfg"))
    w = _window(qtbot, template, tmp_path)
    ctx = w.ctx
    seg = ctx.segments(sg.ACTION)[0]
    ctx.apply(SetBounds(seg.id, seg.start_frame + 5, seg.end_frame + 5))  # same length: "moved"
    ctx.select(w.project.segment(seg.id))
    ctx.seek(130)
    assert "00:00:05:05" in w.player.tc_label.text()
    w.time_actions[SECONDS].trigger()
    assert ctx.time_format == SECONDS
    start = seg.start_frame + 5
    assert w.inspector.fields["Start"].text().startswith(ctx.fmt_frame(start))
    assert ":" in ctx.fmt_frame(start) and "." in ctx.fmt_frame(start)
    assert w.player.tc_label.text().startswith("0:05.200")
    hist = [w.inspector.history.topLevelItem(i).text(2) for i in range(w.inspector.history.topLevelItemCount())]
    assert any(h.startswith(f"moved {ctx.fmt_frame(seg.start_frame)} \u2192 {ctx.fmt_frame(start)}")
               for h in hist)
    w.time_actions[FRAMES].trigger()
    assert w.inspector.fields["Start"].text() == str(start)
    assert w.inspector.fields["Duration"].text() == f"{seg.length} frames"
    actions = next(p for p in w.plugin_panels if type(p).__name__ == "ActionPanel")
    actions.threshold.setValue(actions.threshold.maximum())
    actions.refresh_queue()
    texts = [actions.queue.item(i).text() for i in range(actions.queue.count())]
    assert texts and any(t.endswith(f"  {s.start_frame}") for t in texts for s in ctx.segments(sg.ACTION))
    w.close()
    assert Settings().time_format() == FRAMES  # remembered
    (tmp_path / "again").mkdir()
    w2 = _window(qtbot, template, tmp_path / "again")
    assert w2.ctx.time_format == FRAMES and w2.time_actions[FRAMES].isChecked()
    w2.close()
