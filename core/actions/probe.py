"""Pose probes: one more pose of a tracked person at a chosen frame, on a crop of its box.

The persons stage samples poses every 0.25-0.5 s; a jump shot's release and the flight's apex
last a tenth of a second and fall between samples. :func:`core.actions.starter.probe_frames`
picks the few frames where one more pose would decide (around raised arms); here those frames
are decoded again (a seek, then forward), the person's box interpolated between its samples is
cut out with room above the head (raised arms, the ball) and run through a pose model
(``detect``: an RGB crop -> ``(N, 56)`` rows box, score, 17 x (x, y, conf), as
``models.persons.pose.PoseDetector.detect``; a ``detect.many`` attribute, if there, takes a list
of crops in one model call), and the detection that overlaps the box best becomes a pose row of
the track (``core.persons.poses`` layout). The rows only feed the rules: the stored poses are not
changed. No ML import here; the caller passes the model.

Cost (the decode is most of it on HD video): :func:`open_reader` reads frames as YUV 4:2:0
planes (a copy, no colour conversion) and only the crops are converted to RGB; with the video's
keyframes (:func:`keyframes`, packet flags, nothing decoded) a probe is reached by decoding on
from the last one whenever no keyframe lies between them (a seek would decode from that keyframe
anyway), so a clip's probes cost at most one decode of the stretch they span.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np

from core.persons.poses import COLS, PoseTable

Detect = Callable[[np.ndarray], np.ndarray]
MIN_IOU = 0.3  # a detection must overlap the interpolated box this much to be the person
FORWARD = 45  # without the keyframes: frames decoded on from the last probe rather than seeking
BATCH = 8  # crops per model call when the model takes several


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def crop_box(box: Sequence[float] | np.ndarray, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """The crop around a person's box: 0.3 box widths either side, 0.4 box heights above (arms
    and ball over the head), 0.1 below; clipped to the frame ``size`` (width, height)."""
    x1, y1, x2, y2 = (float(v) for v in box)
    w, h = x2 - x1, y2 - y1
    W, H = size
    return (max(0, int(x1 - 0.3 * w)), max(0, int(y1 - 0.4 * h)),
            min(W, int(np.ceil(x2 + 0.3 * w))), min(H, int(np.ceil(y2 + 0.1 * h))))


def image_size(image: np.ndarray) -> tuple[int, int]:
    """(width, height) of an RGB image or of YUV 4:2:0 planes (``(H * 3 / 2, W)``, as
    ``av.VideoFrame.to_ndarray(format="yuv420p")``)."""
    if image.ndim == 2:
        return int(image.shape[1]), int(image.shape[0] * 2 // 3)
    return int(image.shape[1]), int(image.shape[0])


def cut(image: np.ndarray, x1: int, y1: int, x2: int, y2: int) -> tuple[np.ndarray, int, int]:
    """The RGB crop ``[y1:y2, x1:x2]`` of an RGB image or of YUV 4:2:0 planes (only the crop is
    converted; its corners are moved to even pixels), with the crop's top-left corner."""
    if image.ndim != 2:
        return np.ascontiguousarray(image[y1:y2, x1:x2]), x1, y1
    import cv2

    W, H = image_size(image)
    x1, y1 = x1 & ~1, y1 & ~1
    x2, y2 = min(W, x2 + (x2 & 1)), min(H, y2 + (y2 & 1))
    x2, y2 = x2 - ((x2 - x1) & 1), y2 - ((y2 - y1) & 1)  # even sizes (odd frame sizes: one pixel less)
    u = image[H:H + H // 4].reshape(H // 2, W // 2)
    v = image[H + H // 4:H + H // 2].reshape(H // 2, W // 2)
    planes = [image[y1:y2, x1:x2].ravel(), u[y1 // 2:y2 // 2, x1 // 2:x2 // 2].ravel(),
              v[y1 // 2:y2 // 2, x1 // 2:x2 // 2].ravel()]
    i420 = np.concatenate(planes).reshape((y2 - y1) * 3 // 2, x2 - x1)
    return cv2.cvtColor(i420, cv2.COLOR_YUV2RGB_I420), x1, y1


def _crop(image: np.ndarray, box: np.ndarray) -> tuple[np.ndarray, int, int] | None:
    x1, y1, x2, y2 = crop_box(box, image_size(image))
    if x2 - x1 < 4 or y2 - y1 < 4:
        return None
    return cut(image, x1, y1, x2, y2)


def _best(d: Any, box: np.ndarray, x1: int, y1: int) -> np.ndarray | None:
    """The detection (crop pixels, moved by the crop's corner) that overlaps ``box`` best."""
    d = np.asarray(d, np.float64)
    if d.ndim != 2 or not len(d):
        return None
    d = d.copy()
    d[:, [0, 2]] += x1
    d[:, [1, 3]] += y1
    d[:, 5::3] += x1
    d[:, 6::3] += y1
    ious = [_iou(q[:4], np.asarray(box, np.float64)) for q in d]
    i = int(np.argmax(ious))
    return d[i] if ious[i] >= MIN_IOU else None


def pose_on_crop(image: np.ndarray, box: np.ndarray, detect: Detect) -> np.ndarray | None:
    """The pose (a ``(56,)`` detection row in frame pixels) of the person in ``box`` on ``image``
    (RGB or YUV 4:2:0 planes), or ``None`` when the model finds nobody there."""
    c = _crop(image, box)
    if c is None:
        return None
    return _best(detect(c[0]), box, c[1], c[2])


def keyframes(path: str, clock: Any, first: int | None = None, last: int | None = None) -> np.ndarray:
    """Frame indices of the video's keyframes, from the packets' flags (demuxed, not decoded),
    with ``first``/``last`` only from the keyframe at or before frame ``first`` to frame ``last``
    (the stretch the probes span: a long video is not read through for a few probes); empty when
    the container cannot say."""
    import av

    from core.errors import ClipDeskError
    from core.media.reader import open_container

    out: list[int] = []
    try:
        with open_container(path) as c:
            st = c.streams.video[0]
            tb, start = float(st.time_base or 0), st.start_time or 0
            if not tb:
                return np.zeros(0, np.int64)
            if first is not None and first > 0:
                c.seek(int(round(clock.time(first) / tb)) + start, stream=st, backward=True, any_frame=False)
            end = None if last is None else clock.time(last)
            for pkt in c.demux(st):
                if pkt.pts is None:
                    continue
                t = (pkt.pts - start) * tb
                if pkt.is_keyframe:
                    out.append(int(clock.nearest_frame(t)))
                if end is not None and t > end + 2.0:  # packets come in decode order: a little beyond
                    break
    except (av.error.FFmpegError, OSError, IndexError, ClipDeskError):
        return np.zeros(0, np.int64)
    return np.unique(np.asarray(out, np.int64))


def open_reader(info: Any, clock: Any) -> Any:
    """A :class:`core.media.reader.FrameReader` for probes: YUV 4:2:0 planes at the coded size
    when that is the display size (no rotation, square pixels; :func:`cut` converts the crops
    only), else RGB at the display size."""
    from core.media.reader import FrameReader

    size = (int(info.display_size[0]), int(info.display_size[1]))
    if not info.rotation and size == (int(info.width), int(info.height)) and size[0] % 2 == 0 and size[1] % 2 == 0:
        return FrameReader(info.path, clock, size=None, fmt="yuv420p")
    return FrameReader(info.path, clock, size=size, rotation=info.rotation)


def _decode_on(last: int, f: int, keys: np.ndarray | None) -> bool:
    """Whether frame ``f`` is reached more cheaply by decoding on from frame ``last`` than by a
    seek (which decodes from the keyframe at or before ``f``)."""
    if last < 0 or f <= last:
        return False
    if keys is None or not len(keys):
        return f - last <= FORWARD
    i = int(np.searchsorted(keys, f, side="right")) - 1
    return i < 0 or int(keys[i]) <= last


def probe_poses(reader: Any, table: PoseTable, requests: Mapping[int, Sequence[int]], detect: Detect,
                check: Callable[[], None] | None = None, keys: np.ndarray | None = None) -> np.ndarray:
    """Pose rows ``(M, COLS)`` of the tracks in ``requests`` (track id -> frames) at those frames.
    ``reader``: a :class:`core.media.reader.FrameReader` (RGB at the source size, or YUV planes:
    :func:`open_reader`); frames are read in order, each once, decoding on from the last probe
    where no keyframe (``keys``, :func:`keyframes`; without them: within ``FORWARD`` frames)
    lies between; the crops go to the model ``BATCH`` at a time when it takes several."""
    todo: list[tuple[int, int, np.ndarray]] = []
    for tid, frames in requests.items():
        r = table.track(int(tid))
        if len(r) < 2:
            continue
        r = r[np.argsort(r[:, 0], kind="stable")]
        for f in frames:
            box = np.array([np.interp(f, r[:, 0], r[:, 3 + i]) for i in range(4)])
            todo.append((int(f), int(tid), box))
    many = getattr(detect, "many", None)
    size = BATCH if many else 1
    pending: list[tuple[int, int, np.ndarray, np.ndarray, int, int]] = []
    out: list[np.ndarray] = []

    def run() -> None:  # the crops waiting, in one model call where it takes several
        dets = many([c[3] for c in pending]) if many else [detect(c[3]) for c in pending]
        for (f, tid, box, _, x1, y1), d in zip(pending, dets):
            q = _best(d, box, x1, y1)
            if q is not None:
                row = np.empty(COLS, np.float32)
                row[0], row[1], row[2] = f, tid, q[4]
                row[3:7] = q[:4]
                row[7:] = q[5:5 + 3 * 17]
                out.append(row)
        pending.clear()

    last, image = -1, None
    for f, tid, box in sorted(todo, key=lambda t: (t[0], t[1])):
        if check:
            check()
        if f != last:
            if _decode_on(last, f, keys):  # no keyframe between: a seek would decode these anyway
                for g in range(last + 1, f + 1):
                    image = reader.read(g)
            else:
                image = reader.read(f)
            last = f
        assert image is not None
        c = _crop(image, box)
        if c is not None:
            pending.append((f, tid, box, c[0], c[1], c[2]))
        if len(pending) >= size:
            run()
    if pending:
        run()
    return np.stack(out) if out else np.zeros((0, COLS), np.float32)


def with_probes(table: PoseTable, rows: np.ndarray) -> PoseTable:
    """The table with the probe rows added (a row of a frame and track already sampled is not)."""
    if not len(rows):
        return table
    have = {(int(a), int(b)) for a, b in table.array[:, :2]}
    keep = [r for r in rows if (int(r[0]), int(r[1])) not in have]
    return PoseTable(np.concatenate([table.array, np.asarray(keep, np.float32)])) if keep else table


__all__ = ["BATCH", "Detect", "crop_box", "cut", "image_size", "keyframes", "open_reader", "pose_on_crop",
           "probe_poses", "with_probes"]
