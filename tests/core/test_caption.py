"""A burned-in title on a vertical clip: drawn at the output size, readable (white on a dark
band near the bottom), the rest of the picture untouched."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.export.caption import burn, caption_layer
from core.export.clip import export_clip
from core.media.reader import FrameReader, probe
from core.testing.synth import ShotSpec, make_edit
from core.timebase import FrameClock


def test_layer_wraps_to_two_lines_and_blends() -> None:
    band, top = caption_layer("Goal: \u201cwhat a finish from the edge of the box, unbelievable\u201d, 21:11 "
                              "and more words than fit", (360, 640))
    assert band.shape[1] == 360 and band.shape[2] == 4 and 0 < top < 640 - band.shape[0]
    assert band.shape[0] < 640 * 0.2  # two lines at most
    img = np.full((640, 360, 3), 128, np.uint8)
    out = burn(img, (band, top))
    assert (out[:top] == 128).all()  # above the band: untouched
    assert out[top:top + band.shape[0]].max() > 230 and out[top:top + band.shape[0]].min() < 60


def test_export_burns_the_caption(tmp_path: Path) -> None:
    video = tmp_path / "v.mp4"
    make_edit(video, [ShotSpec(20)], size=(320, 180), seed=2)
    info = probe(video)
    clk = FrameClock(info.rate, info.frame_count)
    rects = np.tile(np.array([[110, 0, 100, 180]]), (10, 1))
    plain = export_clip(video, clk, 0, 10, tmp_path / "a.mp4", rects, (180, 320))
    cap = export_clip(video, clk, 0, 10, tmp_path / "b.mp4", rects, (180, 320), caption="Goal: HOM 2-1 AWY")
    assert plain.size == cap.size == (180, 320)
    c2 = FrameClock(probe(cap.path).rate, 10)
    with FrameReader(str(plain.path), c2) as ra, FrameReader(str(cap.path), c2) as rb:
        a, b = ra.read(5).astype(int), rb.read(5).astype(int)
    band_top = int(320 * (1 - 0.14)) - 40
    assert np.abs(a[:band_top - 10] - b[:band_top - 10]).mean() < 3  # the picture is the same
    assert np.abs(a[band_top:int(320 * 0.86)] - b[band_top:int(320 * 0.86)]).mean() > 15  # the band
