"""Reframe QA panel and pose overlay offscreen: plan, drag-to-pin with undo, mode, approve, follow."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt  # noqa: E402
from PySide6.QtGui import QImage, QMouseEvent, QPainter  # noqa: E402

from app.review.context import ReviewContext  # noqa: E402
from app.panels.reframe import ReframePanel  # noqa: E402
from core.export.clip import ffmpeg_exe  # noqa: E402
from core.media.reader import probe  # noqa: E402
from core.persons.poses import COLS, POSE_SIGNAL  # noqa: E402
from core.segments import ACCEPTED, CROP  # noqa: E402

W, H, N = 640, 360, 60


@pytest.fixture
def ctx(qtbot, tmp_path: Path, project):
    video = tmp_path / "v.mp4"
    ramp = np.tile(np.linspace(40, 200, W, dtype=np.float32).astype(np.uint8), (H, 1))
    frames = np.stack([np.roll(ramp, 4 * i, axis=1) for i in range(N)])
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "gray", "-s", f"{W}x{H}",
                    "-r", "25", "-i", "pipe:0", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    str(video)],
                   input=frames.tobytes(), check=True)
    v = project.add_video(probe(video))
    rows = []
    for f in range(0, N, 5):  # person 1 walks right, person 2 stands on the left
        for tid, cx in ((1, 200 + 5 * f), (2, 60)):
            r = np.zeros(COLS, np.float32)
            r[0], r[1], r[2] = f, tid, 0.9
            r[3:7] = (cx - 20, 100, cx + 20, 300)
            rows.append(r)
    project.put_signal(v.id, POSE_SIGNAL, "test@1", np.stack(rows))
    c = ReviewContext()
    c.set_project(project)
    return c


def _plan(panel: ReframePanel, qtbot) -> None:
    panel.plan()
    qtbot.waitUntil(lambda: not panel._planning and panel.shot_list.count() == 1, timeout=10000)


def _mouse(kind: QEvent.Type, x: float, y: float) -> QMouseEvent:
    button = Qt.MouseButton.LeftButton
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else button
    return QMouseEvent(kind, QPointF(x, y), QPointF(x, y), button, buttons, Qt.KeyboardModifier.NoModifier)


def test_plan_pin_undo_mode_approve_follow(qtbot, ctx, project):
    panel = ReframePanel(ctx)
    qtbot.addWidget(panel)
    assert panel.title == "Reframe" and panel.area == "right"
    assert not {"poses", "reframe"} & {o.name for o in ctx.overlays}  # only while shown
    panel.show()
    assert {o.name for o in ctx.overlays} >= {"poses", "reframe"}
    _plan(panel, qtbot)
    seg = panel.segment_at(10)
    assert seg is not None and seg.attrs["aspect"] == "9:16" and seg.attrs["subject"] == 1
    before = dict(seg.attrs)

    # paint the overlays on an image the size of the source: target == source pixels
    img = QImage(W, H, QImage.Format.Format_RGB32)
    painter = QPainter(img)
    for ov in ctx.overlays:
        ov.paint(painter, 10, QRectF(0, 0, W, H), (W, H))
    painter.end()

    # drag the crop window 100 px to the left at frame 10: a pin, re-solved, one undo step
    ctx.seek(10)
    r = panel.rect_at(10)
    assert r is not None
    cx, cy = r[0] + r[2] / 2, r[1] + r[3] / 2
    ov = panel.overlay
    assert ov.eventFilter(panel, _mouse(QEvent.Type.MouseButtonPress, cx, cy))
    ov.eventFilter(panel, _mouse(QEvent.Type.MouseMove, cx - 60, cy))
    ov.eventFilter(panel, _mouse(QEvent.Type.MouseMove, cx - 100, cy))
    ov.eventFilter(panel, _mouse(QEvent.Type.MouseButtonRelease, cx - 100, cy))
    pinned = project.segment(seg.id)
    assert [p[0] for p in pinned.attrs["pins"]] == [10]
    r2 = panel.rect_at(10)
    assert r2 is not None and abs((r2[0] + r2[2] / 2) - max(r[2] / 2, cx - 100)) <= 2
    ctx.undo()
    assert project.segment(seg.id).attrs == before
    ctx.redo()
    assert project.segment(seg.id).attrs["pins"]

    panel.set_mode("static")
    assert project.segment(seg.id).attrs["mode"] == "static"
    panel.set_approved(True)
    s = project.segment(seg.id)
    assert s.attrs["approved"] is True and s.status == ACCEPTED
    assert "\u2713" in panel.shot_list.item(0).text()

    # a click (no drag) on person 2's box follows them
    ov.eventFilter(panel, _mouse(QEvent.Type.MouseButtonPress, 60, 200))
    ov.eventFilter(panel, _mouse(QEvent.Type.MouseButtonRelease, 60, 200))
    s = project.segment(seg.id)
    assert s.attrs["follow"] == 2 and s.attrs["subject"] == 2
    assert panel.poses.followed == 2
    assert [c.attrs["aspect"] for c in project.segments(ctx.video.id, CROP)] == ["9:16"]


def test_aspect_switch_and_empty_state(qtbot, ctx):
    panel = ReframePanel(ctx)
    qtbot.addWidget(panel)
    panel.aspect_box.setCurrentText("1:1")
    assert panel.aspect == "1:1" and panel.shot_list.count() == 0 and "Plan" in panel.status.text()
    _plan(panel, qtbot)
    r = panel.rect_at(0)
    assert r is not None and r[2] == r[3] == 360
    panel.update_preview(QImage(320, 180, QImage.Format.Format_RGB32), r, (W, H))
    assert panel.preview.source_rect.width() == pytest.approx(180)


def test_scoreboard_box_drawn_on_video_is_replaced_and_undoable(qtbot, ctx, project, tmp_path: Path):
    from core.export.clip import _overlay_for

    panel = ReframePanel(ctx)
    qtbot.addWidget(panel)
    panel.show()
    _plan(panel, qtbot)
    panel.overlay._target, panel.overlay._source = QRectF(0, 0, W, H), (W, H)
    panel.board_btn.setChecked(True)
    ov = panel.overlay
    ov.eventFilter(panel, _mouse(QEvent.Type.MouseButtonPress, 20, 300))
    ov.eventFilter(panel, _mouse(QEvent.Type.MouseMove, 200, 340))
    ov.eventFilter(panel, _mouse(QEvent.Type.MouseButtonRelease, 200, 340))
    assert not panel.board_btn.isChecked() and not ov.drawing_box
    seg = panel.segment_at(0)
    assert seg is not None and seg.attrs["overlay"] == {"box": [20, 300, 180, 40], "place": "top"}
    assert panel.board_box_at(0) == (20, 300, 180, 40)
    placed = _overlay_for(project, ctx.video.id, "9:16", 0, 10, (W, H))
    assert placed is not None and placed.box == (20, 300, 180, 40)
    panel.set_scoreboard_box(None)
    assert panel.board_box_at(0) is None and _overlay_for(project, ctx.video.id, "9:16", 0, 10, (W, H)) is None
    ctx.undo()
    assert panel.board_box_at(0) == (20, 300, 180, 40)


def test_closed_panel_leaves_the_video_alone(qtbot, ctx):
    panel = ReframePanel(ctx)
    qtbot.addWidget(panel)
    _plan(panel, qtbot)
    panel.show()
    qtbot.waitExposed(panel)
    panel.hide()
    assert not {"poses", "reframe"} & {o.name for o in ctx.overlays}
    panel.overlay._target, panel.overlay._source = QRectF(0, 0, W, H), (W, H)
    assert not panel.overlay.eventFilter(panel, _mouse(QEvent.Type.MouseButtonPress, 300, 100))
    panel.show()
    assert {"poses", "reframe"} <= {o.name for o in ctx.overlays}
