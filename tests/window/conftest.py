"""Fixtures for window tests: a demo project template per module and the main window on a copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.testing.demo import copy_project, demo_template


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_template(tmp_path_factory.mktemp("demo"))


@pytest.fixture
def win(qtbot, template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The main window, shown and focused, on a fresh copy of the demo project, at frame 0."""
    from app.window.main_window import MainWindow

    monkeypatch.setenv("CLIPDESK_CONFIG_DIR", str(tmp_path / "cfg"))
    w = MainWindow(interactive=False, audio=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.open_project(copy_project(template, tmp_path))
    w.ctx.seek(0)  # opening shows a representative frame (test_open_summary); tests start at 0
    w.activateWindow()
    w.timeline.canvas.setFocus()
    yield w
    w.close()
