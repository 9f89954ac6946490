"""Cover candidates look different from each other: a static shot gives no eight copies of one
picture, and a segment spanning two scenes offers both."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.highlights.covers import NEAR_SAME, CoverCandidate, cover_candidates, diverse, look, similarity
from core.media.reader import probe
from core.testing.synth import ShotSpec, make_edit
from core.timebase import FrameClock


def _cand(frame: int, score: float, colour: tuple[int, int, int]) -> CoverCandidate:
    rng = np.random.default_rng(frame)  # the same picture with a little sensor noise
    img = np.zeros((36, 64, 3), np.int16)
    img[:] = colour
    img[10:26, 20:40] = 255 - np.array(colour)
    img = np.clip(img + rng.integers(-3, 4, img.shape), 0, 255).astype(np.uint8)
    return CoverCandidate(frame, score, 0.5, 0.5, 0.5, img)


def test_near_identical_pictures_are_not_offered_twice() -> None:
    same = [_cand(f, 0.9 - f / 1000, (40, 120, 200)) for f in (0, 1, 2, 3)]  # one picture 4x
    other = _cand(200, 0.5, (200, 60, 30))
    picked = diverse(same + [other], 8)
    assert [c.frame for c in picked] == [0, 200]
    assert similarity(look(same[0].image), look(same[1].image)) >= NEAR_SAME
    assert similarity(look(same[0].image), look(other.image)) < 0.5


def test_candidates_span_both_scenes_of_a_segment(tmp_path: Path) -> None:
    video = tmp_path / "two.mp4"
    make_edit(video, [ShotSpec(60, speed=0.2), ShotSpec(30, speed=0.2)], seed=5)
    info = probe(video)
    clk = FrameClock(info.rate, info.frame_count)
    cands = cover_candidates(str(video), clk, 0, info.frame_count, count=8, samples=24)
    assert 2 <= len(cands) <= 8
    assert any(c.frame < 60 for c in cands) and any(c.frame >= 62 for c in cands)
    looks = [look(c.image) for c in cands]
    assert all(similarity(a, b) < NEAR_SAME for i, a in enumerate(looks) for b in looks[i + 1:])
