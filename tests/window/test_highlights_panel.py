"""Reel panel: list in reel order with why, accept/reject, reorder, speech-safe trim, cover,
reel playback through ctx.seek, export and report on worker threads."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.media.reader import probe
from core.segments import ACCEPTED, HIGHLIGHT, REJECTED, SPEECH, Segment
from core.store.project import Project
from core.testing.synth import make_clip


@pytest.fixture
def ctx_panel(qtbot, tmp_path: Path):
    from app.review.context import ReviewContext
    from app.panels.highlights import ReelPanel

    video = tmp_path / "clip.mp4"
    make_clip(video, frames=400, size=(64, 48))
    p = Project(tmp_path / "p.clipdesk")
    vid = p.add_video(probe(video)).id
    for start, end, label, order in ((200, 260, "goal", 2), (20, 80, "moment", 1), (300, 360, "point", 3)):
        p.insert_segment(vid, Segment(HIGHLIGHT, start, end, label, 0.8,
                                      {"score": 0.8, "why": [f"why of {label}"], "order": order},
                                      source="model:highlights@1"))
    p.insert_segment(vid, Segment(SPEECH, 30, 50, "words", source="model:t@1"))
    ctx = ReviewContext()
    ctx.set_project(p)
    panel = ReelPanel(ctx)
    qtbot.addWidget(panel)
    yield ctx, panel, p
    panel.stop()
    p.close()


def _labels(panel) -> list[str | None]:
    return [s.label for s in panel.items]


def test_list_review_reorder_and_undo(ctx_panel) -> None:
    ctx, panel, p = ctx_panel
    assert _labels(panel) == ["moment", "goal", "point"]
    assert panel.list.count() == 3 and "why of moment" in panel.list.item(0).text()
    panel.list.setCurrentRow(0)
    assert ctx.playhead == 20 and "why of moment" in panel.why.text()
    panel.set_status(ACCEPTED)
    assert panel.items[0].status == ACCEPTED
    panel.list.setCurrentRow(2)
    panel.set_status(REJECTED)
    assert panel.items[2].status == REJECTED and "\u2717" in panel.list.item(2).text()
    panel.list.setCurrentRow(0)
    panel.move(1)
    assert _labels(panel) == ["goal", "moment", "point"]
    assert panel.current() is not None and panel.current().label == "moment"
    ctx.undo()
    assert _labels(panel) == ["moment", "goal", "point"]
    ctx.undo()
    ctx.undo()
    assert {s.status for s in p.segments(ctx.video.id, HIGHLIGHT)} == {"suggested"}


def test_trim_is_speech_safe_and_cover(ctx_panel) -> None:
    ctx, panel, _ = ctx_panel
    panel.list.setCurrentRow(0)  # 20..80, speech 30..50
    ctx.set_playhead(40)
    panel.trim("in")
    s = panel.current()
    assert s is not None and s.start_frame == 30 and "speech pause" in panel.status.text()
    ctx.set_playhead(70)
    panel.trim("out")
    assert panel.current().end_frame == 71
    ctx.set_playhead(60)
    panel.set_cover()
    assert panel.current().attrs["cover_frame"] == 60
    ctx.set_playhead(5)
    panel.set_cover()
    assert "outside" in panel.status.text()


def test_play_reel_walks_accepted_highlights_in_order(ctx_panel) -> None:
    ctx, panel, _ = ctx_panel
    for row in (2, 1):  # accept "point" and "goal"; "moment" stays suggested and is skipped
        panel.list.setCurrentRow(row)
        panel.set_status(ACCEPTED)
    panel.list.setCurrentRow(2)
    panel.move(-1)  # point before goal
    assert [s.label for s in panel.reel()] == ["point", "goal"]
    seen: list[int] = []
    ctx.seekRequested.connect(seen.append)
    panel.play_reel()
    assert ctx.playhead == 300 and panel._timer.isActive()
    for _ in range(200):
        if not panel._timer.isActive():
            break
        panel._tick()
    assert not panel._timer.isActive() and panel.status.text() == "reel finished"
    assert seen[0] == 300 and 359 in seen and seen[seen.index(359) + 1] == 200
    assert seen[-1] == 259 and not any(20 <= f < 80 for f in seen)


def test_export_and_report_from_the_panel(ctx_panel, qtbot, tmp_path: Path) -> None:
    ctx, panel, _ = ctx_panel
    out = tmp_path / "reel"
    panel.export_to(str(out), media=("still",))
    qtbot.waitUntil(lambda: not panel.busy, timeout=60000)
    assert "reel exported: 3" in panel.status.text(), panel.status.text()
    # files are named after each highlight's title (here proposed from the commentary's words)
    assert (out / "reel.fcpxml").exists()
    stills = sorted(p.name for p in out.glob("01_*.jpg"))
    assert len(stills) == 1 and stills[0].startswith("01_Highlight-words_0-0"), stills
    assert "Highlight: \u201cwords\u201d" in (out / "reel.fcpxml").read_text()
    panel.report_to(str(tmp_path / "r.html"))
    qtbot.waitUntil(lambda: not panel.busy, timeout=60000)
    assert (tmp_path / "r.html").read_text().count("<section") == 8


def test_target_preset_is_a_project_setting(ctx_panel) -> None:
    from core.highlights.reel import settings_from

    ctx, panel, p = ctx_panel
    assert panel.target.currentIndex() == 0
    i = panel.target.findData("15s")
    panel.target.setCurrentIndex(i)
    panel._on_target(i)
    assert p.get_setting("highlights") == "15s" and settings_from(p.get_setting("highlights")).clip_s == 15.0
    panel.refresh()
    assert panel.target.currentData() == "15s"


def test_panel_loads_through_the_registry() -> None:
    from app.panels.registry import load_panels

    (spec,) = load_panels([("app.panels.highlights", "ReelPanel")])
    assert (spec.title, spec.area) == ("Highlights", "right")
