"""The persons tracker's matching cascade (core.persons.track): a track seen a moment ago keeps
its person against a track unseen for a while, whose gate is wide (generated detections)."""

from __future__ import annotations

import numpy as np

from core.persons.roles import EX_FIELD, EX_L, EX_PLAY, EXTRA_COLS
from core.persons.track import link_tracks

DARK = (40.0, 129.0, 126.0)


def _det(x: float, y: float, h: float) -> np.ndarray:
    d = np.zeros(56 + EXTRA_COLS, np.float32)
    d[0:5] = (x, y, x + 0.5 * h, y + h, 0.9)
    d[56 + EX_FIELD] = 1
    d[56 + EX_PLAY] = 1
    d[56 + EX_L:56 + EX_L + 3] = DARK
    return d


def test_a_track_seen_a_moment_ago_keeps_its_person() -> None:
    # the near player (h 260) is found on every sample; a person at the side (h 150) is seen
    # until frame 45, then missed; at frame 90 a stranger (h 150) stands 1.5 heights from the near player. With one
    # assignment over all tracks the side person's track (unseen for 1.5 s: a gate of ~4.75
    # heights) took the near player and the near player's track the stranger: swapped ids.
    samples = []
    for f in (0, 15, 30, 45, 60, 75, 83, 90):
        dets = [_det(700 + 2 * f, 700, 260)]
        if f <= 45:
            dets.append(_det(1850, 950, 150))
        if f == 90:
            dets.append(_det(522, 755, 150))  # 1.5 heights from the near player
        samples.append((f, np.stack(dets)))
    poses, _ = link_tracks(samples, [(0, 200)], 30.0, colour_col=EX_L)
    near = poses[poses[:, 4] == 700]
    assert len(near) == 8
    assert len(np.unique(near[:, 1])) == 1, "the near player changed id"
    stranger = poses[(poses[:, 0] == 90) & (poses[:, 4] == 755)]
    assert len(stranger) == 1 and int(stranger[0, 1]) != int(near[0, 1])
