"""The ``scoreboard`` pipeline stage: find the board rarely, read its crop at ~1 Hz.

Fed by the one decode pass (source-size BGR frames at ``sample_fps``; the board is read at
``read_fps``, the frames in between are read only to date a change or the board's first frame).
Full-frame text detection runs on the first frame and then only while no board reads: after a
few unreadable reads (a replay, a graphic, a moved board) at the next shot change or after a
back-off that doubles from ``retry_s`` to ``relocate_s``. Every other sample is read with recognition-only OCR on the
board's line boxes. Readings are smoothed into ``scoreboard`` segments, changes become
``event`` segments, the clock series is kept as a signal and, when the clock shows match
periods, ``scene`` segments mark the halves (``core.match.structure``).

The sink runs on its own decode worker thread; ``finish`` runs on the pipeline's thread.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any, Sequence

import cv2
import numpy as np

from core.media.decode import DecodeResult, FrameSpec, Sink
from core.match.structure import match_periods
from core.media.reader import MediaInfo
from core.pipeline import Stage, StageContext
from core.match.scoreboard.events import score_events
from core.match.scoreboard.locate import BoardLayout, TextBox, iou, locate_candidates, plate_box
from core.match.scoreboard.parse import TENNIS, BoardReading, parse_board
from core.match.scoreboard.smooth import Observation, smooth_readings
from core.segments import EVENT, SCENE, SCOREBOARD, SUGGESTED, Segment
from core.store.project import Project

CLOCK_SIGNAL = "scoreboard.clock"


def _label(reading: BoardReading | None) -> str | None:
    return reading.label if reading is not None else None


@dataclass
class BoardReader:
    """Stateful locate-then-read loop over sampled frames (one thread). Usable without the
    decode pass: call :meth:`observe` with BGR frames in time order. ``cpu_detect`` and
    ``cpu_read`` accumulate this thread's CPU seconds in detection and in reading.

    Frames may come more often than the board is read (``read_every_s``): the ones in between
    wait in a short buffer (``buffer_s``). When a read differs from the previous one (a score
    change, the board coming back) the buffered frames between the two are read too, so the
    change is dated to the sample where it happened; when detection finds the board, the
    buffered frames before it (every sample of the last ``dense_s``, one a second before that,
    up to ``buffer_s``) are read back to where the board first shows. Detection then need not
    run often (it costs ~0.5 s of CPU) for the board's first frame to be dated right: while no
    board is known it runs at the first frame, then on a back-off from ``retry_s`` doubling to
    ``relocate_s`` (no more than the buffer holds)."""

    ocr: Any
    relocate_s: float = 15.0
    retry_s: float = 2.0
    read_every_s: float = 1.0
    buffer_s: float = 15.5
    dense_s: float = 2.5
    history: int = 4
    layout: BoardLayout | None = None
    observations: list[Observation] = field(default_factory=list)
    detections: int = 0
    cpu_detect: float = 0.0
    cpu_read: float = 0.0
    _dets: list[list[TextBox]] = field(default_factory=list)
    _last_det: float = -1e9
    _retry: float = 0.0
    _misses: int = 0
    _thumb: np.ndarray | None = None
    reused: int = 0
    _last_sig: list[np.ndarray] | None = None
    _last_texts: list[str] = field(default_factory=list)
    _last_layout: BoardLayout | None = None
    lost_s: float = 6.0
    _last_ok: float = -1e9
    _last_read: float = -1e9
    _buf: list[tuple[int, float, np.ndarray]] = field(default_factory=list)
    _alternates: list[BoardLayout] = field(default_factory=list)
    extra_reads: int = 0

    def _read(self, image: np.ndarray, layout: BoardLayout) -> BoardReading | None:
        from models.scoreboard.ocr import crop

        c0 = time.thread_time()
        crops = [crop(image, b) for b in layout.boxes]
        sig = [_signature(c) for c in crops]
        if self._last_sig is not None and self._last_layout is layout and len(sig) == len(
                self._last_sig) and all(_same(a, b) for a, b in zip(sig, self._last_sig, strict=True)):
            texts = self._last_texts  # the board's pixels did not change: same reading
            self.reused += 1
        else:
            texts = [t for t, _ in self.ocr.recognize(crops)]
        self._last_sig, self._last_texts, self._last_layout = sig, texts, layout
        reading = parse_board(layout.texts_to_lines(texts))
        if reading is not None and reading.sport == TENNIS and reading.server is None \
                and len(layout.rows) == 2:
            server = server_mark(image, layout)
            if server is not None:
                reading = replace(reading, server=server)
        self.cpu_read += time.thread_time() - c0
        return reading

    def _locate(self, image: np.ndarray, t: float) -> BoardReading | None:
        self.detections += 1
        self._last_det = t
        c0 = time.thread_time()
        boxes = list(self.ocr.detect(image))
        self.cpu_detect += time.thread_time() - c0
        self._dets = (self._dets + [boxes])[-self.history:]
        h, w = image.shape[:2]
        found: list[tuple[BoardLayout, BoardReading]] = []
        for cand in locate_candidates(self._dets, (w, h)):
            if any(iou(cand.box, f.box) > 0.3 for f, _ in found):
                continue  # a larger cluster around a board already read
            reading = self._read(image, cand)
            if reading is not None:
                frames = [image] + [b[2] for b in self._buf[-6:-1:2]]
                line = max(b[3] for b in cand.boxes)
                found.append((replace(cand, box=plate_box(frames, cand.box, line=line)), reading))
        if found:
            self.layout, reading = found[0]
            self._alternates = [f for f, _ in found[1:]]  # other boards on screen
            self._retry = self.retry_s
            self._last_ok = t
            return reading
        self._retry = min(self.relocate_s, max(self.retry_s, self._retry * 2))
        return None

    def _switch(self, index: int, t: float, image: np.ndarray) -> BoardReading | None:
        """The board stopped reading: another board seen at the last detection may be the one
        still on screen (a source's own board gone at a cut, the broadcaster's still there)."""
        for alt in self._alternates:
            r = self._read(image, alt)
            if r is not None:
                self._alternates = [a for a in self._alternates if a is not alt]
                if self.layout is not None:
                    self._alternates.append(self.layout)
                self.layout = alt
                self._misses = 0
                self._last_ok = t
                self._read_back(index, r)
                return r
        return None

    def _wait(self, cut: bool) -> float:
        """Seconds since the last detection before the next one. A shot change halves the
        back-off (never below ``retry_s``): footage without a board, cut every few seconds, is
        not searched at every cut."""
        return max(self.retry_s, self._retry / 2) if cut else self._retry

    def _add(self, ob: Observation) -> None:
        obs = self.observations
        if obs and obs[-1].frame < ob.frame:
            obs.append(ob)
            return
        k = next((i for i, o in enumerate(obs) if o.frame >= ob.frame), len(obs))
        if k < len(obs) and obs[k].frame == ob.frame:
            obs[k] = ob
        else:
            obs.insert(k, ob)

    def _read_back(self, index: int, reading: BoardReading) -> None:
        """The board was just found at ``index``: read every buffered frame before it (a
        replay may have hidden it for a while, the score may have changed): ~20 reads at most,
        once per time the board is found."""
        assert self.layout is not None
        for f, t, img in sorted(self._buf[:-1], key=lambda b: -b[0]):
            if f >= index:
                continue
            r = self._read(img, self.layout)
            self.extra_reads += 1
            self._add(Observation(f, t, r, self.layout.box if r is not None else None))

    def _read_between(self, index: int, reading: BoardReading | None) -> None:
        """A read differs from the one before: read the buffered frames between the two."""
        assert self.layout is not None
        prev = self.observations[-1].frame if self.observations else -1
        for f, t, img in self._buf[:-1]:
            if prev < f < index:
                r = self._read(img, self.layout)
                self.extra_reads += 1
                self._add(Observation(f, t, r, self.layout.box if r is not None else None))

    def _thin(self, t: float) -> None:
        """Keep every sample of the last ``dense_s`` seconds, one a second before that, none
        older than ``buffer_s`` (a 1080p frame is 6 MB: ~20 frames at most)."""
        kept: list[tuple[int, float, np.ndarray]] = []
        for b in self._buf:
            if b[1] < t - self.buffer_s:
                continue
            if b[1] < t - self.dense_s and kept and b[1] - kept[-1][1] < 0.95 * self.read_every_s:
                continue
            kept.append(b)
        self._buf = kept

    def observe(self, index: int, t: float, image: np.ndarray) -> Observation | None:
        """Take a sampled frame; returns its observation when it was read (``None`` while it
        waits in the buffer)."""
        small = cv2.resize(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), (32, 18),
                           interpolation=cv2.INTER_AREA).astype(np.int16)
        cut = self._thumb is not None and float(np.abs(small - self._thumb).mean()) > 25.0
        self._thumb = small
        self._buf.append((index, t, image))
        self._thin(t)
        if t - self._last_read < self.read_every_s - 1e-3:
            return None
        self._last_read = t
        reading: BoardReading | None = None
        since = t - self._last_det
        if self.layout is None:
            if since >= self._retry:  # the read-back dates the board, however late it is found
                reading = self._locate(image, t)
                if reading is not None:
                    self._read_back(index, reading)
        else:
            before = self.observations[-1].reading if self.observations else None
            reading = self._read(image, self.layout)
            if reading is None and self._alternates:
                reading = self._switch(index, t, image)
                before = reading  # dated by reading back
            if reading is None:
                self._misses += 1
            else:
                self._misses = 0
                self._last_ok = t
                self._retry = self.retry_s
            if _label(reading) != _label(before):
                self._read_between(index, reading)
            # While the board reads fine nothing is detected again. Once it has been unreadable
            # for ``lost_s`` (a replay, a graphic, or the board moved; short replays usually end
            # before) detection runs at a shot change or after a back-off up to ``scan_max_s``.
            if (self._misses >= 3 and t - self._last_ok >= self.lost_s
                    and since >= self._wait(cut)):
                old = self.layout
                found = self._locate(image, t)
                if found is not None and self.layout is not old:
                    self._read_back(index, found)
                reading = found or reading
        box = self.layout.box if (reading is not None and self.layout is not None) else None
        ob = Observation(index, t, reading, box)
        self._add(ob)
        return ob


def server_mark(image: np.ndarray, layout: BoardLayout, min_contrast: float = 20.0) -> int | None:
    """Which of a two-row tennis board's rows has the server mark (a small bright shape just
    left of the name), or ``None`` if neither stands out."""
    contrast = []
    for row in layout.rows:
        x0, y0, _, h = row[0]
        patch = image[y0:y0 + h, max(0, x0 - h):max(0, x0 + h // 10)]
        if patch.size == 0:
            return None
        g = cv2.cvtColor(patch, cv2.COLOR_BGR2GRAY).astype(np.float32)
        contrast.append(float(g.max() - np.median(g)))
    a, b = contrast
    if a >= min_contrast and a >= 2.5 * b:
        return 0
    if b >= min_contrast and b >= 2.5 * a:
        return 1
    return None


def _signature(img: np.ndarray) -> np.ndarray:
    g = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) if img.ndim == 3 else img
    h, w = g.shape[:2]
    return cv2.resize(g, (max(1, w // 3), max(1, h // 3)), interpolation=cv2.INTER_AREA).astype(np.int16)


def _same(a: np.ndarray, b: np.ndarray, tol: int = 14) -> bool:
    """Two line crops show the same text (compression noise only)."""
    return a.shape == b.shape and int(np.abs(a - b).max()) <= tol


class ScoreboardSink(Sink):
    name = "scoreboard"

    def __init__(self, read_fps: float, relocate_s: float, sample_fps: float | None = None) -> None:
        self.read_fps = float(read_fps)
        self.video = FrameSpec(fmt="bgr24", fps=max(self.read_fps, float(sample_fps or self.read_fps)))
        self.relocate_s = relocate_s
        self.reader: BoardReader | None = None
        self.result: DecodeResult | None = None

    def begin(self, info: MediaInfo) -> None:
        from models.scoreboard.ocr import Ocr

        self.reader = BoardReader(Ocr(threads=1), relocate_s=self.relocate_s,
                                  read_every_s=1.0 / self.read_fps, buffer_s=self.relocate_s + 0.5)

    def frame(self, index: int, time: float, image: np.ndarray) -> None:
        assert self.reader is not None
        self.reader.observe(index, time, image)

    def end(self, result: DecodeResult) -> None:
        self.result = result


def replace_own_segments(project: Project, video_id: int, track: str, segs: Sequence[Segment],
                         run_id: int | None, source: str) -> None:
    """Like ``Project.replace_machine_segments`` but only for this stage's ``source``, so that
    stages sharing a track (``event``, ``scene``) do not erase each other's suggestions."""
    with project.transaction() as c:
        c.execute(
            "DELETE FROM segments WHERE video_id=? AND track=? AND status=? AND source=? AND id"
            " NOT IN (SELECT segment_id FROM label_history WHERE op!='create')",
            (video_id, track, SUGGESTED, source),
        )
        for s in segs:
            project.insert_segment(video_id, s.with_(run_id=run_id), history=False)


def observations_to_array(obs: Sequence[Observation]) -> np.ndarray:
    """(N, 3) float64: frame, time, clock seconds (NaN when not read)."""
    rows = [(o.frame, o.time, float(o.reading.clock_seconds) if o.reading and
             o.reading.clock_seconds is not None else np.nan) for o in obs]
    return np.asarray(rows, dtype=np.float64).reshape(-1, 3)


class ScoreboardStage(Stage):
    name = "scoreboard"
    model = "scoreboard-ppocr4"
    version = "2"
    tracks = (SCOREBOARD, EVENT, SCENE)

    def __init__(self, read_fps: float = 1.0, relocate_s: float = 15.0,
                 min_period_s: float = 60.0, sample_fps: float = 2.0) -> None:
        self.read_fps = float(read_fps)
        self.sample_fps = float(sample_fps)
        self.relocate_s = float(relocate_s)
        self.min_period_s = float(min_period_s)

    def params(self) -> dict[str, Any]:
        return {"read_fps": self.read_fps, "relocate_s": self.relocate_s,
                "min_period_s": self.min_period_s, "sample_fps": self.sample_fps}

    def sinks(self, ctx: StageContext) -> list[Sink]:
        sink = ScoreboardSink(self.read_fps, self.relocate_s, self.sample_fps)
        ctx.shared["scoreboard_sink"] = sink
        return [sink]

    def finish(self, ctx: StageContext) -> None:
        sink: ScoreboardSink = ctx.shared["scoreboard_sink"]
        assert sink.reader is not None
        obs = sink.reader.observations
        vid = ctx.video.id
        n = ctx.video.frame_count
        src = self.source
        segs = smooth_readings(obs, n, source=src)
        events = score_events(segs, source=src)
        arr = observations_to_array(obs)
        ctx.project.put_signal(vid, CLOCK_SIGNAL, f"{self.model}@{self.version}", arr)
        scenes = match_periods(arr[:, 0].astype(np.int64), arr[:, 1], arr[:, 2], n,
                               min_period_s=self.min_period_s, source=src)
        ctx.project.replace_machine_segments(vid, SCOREBOARD, segs, ctx.run_id)
        replace_own_segments(ctx.project, vid, EVENT, events, ctx.run_id, src)
        replace_own_segments(ctx.project, vid, SCENE, scenes, ctx.run_id, src)


__all__ = ["CLOCK_SIGNAL", "BoardReader", "ScoreboardSink", "ScoreboardStage", "observations_to_array",
           "replace_own_segments"]
