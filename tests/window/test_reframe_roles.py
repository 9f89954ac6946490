"""Roles in the Reframe panel's Follow list and on the pose overlay: "#1 player A", "#2 other"."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QRectF  # noqa: E402
from PySide6.QtGui import QImage, QPainter  # noqa: E402

from app.panels.reframe import ReframePanel  # noqa: E402
from app.review.context import ReviewContext  # noqa: E402
from core.export.clip import ffmpeg_exe  # noqa: E402
from core.media.reader import probe  # noqa: E402
from core.persons.poses import COLS, POSE_SIGNAL  # noqa: E402
from core.segments import PERSON, Segment  # noqa: E402

W, H, N = 640, 360, 40


def _row(f: int, tid: int, x1: float, y1: float, x2: float, y2: float) -> np.ndarray:
    r = np.zeros(COLS, np.float32)
    r[0], r[1], r[2] = f, tid, 0.9
    r[3:7] = (x1, y1, x2, y2)
    return r


@pytest.fixture
def ctx(qtbot, tmp_path: Path, project):
    video = tmp_path / "v.mp4"
    frames = np.full((N, H, W), 90, np.uint8)
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "gray", "-s", f"{W}x{H}",
                    "-r", "25", "-i", "pipe:0", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    str(video)], input=frames.tobytes(), check=True)
    v = project.add_video(probe(video))
    rows = []
    for f in range(0, N, 5):
        rows.append(_row(f, 1, 300, 200, 330, 280))  # a player on the court
        rows.append(_row(f, 2, 560, 100, 620, 350))  # a big ball kid at the side, as present
    project.put_signal(v.id, POSE_SIGNAL, "test@2", np.stack(rows))
    project.replace_machine_segments(v.id, PERSON, [
        Segment(PERSON, 0, N, label="person", attrs={"track": 1, "role": "player", "team": "A"}, source="model:t@2"),
        Segment(PERSON, 0, N, label="person", attrs={"track": 2, "role": "other", "team": None}, source="model:t@2"),
    ], None)
    c = ReviewContext()
    c.set_project(project)
    return c


def test_follow_list_and_overlay_name_roles_and_reframing_follows_the_player(qtbot, ctx) -> None:
    panel = ReframePanel(ctx)
    qtbot.addWidget(panel)
    panel.show()
    panel.plan()
    qtbot.waitUntil(lambda: not panel._planning and panel.shot_list.count() == 1, timeout=10000)
    ctx.seek(3)
    items = {panel.person_box.itemData(i): panel.person_box.itemText(i) for i in range(panel.person_box.count())}
    assert items[1].startswith("#1 player A \u2013 100 % of frames")
    assert items[2].startswith("#2 other \u2013 100 % of frames")
    assert panel.poses.role_text(1) == "player A" and panel.poses.role_text(2) == "other"
    # the automatic subject is the player, although the ball kid is larger
    seg = panel.segment_at(3)
    assert seg is not None and seg.attrs.get("subject") == 1
    img = QImage(W, H, QImage.Format.Format_ARGB32)
    img.fill(0)
    painter = QPainter(img)
    panel.poses.paint(painter, 5, QRectF(0, 0, W, H), (W, H))  # labels drawn without error
    painter.end()
