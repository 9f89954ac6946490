"""Where outputs may go and how they are written: the output guard and atomic writes.

:func:`check_output` refuses (one line, :class:`OutputError`) an output path that is, resolves to
(symlinks, ``..``, hard links) or would overwrite an input: the project file and its SQLite
companions (``-wal``, ``-shm``, ``-journal``), the project's source videos, the model files its
settings name, a query image. An existing folder (or a path ending with ``/``) means "into this
folder" under the command's default file name. :func:`project_inputs` lists a project's inputs.

:func:`atomic_target` gives a temporary name beside the target (same folder, so the rename is
atomic); the target appears only when the writer finished, and on any failure or Ctrl+C the
temporary file is removed. :func:`write_text_atomic` is the text writer on top of it.

Pure filesystem code; any thread; no Qt.
"""

from __future__ import annotations

import json
import os
import secrets
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

from core.errors import ClipDeskError

# SQLite's files beside a database: write-ahead log, shared memory index, rollback journal.
COMPANION_SUFFIXES = ("-wal", "-shm", "-journal")
# Settings keys (at any depth) whose string values name model files or folders.
_MODEL_KEY_WORDS = ("weights", "model")


class ExportError(ClipDeskError):
    """The export cannot be written as asked (unknown format, no such track or video, ...)."""


class OutputError(ExportError):
    """The output path is refused: it would overwrite an input, or its folder is missing."""


def companions(path: str | os.PathLike[str]) -> list[Path]:
    """A SQLite file and the companions SQLite creates beside it."""
    p = Path(path)
    return [p, *(p.with_name(p.name + s) for s in COMPANION_SUFFIXES)]


def _model_paths(value: Any, key: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _model_paths(v, str(k))
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _model_paths(v, key)
    elif isinstance(value, str) and value and any(w in key.lower() for w in _MODEL_KEY_WORDS):
        yield value


def model_files(settings: dict[str, Any], base: Path) -> list[Path]:
    """Files named by model settings (``weights``, ``ball_weights``, ``action_model``, ...): as
    given, relative to ``base`` and to the working directory, and a named folder's files."""
    out: list[Path] = []
    for text in _model_paths(settings):
        try:
            p = Path(text).expanduser()
            for cand in ([p] if p.is_absolute() else [base / p, p]):
                out.append(cand)
                if cand.is_dir():
                    out.extend(f for f in cand.iterdir() if f.is_file())
        except (OSError, RuntimeError, ValueError):  # unreadable or not a path: nothing more to guard
            continue
    return out


def project_inputs(project: Any) -> list[Path]:
    """Everything an output of ``project`` must never overwrite (see module docstring)."""
    inputs = companions(project.path)
    for v in project.videos():
        inputs.append(Path(v.path))
    try:
        rows = project.query("SELECT key, value FROM settings")
        settings = {r["key"]: json.loads(r["value"]) for r in rows}
    except Exception:  # noqa: BLE001 - an unreadable settings table names no model files
        settings = {}
    inputs.extend(model_files(settings, Path(project.path).parent))
    return inputs


def _key(path: Path) -> Path:
    """The path with ``..`` and symlinks resolved (as far as they exist), for comparing."""
    try:
        real = path.resolve()
    except (OSError, RuntimeError):  # a symlink loop, an unreadable folder
        real = Path(os.path.abspath(path))
    return Path(os.path.normcase(real))


def _same_file(a: Path, b: Path) -> bool:
    try:
        sa, sb = os.stat(a), os.stat(b)
    except OSError:
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def is_folder_arg(out: str | os.PathLike[str]) -> bool:
    """Whether ``out`` names a folder: an existing one, or a path written with a trailing slash."""
    text = os.fspath(out)
    return text.endswith(("/", os.sep)) or Path(text).is_dir()


def check_output(out: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]],
                 default_name: str | None = None, what: str = "--out", parents: bool = False) -> Path:
    """The file to write for ``out``, or :class:`OutputError` (one line) when it is refused.

    ``default_name``: the file name used when ``out`` names a folder (``None``: a folder is
    refused). ``parents``: create a missing folder instead of refusing it. ``what`` names the
    option in messages.
    """
    text = os.fspath(out)
    if not text.strip():
        raise OutputError(f"{what} is empty; give a file name")
    target = Path(text)
    if is_folder_arg(text):
        if default_name is None:
            raise OutputError(f"{what} {text}: is a folder; give a file name")
        if not target.is_dir() and not parents:
            raise OutputError(f"{what} {text}: no such folder")
        target = target / default_name
        if target.is_dir():
            raise OutputError(f"{what} {target}: is a folder; give a file name")
    parent = target.parent
    if not parent.is_dir():
        if parent.exists():
            raise OutputError(f"{what} {target}: {parent} is not a folder")
        if not parents:
            raise OutputError(f"{what} {target}: no such folder {parent}")
    key = _key(target)
    exists = target.exists()
    for item in inputs:
        src = Path(item)
        if _key(src) == key or (exists and _same_file(target, src)):
            raise OutputError(f"{what} {target}: refusing to overwrite an input ({src.name}); "
                              "choose another file name")
    if parents:
        parent.mkdir(parents=True, exist_ok=True)
    return target


def check_folder(out: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]],
                 what: str = "--out", create: bool = False) -> Path:
    """An output folder: never an input nor an existing file, its parent must exist; created
    with ``create`` (else the writer creates it)."""
    text = os.fspath(out)
    if not text.strip():
        raise OutputError(f"{what} is empty; give a folder")
    target = Path(text)
    if target.exists() and not target.is_dir():
        raise OutputError(f"{what} {target}: exists and is not a folder")
    key = _key(target)
    for item in inputs:
        if _key(Path(item)) == key:
            raise OutputError(f"{what} {target}: is an input ({Path(item).name}), not a folder")
    if not target.exists():
        if not target.parent.is_dir():
            raise OutputError(f"{what} {target}: no such folder {target.parent}")
        if create:
            target.mkdir()
    return target


def temp_name(path: Path) -> Path:
    """A fresh hidden name beside ``path``, keeping its suffix (writers pick the format by it)."""
    return path.with_name(f".{path.stem}.{os.getpid()}-{secrets.token_hex(4)}.part{path.suffix}")


@contextmanager
def atomic_target(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` for the writer to create; when the block ends it is
    renamed onto ``path`` (``os.replace``); on any failure, cancel or Ctrl+C it is removed."""
    target = Path(path)
    tmp = temp_name(target)
    try:
        yield tmp
        if not tmp.exists():
            raise ClipDeskError(f"{target}: nothing was written")
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` atomically (creating missing folders), so a failure leaves nothing half-written."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_target(target) as tmp:
        with open(tmp, "x", encoding="utf-8", newline="") as f:
            f.write(text)
    return target


__all__ = ["COMPANION_SUFFIXES", "ExportError", "OutputError", "atomic_target", "check_folder",
           "check_output", "companions", "is_folder_arg", "model_files", "project_inputs",
           "temp_name", "write_text_atomic"]
