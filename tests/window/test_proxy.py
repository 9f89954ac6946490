"""Scrubbing proxies: long-GOP detection, proxy with the source's frame timing, player use."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.player.proxy import LONG_GOP_S, gop_seconds, make_proxy
from core.media.reader import FrameReader, probe
from core.testing.synth import ShotSpec, make_edit
from core.timebase import FrameClock


@pytest.fixture(scope="module")
def long_gop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("gop")
    return make_edit(d / "long.mp4", [ShotSpec(60) for _ in range(4)], gop=150,
                     size=(320, 180)).path


def test_gop_detection(long_gop: Path, tmp_path: Path) -> None:
    assert gop_seconds(long_gop) > LONG_GOP_S  # keyframes 6 s apart at 25 fps
    short = make_edit(tmp_path / "short.mp4", [ShotSpec(60)], gop=10).path
    assert gop_seconds(short) <= 0.5


def test_proxy_keeps_frame_timing_and_short_gop(long_gop: Path, tmp_path: Path) -> None:
    proxy = make_proxy(long_gop, tmp_path / "p.mp4")
    src, prx = probe(long_gop), probe(proxy)
    assert prx.frame_count == src.frame_count and prx.rate == src.rate
    assert gop_seconds(proxy) <= 0.5
    clock = FrameClock(src.rate, src.frame_count)
    with FrameReader(str(long_gop), clock) as a, FrameReader(str(proxy), clock,
                                                               size=(320, 180)) as b:
        for f in (7, 61, 130, 199):  # same frame content (lossy), across cuts
            diff = np.abs(a.read(f).astype(int) - b.read(f).astype(int)).mean()
            other = np.abs(a.read(f).astype(int) - b.read((f + 60) % 240).astype(int)).mean()
            assert diff < 12 and diff < other / 2


def test_frame_server_scrubs_on_the_proxy(qtbot, long_gop: Path, tmp_path: Path) -> None:
    from app.player.frame_server import FrameServer

    info = probe(long_gop)
    clock = FrameClock(info.rate, info.frame_count)
    server = FrameServer(str(long_gop), clock, (320, 180))
    try:
        with qtbot.waitSignal(server.frameReady, timeout=30000) as sig:
            server.request(140, exact=False)
        assert sig.args[1] == 0  # no proxy yet: the keyframe before frame 140 (GOP 150)
        server.set_proxy(str(make_proxy(long_gop, tmp_path / "p.mp4")))
        with qtbot.waitSignal(server.frameReady, timeout=30000) as sig:
            server.request(140, exact=False)
        assert sig.args[0] == 140 and sig.args[1] == -1 - 140  # proxy's exact frame (a preview)
        with qtbot.waitSignal(server.frameReady, timeout=30000) as sig:
            server.request(140, exact=True)
        assert sig.args[1] == 140  # release: the source's exact frame
    finally:
        server.close()
