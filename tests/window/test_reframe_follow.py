"""Reframe panel offscreen: the Follow list describes each person (share of the shot's frames,
size, position) instead of bare track ids."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6")

from app.panels.reframe import ReframePanel  # noqa: E402
from app.review.context import ReviewContext  # noqa: E402
from app.review.names import person_summary  # noqa: E402
from core.export.clip import ffmpeg_exe  # noqa: E402
from core.media.reader import probe  # noqa: E402
from core.persons.poses import COLS, POSE_SIGNAL  # noqa: E402

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
    for f in range(0, N, 5):  # 8 sampled frames
        rows.append(_row(f, 1, 300, 40, 360, 320))  # tall, centre, every frame
        if f < 10:
            rows.append(_row(f, 2, 20, 200, 40, 250))  # small, left, 2 of 8 frames
    project.put_signal(v.id, POSE_SIGNAL, "test@1", np.stack(rows))
    c = ReviewContext()
    c.set_project(project)
    return c


def test_person_summary_describes_presence_size_and_place() -> None:
    rows = np.stack([_row(0, 1, 300, 40, 360, 320), _row(0, 2, 20, 200, 40, 250), _row(5, 1, 300, 40, 360, 320)])
    assert person_summary(rows, 1, (W, H)) == "#1 \u2013 100 % of frames, large, centre"
    assert person_summary(rows, 2, (W, H)) == "#2 \u2013 50 % of frames, small, left"


def test_follow_list_names_people_most_present_first(qtbot, ctx) -> None:
    panel = ReframePanel(ctx)
    qtbot.addWidget(panel)
    panel.show()
    panel.plan()
    qtbot.waitUntil(lambda: not panel._planning and panel.shot_list.count() == 1, timeout=10000)
    ctx.seek(3)
    items = [panel.person_box.itemText(i) for i in range(panel.person_box.count())]
    assert items[0] == "auto"
    assert items[1].startswith("#1 \u2013 100 % of frames, large")
    assert items[2].startswith("#2 \u2013 25 % of frames, small, left")
    assert panel.person_box.itemData(2) == 2
