"""Shot boundary detection: hard cuts and gradual transitions (dissolve, fade, wipe).

``features`` (per-frame signals on 48x27 frames), ``detect`` (decisions on cached signals),
``cascade`` (the decode-pass sink that calls an injected refiner only where unsure), ``stage``
(the "shots" pipeline stage), ``metrics`` (F1 against ground truth). No ML imports here: the
TransNetV2 refiner lives in ``models.shots.transnet`` and is injected by ``models.shots.stage``.
"""

from core.shots.cascade import Refiner, ShotSink
from core.shots.detect import Boundary, DetectParams, detect_boundaries
from core.shots.features import ShotSignals
from core.shots.metrics import Score, f1, match
from core.shots.stage import ShotStage, boundaries_to_segments, load_signals

__all__ = ["Boundary", "DetectParams", "Refiner", "Score", "ShotSignals", "ShotSink", "ShotStage",
           "boundaries_to_segments", "detect_boundaries", "f1", "load_signals", "match"]
