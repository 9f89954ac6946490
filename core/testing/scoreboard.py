"""Synthetic broadcast clips with a burned-in football scoreboard whose score and clock change
at known frames (moving content behind it, written with PyAV), for tests and benchmarks.

Pure function of its arguments (seeded); any thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Sequence

import av
import cv2
import numpy as np


@dataclass(frozen=True)
class BoardPhase:
    """From ``start`` seconds on: the score, whether the clock runs, and whether the board shows."""

    start: float
    home: int
    away: int
    clock_runs: bool = True
    visible: bool = True


@dataclass
class BoardTruth:
    fps: int
    frame_count: int
    changes: list[tuple[int, str, str]] = field(default_factory=list)  # (frame, before, after)
    labels: list[str | None] = field(default_factory=list)  # per frame, None while hidden
    clocks: list[int] = field(default_factory=list)  # clock seconds per frame
    box: tuple[int, int, int, int] = (0, 0, 0, 0)


def _phase_at(phases: Sequence[BoardPhase], t: float) -> BoardPhase:
    cur = phases[0]
    for p in phases:
        if p.start <= t + 1e-9:
            cur = p
    return cur


def make_board_clip(path: str | Path, phases: Sequence[BoardPhase], seconds: float, *,
                    fps: int = 10, size: tuple[int, int] = (640, 360), clock_start: int = 0,
                    home: str = "HOM", away: str = "AWY", seed: int = 0) -> BoardTruth:
    """Write an H.264 clip; the board reads ``HOM h-a AWY mm:ss`` at the top left."""
    w, h = size
    n = int(round(seconds * fps))
    rng = np.random.default_rng(seed)
    blobs = rng.uniform(0, 1, size=(12, 5))
    yy, xx = np.mgrid[0:h, 0:w]
    truth = BoardTruth(fps, n)
    scale = h / 360.0
    font = cv2.FONT_HERSHEY_DUPLEX
    bx, by = int(16 * scale), int(14 * scale)
    bw, bh = int(300 * scale), int(40 * scale)
    truth.box = (bx, by, bw, bh)
    running = 0  # frames the clock has run (integer: no float drift)
    prev_label: str | None = None
    last_shown: str | None = None
    out = av.open(str(path), "w")
    try:
        st = out.add_stream("libx264", rate=Fraction(fps, 1))
        st.width, st.height, st.pix_fmt = w, h, "yuv420p"
        st.options = {"preset": "ultrafast", "crf": "20", "g": str(fps * 2)}
        for i in range(n):
            t = i / fps
            ph = _phase_at(phases, t)
            if i > 0 and _phase_at(phases, (i - 1) / fps).clock_runs:
                running += 1
            # moving content: a green pitch with drifting coloured discs and noise
            img = np.empty((h, w, 3), np.uint8)
            img[..., 0] = 40
            img[..., 1] = (110 + 30 * np.sin(xx / 37.0 + t * 2.0)).astype(np.uint8)
            img[..., 2] = 50
            for k, (x0, y0, vx, vy, c) in enumerate(blobs):
                cx = int((x0 + 0.07 * (vx - 0.5) * t * 10) % 1.0 * w)
                cy = int((y0 + 0.07 * (vy - 0.5) * t * 10) % 1.0 * h)
                col = (int(255 * c), int(200 * (1 - c)), 160 + k * 7 % 90)
                cv2.circle(img, (cx, cy), int((10 + k) * scale), col, -1)
            noise = rng.integers(0, 12, img.shape, dtype=np.uint8)
            img = np.asarray(cv2.add(img, noise), dtype=np.uint8)
            label = f"{ph.home}-{ph.away}"
            csec = clock_start + running // fps
            if ph.visible:
                cv2.rectangle(img, (bx, by), (bx + bw, by + bh), (20, 20, 28), -1)
                txt = f"{home} {ph.home}-{ph.away} {away}  {csec // 60:02d}:{csec % 60:02d}"
                cv2.putText(img, txt, (bx + int(10 * scale), by + int(28 * scale)), font,
                            0.75 * scale, (255, 255, 255), max(1, int(round(1.4 * scale))), cv2.LINE_AA)
                if last_shown is not None and label != last_shown:
                    truth.changes.append((i, last_shown, label))
                last_shown = label
                truth.labels.append(label)
            else:
                truth.labels.append(None)
            prev_label = label
            truth.clocks.append(csec)
            frame = av.VideoFrame.from_ndarray(img, format="bgr24")
            for pkt in st.encode(frame):
                out.mux(pkt)
        for pkt in st.encode():
            out.mux(pkt)
    finally:
        out.close()
    del prev_label
    return truth


__all__ = ["BoardPhase", "BoardTruth", "make_board_clip"]
