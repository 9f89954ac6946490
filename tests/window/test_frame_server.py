"""The player's frame server: reverse playback decodes chunks from one seek, not a seek per frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.media.reader import FrameReader, probe
from core.testing.synth import ShotSpec, make_edit
from core.timebase import FrameClock


@pytest.fixture(scope="module")
def long_gop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, FrameClock, list[np.ndarray]]:
    path = make_edit(tmp_path_factory.mktemp("fs") / "long.mp4", [ShotSpec(80) for _ in range(3)],
                     gop=150, size=(160, 96)).path
    info = probe(path)
    clock = FrameClock(info.rate, info.frame_count)
    with FrameReader(str(path), clock, size=(160, 96)) as r:
        frames = [r.read(i) for i in range(info.frame_count)]  # sequential: the reference
    return path, clock, frames


def _play(qtbot, server, order: list[int]) -> list[tuple[int, int, np.ndarray]]:
    got = []
    for f in order:
        with qtbot.waitSignal(server.frameReady, timeout=30000) as sig:
            server.request(f, exact=True)
        img = sig.args[2]
        arr = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())
        rgb = arr[:, : img.width() * 3].reshape(img.height(), -1, 3).copy()  # before img is freed
        got.append((sig.args[0], sig.args[1], rgb))
    return got


@pytest.mark.parametrize("cache_frames", [1000, 20])
def test_reverse_playback_is_exact_and_seeks_per_chunk(qtbot, long_gop, cache_frames: int) -> None:
    from app.player.frame_server import FrameServer

    path, clock, ref = long_gop
    assert any(np.abs(ref[i].astype(int) - ref[i + 1]).mean() > 0.5 for i in range(100, 110))
    server = FrameServer(str(path), clock, (160, 96), cache_bytes=cache_frames * 160 * 96 * 3)
    try:
        _play(qtbot, server, [230])
        seeks0 = server.seeks
        order = list(range(229, 99, -1))  # 130 frames backwards across a cut and a keyframe
        for requested, shown, img in _play(qtbot, server, order):
            assert requested == shown
            assert np.array_equal(img, ref[shown]), f"frame {shown} is not the frame decoded in order"
        seeks = server.seeks - seeks0
        # about one seek per chunk; a seek per frame (what reverse playback did before) is 130
        assert seeks <= len(order) / server._chunk + 4, (seeks, server._chunk)
        assert len(server._cache) <= server._capacity
        # forward again: sequential decoding, exact
        for requested, shown, img in _play(qtbot, server, list(range(100, 112))):
            assert requested == shown and np.array_equal(img, ref[shown])
    finally:
        server.close()
