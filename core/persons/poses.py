"""Compact storage of tracked person poses: one float32 row per (frame, person).

Column layout of the array kept in the project's ``signals`` table (name ``poses``, key
``<model>@<version>:<params>``) — *not* one SQL row per keypoint:

====  =========================================================
col   meaning
====  =========================================================
0     frame (decoded frame index; only sampled frames have rows)
1     track id (unique within the video; tracks reset at shot boundaries)
2     detection score
3-6   box x1, y1, x2, y2 in source pixels (display orientation)
7-57  17 COCO keypoints as (x, y, confidence) triples, source pixels
====  =========================================================

:class:`PoseTable` wraps such an array for lookups and interpolation between sampled frames;
:func:`load_poses` reads a video's newest poses from a project (the ``persons`` stage writes them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from core.store.project import Project

POSE_SIGNAL = "poses"
N_KPT = 17
COLS = 7 + 3 * N_KPT
COCO_KEYPOINTS = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)
# Limb pairs for drawing skeletons and for bone features (COCO order).
COCO_SKELETON = (
    (15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11), (6, 12), (5, 6), (5, 7), (6, 8),
    (7, 9), (8, 10), (1, 2), (0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6),
)


@dataclass(frozen=True)
class Pose:
    frame: int
    track_id: int
    score: float
    box: np.ndarray  # (4,) x1 y1 x2 y2
    keypoints: np.ndarray  # (17, 3) x y conf

    @property
    def center(self) -> tuple[float, float]:
        return float((self.box[0] + self.box[2]) / 2), float((self.box[1] + self.box[3]) / 2)


def pack(frame: int, track_id: int, score: float, box: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
    row = np.empty(COLS, np.float32)
    row[0], row[1], row[2] = frame, track_id, score
    row[3:7] = box
    row[7:] = np.asarray(keypoints, np.float32).reshape(-1)
    return row


class PoseTable:
    """Read access to a poses array (rows sorted by frame, then track id)."""

    def __init__(self, array: np.ndarray | None) -> None:
        a = np.zeros((0, COLS), np.float32) if array is None else np.asarray(array, np.float32)
        if a.ndim != 2 or a.shape[1] != COLS:
            raise ValueError(f"poses array must be (N, {COLS}), got {a.shape}")
        order = np.lexsort((a[:, 1], a[:, 0])) if len(a) else np.zeros(0, int)
        self.array = a[order]
        self.frames = self.array[:, 0].astype(np.int64)

    def __len__(self) -> int:
        return len(self.array)

    @staticmethod
    def _pose(row: np.ndarray) -> Pose:
        return Pose(int(row[0]), int(row[1]), float(row[2]), row[3:7].copy(),
                    row[7:].reshape(N_KPT, 3).copy())

    def track_ids(self) -> list[int]:
        return sorted({int(t) for t in self.array[:, 1]})

    def sampled_frames(self) -> np.ndarray:
        return np.unique(self.frames)

    def at(self, frame: int) -> list[Pose]:
        """Poses on exactly this sampled frame."""
        lo, hi = np.searchsorted(self.frames, [frame, frame + 1])
        return [self._pose(r) for r in self.array[lo:hi]]

    def track(self, track_id: int) -> np.ndarray:
        """Rows of one track, sorted by frame."""
        return self.array[self.array[:, 1] == track_id]

    def interpolated(self, frame: int, max_gap: int = 30) -> list[Pose]:
        """Poses at any frame: linear interpolation between the sampled frames around it."""
        exact = self.at(frame)
        if exact:
            return exact
        i = int(np.searchsorted(self.frames, frame))
        if i == 0 or i >= len(self.frames):
            return []
        f0, f1 = int(self.frames[i - 1]), int(self.frames[i])
        if f1 - f0 > max_gap:
            return []
        before = {p.track_id: p for p in self.at(f0)}
        after = {p.track_id: p for p in self.at(f1)}
        w = (frame - f0) / (f1 - f0)
        out = []
        for tid in sorted(before.keys() & after.keys()):
            a, b = before[tid], after[tid]
            out.append(Pose(frame, tid, (1 - w) * a.score + w * b.score,
                            (1 - w) * a.box + w * b.box,
                            (1 - w) * a.keypoints + w * b.keypoints))
        return out


def latest_signal_key(project: "Project", video_id: int, name: str) -> str | None:
    """Key of the newest stored signal ``name`` for a video (any model version/parameters)."""
    keys = project.signal_keys(video_id, name)
    return keys[0] if keys else None


def load_poses(project: "Project", video_id: int, key: str | None = None) -> PoseTable:
    """The video's tracked poses (newest persons run unless ``key`` is given); empty if none."""
    key = key or latest_signal_key(project, video_id, POSE_SIGNAL)
    return PoseTable(project.get_signal(video_id, POSE_SIGNAL, key) if key else None)
