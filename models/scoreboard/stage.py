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
class Track:
    """One board being read (several can be on screen: a clip's own board and the
    broadcaster's): its layout, its id in the observations, and its last reads."""

    layout: BoardLayout
    board: int
    active: bool = True  # read at every read; a dormant one is tried every ``dormant_s``
    last_ok: float = -1e9
    misses: int = 0
    last_frame: int = -1
    last_label: str | None = None
    tried: float = -1e9
    sig: list[np.ndarray] | None = None
    texts: list[str] = field(default_factory=list)


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
    ``relocate_s`` (no more than the buffer holds).

    Every board a detection finds is read (:class:`Track`, ``Observation.board``): a clip's own
    board and the broadcaster's are both on screen in a compilation, and each keeps its own
    readings. A board unreadable for ``lost_s`` while another reads goes dormant (tried again
    every ``dormant_s``, its return dated from the buffer); when none reads for ``lost_s``,
    detection runs again. A box whose pixels did not change since its last read keeps its text."""

    ocr: Any
    relocate_s: float = 15.0
    retry_s: float = 2.0
    read_every_s: float = 1.0
    buffer_s: float = 15.5
    dense_s: float = 2.5
    history: int = 4
    lost_s: float = 6.0
    dormant_s: float = 4.0
    observations: list[Observation] = field(default_factory=list)
    tracks: list[Track] = field(default_factory=list)
    detections: int = 0
    cpu_detect: float = 0.0
    cpu_read: float = 0.0
    reused: int = 0
    extra_reads: int = 0
    _dets: list[list[TextBox]] = field(default_factory=list)
    _last_det: float = -1e9
    _retry: float = 0.0
    _thumb: np.ndarray | None = None
    _last_read: float = -1e9
    _buf: list[tuple[int, float, np.ndarray]] = field(default_factory=list)

    @property
    def layout(self) -> BoardLayout | None:
        """The first board being read (``None`` while none is)."""
        return next((tr.layout for tr in self.tracks if tr.active), None)

    def _read(self, image: np.ndarray, track: Track) -> BoardReading | None:
        from models.scoreboard.ocr import crop

        layout = track.layout
        c0 = time.thread_time()
        crops = [crop(image, b) for b in layout.boxes]
        sig = [_signature(c) for c in crops]
        # a box whose pixels did not change since this board's last read keeps its text (its
        # names and score between changes; only the clock's box is read every time)
        old = track.sig if track.sig is not None and len(track.sig) == len(sig) else None
        keep = [old is not None and _same(a, b) for a, b in zip(sig, old or sig, strict=True)]
        texts = [track.texts[k] if kept else "" for k, kept in enumerate(keep)]
        todo = [k for k, kept in enumerate(keep) if not kept]
        if todo:
            for k, (text, _) in zip(todo, self.ocr.recognize([crops[k] for k in todo]), strict=True):
                texts[k] = text
        else:
            self.reused += 1
        track.sig, track.texts = sig, texts
        reading = parse_board(layout.texts_to_lines(texts))
        if reading is not None and reading.sport == TENNIS and reading.server is None \
                and len(layout.rows) == 2:
            server = server_mark(image, layout)
            if server is not None:
                reading = replace(reading, server=server)
        self.cpu_read += time.thread_time() - c0
        return reading

    def _locate(self, image: np.ndarray, t: float) -> list[tuple[Track, BoardReading]]:
        """Detect text over the whole frame; every board that reads becomes (or stays) a track."""
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
            reading = self._read(image, Track(cand, -1))
            if reading is not None:
                frames = [image] + [b[2] for b in self._buf[-6:-1:2]]
                line = max(b[3] for b in cand.boxes)
                found.append((replace(cand, box=plate_box(frames, cand.box, line=line)), reading))
        out: list[tuple[Track, BoardReading]] = []
        for lay, reading in found:
            tr = next((x for x in self.tracks if iou(x.layout.box, lay.box) > 0.5), None)
            if tr is None:
                tr = Track(lay, len(self.tracks))
                self.tracks.append(tr)
            elif tr.layout.rows != lay.rows:
                tr.layout, tr.sig = lay, None
            tr.active, tr.misses, tr.last_ok = True, 0, t
            out.append((tr, reading))
        if out:  # the best board first
            first = [tr for tr, _ in out]
            self.tracks = first + [tr for tr in self.tracks if tr not in first]
            self._retry = self.retry_s
        else:
            self._retry = min(self.relocate_s, max(self.retry_s, self._retry * 2))
        return out

    def _wait(self, cut: bool) -> float:
        """Seconds since the last detection before the next one. A shot change halves the
        back-off (never below ``retry_s``): footage without a board, cut every few seconds, is
        not searched at every cut."""
        return max(self.retry_s, self._retry / 2) if cut else self._retry

    def _add(self, ob: Observation) -> None:
        obs = self.observations
        key = (ob.frame, ob.board)
        if not obs or (obs[-1].frame, obs[-1].board) < key:
            obs.append(ob)
            return
        k = next((i for i, o in enumerate(obs) if (o.frame, o.board) >= key), len(obs))
        if k < len(obs) and (obs[k].frame, obs[k].board) == key:
            obs[k] = ob
        else:
            obs.insert(k, ob)

    def _note(self, track: Track, index: int, t: float, reading: BoardReading | None) -> Observation:
        ob = Observation(index, t, reading, track.layout.box if reading is not None else None, track.board)
        self._add(ob)
        if index >= track.last_frame:
            track.last_frame, track.last_label = index, _label(reading)
        return ob

    def _read_buffer(self, track: Track, after: int, before: int) -> None:
        """Read the buffered frames strictly between ``after`` and ``before`` with ``track``:
        dates a change, a board's return, or its first frame (~20 reads at most)."""
        for f, t, img in self._buf[:-1]:
            if after < f < before:
                self.extra_reads += 1
                self._add(Observation(f, t, (r := self._read(img, track)),
                                      track.layout.box if r is not None else None, track.board))

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

    def _found(self, found: list[tuple[Track, BoardReading]], index: int, t: float) -> None:
        for tr, reading in found:
            after = tr.last_frame
            self._note(tr, index, t, reading)
            self._read_buffer(tr, after, index)

    def observe(self, index: int, t: float, image: np.ndarray) -> Observation | None:
        """Take a sampled frame; returns the first board's observation when it was read
        (``None`` while the frame waits in the buffer)."""
        small = cv2.resize(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), (32, 18),
                           interpolation=cv2.INTER_AREA).astype(np.int16)
        cut = self._thumb is not None and float(np.abs(small - self._thumb).mean()) > 25.0
        self._thumb = small
        self._buf.append((index, t, image))
        self._thin(t)
        if t - self._last_read < self.read_every_s - 1e-3:
            return None
        self._last_read = t
        since = t - self._last_det
        active = [tr for tr in self.tracks if tr.active]
        for tr in self.tracks:  # dormant boards: back on screen? (cheaper than a detection)
            if not tr.active and t - tr.tried >= self.dormant_s:
                tr.tried = t
                reading = self._read(image, tr)
                if reading is not None:
                    tr.active, tr.misses, tr.last_ok = True, 0, t
                    self._read_buffer(tr, tr.last_frame, index)
                    self._note(tr, index, t, reading)
                    self._retry = self.retry_s
        if not active:
            if not any(tr.active for tr in self.tracks) and since >= self._retry:
                # the read-back dates the board, however late it is found
                self._found(self._locate(image, t), index, t)
            return self._first(index, t)
        for tr in active:
            reading = self._read(image, tr)
            if _label(reading) != tr.last_label:
                self._read_buffer(tr, tr.last_frame, index)
            self._note(tr, index, t, reading)
            if reading is None:
                tr.misses += 1
            else:
                tr.misses, tr.last_ok = 0, t
                self._retry = self.retry_s
        gone = [tr for tr in active if tr.misses >= 3 and t - tr.last_ok >= self.lost_s]
        if len(gone) < len([tr for tr in self.tracks if tr.active]):
            for tr in gone:  # another board still reads: this one went with its shot
                tr.active, tr.tried = False, t
            self.tracks = [tr for tr in self.tracks if tr.active] + [tr for tr in self.tracks if not tr.active]
        elif gone and since >= self._wait(cut):
            # no board has read for ``lost_s`` (a replay, a graphic, or the board moved; short
            # replays usually end before): detection again, at a shot change or on a back-off
            found = self._locate(image, t)
            for tr in self.tracks:
                if all(tr is not f for f, _ in found):
                    tr.active, tr.tried = False, t
            self._found(found, index, t)
        return self._first(index, t)

    def _first(self, index: int, t: float) -> Observation:
        board = self.tracks[0].board if self.tracks and self.tracks[0].active else -1
        return next((o for o in reversed(self.observations) if o.frame == index and o.board == board),
                    Observation(index, t, None))


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
        from models.scoreboard.ocr import shared_ocr

        # the process's OCR engine (its three ONNX sessions are built once, not per video)
        self.reader = BoardReader(shared_ocr(threads=1), relocate_s=self.relocate_s,
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


def clock_board(obs: Sequence[Observation]) -> list[Observation]:
    """The observations of the board whose clock was read most often (the match clock)."""
    counts: dict[int, int] = {}
    for o in obs:
        counts[o.board] = counts.get(o.board, 0) + (o.reading is not None and o.reading.clock_seconds is not None)
    best = max(counts, key=lambda b: counts[b]) if counts else 0
    return [o for o in obs if o.board == best]


def observations_to_array(obs: Sequence[Observation]) -> np.ndarray:
    """(N, 3) float64: frame, time, clock seconds (NaN when not read)."""
    rows = [(o.frame, o.time, float(o.reading.clock_seconds) if o.reading and
             o.reading.clock_seconds is not None else np.nan) for o in obs]
    return np.asarray(rows, dtype=np.float64).reshape(-1, 3)


class ScoreboardStage(Stage):
    name = "scoreboard"
    model = "scoreboard-ppocr4"
    version = "3"
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

    def warm(self) -> None:
        """Build the OCR engine now (an archive worker does while the driver plans), not at the
        first video's decode pass."""
        from models.scoreboard.ocr import shared_ocr

        shared_ocr(threads=1)

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
        arr = observations_to_array(clock_board(obs))
        ctx.project.put_signal(vid, CLOCK_SIGNAL, f"{self.model}@{self.version}", arr)
        scenes = match_periods(arr[:, 0].astype(np.int64), arr[:, 1], arr[:, 2], n,
                               min_period_s=self.min_period_s, source=src)
        ctx.project.replace_machine_segments(vid, SCOREBOARD, segs, ctx.run_id)
        replace_own_segments(ctx.project, vid, EVENT, events, ctx.run_id, src)
        replace_own_segments(ctx.project, vid, SCENE, scenes, ctx.run_id, src)


__all__ = ["CLOCK_SIGNAL", "BoardReader", "ScoreboardSink", "ScoreboardStage", "Track", "clock_board",
           "observations_to_array",
           "replace_own_segments"]
