"""Timeline markers (offscreen Qt): ReviewContext marker sets are drawn as ticks over the ruler,
clicking one seeks to its exact frame, and the search panel publishes the current video's hits."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtGui import QColor  # noqa: E402

from app.review.context import ReviewContext  # noqa: E402
from app.timeline.view import HEADER_W, RULER_H, Timeline  # noqa: E402
from core.media.reader import probe  # noqa: E402
from core.store import Project  # noqa: E402


@pytest.fixture
def session(qtbot, tmp_path: Path, make_video):
    project = Project(tmp_path / "p.clipdesk")
    a = project.add_video(probe(make_video("a.mp4", frames=100, size=(64, 48)))).id
    b = project.add_video(probe(make_video("b.mp4", frames=80, size=(64, 48), seed=3))).id
    ctx = ReviewContext()
    ctx.set_project(project, a)
    tl = Timeline(ctx)
    qtbot.addWidget(tl)
    tl.resize(1000, 300)
    tl.show()
    qtbot.waitExposed(tl)
    yield ctx, tl, project, a, b
    if tl.canvas.thumbs is not None:
        tl.canvas.thumbs.close()
    project.close()


def _tick_column(img, x: int, color: QColor) -> int:
    """How many ruler pixels around column ``x`` have the marker colour."""
    hits = 0
    for dx in (-1, 0, 1):
        for y in range(6, RULER_H - 1):
            c = img.pixelColor(x + dx, y)
            if abs(c.red() - color.red()) + abs(c.green() - color.green()) + abs(c.blue() - color.blue()) < 40:
                hits += 1
    return hits


def test_context_markers_api(session) -> None:
    ctx, _tl, _project, _a, b = session
    seen: list[int] = []
    ctx.markersChanged.connect(lambda: seen.append(1))
    ctx.set_markers("search", [40, 10, 10, 500])
    assert ctx.markers() == {"search": [10, 40, 99]}  # sorted, unique, clamped to the video
    ctx.set_markers("search", [10, 40, 99])
    assert len(seen) == 1  # no change, no signal
    ctx.set_markers("other", [])
    assert "other" not in ctx.markers()
    ctx.set_video(b)
    assert ctx.markers() == {}  # frames of another video are dropped


def test_timeline_draws_markers_and_click_seeks(qtbot, session) -> None:
    ctx, tl, _project, _a, _b = session
    c = tl.canvas
    c.fit()
    color = c.marker_color("search")
    x = int(round(c.x_of(60)))
    assert _tick_column(c.grab().toImage(), x, color) == 0
    ctx.set_markers("search", [20, 60])
    img = c.grab().toImage()
    assert _tick_column(img, x, color) > 5
    assert _tick_column(img, int(round(c.x_of(20))), color) > 5
    assert _tick_column(img, int(round(c.x_of(40))), color) == 0
    assert ctx.playhead == 0
    qtbot.mouseClick(c, Qt.MouseButton.LeftButton, pos=QPoint(x + 1, RULER_H // 2))
    assert ctx.playhead == 60
    # away from any marker the ruler still scrubs to the clicked frame
    x2 = int(round(c.x_of(85)))
    assert x2 > HEADER_W
    qtbot.mouseClick(c, Qt.MouseButton.LeftButton, pos=QPoint(x2, RULER_H // 2))
    assert ctx.playhead not in (20, 60) and abs(ctx.playhead - 85) <= 1


def test_search_panel_publishes_current_video_hits(qtbot, session) -> None:
    from app.panels.search import MARKER_NAME, SearchPanel
    from models.search.index import Hit

    ctx, _tl, project, a, b = session
    panel = SearchPanel(ctx)
    qtbot.addWidget(panel)
    here = str(project.path)
    hits = [Hit(a, "a.mp4", "a.mp4", 30, 1.2, 0.9, here), Hit(b, "b.mp4", "b.mp4", 12, 0.5, 0.8, here),
            Hit(a, "a.mp4", "a.mp4", 70, 2.8, 0.7, here),
            Hit(a, "x.mp4", "x.mp4", 5, 0.2, 0.6, str(Path(here).with_name("other.clipdesk")))]
    panel.resultsReady.emit(hits, "")
    assert ctx.markers()[MARKER_NAME] == [30, 70]  # this video, this project only
    panel.open_hit(hits[1])  # switches to video b: its hit becomes the marker
    assert ctx.video.id == b and ctx.playhead == 12
    assert ctx.markers()[MARKER_NAME] == [12]
    panel.resultsReady.emit([], "No matches")
    assert MARKER_NAME not in ctx.markers()
