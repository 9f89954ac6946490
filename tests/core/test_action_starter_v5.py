"""Starter v5's rules on generated pose tracks: a small jump caught by one sample next to a
landing sample 0.1 s later, no probes where a jump is already seen, a shot's edges kept within
0.5 s of its key poses when the player moves all along (dribbling into the shot)."""

from __future__ import annotations

import numpy as np

from core.actions import starter
from core.persons.poses import PoseTable
from tests.core.test_action_starter import FPS, _motion, _pose, _track

V4 = starter.StarterParams(jump_lift=0.06, jump_ground_s=0.12, shot_pre_s=0.8, shot_post_s=0.8)


def _hop(samples: list[int], apex: int, lift_px: float, h: float = 120.0) -> np.ndarray:
    """A small player (``h`` px) whose one sample at ``apex`` is ``lift_px`` off the ground, feet and all."""
    return np.stack(_track(1, samples, [_pose(600, 400 - (lift_px if f == apex else 0), h=h) for f in samples]))


def test_a_small_jump_next_to_the_landing_sample_is_a_jump() -> None:
    # poses at 56 (apex, 0.055 body heights up), 59 (landed, 0.1 s later) and every 8 frames around
    samples = sorted({*range(0, 150, 8), 59} - {64})
    rows = _hop(samples, 56, 0.055 * 120)
    jumps = [s for s in starter.detect(PoseTable(rows), FPS, None) if s.label == "jump"]
    assert len(jumps) == 1 and jumps[0].start_frame < 56 < jumps[0].end_frame
    assert not [s for s in starter.detect(PoseTable(rows), FPS, None, V4) if s.label == "jump"]  # v4: none
    # the hips must still rise with the feet: ankles up, hips down (a kick back, a bad sample) is no jump
    bad = rows.copy()
    i = int(np.flatnonzero(bad[:, 0] == 56)[0])
    kp = bad[i, 7:].reshape(17, 3)
    kp[[11, 12], 1] += 10
    assert not [s for s in starter.detect(PoseTable(bad), FPS, None) if s.label == "jump"]
    # 0.04 body heights is tiptoe, not a jump
    assert not [s for s in starter.detect(PoseTable(_hop(samples, 56, 0.04 * 120)), FPS, None) if s.label == "jump"]


def test_no_probes_by_a_sample_that_already_shows_the_jump() -> None:
    samples = list(range(0, 150, 15))
    up = [_pose(600, 600 - (20 if f == 45 else 0), arms="shot" if f == 45 else "down") for f in samples]
    rows = np.stack(_track(1, samples, up))
    assert [s for s in starter.detect(PoseTable(rows), FPS, None) if s.label == "jump"]
    assert starter.probe_frames(rows, FPS) == []
    assert len(starter.probe_frames(rows, FPS, starter.StarterParams(probe_skip_jumps=False))) == 3
    # the same raised arms on the ground: probes between the samples, as before
    flat = [_pose(600, 600, arms="shot" if f == 45 else "down") for f in samples]
    assert len(starter.probe_frames(np.stack(_track(1, samples, flat)), FPS)) == 3


def test_a_shot_out_of_a_dribble_starts_at_most_half_a_second_before_its_key_poses() -> None:
    samples = list(range(0, 150, 8))
    poses = [_pose(600, 600, arms="shot" if f in (56, 64) else "down") for f in samples]
    table = PoseTable(np.stack(_track(3, samples, poses)))
    motion = _motion(150, [(10, 80, (520, 300, 680, 600))])  # moving all the time: dribble, shot, landing
    shot = [s for s in starter.detect(table, FPS, motion) if s.label == "shot"]
    assert len(shot) == 1 and 56 - 0.5 * FPS - 1 <= shot[0].start_frame <= 56
    assert 65 <= shot[0].end_frame <= 64 + 0.5 * FPS + 4
    old = [s for s in starter.detect(table, FPS, motion, V4) if s.label == "shot"]
    assert old and old[0].start_frame < 56 - 0.5 * FPS - 1  # v4: 0.8 s of dribble before it
