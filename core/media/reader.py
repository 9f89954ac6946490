"""Media probing, frame-accurate random access by presentation timestamp, and audio loading.

Owns every direct use of PyAV for *reading* files (the one-pass analysis decode is in
``core.media.decode``). Safe to call from any thread; a :class:`FrameReader` belongs to one thread.
"""

from __future__ import annotations

import itertools
import os
import stat
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

import av
import numpy as np

from core.audio.mix import mono_resampler
from core.errors import MediaError
from core.timebase import FrameClock, Rate

# How many packets the probe scans to decide whether the stream is variable-frame-rate.
_VFR_SCAN_PACKETS = 600


@dataclass
class AudioStreamInfo:
    index: int
    codec: str
    sample_rate: int
    channels: int


@dataclass
class MediaInfo:
    path: str
    size_bytes: int
    container: str
    video_codec: str
    width: int
    height: int
    rate: Rate
    frame_count: int
    duration: float
    rotation: int = 0
    sar: Fraction = Fraction(1)
    vfr: bool = False
    audio: list[AudioStreamInfo] = field(default_factory=list)
    frame_count_exact: bool = False

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as shown: sample aspect ratio applied, then rotation."""
        w = int(round(self.width * float(self.sar))) if self.sar and self.sar != 1 else self.width
        h = self.height
        w -= w % 2
        return (h, w) if self.rotation in (90, 270) else (w, h)

    @property
    def has_audio(self) -> bool:
        return bool(self.audio)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["rate"] = {"num": self.rate.num, "den": self.rate.den}
        d["sar"] = [self.sar.numerator, self.sar.denominator]
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "MediaInfo":
        d = dict(d)
        d["rate"] = Rate(d["rate"]["num"], d["rate"]["den"])
        d["sar"] = Fraction(*d.get("sar", [1, 1]))
        d["audio"] = [AudioStreamInfo(**a) for a in d.get("audio", [])]
        return cls(**d)


def _check_path(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    if not p.exists():
        raise MediaError(f"{p}: no such file")
    if p.is_dir():
        raise MediaError(f"{p}: is a directory, not a video file")
    if not stat.S_ISREG(p.stat().st_mode):
        raise MediaError(f"{p}: not a regular file")
    if not os.access(p, os.R_OK):
        raise MediaError(f"{p}: permission denied")
    if p.stat().st_size == 0:
        raise MediaError(f"{p}: file is empty (0 bytes)")
    return p


def open_container(path: str | os.PathLike[str]) -> Any:
    p = _check_path(path)
    try:
        return av.open(str(p), metadata_errors="ignore")
    except av.error.FFmpegError as e:  # corrupt header, unknown format, ...
        raise MediaError(f"{p}: cannot be read as media ({_reason(e)})") from None
    except (OSError, UnicodeDecodeError) as e:
        raise MediaError(f"{p}: cannot be opened ({e})") from None


def _reason(e: BaseException) -> str:
    msg = getattr(e, "strerror", None) or str(e)
    return msg.strip().rstrip(".").splitlines()[0] if msg else type(e).__name__


def _rate_of(stream: Any) -> Rate:
    for cand in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if cand and cand > 0 and cand < 1000:
            return Rate.from_fraction(Fraction(cand))
    return Rate(25, 1)


def probe(path: str | os.PathLike[str]) -> MediaInfo:
    """Describe a video file; raises :class:`MediaError` with a one-line reason if unusable.

    Decodes the first two frames, so a file whose video cannot be decoded fails here, before any
    project is touched.
    """
    p = _check_path(path)
    with open_container(p) as c:
        if not c.streams.video:
            kind = "audio-only file" if c.streams.audio else "no video stream"
            raise MediaError(f"{p}: {kind}; ClipDesk needs a video")
        vs = c.streams.video[0]
        codec = vs.codec_context.name if vs.codec_context else "unknown"
        if vs.codec_context is None or not codec:
            raise MediaError(f"{p}: unsupported video codec")
        rate = _rate_of(vs)
        audio = []
        for a in c.streams.audio:
            ctx = a.codec_context
            audio.append(
                AudioStreamInfo(
                    index=a.index,
                    codec=ctx.name if ctx else "unknown",
                    sample_rate=int(ctx.sample_rate or 0) if ctx else 0,
                    channels=int(ctx.channels or 0) if ctx else 0,
                )
            )
        # Packet scan: VFR detection from presentation-timestamp steps.
        pts: list[int] = []
        try:
            for pkt in c.demux(vs):
                if pkt.pts is not None:
                    pts.append(pkt.pts)
                if len(pts) >= _VFR_SCAN_PACKETS:
                    break
        except av.error.FFmpegError:
            pass
        vfr = False
        if len(pts) > 3 and vs.time_base:
            steps = np.diff(np.sort(np.asarray(pts, dtype=np.int64))).astype(np.float64)
            steps = steps[steps > 0] * float(vs.time_base)
            if steps.size > 2:
                nominal = 1.0 / rate.fps
                vfr = bool(np.mean(np.abs(steps - nominal) > 0.25 * nominal) > 0.05)
        # Duration and frame count estimates (the analysis decode records the exact table).
        duration = 0.0
        if vs.duration and vs.time_base:
            duration = float(vs.duration * vs.time_base)
        elif c.duration:
            duration = c.duration / av.time_base
        frames = int(vs.frames or 0)
        if frames <= 0:
            frames = int(round(duration * rate.fps))
        # First two frames: prove the video decodes (random bytes can pass for a one-frame raw
        # H.263 stream, so one frame is not proof) and give the rotation.
        c.seek(0)
        rotation = 0
        decoded: list[av.VideoFrame] = []
        errors = 0
        try:
            for pkt in c.demux(vs):
                try:
                    decoded.extend(pkt.decode())
                except av.error.FFmpegError:
                    errors += 1
                    if errors > 50:
                        break
                if len(decoded) >= 2:
                    break
        except av.error.FFmpegError as e:
            raise MediaError(f"{p}: video cannot be decoded ({_reason(e)})") from None
        if not decoded:
            raise MediaError(f"{p}: no decodable video frames (corrupt or truncated file)")
        if len(decoded) < 2:
            raise MediaError(f"{p}: only one decodable video frame (a still image or a corrupt file); "
                             "ClipDesk needs a video")
        first = decoded[0]
        rotation = int(round(getattr(first, "rotation", 0) or 0)) % 360
        sar = Fraction(1)
        if vs.sample_aspect_ratio and vs.sample_aspect_ratio > 0:
            sar = Fraction(vs.sample_aspect_ratio)
        return MediaInfo(
            path=str(p.resolve()),
            size_bytes=p.stat().st_size,
            container=c.format.name,
            video_codec=codec,
            width=first.width,
            height=first.height,
            rate=rate,
            frame_count=max(frames, 1),
            duration=duration if duration > 0 else frames / rate.fps,
            rotation=rotation,
            sar=sar,
            vfr=vfr,
            audio=audio,
        )


def rotate_image(img: np.ndarray, rotation: int) -> np.ndarray:
    """Apply a display rotation (degrees counter-clockwise as in the display matrix)."""
    k = (rotation // 90) % 4
    return np.ascontiguousarray(np.rot90(img, k=k)) if k else img


class FrameReader:
    """Frame-accurate random access by presentation timestamp.

    ``read(i)`` seeks to the keyframe before frame ``i``'s timestamp and decodes forward to the
    frame whose pts matches; sequential reads continue decoding without seeking.
    ``read_keyframe(i)`` returns the nearest earlier keyframe only (fast, for scrubbing).
    Not thread-safe: one reader per thread.
    """

    def __init__(self, path: str, clock: FrameClock, size: tuple[int, int] | None = None,
                 fmt: str = "rgb24", rotation: int = 0) -> None:
        self._path = path
        self._container = open_container(path)
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        self._tb = self._stream.time_base
        self._start = self._stream.start_time or 0
        self.clock = clock
        self.size = size
        self.fmt = fmt
        self.rotation = rotation
        self._iter: Any = None
        self._next_index: int | None = None
        self.seeks = 0  # container seeks so far (each decodes from a keyframe)

    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> "FrameReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _to_array(self, frame: Any) -> np.ndarray:
        if self.size:
            w, h = self.size
            if self.rotation in (90, 270):
                w, h = h, w
            frame = frame.reformat(width=w, height=h, format=self.fmt)
        return rotate_image(frame.to_ndarray(format=self.fmt), self.rotation)

    def _pts_of(self, index: int) -> int:
        t = self.clock.time(index)
        return int(round(t / float(self._tb))) + self._start

    def _frames(self) -> Any:
        for pkt in self._container.demux(self._stream):
            try:
                yield from pkt.decode()
            except av.error.FFmpegError:
                continue

    def _reopen(self) -> None:
        self._container.close()
        self._container = open_container(self._path)
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"

    def _seek_before(self, target: int) -> Any:
        """Decoded frames from a keyframe at or before pts ``target`` onwards.

        Containers without an index (MPEG-TS, raw streams) seek by a timestamp search that can land
        *after* the target (FFmpeg's MPEG-TS seek overshot by a whole GOP here): the first frame
        decoded after each seek is checked, and the seek retried further back (doubling) until it
        lands before the target, else the file is decoded from its start.
        """
        self.seeks += 1
        back = 0
        step = max(1, int(2.0 / float(self._tb)))  # 2 s, then 4, 8, ...
        for _ in range(6):
            t = target - back
            if t <= self._start:
                break
            self._container.seek(t, stream=self._stream, backward=True, any_frame=False)
            it = self._frames()
            first = next(it, None)
            if first is not None and (first.pts is None or first.pts <= target):
                return itertools.chain([first], it)
            back = step if back == 0 else back * 2
        self._reopen()  # from the start: exact for every container
        return self._frames()

    def read(self, index: int, while_seeking: Callable[[], object] | None = None) -> np.ndarray:
        """Frame ``index`` (clamped to the video). ``while_seeking`` is called after each frame
        decoded on the way from the keyframe to the target (a caller's chance to do other work
        during a long-GOP seek on the same thread)."""
        index = max(0, min(self.clock.frame_count - 1, index))
        if self._iter is not None and self._next_index == index:
            fr = next(self._iter, None)
            if fr is not None:
                self._next_index = index + 1
                return self._to_array(fr)
        target = self._pts_of(index)
        half = max(1, int(0.5 / float(self._tb) / max(self.clock.rate.fps, 1)))
        self._iter = self._seek_before(target)
        last = None
        for fr in self._iter:
            last = fr
            if fr.pts is None or fr.pts >= target - half:
                self._next_index = index + 1
                return self._to_array(fr)
            if while_seeking is not None:
                while_seeking()
        if last is None:
            raise MediaError(f"frame {index} cannot be decoded")
        self._next_index = None
        return self._to_array(last)

    def read_keyframe(self, index: int) -> tuple[int, np.ndarray]:
        """Nearest keyframe at or before ``index``: ``(its frame index, image)``."""
        target = self._pts_of(max(0, index))
        self._iter = self._seek_before(target)
        fr = next(self._iter, None)
        if fr is None:
            return index, self.read(index)
        t = float((fr.pts or 0) - self._start) * float(self._tb)
        k = self.clock.nearest_frame(t)
        self._next_index = k + 1
        return k, self._to_array(fr)


def load_audio(path: str | os.PathLike[str], sample_rate: int = 16000,
               stream_index: int | None = None) -> np.ndarray:
    """Decode an audio stream to mono float32 at ``sample_rate``; corrupt packets are skipped."""
    with open_container(path) as c:
        if not c.streams.audio:
            raise MediaError(f"{path}: no audio stream")
        st = c.streams.audio[0] if stream_index is None else c.streams[stream_index]
        res = mono_resampler(getattr(st.codec_context, "layout", None), sample_rate)  # as the decode pass
        chunks: list[np.ndarray] = []
        for pkt in c.demux(st):
            try:
                frames = pkt.decode()
            except av.error.FFmpegError:
                continue
            for fr in frames:
                chunks.extend(res.resample(fr))
        chunks.extend(res.resample(None))
    return np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
