"""Safe loading of ultralytics/torch model files: weights only, under an explicit allow-list.

A ``.pt`` checkpoint is a pickle, and ultralytics unpickles it fully (``weights_only=False``), so
a crafted file runs any code it names. Here every model file is opened with
``torch.load(weights_only=True)`` under the allow-list :data:`ALLOWED` (the module classes a
YOLO11 pose or detection checkpoint is made of, found by loading the bundled ``yolo11n-pose.pt``),
after a scan of the globals the pickle names (:func:`scan`, no unpickling) that refuses anything
else by name. :func:`load_module` gives the checkpoint's ``nn.Module`` ready for inference;
:func:`load_yolo` hands it to an ``ultralytics.YOLO`` whose own file loading is replaced, so
ultralytics never unpickles a file itself. Errors are one line (:class:`UnsafeModelFile` for a file
that names code, :class:`ClipDeskError` for an unreadable one). torch and ultralytics are imported
lazily; any thread (loads are serialised: torch's allow-list is process-wide).
"""

from __future__ import annotations

import importlib
import io
import os
import pickle
import pickletools
import re
import threading
from pathlib import Path
from typing import Any

from core.errors import ClipDeskError

# Globals a YOLO11 pose / detection checkpoint pickles beyond torch's own weights-only set: the
# bundled yolo11n-pose.pt names exactly these (plus ``builtins.getattr``, handled by _getattr),
# and a COCO detection model (ball weights) adds only DetectionModel.
ALLOWED = (
    "ultralytics.nn.tasks.PoseModel",
    "ultralytics.nn.tasks.DetectionModel",
    "ultralytics.nn.modules.conv.Conv",
    "ultralytics.nn.modules.conv.DWConv",
    "ultralytics.nn.modules.conv.Concat",
    "ultralytics.nn.modules.block.Attention",
    "ultralytics.nn.modules.block.Bottleneck",
    "ultralytics.nn.modules.block.C2PSA",
    "ultralytics.nn.modules.block.C3k",
    "ultralytics.nn.modules.block.C3k2",
    "ultralytics.nn.modules.block.DFL",
    "ultralytics.nn.modules.block.PSABlock",
    "ultralytics.nn.modules.block.SPPF",
    "ultralytics.nn.modules.head.Detect",
    "ultralytics.nn.modules.head.Pose",
    "torch.nn.modules.activation.SiLU",
    "torch.nn.modules.batchnorm.BatchNorm2d",
    "torch.nn.modules.container.ModuleList",
    "torch.nn.modules.container.Sequential",
    "torch.nn.modules.conv.Conv2d",
    "torch.nn.modules.linear.Identity",
    "torch.nn.modules.pooling.MaxPool2d",
    "torch.nn.modules.upsampling.Upsample",
)
GETATTR = "builtins.getattr"  # checkpoints pickle ``Detect.forward`` as getattr(Detect, "forward")
_GETATTR_NAMES = frozenset({"forward", "forward_fuse"})

_LOCK = threading.Lock()
_classes: dict[str, type] | None = None


class UnsafeModelFile(ClipDeskError):
    """A model file that names something other than plain weights (code it would run)."""

    def __init__(self, path: str | os.PathLike[str], name: str) -> None:
        super().__init__(f"{path} is not a plain weights file: refusing to load code it names ({name})")
        self.path = str(path)
        self.name = name


def _allowed_classes() -> dict[str, type]:
    global _classes
    if _classes is None:
        import torch

        out: dict[str, type] = {}
        for name in ALLOWED:
            module, _, attr = name.rpartition(".")
            obj = getattr(importlib.import_module(module), attr)
            assert isinstance(obj, type) and issubclass(obj, torch.nn.Module), name
            out[name] = obj
        _classes = out
    return _classes


def _getattr(obj: Any, name: str) -> Any:
    """``getattr`` for the unpickler: only a listed module class's ``forward``/``forward_fuse``."""
    classes = tuple(_allowed_classes().values())
    target = obj if isinstance(obj, type) else type(obj)
    if name in _GETATTR_NAMES and isinstance(target, type) and issubclass(target, classes):
        return getattr(obj, name)
    raise pickle.UnpicklingError(f"getattr({getattr(target, '__name__', target)!r}, {name!r}) is not allowed")


_STRINGS = {"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "SHORT_BINSTRING", "BINSTRING", "STRING"}


def _pickle_globals(data: bytes, limit: int = 16) -> list[str]:
    """The globals named by the pickles in ``data`` (a bare pickle or a legacy ``torch.save``
    file: several pickles in a row, then raw storage bytes), read from the opcodes only."""
    out: list[str] = []
    f = io.BytesIO(data)
    for _ in range(limit):
        strings: list[str] = []  # string constants pushed so far: the operands of STACK_GLOBAL
        memo: dict[int, str] = {}
        n_memo = 0
        top: str | None = None  # the string on top of the stack, if the last opcode left one there
        try:
            for op, arg, _pos in pickletools.genops(f):
                name, keep = op.name, None
                if name in _STRINGS and isinstance(arg, str):
                    strings.append(arg)
                    keep = arg
                elif name in ("MEMOIZE", "BINPUT", "LONG_BINPUT", "PUT"):
                    idx = n_memo if name == "MEMOIZE" else arg
                    n_memo += name == "MEMOIZE"
                    if top is not None and isinstance(idx, int):
                        memo[idx] = top
                    keep = top
                elif name in ("BINGET", "LONG_BINGET", "GET") and isinstance(arg, int) and arg in memo:
                    strings.append(memo[arg])
                    keep = memo[arg]
                elif name in ("GLOBAL", "INST") and isinstance(arg, str):
                    out.append(arg.replace(" ", "."))
                elif name == "STACK_GLOBAL":
                    out.append(".".join(strings[-2:]) if len(strings) >= 2 else "an unnamed global")
                    del strings[-2:]
                elif name == "STOP":
                    break
                top = keep
        except Exception:  # noqa: BLE001 - the rest is storage bytes, not a pickle
            break
        if f.tell() >= len(data):
            break
    return out


def _torch_default_globals() -> set[str]:
    try:
        from torch import _weights_only_unpickler as wou

        return set(wou._get_allowed_globals())
    except Exception:  # noqa: BLE001 - private in torch; without it only the allow-list passes
        return set()


def scan(path: str | os.PathLike[str]) -> None:
    """Refuse (:class:`UnsafeModelFile`) a checkpoint naming a global outside the allow-list.

    Reads the pickle's opcodes only; nothing is unpickled. A ``torch.save`` archive is scanned by
    torch; any other file (a bare or legacy pickle) by :func:`_pickle_globals`."""
    import torch

    try:
        names = torch.serialization.get_unsafe_globals_in_checkpoint(str(path))
    except FileNotFoundError:
        raise ClipDeskError(f"model weights not found: {path}") from None
    except Exception:  # noqa: BLE001 - not a zip archive
        try:
            data = Path(path).read_bytes()
        except OSError as e:
            raise ClipDeskError(f"{path}: cannot read ({e.strerror or e})") from None
        safe = _torch_default_globals()
        names = [n for n in _pickle_globals(data) if n not in safe]
    for name in names:
        if name != GETATTR and name not in ALLOWED:
            raise UnsafeModelFile(path, name)


def _refusal(path: str | os.PathLike[str], e: BaseException) -> ClipDeskError:
    msg = str(e).strip()
    m = re.search(r"GLOBAL ([\w.]+)", msg) or re.search(r"global '?([\w.]+)", msg)
    if m:
        return UnsafeModelFile(path, m.group(1))
    first = msg.splitlines()[0] if msg else type(e).__name__
    return UnsafeModelFile(path, first[:160])


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The checkpoint dict, loaded with ``weights_only=True`` under the allow-list."""
    import torch

    p = Path(path)
    if not p.is_file():
        raise ClipDeskError(f"model weights not found: {p}")
    scan(p)
    entries: list[Any] = [*_allowed_classes().values(), (_getattr, GETATTR)]
    try:
        with _LOCK, torch.serialization.safe_globals(entries):
            ckpt = torch.load(str(p), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        raise _refusal(p, e) from None
    except Exception as e:  # noqa: BLE001 - truncated, damaged or foreign file: one line
        first = (str(e).strip().splitlines() or [""])[0].split(". ")[0][:200]
        raise ClipDeskError(f"{p}: not a loadable model file ({type(e).__name__}: {first})") from None
    if not isinstance(ckpt, dict):
        raise ClipDeskError(f"{p}: not an ultralytics checkpoint (holds a {type(ckpt).__name__})")
    return ckpt


def load_module(path: str | os.PathLike[str]) -> tuple[Any, dict[str, Any]]:
    """``(model, checkpoint)``: the checkpoint's network in FP32 eval mode, prepared as
    ``ultralytics.nn.tasks.load_checkpoint`` prepares it (args, task, stride)."""
    import torch
    from ultralytics.cfg import DEFAULT_CFG_DICT
    from ultralytics.nn.tasks import BaseModel, guess_model_task

    ckpt = load_checkpoint(path)
    model = ckpt.get("ema") or ckpt.get("model")
    if not isinstance(model, BaseModel):
        raise ClipDeskError(f"{path}: not an ultralytics checkpoint (no model in it)")
    train_args = ckpt.get("train_args")
    model = model.float()
    model.args = {**DEFAULT_CFG_DICT, **(train_args if isinstance(train_args, dict) else {})}
    model.pt_path = str(path)
    model.task = getattr(model, "task", None) or guess_model_task(model)
    if not hasattr(model, "stride"):
        model.stride = torch.tensor([32.0])
    model = model.eval()
    for m in model.modules():
        if hasattr(m, "inplace"):
            m.inplace = True
        elif isinstance(m, torch.nn.Upsample) and not hasattr(m, "recompute_scale_factor"):
            m.recompute_scale_factor = None
    return model, ckpt


_yolo_class: Any = None


def _safe_yolo_class() -> Any:
    """``ultralytics.YOLO`` whose ``.pt`` loading goes through :func:`load_module`."""
    global _yolo_class
    if _yolo_class is None:
        from ultralytics import YOLO

        class SafeYOLO(YOLO):  # type: ignore[misc]
            def _load(self, weights: str, task: str | None = None) -> None:
                self.model, self.ckpt = load_module(weights)
                self.task = self.model.task
                self.overrides = self.model.args = self._reset_ckpt_args(self.model.args)
                self.ckpt_path = self.model.pt_path
                self.overrides["model"] = weights
                self.overrides["task"] = self.task
                self.model_name = weights

        _yolo_class = SafeYOLO
    return _yolo_class


def load_yolo(path: str | os.PathLike[str], task: str | None = None) -> Any:
    """An ``ultralytics.YOLO`` for a local ``.pt`` file, loaded only through :func:`load_module`."""
    os.environ.setdefault("YOLO_OFFLINE", "1")
    p = Path(path).resolve()
    if p.suffix.lower() != ".pt":
        raise ClipDeskError(f"{path}: model weights must be a .pt file")
    if not p.is_file():
        raise ClipDeskError(f"model weights not found: {path}")
    yolo = _safe_yolo_class()(str(p), task=task)
    if task and yolo.task != task:
        raise ClipDeskError(f"{path}: a {yolo.task} model, not a {task} model")
    return yolo


__all__ = ["ALLOWED", "UnsafeModelFile", "load_checkpoint", "load_module", "load_yolo", "scan"]
