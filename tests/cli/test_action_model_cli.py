"""``clipdesk analyze --action-model``: the project's choice of action model, recorded with it."""

from __future__ import annotations

import json
from pathlib import Path

from core.store.project import Project


def _fake_model(root: Path, mid: str) -> str:
    d = root / "actions" / mid
    d.mkdir(parents=True)
    (d / "card.json").write_text(json.dumps({"kind": "clipdesk.action-model/1", "id": mid, "created": "2026-12-01",
                                             "classes": ["background", "kick"], "streams": ["joint"]}))
    (d / "weights.pt").write_bytes(b"never loaded: the stage that would load it does not run")
    return str(d)


def test_analyze_records_the_chosen_action_model(tmp_path: Path, monkeypatch, capsys) -> None:
    from app.cli import main
    from actions_helpers import write_tiny_video

    monkeypatch.setenv("CLIPDESK_MODELS_DIR", str(tmp_path / "models"))
    video = write_tiny_video(tmp_path / "v.mp4", 9, frames=20)
    proj = tmp_path / "p.clipdesk"
    assert main(["analyze", str(video), "--project", str(proj), "--stages", "scenes", "--quiet",
                 "--action-model", "no-such-model"]) == 2
    assert "not found" in capsys.readouterr().err and not proj.exists()
    path = _fake_model(tmp_path / "models", "stgcn-mine")
    assert main(["analyze", str(video), "--project", str(proj), "--stages", "scenes", "--quiet",
                 "--action-model", "stgcn-mine"]) == 0
    with Project(proj, create=False) as p:
        assert p.get_setting("analysis")["action_model"] == path
    assert main(["analyze", str(video), "--project", str(proj), "--stages", "scenes", "--quiet",
                 "--action-model", "starter"]) == 0
    with Project(proj, create=False) as p:
        assert "action_model" not in p.get_setting("analysis")
