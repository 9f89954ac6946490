"""ReviewContext, panel registry, overlays, background analysis and the PySide6 emit fix."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QRectF, Signal

from app.review.context import ReviewContext
from app.panels.registry import load_panels


def test_emit_does_not_leak_references_to_true(qtbot) -> None:
    from app.review.qtenv import fix_signal_refcount

    fix_signal_refcount()

    class Emitter(QObject):
        sig = Signal(object)

    e = Emitter()
    got: list[object] = []
    e.sig.connect(got.append)
    before = sys.getrefcount(True)
    for _ in range(3000):  # without the fix the interpreter aborts well before this
        e.sig.emit(None)
    # fixed: True is pinned (2**40 extra references) so leaked decrefs never reach zero
    assert sys.getrefcount(True) > 2**39 or abs(sys.getrefcount(True) - before) < 10
    assert len(got) == 3000


def test_panel_registry_skips_missing_and_logs_broken(tmp_path: Path, monkeypatch, caplog) -> None:
    pkg = tmp_path / "fakepanels"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "good.py").write_text(
        "from PySide6.QtWidgets import QLabel\n"
        "class Good(QLabel):\n    title = 'Good'\n    area = 'left'\n"
        "    def __init__(self, ctx, parent=None):\n        super().__init__('good', parent)\n")
    (pkg / "broken.py").write_text("import a_module_that_does_not_exist_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with caplog.at_level(logging.WARNING):
        specs = load_panels([("fakepanels.good", "Good"), ("fakepanels.missing", "X"),
                             ("fakepanels.broken", "Broken")])
    assert [(s.title, s.area) for s in specs] == [("Good", "left")]
    assert "fakepanels.broken" in caplog.text and "fakepanels.missing" not in caplog.text


def test_overlays_are_painted_in_video_coordinates(qtbot, tmp_path: Path) -> None:
    from core.testing.demo import build_demo_project
    from app.player.widget import PlayerWidget

    project = build_demo_project(tmp_path)
    ctx = ReviewContext()
    player = PlayerWidget(ctx, audio=False)
    qtbot.addWidget(player)
    player.resize(800, 500)
    player.show()
    calls: list[tuple[int, QRectF, tuple[int, int]]] = []

    class Box:
        name = "box"

        def paint(self, painter, frame, target, source_size):
            calls.append((frame, QRectF(target), source_size))

    ctx.add_overlay(Box())
    ctx.add_overlay(Box())  # same name replaces
    assert len(ctx.overlays) == 1
    ctx.set_project(project)
    ctx.seek(42)
    qtbot.waitUntil(lambda: player.view.frame == 42 and player.view.image is not None, timeout=30000)
    player.view.repaint()
    frame, target, size = calls[-1]
    assert frame == 42 and size == (320, 180)
    assert abs(target.width() / target.height() - 320 / 180) < 0.02
    player.close_media()
    project.close()


def test_background_analysis_reports_stages_and_cancels(qtbot, tmp_path: Path, monkeypatch) -> None:
    from app.window.analysis import AnalysisPanel, AnalysisWorker
    from core.pipeline import Stage
    from core.store.project import Project
    from core.testing.synth import make_clip

    clip = make_clip(tmp_path / "c.mp4", frames=60)

    class Quick(Stage):
        name = "quick"

        def finish(self, ctx):
            ctx.progress(self.name, 0.5, "half")

    class Waits(Stage):
        name = "waits"
        requires = ("quick",)

        def finish(self, ctx):
            end = time.monotonic() + 20
            while time.monotonic() < end:
                ctx.task.check()  # raises Cancelled once the UI cancels
                time.sleep(0.01)

    import models.stages

    monkeypatch.setattr(models.stages, "available_stages", lambda *a, **k: [Quick(), Waits()])
    worker = AnalysisWorker()
    panel = AnalysisPanel(worker)
    qtbot.addWidget(panel)
    done: list[str] = []
    worker.stageDone.connect(done.append)
    worker.start(tmp_path / "p.clipdesk", clip.path)
    qtbot.waitUntil(lambda: done == ["quick"], timeout=30000)
    assert panel.bars["quick"].value() == 1000 and "waits" in panel.bars
    assert panel.cancel_btn.isEnabled()
    with qtbot.waitSignal(worker.finished, timeout=10000) as sig:
        panel.cancel_btn.click()
    assert sig.args[0] is False and "cancelled" in sig.args[1]
    worker.wait(5)
    with Project(tmp_path / "p.clipdesk") as p:
        runs = {r.stage: r.status for r in p.runs()}
    assert runs == {"quick": "done", "waits": "cancelled"}


@pytest.mark.parametrize("bad", ["missing.mp4"])
def test_opening_a_missing_video_is_a_one_line_error(qtbot, tmp_path: Path, monkeypatch, bad) -> None:
    from app.window.main_window import MainWindow
    from core.errors import ClipDeskError

    monkeypatch.setenv("CLIPDESK_CONFIG_DIR", str(tmp_path / "cfg"))
    w = MainWindow(interactive=False, audio=False)
    qtbot.addWidget(w)
    with pytest.raises(ClipDeskError):
        w.open_path(tmp_path / bad)
    w.close()
