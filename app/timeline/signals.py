"""Signal lanes under the timeline, drawn with pyqtgraph: why the machine decided what it did.

Lanes (each only when the project holds its data):

* **audio**: the excitement curve (0..1) and the short-term loudness (LUFS, -60..0 drawn 0..1)
  from the ``audio`` stage's stored lanes;
* **shot score**: the per-frame shot-change score the shots stage cached (the refiner's
  probability where it looked, else the histogram jump of the fast pass) with its threshold as a
  horizontal line. Dragging the line re-decides the shots from the cached signals (no decode) as
  one undoable edit that keeps every corrected segment (:mod:`app.review.reshots`);
* **actions**: each person's action confidence (one coloured step curve per person);
* **scoreboard**: how sure each scoreboard reading is (share of frames that read it).

The x axis is the timeline's frame axis: lanes follow its scroll and zoom (``viewChanged``) and
show the playhead; a click seeks. GUI thread.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.review.context import ReviewContext
from core import segments as sg

log = logging.getLogger(__name__)

LANE_H = 46
PERSON_COLORS = ((255, 140, 90), (110, 200, 255), (160, 230, 120), (240, 120, 220),
                 (250, 220, 90), (150, 150, 255))


def _per_frame(values: np.ndarray, hop_s: float, fps: float, n: int) -> np.ndarray:
    """A lane sampled every ``hop_s`` seconds, resampled at each of ``n`` video frames."""
    if values.size == 0 or n <= 0:
        return np.full(max(n, 0), np.nan, np.float32)
    idx = np.minimum((np.arange(n) / fps / hop_s).astype(np.int64), values.size - 1)
    return values.astype(np.float32)[idx]


def _steps(segs: list[Any], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Step curve (x, y) of segment confidences: the value over each span, gaps at NaN."""
    xs: list[float] = []
    ys: list[float] = []
    for s in sorted(segs, key=lambda s: s.start_frame):
        c = float(s.confidence) if s.confidence is not None else 1.0
        xs += [s.start_frame, s.start_frame, s.end_frame, s.end_frame]
        ys += [np.nan, c, c, np.nan]
    return np.array(xs, np.float64), np.array(ys, np.float64)


def lane_data(ctx: ReviewContext) -> dict[str, Any]:
    """What each lane draws for the current video (missing lanes left out)."""
    p, v, clk = ctx.project, ctx.video, ctx.clock
    out: dict[str, Any] = {}
    if p is None or v is None or clk is None:
        return out
    n, fps = v.frame_count, max(1e-6, v.rate.fps)
    try:
        from core.audio.features import load_audio_lanes

        lanes = load_audio_lanes(p, v.id)
    except Exception as e:  # noqa: BLE001 - a damaged signal hides its lane only
        log.info("no audio lanes: %s", e)
        lanes = None
    if lanes is not None and lanes.excitement.size:
        loud = np.clip((lanes.loudness.astype(np.float32) + 60.0) / 60.0, 0.0, 1.0)
        out["audio"] = {"excitement": _per_frame(lanes.excitement, lanes.lane_hop, fps, n),
                        "loudness": _per_frame(loud, lanes.lane_hop, fps, n)}
    try:
        from app.review.reshots import shot_score

        score = shot_score(p, v.id)
    except Exception as e:  # noqa: BLE001
        log.info("no shot score: %s", e)
        score = None
    if score is not None:
        out["shots"] = score
    people: dict[str, list[Any]] = {}
    for s in ctx.segments(sg.ACTION):
        if s.status == sg.REJECTED:
            continue
        who = (s.attrs or {}).get("person")
        people.setdefault("?" if who is None else str(who), []).append(s)
    if people:
        out["actions"] = {k: _steps(v_, n) for k, v_ in sorted(people.items())}
    boards = [s for s in ctx.segments(sg.SCOREBOARD) if s.status != sg.REJECTED]
    if boards:
        out["scoreboard"] = _steps(boards, n)
    return out


class SignalLanes(QWidget):
    """The lanes (see module docstring). ``canvas`` is the timeline canvas they follow."""

    thresholdChosen = Signal(float)
    message = Signal(str)

    def __init__(self, ctx: ReviewContext, canvas: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        import pyqtgraph as pg

        self.pg = pg
        self.ctx = ctx
        self.canvas = canvas
        self.plots: dict[str, Any] = {}
        self.playheads: list[Any] = []
        self.threshold_line: Any = None
        self.score: Any = None
        self.graph = pg.GraphicsLayoutWidget()
        self.graph.setBackground((30, 31, 35))
        self.graph.ci.setContentsMargins(0, 0, 0, 0)
        self.graph.ci.setSpacing(0)
        from app.timeline.view import HEADER_W

        self.graph.ci.layout.setColumnFixedWidth(0, HEADER_W)  # plots line up with the tracks
        self.graph.setToolTip("")
        self.empty = QLabel("No signals stored yet (File \u25b8 Analyze, Ctrl+R)")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setStyleSheet("color: #82868e;")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.graph)
        lay.addWidget(self.empty)
        self.graph.scene().sigMouseClicked.connect(self._clicked)
        from PySide6.QtCore import QTimer

        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(400)
        self._reload_timer.timeout.connect(self._deferred_reload)
        ctx.projectChanged.connect(self.reload)
        ctx.segmentsChanged.connect(self._on_segments)
        ctx.playheadChanged.connect(self._on_playhead)
        canvas.viewChanged.connect(self.sync_view)
        self.reload()

    # -- data --------------------------------------------------------------------------------
    def _on_segments(self, change: Any) -> None:
        """Edits on tracks the lanes draw: rebuild once the burst of edits is over (labelling
        while playing adds spans at the pace of key presses; the lanes are not worth a stall)."""
        tracks = getattr(change, "tracks", None)
        if tracks is None or {sg.ACTION, sg.SCOREBOARD, sg.SHOT} & set(tracks):
            self._reload_timer.start()

    def _deferred_reload(self) -> None:
        try:
            self.reload()
        except Exception as e:  # noqa: BLE001 - e.g. the window closed its project meanwhile
            log.info("signal lanes not rebuilt: %s", e)

    def lanes(self) -> list[str]:
        return list(self.plots)

    def reload(self) -> None:
        self._reload_timer.stop()
        pg = self.pg
        self.graph.clear()
        self.plots = {}
        self.playheads = []
        self.threshold_line = None
        data = lane_data(self.ctx)
        self.score = data.get("shots")
        from app.timeline.view import HEADER_W

        def lane(name: str, title: str, ymax: float = 1.05) -> Any:
            row = len(self.plots)
            head = self.graph.addLabel(title, row=row, col=0, color="#cdd0d6", size="8pt",
                                       justify="left")
            head.setFixedWidth(HEADER_W)
            plot = self.graph.addPlot(row=row, col=1)
            plot.hideButtons()
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideAxis("bottom")
            plot.hideAxis("left")
            plot.getViewBox().setBorder(pg.mkPen((55, 57, 64)))
            plot.setYRange(0.0, ymax, padding=0.02)
            plot.setDownsampling(auto=True, mode="peak")  # 2 h at 30 fps stays cheap
            plot.getViewBox().setDefaultPadding(0.0)
            ph = pg.InfiniteLine(pos=self.ctx.playhead, angle=90, movable=False,
                                 pen=pg.mkPen((255, 70, 60), width=1.5))
            plot.addItem(ph, ignoreBounds=True)
            self.playheads.append(ph)
            self.plots[name] = plot
            return plot

        frames = None
        if "audio" in data:
            a = data["audio"]
            frames = np.arange(a["excitement"].size, dtype=np.float64)
            plot = lane("audio", "excitement<br>&amp; loudness")
            plot.plot(frames, a["loudness"], pen=pg.mkPen((110, 170, 240), width=1), name="loudness")
            plot.plot(frames, a["excitement"], pen=pg.mkPen((255, 160, 60), width=1.6),
                      fillLevel=0.0, brush=(255, 160, 60, 50), name="excitement")
        if self.score is not None:
            sc = self.score
            top = 1.05  # a probability, or a histogram distance (both 0..1)
            plot = lane("shots", "shot-change<br>score", top)
            vals = np.nan_to_num(sc.score, nan=0.0).astype(np.float64)
            k = max(1, -(-vals.size // 20000))  # long videos: the max of each k frames
            if k > 1:
                vals = np.pad(vals, (0, -vals.size % k)).reshape(-1, k).max(axis=1)
            # one flat step per k frames: a run of frames reads as a block, a cut as a spike
            x = (np.arange(vals.size, dtype=np.float64)[:, None] * k + np.array([0.0, k])).ravel() - 0.5
            plot.setDownsampling(auto=False)  # pyqtgraph's own turns the steps into ramps
            plot.plot(x, np.repeat(vals, 2), fillLevel=0.0, brush=(86, 140, 214, 90),
                      pen=pg.mkPen((110, 165, 235), width=1.2))
            what = "refiner probability" if sc.param == "threshold" else "histogram jump (fast pass)"
            line = pg.InfiniteLine(pos=sc.value, angle=0, movable=True, bounds=(0.01, top * 0.98),
                                   pen=pg.mkPen((240, 200, 80), width=1.5, style=Qt.PenStyle.DashLine),
                                   hoverPen=pg.mkPen((255, 230, 120), width=2.5),
                                   label=f"threshold {sc.value:.2f} \u2014 drag to re-decide shots",
                                   labelOpts={"position": 0.02, "color": (240, 200, 80),
                                              "anchors": [(0, 1), (0, 1)]})
            line.setToolTip(f"Threshold on the {what}: drag to re-decide the shots from the cached "
                            "signals (no decode; one undo step; corrected shots are kept)")
            line.sigPositionChangeFinished.connect(self._threshold_moved)
            plot.addItem(line, ignoreBounds=True)
            self.threshold_line = line
        if "actions" in data:
            plot = lane("actions", "action confidence<br>per person")
            for i, (who, (x, y)) in enumerate(data["actions"].items()):
                col = PERSON_COLORS[i % len(PERSON_COLORS)]
                plot.plot(x, y, pen=pg.mkPen(col, width=1.6), connect="finite",
                          name=f"person {who}")
        if "scoreboard" in data:
            plot = lane("scoreboard", "scoreboard<br>read confidence")
            x, y = data["scoreboard"]
            plot.plot(x, y, pen=pg.mkPen((70, 170, 190), width=1.6), connect="finite")
        del frames
        has = bool(self.plots)
        self.graph.setVisible(has)
        self.empty.setVisible(not has and self.ctx.video is not None)
        self.setFixedHeight(LANE_H * len(self.plots) if has else (26 if self.ctx.video is not None else 0))
        self.sync_view()

    # -- view --------------------------------------------------------------------------------
    def sync_view(self) -> None:
        """Same frames as the timeline canvas: its left edge and zoom."""
        c = self.canvas
        x0, x1 = float(c.x0), float(c.x0 + c.visible_frames())
        for plot in self.plots.values():
            plot.setXRange(x0, x1, padding=0.0)

    def _on_playhead(self, frame: int) -> None:
        for ph in self.playheads:
            ph.setValue(frame)

    def _clicked(self, ev: Any) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        for plot in self.plots.values():
            vb = plot.getViewBox()
            if vb.sceneBoundingRect().contains(ev.scenePos()):
                self.ctx.seek(int(round(vb.mapSceneToView(ev.scenePos()).x())))
                return

    # -- threshold ---------------------------------------------------------------------------
    def _threshold_moved(self, line: Any) -> None:
        value = round(float(line.value()), 3)
        self.set_threshold(value)

    def set_threshold(self, value: float) -> str:
        """Re-decide the shots at ``value`` (one undoable edit); returns the status line."""
        from app.review.reshots import Redecide

        sc, v = self.score, self.ctx.video
        if sc is None or v is None:
            return "no shot signals stored"
        edit = Redecide(v.id, sc, value)
        try:
            self.ctx.apply(edit)
        except Exception as e:  # noqa: BLE001 - a refused edit is said, never raised
            msg = str(e)
            self.message.emit(msg)
            if self.threshold_line is not None:
                self.threshold_line.setValue(sc.value)
            return msg
        shots = len(self.ctx.segments(sg.SHOT))
        msg = (f"{edit.text}: {shots} shots ({edit.replaced} machine segments replaced, "
               "corrected ones kept; Ctrl+Z undoes)")
        self.thresholdChosen.emit(value)
        self.message.emit(msg)
        return msg


__all__ = ["LANE_H", "SignalLanes", "lane_data"]
