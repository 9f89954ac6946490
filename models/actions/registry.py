"""The registry of action models: where they live, their cards, loading them safely.

A trained model is a directory: ``weights.pt`` (state dict and config, loaded with
``torch.load(weights_only=True)``) or ``weights.npz`` (the state dict as plain arrays, loaded with
``numpy.load(allow_pickle=False)``; the config is the card's ``network``), ``card.json`` (id,
date, classes, streams, window, the data it was trained on, validation metrics, training time)
and ``confusion.png``. Models live in ``<user data dir>/ClipDesk/models/actions/<id>/``
(``CLIPDESK_MODELS_DIR`` overrides the root) or wherever ``--out`` puts them. One model ships with
ClipDesk as package data: ``pretrained`` (:func:`pretrained_dir`, made by
``bench/train_action_pretrain.py`` from redistributable data only; see its card). It is chosen like
any trained model (``--action-model pretrained``) and is the usual start for fine-tuning from a
project's corrections (``clipdesk train actions P --init pretrained``). Inference uses one torch
thread; any thread.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from core.actions.windows import WindowParams
from core.errors import ClipDeskError

CARD_KIND = "clipdesk.action-model/1"
MODEL_SETTING = "action_model"  # key in the project's "analysis" settings
PRETRAINED = "pretrained"  # the id of the model that ships with ClipDesk
WEIGHT_FILES = ("weights.pt", "weights.npz")


def pretrained_dir() -> Path:
    """The shipped pre-trained model's directory (package data next to this module)."""
    return Path(__file__).resolve().parent / PRETRAINED


def _weights(p: Path) -> Path | None:
    return next((p / w for w in WEIGHT_FILES if (p / w).exists()), None)


def models_dir() -> Path:
    from models.trust import models_root

    return models_root() / "actions"


class ActionModel:
    """A loaded action model: ``predict`` maps window inputs ``(N, C, T, V)`` to class
    probabilities ``(N, K)`` (column 0 = background)."""

    def __init__(self, module: Any, card: dict[str, Any], path: Path | None = None) -> None:
        self.module = module.eval()
        self.card = card
        self.path = path
        self.id: str = card["id"]
        self.classes: list[str] = list(card["classes"])
        self.streams: tuple[str, ...] = tuple(card["streams"])
        self.window = WindowParams.from_json(card["window"])

    def predict(self, x: np.ndarray, batch: int = 256, threads: int = 1) -> np.ndarray:
        import torch

        prev = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            out = []
            with torch.inference_mode():
                for i in range(0, len(x), batch):
                    xb = torch.from_numpy(np.ascontiguousarray(x[i:i + batch], np.float32))
                    out.append(torch.softmax(self.module(xb), dim=1).numpy())
            return np.concatenate(out) if out else np.zeros((0, len(self.classes)), np.float32)
        finally:
            torch.set_num_threads(prev)


def save_model(module: Any, card: dict[str, Any], out_dir: Path, npz: bool = False) -> Path:
    """Write ``weights.pt`` (or, with ``npz``, ``weights.npz``: plain arrays, what ships) and the card."""
    import torch

    out_dir.mkdir(parents=True, exist_ok=True)
    if npz:
        arrays = {k: v.detach().cpu().numpy() for k, v in module.state_dict().items()}
        np.savez_compressed(out_dir / "weights.npz", **arrays)
    else:
        torch.save({"state_dict": module.state_dict(), "config": card["network"]}, out_dir / "weights.pt")
    (out_dir / "card.json").write_text(json.dumps(card, indent=2, sort_keys=False))
    return out_dir


def _read_state(weights: Path, card: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(state dict of tensors, network config) from either weight file, without unpickling."""
    import torch

    if weights.suffix == ".npz":
        with np.load(weights, allow_pickle=False) as z:
            state = {k: torch.from_numpy(np.array(z[k])) for k in z.files}
        return state, dict(card["network"])
    raw = torch.load(weights, map_location="cpu", weights_only=True)
    return raw["state_dict"], raw["config"]


def load_model(ref: str | os.PathLike[str]) -> ActionModel:
    """Load a model from its directory (or ``card.json`` / ``weights.pt`` in it) or by id from the
    models directory."""
    from models.actions.stgcn import build

    p = Path(ref)
    if str(ref) == PRETRAINED and not p.exists():
        p = pretrained_dir()
    if p.is_file():
        p = p.parent
    if not p.exists() and (models_dir() / str(ref)).exists():
        p = models_dir() / str(ref)
    card_path, weights = p / "card.json", _weights(p)
    if not card_path.exists() or weights is None:
        raise ClipDeskError(f"{ref}: not an action model (needs card.json and weights.pt or weights.npz)")
    try:
        card = json.loads(card_path.read_text())
        if card.get("kind") != CARD_KIND:
            raise ClipDeskError(f"{ref}: card is not a {CARD_KIND} card")
        state, config = _read_state(weights, card)
        module = build(config)
        module.load_state_dict(state)
    except ClipDeskError:
        raise
    except Exception as e:  # noqa: BLE001 - corrupt or foreign file: one line for the user
        raise ClipDeskError(f"{ref}: cannot load action model ({type(e).__name__}: {e})") from None
    return ActionModel(module, card, p)


def list_models(root: Path | None = None, shipped: bool = False) -> list[dict[str, Any]]:
    """Cards of the models in the models directory, newest first (each with its ``path``); with
    ``shipped`` the model that ships with ClipDesk comes last (``path`` = its id, ``pretrained``,
    which :func:`resolve_model` finds wherever ClipDesk is installed) unless the folder has one."""
    root = root or models_dir()
    cards: list[dict[str, Any]] = []
    for c in root.glob("*/card.json") if root.exists() else []:
        try:
            card = json.loads(c.read_text())
        except (OSError, ValueError):
            continue
        if card.get("kind") == CARD_KIND and _weights(c.parent) is not None:
            card["path"] = str(c.parent)
            cards.append(card)
    cards.sort(key=lambda d: str(d.get("created", "")), reverse=True)
    if shipped and not any(Path(c["path"]).name == PRETRAINED for c in cards) \
            and _weights(pretrained_dir()) is not None:
        try:
            card = json.loads((pretrained_dir() / "card.json").read_text())
        except (OSError, ValueError):
            return cards
        cards.append(card | {"path": PRETRAINED})
    return cards


def resolve_model(ref: str | None) -> str | None:
    """The trained model directory ``ref`` (path or id) names; ``None`` without ``ref``: a model
    applies only where a project chose it, never as "the newest in the models folder"."""
    if ref:
        if ref == PRETRAINED and not (models_dir() / PRETRAINED).exists():
            if _weights(pretrained_dir()) is None:
                raise ClipDeskError("the pre-trained action model is not installed")
            return str(pretrained_dir())
        p = Path(ref).expanduser()
        if not p.is_absolute():  # an id or a relative path: the models folder, never the cwd
            p = models_dir() / p
        if p.exists():
            return str(p.parent if p.is_file() else p)
        raise ClipDeskError(f"action model {ref!r} not found (a model directory or an id in {models_dir()})")
    return None


def model_id(path: str | None) -> str | None:
    """The id in a model directory's card (the cache key: retraining into the same directory
    gives a new id, so the stage runs again)."""
    if path is None:
        return None
    import json
    from pathlib import Path

    try:
        return str(json.loads((Path(path) / "card.json").read_text())["id"])
    except (OSError, ValueError, KeyError):
        return Path(path).name
