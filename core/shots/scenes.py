"""Scenes: runs of shots that belong together, by visual similarity within a time window.

Each shot gets a descriptor (mean colour/luma histogram of its inner frames, from the cached
per-frame shot signals, so no decode is needed). Shot ``i`` *links* to a later shot ``j`` when
their descriptors are close and ``j`` starts within ``window_s`` seconds of ``i``'s end; every
shot between them then shares their scene (the "overlapping links" rule, which keeps A-B-A-B
dialogue or play / close-up / play alternations in one scene). A scene ends where no link crosses.
Writes track ``scene`` with ``attrs`` ``{"shots": n}``. Stage "scenes" requires "shots".

Runs on the pipeline's thread.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from core.pipeline import Stage, StageContext
from core.segments import SCENE, SHOT, Segment
from core.shots import features as F
from core.shots.features import ShotSignals
from core.shots.stage import load_signals
from core.shots.types import shot_descriptor


def group_scenes(descs: Sequence[np.ndarray], spans: Sequence[tuple[int, int]], fps: float,
                 threshold: float = 0.2, window_s: float = 20.0, max_ahead: int = 8) -> list[tuple[int, int]]:
    """Scenes as ``[first_shot, last_shot + 1)`` index ranges covering all shots in order."""
    n = len(spans)
    if n == 0:
        return []
    linked = np.zeros(n, bool)  # linked[k]: no scene boundary between shot k-1 and shot k
    for i in range(n):
        for j in range(i + 1, min(n, i + 1 + max_ahead)):
            if (spans[j][0] - spans[i][1]) / max(fps, 1e-6) > window_s:
                break
            if float(F.hist_distance(descs[i], descs[j])) < threshold:
                linked[i + 1:j + 1] = True
    scenes: list[tuple[int, int]] = []
    start = 0
    for k in range(1, n):
        if not linked[k]:
            scenes.append((start, k))
            start = k
    scenes.append((start, n))
    return scenes


class SceneStage(Stage):
    name = "scenes"
    model = "clipdesk-scenes"
    version = "1"
    requires = ("shots",)
    tracks = (SCENE,)

    def __init__(self, threshold: float = 0.2, window_s: float = 20.0) -> None:
        self.threshold = threshold
        self.window_s = window_s

    def params(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "window_s": self.window_s}

    def finish(self, ctx: StageContext) -> None:
        vid = ctx.video.id
        sig = ctx.shared.get("shots.signals")
        if not isinstance(sig, ShotSignals):
            sig = load_signals(ctx.project, vid)
        shots = [s for s in ctx.project.segments(vid, SHOT)]
        if sig is None or not shots:
            ctx.project.replace_machine_segments(vid, SCENE, [], ctx.run_id)
            return
        spans = [(s.start_frame, s.end_frame) for s in shots]
        descs = [shot_descriptor(sig, a, b) for a, b in spans]
        groups = group_scenes(descs, spans, ctx.video.rate.fps, self.threshold, self.window_s)
        segs = [Segment(SCENE, spans[a][0], spans[b - 1][1], None, None, {"shots": b - a},
                        source=self.source) for a, b in groups]
        ctx.project.replace_machine_segments(vid, SCENE, segs, ctx.run_id)
        ctx.progress(self.name, 1.0, f"{len(segs)} scenes from {len(shots)} shots")
