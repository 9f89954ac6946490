"""Fine-tuning an action model from corrections (``train_actions`` with ``init``, ``clipdesk train
actions --init``) and weights stored as plain arrays (``weights.npz``, loaded without pickle)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from core.actions.synthetic import synth_video
from core.actions.windows import WindowParams
from core.errors import ClipDeskError
from core.persons.poses import POSE_SIGNAL
from core.segments import ACTION, Segment

torch = pytest.importorskip("torch")

FAST: dict[str, Any] = dict(epochs=3, arch="micro", per_span=4, threads=1, batch_size=64, lr=1e-2,
                            streams=("joint",), window=WindowParams(steps=16))


@pytest.fixture(autouse=True)
def _models_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CLIPDESK_MODELS_DIR", str(tmp_path / "models"))


def _card(classes: list[str]) -> dict[str, Any]:
    from models.actions.registry import CARD_KIND

    return {"kind": CARD_KIND, "id": "npz-test", "classes": classes, "streams": ["joint"],
            "window": WindowParams(steps=16).to_json(), "network": {"in_channels": 3, "num_classes": len(classes),
                                                                    "arch": "micro", "dropout": 0.1}}


def test_npz_weights_round_trip_and_a_pickle_inside_is_refused(tmp_path) -> None:
    from models.actions.registry import ActionModel, load_model, save_model
    from models.actions.stgcn import build

    card = _card(["background", "a", "b"])
    module = build(card["network"]).eval()
    out = save_model(module, card, tmp_path / "m", npz=True)
    assert (out / "weights.npz").exists() and not (out / "weights.pt").exists()
    x = np.random.default_rng(0).normal(size=(4, 3, 16, 17)).astype(np.float32)
    loaded = load_model(out)
    assert np.allclose(loaded.predict(x), ActionModel(module, card).predict(x), atol=1e-5)
    # an object array (a pickle) in the weights file: one line, nothing unpickled
    np.savez(out / "weights.npz", **{"fc.weight": np.array([object()], dtype=object)})
    with pytest.raises(ClipDeskError, match="cannot load action model"):
        load_model(out)


def _project_video(project, tmp_path, seed: int) -> int:
    from actions_helpers import add_tiny_video

    vid = add_tiny_video(project, tmp_path / f"clip{seed}.mp4", seed, frames=500)
    arr, truth = synth_video(seed, n_frames=500, n_persons=2, sample_step=4)
    project.put_signal(vid, POSE_SIGNAL, "yolo11n-pose@1:{}", arr)
    for s in truth:
        label = "header" if s.label == "jump" else s.label  # the annotator's own class for jumps
        project.insert_segment(vid, Segment(ACTION, s.start_frame, s.end_frame, label,
                                            attrs={"person": s.track_id}, source="user:annotator"))
    return vid


def test_fine_tuning_starts_from_the_model_and_keeps_its_classes(project, tmp_path) -> None:
    from models.actions.registry import load_model
    from models.actions.stgcn import build
    from models.actions.train import TrainConfig, _transfer, train_actions

    base_card = _card(["background", "wave", "kick", "sprint"])
    torch.manual_seed(1)
    base_module = build(base_card["network"]).eval()
    from models.actions.registry import save_model

    base_dir = save_model(base_module, base_card, tmp_path / "base", npz=True)
    base = load_model(base_dir)
    # the transfer: every layer and the known classes' rows are the start model's
    classes = ["background", "wave", "kick", "sprint", "header"]
    fresh = build(base_card["network"] | {"num_classes": len(classes)}).eval()
    _transfer(base, fresh, classes)
    x = torch.from_numpy(np.random.default_rng(1).normal(size=(3, 3, 16, 17)).astype(np.float32))
    with torch.inference_mode():
        a, b = base.module(x), fresh(x)
    assert torch.allclose(a, b[:, :4], atol=1e-5)
    for seed in (41, 42):
        _project_video(project, tmp_path, seed)
    res = train_actions([project], tmp_path / "tuned", TrainConfig(**(FAST | {"init": str(base_dir)})))
    card = res.card
    assert card["fine_tuned_from"]["id"] == "npz-test"
    assert card["classes"][:4] == ["background", "wave", "kick", "sprint"] and "header" in card["classes"]
    assert card["network"]["arch"] == "micro" and card["streams"] == ["joint"]
    assert load_model(res.path).classes == card["classes"]


def test_cli_train_with_init(project, tmp_path, capsys) -> None:
    from app.cli import main
    from models.actions.registry import save_model
    from models.actions.stgcn import build

    base_card = _card(["background", "wave", "kick", "jump"])
    base_dir = save_model(build(base_card["network"]).eval(), base_card, tmp_path / "base", npz=True)
    _project_video(project, tmp_path, 43)
    _project_video(project, tmp_path, 44)
    out = tmp_path / "tuned"
    assert main(["train", "actions", str(project.path), "--init", str(base_dir), "--out", str(out),
                 "--epochs", "1", "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "fine-tuned from npz-test" in text
    assert json.loads((out / "card.json").read_text())["fine_tuned_from"]["id"] == "npz-test"
    assert main(["train", "actions", str(project.path), "--init", str(tmp_path / "nothing"), "--quiet"]) == 2
    assert "not an action model" in capsys.readouterr().err
    assert main(["train", "actions", str(project.path), "--lr", "nan", "--quiet"]) == 2
