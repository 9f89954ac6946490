"""Scrubbing proxies for long-GOP sources.

A source whose keyframes are more than ``LONG_GOP_S`` apart makes keyframe-snapped scrubbing
jumpy (the shown frame can be seconds away from the pointer). For such files we encode, once and in
the background, a small all-but-intra copy (<= 640 px wide, a keyframe every 10 frames, same
frame timing, no audio) into the user cache, keyed by the file's fingerprint. The player then
scrubs on the proxy's exact frames and still shows the source's exact frame on release.

``gop_seconds`` and ``make_proxy`` may run on any thread (the window runs ``make_proxy`` on a
worker); ``ProxyMaker`` hands the finished path to the GUI thread through a signal.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from core.media.reader import open_container
from core.userdirs import cache_dir as user_cache_dir

log = logging.getLogger(__name__)

LONG_GOP_S = 2.0
MIN_DURATION_S = 20.0  # short clips seek fast enough from the source
PROXY_GOP = 10
PROXY_WIDTH = 640


def gop_seconds(path: str | os.PathLike[str], max_packets: int = 1500) -> float | None:
    """The longest keyframe interval (seconds) among the first packets; None if unknown."""
    try:
        with open_container(path) as c:
            st = c.streams.video[0]
            tb = float(st.time_base)
            last: float | None = None
            longest = 0.0
            for i, pkt in enumerate(c.demux(st)):
                if i >= max_packets:
                    break
                if pkt.pts is None:
                    continue
                if pkt.is_keyframe:
                    t = pkt.pts * tb
                    if last is not None:
                        longest = max(longest, t - last)
                    last = t
            if last is None:
                return None
            return longest if longest > 0 else float(max_packets) / max(1.0, float(st.average_rate or 25))
    except Exception as e:  # noqa: BLE001 - unknown GOP: no proxy
        log.info("gop of %s: %s", path, e)
        return None


def cache_dir() -> Path:
    return user_cache_dir("proxies")


def proxy_path(video: str | os.PathLike[str]) -> Path:
    from core.store.fingerprint import fingerprint

    return cache_dir() / f"{fingerprint(video).replace(':', '-')}.mp4"  # no ':' in file names


def make_proxy(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> Path:
    """Encode the proxy (written to a temporary name, renamed when complete)."""
    import imageio_ffmpeg

    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_suffix(".part.mp4")
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(src), "-map", "0:v:0",
           "-vf", f"scale='min({PROXY_WIDTH},iw)':-2", "-fps_mode", "passthrough",
           "-c:v", "libx264", "-preset", "ultrafast", "-crf", "28", "-g", str(PROXY_GOP),
           "-keyint_min", str(PROXY_GOP), "-sc_threshold", "0", "-bf", "0", "-pix_fmt", "yuv420p",
           "-an", str(tmp)]
    subprocess.run(cmd, check=True, capture_output=True)
    os.replace(tmp, dst)
    return dst


class ProxyMaker(QObject):
    """Finds or builds the proxy of a long-GOP video; ``ready(video_path, proxy_path)``."""

    ready = Signal(str, str)

    def request(self, video: str, duration: float = 1e9) -> None:
        if duration < MIN_DURATION_S:
            return
        threading.Thread(target=self._run, args=(video,), daemon=True,
                         name="clipdesk-proxy").start()

    def _run(self, video: str) -> None:
        try:
            dst = proxy_path(video)
            if not dst.exists():
                gop = gop_seconds(video)
                if gop is None or gop <= LONG_GOP_S:
                    return
                log.info("making a scrubbing proxy for %s (keyframes every %.1f s)", video, gop)
                make_proxy(video, dst)
            try:
                self.ready.emit(video, str(dst))
            except RuntimeError:  # the player was closed meanwhile
                pass
        except Exception as e:  # noqa: BLE001 - scrubbing falls back to source keyframes
            log.warning("no proxy for %s: %s", video, e)
