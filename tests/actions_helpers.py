"""Helpers for the action tests: tiny real video files registered in a project."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from core.media.reader import probe


def write_tiny_video(path: Path, seed: int, frames: int = 300, fps: float = 25.0) -> Path:
    """A 64x48 MJPG/AVI-or-mp4v clip; content differs per seed so fingerprints differ."""
    rng = np.random.default_rng(seed)
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (64, 48))
    base = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
    for i in range(frames):
        img = np.roll(base, i, axis=1)
        w.write(img)
    w.release()
    return path


def add_tiny_video(project, path: Path, seed: int, frames: int = 300) -> int:
    write_tiny_video(path, seed, frames)
    return project.add_video(probe(path)).id
