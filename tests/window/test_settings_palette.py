"""Settings dialog, command palette (searchable shortcut list), tooltips naming shortcuts, the
open summary and the job status line."""

from __future__ import annotations

from pathlib import Path

from app.review import commands as cmd


def test_tooltips_name_the_shortcut(win) -> None:
    tips = {a.text(): a.toolTip() for a in win.actions()}
    assert tips["&Export clip\u2026"] == "Export clip (Ctrl+E)"
    assert tips["&Split at playhead"] == "Split at playhead (S)"


def test_palette_finds_and_runs_a_command(win) -> None:
    pal = win.show_palette()
    pal.query.setText("export clip")
    assert pal.shown() and pal.shown()[0].startswith("File \u25b8 Export clip") and "Ctrl+E" in pal.shown()[0]
    pal.query.setText("ctrl+z")  # by key, too
    assert any(s.startswith("Edit \u25b8 Undo") for s in pal.shown())
    pal.query.setText("export clip")
    pal.run_current()
    assert win.docks["Export"].isVisible()


def test_settings_are_stored_and_used(win, tmp_path: Path) -> None:
    from app.panels.export import ExportPanel

    dlg = win.show_settings()
    dlg.time_format.setCurrentIndex(dlg.time_format.findData("frames"))
    dlg.export_folder.setText(str(tmp_path / "clips"))
    dlg.labels["action"].setText("kick, header ,  throw")
    dlg.lag.setValue(450)
    dlg.refiner.setCurrentIndex(dlg.refiner.findData("none"))
    dlg.apply()
    p = win.ctx.project
    assert win.ctx.time_format == "frames" and win.settings.time_format() == "frames"
    assert p.get_setting("labels.action") == ["kick", "header", "throw"]
    assert cmd.labels_for(win.ctx, "action")[:3] == ["kick", "header", "throw"]
    assert p.get_setting("action_reaction_lag_ms") == 450
    assert p.get_setting("analysis")["shots.refiner"] == "none"
    panel = next(x for x in win.plugin_panels if isinstance(x, ExportPanel))
    assert panel.export_folder() == tmp_path / "clips"
    dlg.export_folder.setText("")
    dlg.apply()
    assert panel.export_folder() == p.path.parent / f"{p.path.stem} exports"


def test_open_shows_a_representative_frame_and_a_summary(qtbot, template: Path, tmp_path: Path,
                                                        monkeypatch) -> None:
    from app.window.main_window import MainWindow
    from core.testing.demo import copy_project

    monkeypatch.setenv("CLIPDESK_CONFIG_DIR", str(tmp_path / "cfg"))
    w = MainWindow(interactive=False, audio=False)
    qtbot.addWidget(w)
    w.open_project(copy_project(template, tmp_path))
    hl = w.ctx.segments("highlight")[0]
    assert w.ctx.playhead == (hl.start_frame + hl.end_frame) // 2  # not the black frame 0
    msg = w.statusBar().currentMessage()
    assert "8 shots (2 gradual)" in msg and "1 highlight" in msg and "s of speech" in msg
    w.jobs._on_analysis("persons", 0.42, "tracking")  # what a background job is doing
    assert w.jobs.text() == "Analyzing: persons 42 % (tracking)"
    w.jobs._set_analysis("")
    assert w.jobs.text() == ""
    w.close()
