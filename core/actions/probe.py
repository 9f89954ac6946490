"""Pose probes: one more pose of a tracked person at a chosen frame, on a crop of its box.

The persons stage samples poses every 0.25-0.5 s; a jump shot's release and the flight's apex
last a tenth of a second and fall between samples. :func:`core.actions.starter.probe_frames`
picks the few frames where one more pose would decide (around raised arms); here those frames
are decoded again (a seek, then forward), the person's box interpolated between its samples is
cut out with room above the head (raised arms, the ball) and run through a pose model
(``detect``: an RGB crop -> ``(N, 56)`` rows box, score, 17 x (x, y, conf), as
``models.persons.pose.PoseDetector.detect``), and the detection that overlaps the box best
becomes a pose row of the track (``core.persons.poses`` layout). The rows only feed the rules:
the stored poses are not changed. No ML import here; the caller passes the model.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np

from core.persons.poses import COLS, PoseTable

Detect = Callable[[np.ndarray], np.ndarray]
MIN_IOU = 0.3  # a detection must overlap the interpolated box this much to be the person
FORWARD = 45  # frames decoded on from the last probe rather than seeking


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


def pose_on_crop(image: np.ndarray, box: np.ndarray, detect: Detect) -> np.ndarray | None:
    """The pose (a ``(56,)`` detection row in frame pixels) of the person in ``box`` on ``image``,
    or ``None`` when the model finds nobody there."""
    x1, y1, x2, y2 = crop_box(box, (image.shape[1], image.shape[0]))
    if x2 - x1 < 4 or y2 - y1 < 4:
        return None
    d = np.asarray(detect(np.ascontiguousarray(image[y1:y2, x1:x2])), np.float64)
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


def probe_poses(reader: Any, table: PoseTable, requests: Mapping[int, Sequence[int]], detect: Detect,
                check: Callable[[], None] | None = None) -> np.ndarray:
    """Pose rows ``(M, COLS)`` of the tracks in ``requests`` (track id -> frames) at those frames.
    ``reader``: a :class:`core.media.reader.FrameReader` (RGB, source size); frames are read in
    order so nearby probes share one seek."""
    todo: list[tuple[int, int, np.ndarray]] = []
    for tid, frames in requests.items():
        r = table.track(int(tid))
        if len(r) < 2:
            continue
        r = r[np.argsort(r[:, 0], kind="stable")]
        for f in frames:
            box = np.array([np.interp(f, r[:, 0], r[:, 3 + i]) for i in range(4)])
            todo.append((int(f), int(tid), box))
    out = []
    last, image = -(1 << 30), None
    for f, tid, box in sorted(todo, key=lambda t: (t[0], t[1])):
        if check:
            check()
        if f != last:
            if 0 < f - last <= FORWARD:  # decoding on is cheaper than a seek back to a keyframe
                for g in range(last + 1, f + 1):
                    image = reader.read(g)
            else:
                image = reader.read(f)
            last = f
        assert image is not None
        q = pose_on_crop(image, box, detect)
        if q is None:
            continue
        row = np.empty(COLS, np.float32)
        row[0], row[1], row[2] = f, tid, q[4]
        row[3:7] = q[:4]
        row[7:] = q[5:5 + 3 * 17]
        out.append(row)
    return np.stack(out) if out else np.zeros((0, COLS), np.float32)


def with_probes(table: PoseTable, rows: np.ndarray) -> PoseTable:
    """The table with the probe rows added (a row of a frame and track already sampled is not)."""
    if not len(rows):
        return table
    have = {(int(a), int(b)) for a, b in table.array[:, :2]}
    keep = [r for r in rows if (int(r[0]), int(r[1])) not in have]
    return PoseTable(np.concatenate([table.array, np.asarray(keep, np.float32)])) if keep else table


__all__ = ["Detect", "crop_box", "pose_on_crop", "probe_poses", "with_probes"]
