"""Search panel and scoreboard overlay (offscreen Qt): find-similar from the playhead frame lists
hits and clicking one seeks; the overlay outlines the board box at frames with a reading."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QRectF  # noqa: E402
from PySide6.QtGui import QColor, QImage, QPainter  # noqa: E402

from core.pipeline import analyze  # noqa: E402
from core.segments import SCOREBOARD, Segment  # noqa: E402
from core.store import Project  # noqa: E402
from core.testing.synth import ShotSpec, make_edit  # noqa: E402


@pytest.fixture
def search_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from models.search.stage import SearchStage

    monkeypatch.setenv("CLIPDESK_DATA_DIR", str(tmp_path / "userdata"))
    video = tmp_path / "edit.mp4"
    truth = make_edit(video, [ShotSpec(40) for _ in range(4)], size=(320, 180), seed=5)
    p = Project(tmp_path / "p.clipdesk")
    analyze(p, video, [SearchStage()])
    vid = p.videos()[0].id
    p.insert_segment(vid, Segment(SCOREBOARD, 0, 80, "2-1", 1.0,
                                  {"box": [10, 10, 100, 30], "home": "HOM", "away": "AWY",
                                   "clock": "12:00"}, "model:test@1"))
    yield p, truth
    p.close()


def test_find_similar_lists_hits_and_click_seeks(qtbot, search_project):
    from app.review.context import ReviewContext
    from app.panels.search import SearchPanel

    project, truth = search_project
    ctx = ReviewContext()
    ctx.set_project(project)
    panel = SearchPanel(ctx)
    qtbot.addWidget(panel)
    assert panel.title == "Search" and panel.area == "right"
    assert any(o.name == "scoreboard" for o in ctx.overlays)
    a, b = truth.shots[2]
    ctx.set_playhead((a + b) // 2 + 3)
    with qtbot.waitSignal(panel.resultsReady, timeout=60000):
        panel.search_current_frame()
    qtbot.waitUntil(lambda: panel.list.count() > 0, timeout=30000)
    first = panel.hits[0]
    assert a <= first.frame < b
    ctx.set_playhead(0)
    panel._activate(panel.list.item(0))
    assert ctx.playhead == first.frame
    assert "match" in panel.status.text()


def test_scoreboard_overlay_paints_box_only_where_read(qtbot, search_project):
    from app.review.context import ReviewContext
    from app.player.scoreboard_overlay import ScoreboardOverlay, reading_text

    project, _ = search_project
    ctx = ReviewContext()
    ctx.set_project(project)
    ov = ScoreboardOverlay(ctx)
    seg = ov.segment_at(5)
    assert seg is not None and reading_text(seg) == "HOM  2-1  AWY  12:00"
    assert ov.segment_at(100) is None

    def render(frame: int) -> QImage:
        img = QImage(640, 360, QImage.Format.Format_RGB32)
        img.fill(QColor(0, 0, 0))
        p = QPainter(img)
        ov.paint(p, frame, QRectF(0, 0, 640, 360), (320, 180))
        p.end()
        return img

    on = render(5)
    c = on.pixelColor(20, 40)  # the box's left edge: source (10, 10..40) scaled x2
    assert c.red() > 200 and c.green() > 150 and c.blue() < 80
    off = render(100)
    assert off.pixelColor(20, 40).red() == 0
