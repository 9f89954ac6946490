"""Clip export: frame-exact MP4 (H.264 + AAC), GIF and still images, horizontal or reframed.

The video is decoded once with PyAV from the keyframe before the in point; each frame is cropped
to its crop-path rectangle *on the YUV 4:2:0 planes* (no colour conversion), an optional
scoreboard box is re-placed inside the frame, and raw frames are piped (from a decode thread,
behind a small queue) to the ffmpeg binary, which scales them to the output size when the crop
size is constant (else OpenCV scales the planes), encodes, and trims the source audio to the
same span. Every output passes the output guard (:func:`core.export.paths.check_output`: never
the source video, nor the project's files for project clips) and is written to a temporary file
beside it, renamed when complete, so a cancelled or failed export leaves nothing behind.

:func:`export_project_clip` is what ``clipdesk clip`` and the review UI's export dialog call.
Takes a Task for progress/cancel; runs on the caller's (worker) thread.
"""

from __future__ import annotations

import json
import math
import os
import queue
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import IO, Any, Callable

import cv2
import numpy as np

from core.errors import ClipDeskError
from core.export.paths import atomic_target, check_output, project_inputs, write_text_atomic
from core.media.reader import FrameReader, open_container
from core.progress import Task, ensure_task
from core.reframe.aspect import aspect_label, output_size, parse_aspect
from core.reframe.path import crop_path_json
from core.timebase import FrameClock, Rate

STAGE = "export"


def ffmpeg_exe() -> str:
    """The ffmpeg binary: imageio-ffmpeg's bundled one, else the system's."""
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError):
        exe = shutil.which("ffmpeg")
        if not exe:
            raise ClipDeskError("ffmpeg not found (install imageio-ffmpeg or ffmpeg)") from None
        return exe


@dataclass(frozen=True)
class Overlay:
    """A source box (e.g. the scoreboard) drawn inside the output frame, scaled to fit."""

    box: tuple[int, int, int, int]  # x, y, w, h in source pixels
    max_w: float = 0.9  # fraction of the output width
    max_h: float = 0.14  # fraction of the output height
    top: float = 0.04  # distance from the top, fraction of the output height

    def placement(self, out_w: int, out_h: int) -> tuple[int, int, int, int]:
        _, _, bw, bh = self.box
        s = min(self.max_w * out_w / bw, self.max_h * out_h / bh)
        w, h = max(2, int(bw * s) // 2 * 2), max(2, int(bh * s) // 2 * 2)
        x = (out_w - w) // 2 // 2 * 2
        y = int(self.top * out_h) // 2 * 2
        return x, y, w, h


@dataclass(frozen=True)
class ClipResult:
    path: Path
    frames: int
    size: tuple[int, int]
    duration: float
    has_audio: bool


def _audio_offset(path: str) -> tuple[float, bool]:
    """Seconds from the file's start to the first video frame, and whether there is audio."""
    with open_container(path) as c:
        vs = c.streams.video[0]
        v0 = float((vs.start_time or 0) * vs.time_base) if vs.start_time is not None else 0.0
        c0 = (c.start_time or 0) / 1_000_000
        return max(0.0, v0 - c0), bool(c.streams.audio)


def _output_rate(clock: FrameClock, start: int, end: int) -> Rate:
    """Constant output rate: the nominal one, or for VFR sources the span's mean rate, so the
    clip lasts exactly as long as the span and stays in sync with its audio."""
    t0, t1 = clock.time(start), clock.time(end)
    if not clock.is_table or t1 <= t0:
        return clock.rate
    return Rate.from_fraction((end - start) / (t1 - t0), limit=100000)


def _rate_arg(rate: Rate) -> str:
    return f"{rate.num}/{rate.den}"


def _plane_views(a: np.ndarray, w: int, h: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = a[:h]
    u = a[h:h + h // 4].reshape(h // 2, w // 2)
    v = a[h + h // 4:h + h // 2].reshape(h // 2, w // 2)
    return y, u, v


def _resize(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if img.shape[1] == size[0] and img.shape[0] == size[1]:
        return np.ascontiguousarray(img)
    down = img.shape[1] > size[0]
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA if down else cv2.INTER_LINEAR)


class _FrameRenderer:
    """Crops, scales and composes one decoded frame into output bytes (yuv420p or rgb24)."""

    def __init__(self, src: tuple[int, int], out: tuple[int, int], planar: bool,
                 overlay: Overlay | None, caption: tuple[np.ndarray, int] | None = None) -> None:
        self.src = src
        self.out = out
        self.planar = planar
        self.overlay = overlay
        self.place = overlay.placement(*out) if overlay else None
        self.caption = caption  # (RGBA band, top row) from core.export.caption; RGB path only

    def render(self, a: np.ndarray, rect: np.ndarray) -> bytes:
        x, y, w, h = (int(v) for v in rect)
        ow, oh = self.out
        if not self.planar:
            img = _resize(a[y:y + h, x:x + w], (ow, oh))
            if self.overlay is not None and self.place is not None:
                bx, by, bw, bh = self.overlay.box
                px, py, pw, ph = self.place
                img = img.copy()
                img[py:py + ph, px:px + pw] = _resize(a[by:by + bh, bx:bx + bw], (pw, ph))
            if self.caption is not None:
                from core.export.caption import burn

                img = burn(img, self.caption)
            return img.tobytes()
        sw, sh = self.src
        planes = _plane_views(a, sw, sh)
        parts = []
        for i, p in enumerate(planes):
            d = 1 if i == 0 else 2
            crop = p[y // d:(y + h) // d, x // d:(x + w) // d]
            img = _resize(crop, (ow // d, oh // d))
            if self.overlay is not None and self.place is not None:
                bx, by, bw, bh = self.overlay.box
                px, py, pw, ph = self.place
                img = img.copy()  # never draw into the decoded frame
                img[py // d:(py + ph) // d, px // d:(px + pw) // d] = _resize(
                    p[by // d:(by + bh) // d, bx // d:(bx + bw) // d], (pw // d, ph // d))
            parts.append(img.tobytes())
        return b"".join(parts)


def _check_range(clock: FrameClock, start: int, end: int) -> None:
    if start < 0 or end > clock.frame_count or end <= start:
        raise ClipDeskError(f"clip range {start}..{end} is outside the video's {clock.frame_count} frames"
                            " or empty")


def _full_rects(start: int, end: int, src: tuple[int, int]) -> np.ndarray:
    w, h = src
    r = np.zeros((end - start, 4), np.int64)
    r[:] = (0, 0, w - w % 2, h - h % 2)
    return r


def _clean_box(box: Any, src: tuple[int, int]) -> tuple[int, int, int, int] | None:
    if not box:
        return None
    x, y, w, h = (int(v) for v in box)
    x, y = max(0, x - x % 2), max(0, y - y % 2)
    w, h = min(w, src[0] - x), min(h, src[1] - y)
    w, h = w - w % 2, h - h % 2
    return (x, y, w, h) if w >= 4 and h >= 4 else None


def _pump(produce: Callable[[Callable[[bytes], bool]], None], stdin: IO[bytes], n: int, task: Task) -> None:
    """Decode and render on a helper thread while this thread writes to ffmpeg (both release the
    GIL in their heavy parts), behind a small bounded queue; errors and cancel reach the caller."""
    q: queue.Queue[bytes | None] = queue.Queue(maxsize=6)
    stop = threading.Event()
    errors: list[BaseException] = []

    def put(item: bytes | None) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            produce(put)
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller
            errors.append(e)
        finally:
            put(None)

    th = threading.Thread(target=run, name="export-decode", daemon=True)
    th.start()
    try:
        for i in range(n):
            task.check()
            item = q.get()
            if item is None:
                break
            stdin.write(item)
            if i % 4 == 0:
                task.progress(STAGE, i / max(1, n), f"frame {i + 1}/{n}")
    finally:
        stop.set()
        th.join()
    if errors:
        raise errors[0]


def _run_ffmpeg(cmd: list[str], feed: Any, task: Task, tmp: Path) -> None:
    """Start ffmpeg, call ``feed(stdin)``; on any failure or cancel, kill it and drop ``tmp``."""
    with tempfile.TemporaryFile() as errf:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errf)
        assert proc.stdin is not None
        try:
            feed(proc.stdin)
            proc.stdin.close()
            rc = proc.wait()
        except BrokenPipeError:
            rc = proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            tmp.unlink(missing_ok=True)
            raise
        if rc != 0:
            errf.seek(0)
            lines = [ln for ln in errf.read().decode(errors="replace").splitlines() if ln.strip()]
            tmp.unlink(missing_ok=True)
            task.check()
            raise ClipDeskError(f"ffmpeg failed: {lines[-1] if lines else f'exit status {rc}'}")


def export_clip(path: str | os.PathLike[str], clock: FrameClock, start: int, end: int, out: str | os.PathLike[str],
                rects: np.ndarray | None = None, size: tuple[int, int] | None = None,
                overlay: Overlay | None = None, rotation: int = 0, audio: bool = True,
                preset: str = "veryfast", crf: int = 20, task: Task | None = None,
                title: str | None = None, caption: str | None = None) -> ClipResult:
    """Encode frames ``[start, end)`` of ``path`` to an H.264/AAC MP4 at ``out``.

    ``rects``: one ``(x, y, w, h)`` crop per frame in source pixels (even values; ``None`` = the
    whole frame). ``size``: output size (default: the first crop's size, made even). ``title``:
    the MP4's title tag (players and media libraries show it). ``caption``: text burned into
    the picture near the bottom (:mod:`core.export.caption`), drawn at the output size.
    """
    task = ensure_task(task)
    path = os.fspath(path)
    _check_range(clock, start, end)
    out = check_output(out, [path], what="clip", parents=True)
    with FrameReader(path, clock) as probe_reader:
        src_h, src_w = probe_reader.read(start).shape[:2]
    src = (src_w, src_h)
    rects = _full_rects(start, end, src) if rects is None else np.asarray(rects, np.int64)
    if len(rects) != end - start:
        raise ValueError(f"{len(rects)} crop rects for {end - start} frames")
    w0, h0 = int(rects[0][2]), int(rects[0][3])
    osize = size or (w0 - w0 % 2, h0 - h0 % 2)
    # PyAV packs yuv420p chroma as h/4 full-width rows: only exact when the height divides by 4.
    planar = rotation == 0 and src_w % 2 == 0 and src_h % 4 == 0 and not caption
    fmt = "yuv420p" if planar else "rgb24"
    # A constant crop size (the usual case) is piped at crop size and scaled by ffmpeg: a third of
    # the bytes through the pipe, and the scaler runs beside our decoder instead of after it.
    same = bool((rects[:, 2] == w0).all() and (rects[:, 3] == h0).all())
    pipe_size = (w0 - w0 % 2, h0 - h0 % 2) if same and not caption else osize  # text at full size
    layer = None
    if caption and caption.strip():
        from core.export.caption import caption_layer

        layer = caption_layer(caption, osize)
    renderer = _FrameRenderer(src, pipe_size, planar, overlay, layer)
    offset, has_audio = _audio_offset(path)
    has_audio = has_audio and audio
    t0, t1 = clock.time(start), clock.time(end)
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
           "-f", "rawvideo", "-pix_fmt", fmt, "-s", f"{pipe_size[0]}x{pipe_size[1]}",
           "-r", _rate_arg(_output_rate(clock, start, end)), "-i", "pipe:0"]
    if has_audio:
        cmd += ["-ss", f"{offset + t0:.6f}", "-t", f"{t1 - t0:.6f}", "-i", str(path),
                "-map", "0:v:0", "-map", "1:a:0", "-c:a", "aac", "-b:a", "160k"]
    if pipe_size != osize:
        cmd += ["-vf", f"scale={osize[0]}:{osize[1]}:flags=bicubic"]
    cmd += ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p",
            "-movflags", "+faststart", "-f", "mp4"]
    if title:
        cmd += ["-metadata", f"title={' '.join(title.split())[:200]}"]
    n = end - start

    def produce(put: Callable[[bytes], bool]) -> None:
        with FrameReader(path, clock, fmt=fmt, rotation=rotation) as reader:
            for i in range(n):
                if not put(renderer.render(reader.read(start + i), rects[i])):
                    return

    def feed(stdin: IO[bytes]) -> None:
        _pump(produce, stdin, n, task)

    with atomic_target(out) as tmp:
        _run_ffmpeg([*cmd, str(tmp)], feed, task, tmp)
    task.progress(STAGE, 1.0, f"{n} frames", force=True)
    return ClipResult(out, n, osize, t1 - t0, has_audio)


def export_gif(path: str | os.PathLike[str], clock: FrameClock, start: int, end: int, out: str | os.PathLike[str],
               rects: np.ndarray | None = None, width: int = 480, fps: float = 12.0,
               rotation: int = 0, task: Task | None = None) -> ClipResult:
    """An animated GIF of ``[start, end)`` at ``fps`` and ``width`` (palette made for the clip)."""
    task = ensure_task(task)
    path = os.fspath(path)
    _check_range(clock, start, end)
    out = check_output(out, [path], what="GIF", parents=True)
    with FrameReader(path, clock, rotation=rotation) as r0:
        src_h, src_w = r0.read(start).shape[:2]
    rects = _full_rects(start, end, (src_w, src_h)) if rects is None else np.asarray(rects, np.int64)
    w0, h0 = int(rects[0][2]), int(rects[0][3])
    ow = min(width, w0) // 2 * 2
    oh = max(2, int(round(ow * h0 / w0)) // 2 * 2)
    times = [clock.time(f) for f in range(start, end)]
    picks: list[int] = []
    next_t = times[0]
    for i, t in enumerate(times):
        if t + 1e-6 >= next_t:
            picks.append(i)
            next_t = max(next_t + 1.0 / fps, t + 0.5 / fps)
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "rawvideo",
           "-pix_fmt", "rgb24", "-s", f"{ow}x{oh}", "-r", f"{fps:g}", "-i", "pipe:0", "-filter_complex",
           "[0:v]split[a][b];[a]palettegen=stats_mode=diff[p];[b][p]paletteuse=dither=bayer:bayer_scale=4",
           "-loop", "0", "-f", "gif"]
    renderer = _FrameRenderer((src_w, src_h), (ow, oh), False, None)

    def produce(put: Callable[[bytes], bool]) -> None:
        with FrameReader(path, clock, fmt="rgb24", rotation=rotation) as reader:
            for i in picks:
                if not put(renderer.render(reader.read(start + i), rects[i])):
                    return

    def feed(stdin: IO[bytes]) -> None:
        _pump(produce, stdin, len(picks), task)

    with atomic_target(out) as tmp:
        _run_ffmpeg([*cmd, str(tmp)], feed, task, tmp)
    return ClipResult(out, len(picks), (ow, oh), clock.time(end) - clock.time(start), False)


def export_still(path: str | os.PathLike[str], clock: FrameClock, frame: int, out: str | os.PathLike[str],
                 rect: tuple[int, int, int, int] | None = None, size: tuple[int, int] | None = None,
                 rotation: int = 0) -> Path:
    """One frame (optionally cropped and scaled) as PNG or JPEG, by ``out``'s suffix."""
    path = os.fspath(path)
    _check_range(clock, frame, frame + 1)
    out = check_output(out, [path], what="still", parents=True)
    with FrameReader(path, clock, fmt="bgr24", rotation=rotation) as reader:
        img = reader.read(frame)
    if rect is not None:
        x, y, w, h = (int(v) for v in rect)
        img = img[y:y + h, x:x + w]
    if size is not None:
        img = _resize(img, size)
    params = [cv2.IMWRITE_JPEG_QUALITY, 92] if out.suffix.lower() in (".jpg", ".jpeg") else []
    with atomic_target(out) as tmp:
        try:
            ok = cv2.imwrite(str(tmp), img, params)
        except cv2.error:
            ok = False
        if not ok:
            raise ClipDeskError(f"cannot write image {out} (use .png or .jpg)")
    return out


def clip_range(clock: FrameClock, start_s: float, end_s: float) -> tuple[int, int]:
    """Frame range ``[start, end)`` for a span given in seconds (boundaries snap to frame starts).

    Both must be finite, ``start < end``, the start inside the video; an end past the video is
    refused unless it is less than one frame past (then it is the video's end).
    """
    for name, value in (("--start", start_s), ("--end", end_s)):
        if not math.isfinite(value):
            raise ClipDeskError(f"{name} must be a finite time in seconds, not {value}")
    if start_s < 0:
        raise ClipDeskError(f"--start must not be negative ({start_s:g} s)")
    if end_s <= start_s:
        raise ClipDeskError(f"--end ({end_s:g}) must be after --start ({start_s:g})")
    if start_s >= clock.duration:
        raise ClipDeskError(f"--start {start_s:g} s is outside the video (0..{clock.duration:.3f} s)")
    last = clock.duration - clock.time(clock.frame_count - 1) if clock.frame_count else 0.0
    if end_s > clock.duration + last:
        raise ClipDeskError(f"--end {end_s:g} s is past the end of the video ({clock.duration:.3f} s)")
    s = clock.nearest_frame(start_s)
    e = min(clock.frame_count, max(s + 1, clock.nearest_frame(min(end_s, clock.duration))))
    return s, e


def check_size_aspect(size: tuple[int, int] | None, asp: Fraction | None) -> None:
    """An exact output ``size`` must have the clip's aspect (within 2 %)."""
    if size is not None and asp is not None and abs(size[0] / size[1] - float(asp)) > 0.02:
        raise ClipDeskError(f"--size {size[0]}x{size[1]} does not have the aspect {aspect_label(asp)}")


def _overlay_for(project: Any, video_id: int, label: str, start: int, end: int,
                 src: tuple[int, int]) -> Overlay | None:
    """The scoreboard box to re-place: the crop segment's own choice (``overlay: false`` turns it
    off), else the scoreboard track or the user-drawn box (the board may be read after planning)."""
    from core.reframe.plan import crop_segments, scoreboard_box

    for s in crop_segments(project, video_id, label):
        if s.start_frame < end and s.end_frame > start and "overlay" in s.attrs:
            o = s.attrs["overlay"]
            box = _clean_box(o.get("box"), src) if isinstance(o, dict) else None
            return Overlay(box) if box else None
    box = _clean_box(scoreboard_box(project, video_id, start, end), src)
    return Overlay(box) if box else None


def export_project_clip(project: Any, video_id: int, start: int, end: int, out: str | os.PathLike[str],
                        aspect: str = "9:16", size: tuple[int, int] | None = None,
                        crop_json: str | os.PathLike[str] | None = None, overlay: bool = True,
                        task: Task | None = None, title: str | None = None,
                        caption: str | None = None) -> ClipResult:
    """Export ``[start, end)`` of a project video, reframed along its crop path (planned if needed).

    ``aspect`` ``"source"`` keeps the horizontal frame (scaled to ``size`` if given). With
    ``crop_json`` the crop actually used is written as JSON (INTERFACES.md). ``title``: the MP4's
    title tag (the highlight's title).
    """
    from core.reframe.plan import video_crop_path  # keeps the import light for GIF/still users

    task = ensure_task(task)
    v = project.video(video_id)
    clock = project.clock(video_id)
    _check_range(clock, start, end)
    inputs = project_inputs(project)
    out = check_output(out, inputs, what="clip", parents=True)
    if crop_json is not None:
        crop_json = check_output(crop_json, [*inputs, out], what="crop path", parents=True)
    asp = parse_aspect(aspect)
    label = aspect_label(asp)
    if size is not None and asp is None:
        label = "source"
    src = v.info.display_size
    ov: Overlay | None = None
    if asp is None:
        rects = _full_rects(start, end, src)
    else:
        rects = video_crop_path(project, video_id, label, task).rects(start, end)
        if overlay:
            ov = _overlay_for(project, video_id, label, start, end, src)
    w0, h0 = int(rects[0][2]), int(rects[0][3])
    check_size_aspect(size, asp)
    osize = output_size(w0, h0, asp, size)
    result = export_clip(v.path, clock, start, end, out, rects, osize, ov, rotation=v.info.rotation,
                         task=task, title=title, caption=caption)
    if crop_json is not None:
        doc = crop_path_json(label, src, list(range(start, end)), [clock.time(f) for f in range(start, end)],
                             rects, osize)
        write_text_atomic(crop_json, json.dumps(doc))
    return result
