"""The ``scoreboard`` pipeline stage: find the board rarely, read its crop at ~1 Hz.

Fed by the one decode pass (source-size BGR frames at ``read_fps``). Full-frame text detection
runs on the first frame, every ``relocate_s`` seconds, at shot changes while the board is lost,
and with back-off while no board has been found; every other sample is read with
recognition-only OCR on the board's line boxes. Readings are smoothed into ``scoreboard``
segments, changes become ``event`` segments, the clock series is kept as a signal and, when the
clock shows match periods, ``scene`` segments mark the halves (``core.match_structure``).

The sink runs on its own decode worker thread; ``finish`` runs on the pipeline's thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import cv2
import numpy as np

from core.decode import DecodeResult, FrameSpec, Sink
from core.match_structure import match_periods
from core.media import MediaInfo
from core.pipeline import Stage, StageContext
from core.scoreboard.events import score_events
from core.scoreboard.locate import BoardLayout, TextBox, locate_candidates
from core.scoreboard.parse import BoardReading, parse_board
from core.scoreboard.smooth import Observation, smooth_readings
from core.segments import EVENT, SCENE, SCOREBOARD, SUGGESTED, Segment
from core.store.project import Project

CLOCK_SIGNAL = "scoreboard.clock"


@dataclass
class BoardReader:
    """Stateful locate-then-read loop over sampled frames (one thread). Usable without the
    decode pass: call :meth:`observe` with BGR frames in time order."""

    ocr: Any
    relocate_s: float = 20.0
    retry_s: float = 4.0
    history: int = 4
    layout: BoardLayout | None = None
    observations: list[Observation] = field(default_factory=list)
    detections: int = 0
    _dets: list[list[TextBox]] = field(default_factory=list)
    _last_det: float = -1e9
    _retry: float = 0.0
    _misses: int = 0
    _thumb: np.ndarray | None = None

    def _read(self, image: np.ndarray, layout: BoardLayout) -> BoardReading | None:
        from models.ocr import crop

        texts = [t for t, _ in self.ocr.recognize([crop(image, b) for b in layout.boxes])]
        return parse_board(layout.texts_to_lines(texts))

    def _locate(self, image: np.ndarray, t: float) -> BoardReading | None:
        self.detections += 1
        self._last_det = t
        boxes = self.ocr.detect(image)
        self._dets = (self._dets + [boxes])[-self.history:]
        h, w = image.shape[:2]
        for cand in locate_candidates(self._dets, (w, h)):
            reading = self._read(image, cand)
            if reading is not None:
                self.layout = cand
                self._retry = self.retry_s
                return reading
        self._retry = min(self.relocate_s, max(self.retry_s, self._retry * 2))
        return None

    def observe(self, index: int, t: float, image: np.ndarray) -> Observation:
        small = cv2.resize(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), (32, 18),
                           interpolation=cv2.INTER_AREA).astype(np.int16)
        cut = self._thumb is not None and float(np.abs(small - self._thumb).mean()) > 25.0
        self._thumb = small
        reading: BoardReading | None = None
        since = t - self._last_det
        if self.layout is None:
            if since >= self._retry or cut:
                reading = self._locate(image, t)
        else:
            reading = self._read(image, self.layout)
            if reading is None:
                self._misses += 1
            else:
                self._misses = 0
            lost = self._misses >= 3 and (cut or since >= self.retry_s)
            if (reading is None and lost) or since >= self.relocate_s:
                found = self._locate(image, t)
                reading = found or reading
        box = self.layout.box if (reading is not None and self.layout is not None) else None
        ob = Observation(index, t, reading, box)
        self.observations.append(ob)
        return ob


class ScoreboardSink(Sink):
    name = "scoreboard"

    def __init__(self, read_fps: float, relocate_s: float) -> None:
        self.video = FrameSpec(fmt="bgr24", fps=read_fps)
        self.relocate_s = relocate_s
        self.reader: BoardReader | None = None
        self.result: DecodeResult | None = None

    def begin(self, info: MediaInfo) -> None:
        from models.ocr import Ocr

        self.reader = BoardReader(Ocr(threads=1), relocate_s=self.relocate_s)

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
    version = "1"
    tracks = (SCOREBOARD, EVENT, SCENE)

    def __init__(self, read_fps: float = 1.0, relocate_s: float = 20.0,
                 min_period_s: float = 60.0) -> None:
        self.read_fps = float(read_fps)
        self.relocate_s = float(relocate_s)
        self.min_period_s = float(min_period_s)

    def params(self) -> dict[str, Any]:
        return {"read_fps": self.read_fps, "relocate_s": self.relocate_s,
                "min_period_s": self.min_period_s}

    def sinks(self, ctx: StageContext) -> list[Sink]:
        sink = ScoreboardSink(self.read_fps, self.relocate_s)
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
