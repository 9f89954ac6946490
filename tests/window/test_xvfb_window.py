"""The real application window under Xvfb (xcb platform, cv2 imported first): it renders."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.xvfb

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def xvfb_display():
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb binary not installed")
    for n in range(140, 180):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            break
    proc = subprocess.Popen([xvfb, f":{n}", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not Path(f"/tmp/.X11-unix/X{n}").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.skip("Xvfb did not start")
        time.sleep(0.05)
    yield f":{n}"
    proc.terminate()
    proc.wait(5)


def test_gui_screenshot_in_a_real_x_window(xvfb_display: str, tmp_path: Path) -> None:
    from core.testing.demo import demo_template

    project = demo_template(tmp_path / "demo")
    out = tmp_path / "window.png"
    env = dict(os.environ, DISPLAY=xvfb_display, QT_QPA_PLATFORM="xcb",
               CLIPDESK_CONFIG_DIR=str(tmp_path / "cfg"))
    # import cv2 first: it points QT_QPA_PLATFORM_PLUGIN_PATH at its own plugins (breaks xcb)
    code = ("import cv2, sys; from app.cli import main; "
            f"sys.exit(main(['gui', {str(project)!r}, '--screenshot', {str(out)!r}, "
            "'--size', '1280x800', '--select', '2']))")
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True,
                       text=True, timeout=180)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "running offscreen" not in r.stderr  # it really used the X display
    from PySide6.QtGui import QImage

    img = QImage(str(out))
    assert (img.width(), img.height()) == (1280, 800)
    # not blank: many distinct colours (video frame, thumbnails, coloured tracks)
    colours = {img.pixel(x, y) for x in range(0, 1280, 16) for y in range(0, 800, 16)}
    assert len(colours) > 200
