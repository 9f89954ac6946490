"""The ``persons`` analysis stage: tracked persons with poses, and the ball, from the one decode pass.

During the decode pass a sink runs YOLO11n-pose on frames sampled at ``fps`` (default 2, at about
384×640), denser (``dense_fps``, default 4) while people move fast; the ball is found by motion on
every frame, small and grey (``core.persons.ball_track``, a second sink), or by a user's COCO
``sports ball`` model on the pose frames. After the pass, when the ``shots`` stage has
stored its shots, the detections are linked into tracks with ultralytics' ByteTrack, a fresh
tracker per shot. Stored: the poses array (core/persons/poses.py, signal ``poses``), the ball track
(core/persons/ball.py, signal ``ball``) and one ``person`` segment per track. Sinks run on their decode
worker thread; ``finish`` on the pipeline's thread. Project settings ``{"persons": {"fps",
"dense_fps", "width", "conf", "tracker": "bytetrack"|"botsort", "weights", "ball_weights"}}``
configure it (``ball_weights``: a COCO detector whose ``sports ball`` class replaces the classical
ball finder). Weight files named there must be bundled, in the user's models folder or trusted
(``models.trust``); they are checked, and scanned for code, before the decode pass starts, and a
failed load is one line in the run's message.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from core.persons.ball import BALL_SIGNAL, detect_ball, track_ball
from core.persons.ball_track import BallSink, link_ball
from core.media.decode import FrameSpec, Sink
from core.errors import ClipDeskError
from core.pipeline import Stage, StageContext
from core.persons.flow import MIN_HEIGHT as FLOW_MIN_HEIGHT, carry as flow_carry, grey as flow_grey, is_cut
from core.persons.field import (FIELD_SIGNAL, FieldView, ShotFieldMasks, far_tile, feet_in, field_blobs,
                                find_field, kit_colour, play_area, same_field)
from core.persons.poses import POSE_SIGNAL, PoseTable
from core.persons.quality import confirm_tracks, filter_detections, stitch_tracks
from core.persons.track import fill_gaps, link_tracks
from core.persons.roles import EX_B, EX_BLOB, EX_CARRIED, EX_FIELD, EX_L, EX_PLAY, EXTRA_COLS, assign_roles
from core.segments import PERSON, Segment
from models.persons.pose import DET_COLS, MODEL_NAME, BallModel, PoseDetector, track_with_extras


# a track is judged against the samples of its shot from this long before it to this long after it
CONFIRM_WINDOW_S = 5.0

_DETECTORS: dict[tuple[Any, ...], PoseDetector] = {}
_DETECTORS_LOCK = threading.Lock()


def shared_detector(weights: str | None, imgsz: tuple[int, int], conf: float, device: str,
                    threads: int | None, source: str = "persons.weights") -> PoseDetector:
    """One loaded model per configuration for the whole process: analysing a folder of videos (or
    a second video in the app) does not pay the model load again. Detection itself is serialised
    by the detector's lock."""
    key = (weights, tuple(imgsz), conf, device, threads)
    with _DETECTORS_LOCK:
        det = _DETECTORS.get(key)
        if det is None:
            det = PoseDetector(weights, imgsz=imgsz, conf=conf, device=device, threads=threads, source=source)
            _DETECTORS[key] = det
        return det


class _PoseSink(Sink):
    name = "persons"

    def __init__(self, stage: "PersonsStage") -> None:
        self.stage = stage
        self.video = FrameSpec(width=stage.width, fmt="rgb24", fps=max(stage.fps, stage.dense_fps))
        self.dets: list[tuple[int, np.ndarray]] = []
        self.balls: list[tuple[int, np.ndarray]] = []
        self._detector: PoseDetector | None = None
        self._ball_model: BallModel | None = None
        self._next_t = -1.0
        self._scale = 1.0
        self._fast = False
        self._frame_h = 1.0
        self.fields = ShotFieldMasks()
        self._palette: np.ndarray | None = None
        self._palette_age = 0
        self._palette_share = 0.0
        self._n_field = 0
        self.tiles = 0  # far-end tiles run (for the cost per sample)
        self.blob_samples = 0  # field-blob samples between pose samples (tactical views)
        self._tactical = False
        self._far_seen = False  # the last far-end tile found somebody the whole frame did not
        self._last_tile = 0
        # boxes carried by optical flow between pose samples (core.persons.flow)
        self._carry: np.ndarray | None = None  # the last sample's rows (DET_COLS), moved frame by frame
        self._carry_ok = np.zeros(0, bool)
        self._carry_emit = np.zeros(0, bool)  # rows seen on two pose samples running: these are carried
        self._grey: np.ndarray | None = None
        self._since_pose = 0
        self.pose_samples = 0  # samples the pose model ran on (the rest were carried)
        self.carried_samples = 0
        self.far_carried = 0  # samples where a far player was carried instead of a far tile
        self._far_boxes: np.ndarray | None = None  # the far players the last tile found (source pixels)
        self.small_tiles = 0  # tiles run on a crop around the last far players

    def begin(self, info: Any) -> None:
        dw, dh = info.display_size
        self._scale = dw / float(self.stage.width)
        self._frame_h = float(dh)
        self._detector = None  # loaded on the sink's own thread at the first frame: decoding starts at once

    def _moving_fast(self, prev: np.ndarray, cur: np.ndarray) -> bool:
        if not len(prev) or not len(cur):
            return False
        pc = (prev[:, 0:2] + prev[:, 2:4]) / 2
        cc = (cur[:, 0:2] + cur[:, 2:4]) / 2
        d = np.hypot(cc[:, None, 0] - pc[None, :, 0], cc[:, None, 1] - pc[None, :, 1]).min(axis=1)
        return bool(np.median(d) > self.stage.fast_motion * self._frame_h)

    def _load_models(self) -> None:
        st = self.stage
        weights, ball = st.model_files()
        source = st.weights_source
        try:
            self._detector = shared_detector(str(weights) if weights else None, st.imgsz, st.conf, st.device,
                                             st.threads, source)
            if ball is not None:
                source = st.ball_source
                self._ball_model = BallModel(ball, device=st.device, threads=st.threads, source=source)
        except ClipDeskError:
            raise
        except Exception as e:  # noqa: BLE001 - one line in the run's message, not a traceback
            first = (str(e).strip().splitlines() or [""])[0][:200]
            raise ClipDeskError(f"{source}: cannot load the model ({type(e).__name__}: {first})") from None

    def _field(self, image: np.ndarray) -> FieldView | None:
        """The field of this sample; the field colours are found again every few samples (and
        whenever they stop matching), not on every frame."""
        pal = self._palette
        if pal is not None and self._palette_age < 10:
            view = find_field(image, pal)
            h = image.shape[0]
            if view is not None and view.ok and float((view.colour[h // 3:] > 0).mean()) >= 0.6 * self._palette_share:
                self._palette_age += 1
                self._last_field: FieldView | None = view
                return view
        view = find_field(image)
        last = getattr(self, "_last_field", None)
        if view is not None and same_field(view, last):  # the shot's field, its lines missed once
            view.ok = True
        self._last_field = view
        self._palette = None if view is None else view.palette
        self._palette_age = 0
        self._palette_share = 0.0 if view is None else float((view.colour[image.shape[0] // 3:] > 0).mean())
        return view

    def _far_crop(self, tile: tuple[tuple[int, int, int, int], float]
                  ) -> tuple[tuple[int, int, int, int], float] | None:
        """Where the far players the last tile found stand, with a margin of a body height (the
        same enlargement as the tile: the model sees them at the same size on a small input);
        ``None`` when the last tile found nobody."""
        if self._far_boxes is None or not len(self._far_boxes):
            return None
        (tx0, ty0, tx1, ty1), k = tile
        b = self._far_boxes[:, :4] / self._scale
        h = float((b[:, 3] - b[:, 1]).max())
        x0, x1 = max(tx0, int(b[:, 0].min() - 3 * h)), min(tx1, int(b[:, 2].max() + 3 * h) + 1)
        y0, y1 = max(ty0, int(b[:, 1].min() - 1.5 * h)), min(ty1, int(b[:, 3].max() + 1.5 * h) + 1)
        if x1 - x0 < 8 or y1 - y0 < 8:
            return None
        return (x0, y0, x1, y1), k

    def _far_tile(self, image: np.ndarray, tile: tuple[tuple[int, int, int, int], float], dets: np.ndarray,
                  size: tuple[float, float], small: bool = False) -> np.ndarray:
        """Persons the pose model finds on the far end of the field enlarged (a far tennis player
        is 40 px tall at the model's input: missed on the whole frame, found on the tile).
        ``small``: a crop around the last far players, on an input just large enough for it."""
        if self._detector is None:
            return dets
        (x0, y0, x1, y1), k = tile
        self.tiles += 1
        crop = np.ascontiguousarray(image[y0:y1, x0:x1])
        bw, bh = int(round((x1 - x0) * k)), int(round((y1 - y0) * k))
        big = cv2.resize(crop, (bw, bh), interpolation=cv2.INTER_LINEAR)
        imgsz = None
        if small:
            self.small_tiles += 1
            imgsz = (min(self.stage.imgsz[0], -(-bh // 32) * 32), min(self.stage.imgsz[1], -(-bw // 32) * 32))
        det = self._detector
        found = det.detect_at(big, self._scale / k, imgsz) if small else det.detect(big, self._scale / k)
        if not len(found):
            self._far_boxes = None
            return dets
        found[:, [0, 2]] += x0 * self._scale
        found[:, [1, 3]] += y0 * self._scale
        found[:, 5::3] += x0 * self._scale
        found[:, 6::3] += y0 * self._scale
        found = filter_detections(found, size, self.stage.min_plausibility)
        keep = []
        for d in found:
            cx, cy = (d[0] + d[2]) / 2, (d[1] + d[3]) / 2
            if any(e[0] <= cx <= e[2] and e[1] <= cy <= e[3] for e in dets):
                continue  # the whole-frame pass has this person already
            keep.append(d)
        self._far_boxes = np.stack(keep) if keep else None
        return np.concatenate([dets, np.stack(keep)]) if keep else dets

    def _extras(self, image: np.ndarray, dets: np.ndarray, view: FieldView | None) -> np.ndarray:
        """The ``core.persons.roles`` columns of each detection: blob, field, feet in play, kit."""
        ok = view is not None and view.ok
        ex = np.full((len(dets), EXTRA_COLS), np.nan, np.float32)
        ex[:, EX_BLOB] = dets[:, 7:DET_COLS:3].max(axis=1) <= 0 if len(dets) else 0
        ex[:, EX_FIELD] = 1.0 if ok else 0.0
        ex[:, EX_CARRIED] = 0.0
        ex[:, EX_PLAY] = feet_in(play_area(view), dets[:, :4], self._scale) if view is not None and ok else 0.0
        for i, d in enumerate(dets):
            ex[i, EX_L:EX_B + 1] = kit_colour(image, d[:4] / self._scale, view if ok else None)
        return ex

    def _blob_sample(self, index: int, image: np.ndarray) -> None:
        """A sample of field blobs only, between two pose samples of a tactical view."""
        view = self._field(image)
        if view is None or not view.ok:
            self._tactical = False
            return
        self.fields.add(index, view)
        blobs = field_blobs(view)
        dets = np.zeros((len(blobs), DET_COLS), np.float32)
        dets[:, 0:4] = blobs[:, 0:4] * self._scale
        dets[:, 4] = blobs[:, 4]
        self.blob_samples += 1
        self.dets.append((index, np.concatenate([dets, self._extras(image, dets, view)], axis=1)))

    def _flow_step(self, image: np.ndarray) -> None:
        """Move the carried rows to this frame (every decoded frame the sink sees); a cut or a
        whole-frame change drops them."""
        if self._carry is None or not self.stage.flow:
            return
        g = flow_grey(image)
        if self._grey is None or is_cut(self._grey, g):
            self._carry, self._carry_ok, self._carry_emit = None, np.zeros(0, bool), np.zeros(0, bool)
        elif len(self._carry):
            moved, ok = flow_carry(self._grey, g, self._carry, self._scale)
            self._carry, self._carry_ok = moved, self._carry_ok & ok
        self._grey = g

    def _carried_rows(self) -> np.ndarray | None:
        """The rows of a sample from the flow instead of the pose model, or ``None`` when the model
        must run: only between two pose samples (``pose_every``), while people move slowly, when
        every keypointed row of the last pose sample was found on the one before too (a one-off
        false detection is not carried: it would be confirmed by its own copies; a newcomer is
        confirmed by the model) and every one large enough to carry followed the flow. Field blobs
        are found afresh."""
        st = self.stage
        if st.pose_every <= 1 or self._since_pose >= st.pose_every - 1 or self._fast or self._carry is None:
            return None
        # small rows (a far player) are not carried: left out of this sample, they come back at the
        # next pose sample and their tracks span the gap
        big = (self._carry[:, 3] - self._carry[:, 1]) / self._scale >= FLOW_MIN_HEIGHT
        if not bool(self._carry_emit.all()) or not bool(self._carry_ok[big].all()):
            return None
        self._since_pose += 1
        self.carried_samples += 1
        return self._carry[big].copy()

    def _keep_carrying(self, image: np.ndarray, dets: np.ndarray) -> None:
        """After a pose sample: its keypointed rows are the ones carried from now on; those that
        overlap a row of the previous pose sample (moved here by the flow) are carried into samples."""
        self._since_pose = 0
        if not self.stage.flow:
            return
        rows = dets[dets[:, 7:DET_COLS:3].max(axis=1) > 0, :DET_COLS] if len(dets) else dets[:, :DET_COLS]
        prev = self._carry if self._carry is not None else np.zeros((0, DET_COLS), np.float32)
        prev = prev[self._carry_ok] if len(prev) else prev
        self._carry_emit = np.array([len(prev) > 0 and float(_iou(r[:4], prev[:, :4]).max()) >= 0.3 for r in rows],
                                    bool)
        self._carry, self._carry_ok = rows.copy(), np.ones(len(rows), bool)
        self._grey = flow_grey(image)

    def _carried_far(self, tile: tuple[tuple[int, int, int, int], float], dets: np.ndarray) -> np.ndarray | None:
        """The carried rows standing in the far tile that the whole frame missed (a far player
        followed by the flow since the last tile); ``None`` when there are none, or when one of
        the rows there was seen on one pose sample only or lost by the flow."""
        if self._carry is None or not len(self._carry):
            return None
        inside = np.array([_anyone_in(r[None, :4] / self._scale, tile[0]) for r in self._carry], bool)
        if not bool((self._carry_ok & self._carry_emit)[inside].all()):
            return None  # somebody there was seen once only or lost by the flow: the tile again
        c = self._carry[inside]
        keep = [r for r in c if not any(e[0] <= (r[0] + r[2]) / 2 <= e[2] and e[1] <= (r[1] + r[3]) / 2 <= e[3]
                                        for e in dets)]
        return np.stack(keep) if keep else None

    def frame(self, index: int, time: float, image: np.ndarray) -> None:
        st = self.stage
        self._flow_step(image)
        if time + 1e-6 < self._next_t and not self._fast:
            if self._tactical:
                self._blob_sample(index, image)
            return
        # the next sample at 1/fps after this one (never later: a stretch of fast motion, sampled
        # at dense_fps, must not push the next sample seconds ahead)
        self._next_t = min(max(self._next_t + 1.0 / st.fps, time + 0.5 / st.fps), time + 1.0 / st.fps)
        if self._detector is None:
            self._load_models()
        assert self._detector is not None
        size = (image.shape[1] * self._scale, image.shape[0] * self._scale)
        carried = self._carried_rows()
        if carried is not None:
            dets = carried
        else:
            self.pose_samples += 1
            dets = self._detector.detect(image, self._scale)
            dets = filter_detections(dets, size, st.min_plausibility)
            if self.dets:
                self._fast = st.dense_fps > st.fps and self._moving_fast(self.dets[-1][1][:, :DET_COLS], dets)
        view = self._field(image) if st.field else None
        self.fields.add(index, view)
        if view is not None and view.ok:
            if carried is None:
                self._n_field += 1
            tile = far_tile(view) if st.tile_every and carried is None else None
            if tile is not None:
                # every n-th field sample, and on every sample while the tile finds a far player
                # whom the whole frame misses (a far tennis player: found on each sample)
                due = self._last_tile == 0 or self._n_field - self._last_tile >= st.tile_every
                missed = self._far_seen and not _anyone_in(dets[:, :4] / self._scale, tile[0])
                # between due tiles, a far player the flow followed stands in for the tile
                far = self._carried_far(tile, dets) if missed and not due and st.flow else None
                if far is not None:
                    self.far_carried += 1
                    dets = np.concatenate([dets, far])
                elif due or missed:
                    n = len(dets)
                    # between due tiles, only around where the last tile found the far players (a
                    # small input); the whole tile again when they are not there
                    crop = self._far_crop(tile) if not due and st.far_crop else None
                    if crop is not None:
                        dets = self._far_tile(image, crop, dets, size, small=True)
                    if crop is None or len(dets) == n:
                        dets = self._far_tile(image, tile, dets, size)
                        self._last_tile = self._n_field
                    self._far_seen = len(dets) > n
            blobs = field_blobs(view, dets[:, :4] / self._scale)
            if len(blobs):
                b = np.zeros((len(blobs), DET_COLS), np.float32)
                b[:, 0:4] = blobs[:, 0:4] * self._scale
                b[:, 4] = blobs[:, 4]
                dets = np.concatenate([dets, b])
            # a tactical view (many small players the pose model cannot see): the field blobs of
            # the decoded frames between pose samples are samples too (cheap: no model)
            self._tactical = st.between and len(blobs) >= 8 and len(blobs) >= 4 * (len(dets) - len(blobs))
        else:
            self._tactical = False
        if carried is None:
            self._keep_carrying(image, dets)
        self.dets.append((index, np.concatenate([dets, self._extras(image, dets, view)], axis=1)))
        self._ball_sample(index, image)

    def _ball_sample(self, index: int, image: np.ndarray) -> None:
        st = self.stage
        if self._ball_model is not None:
            b = self._ball_model.detect(image, self._scale)
            cands = np.concatenate([(b[:, 0:2] + b[:, 2:4]) / 2, (b[:, 2:3] - b[:, 0:1]) / 2, b[:, 4:5]], 1)
            self.balls.append((index, cands))
        elif not st.moving_ball:  # the per-sample classical finder (the moving one has its own sink)
            cands = detect_ball(image)
            cands[:, :3] *= self._scale
            self.balls.append((index, cands))


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one x1 y1 x2 y2 box with each of ``boxes``."""
    x1, y1 = np.maximum(box[0], boxes[:, 0]), np.maximum(box[1], boxes[:, 1])
    x2, y2 = np.minimum(box[2], boxes[:, 2]), np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    union = (box[2] - box[0]) * (box[3] - box[1]) + (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) - inter
    return inter / np.maximum(union, 1e-6)


def _anyone_in(boxes: np.ndarray, rect: tuple[int, int, int, int]) -> bool:
    """Whether a box's bottom centre (its feet) lies in ``rect`` (x0, y0, x1, y1), same pixels."""
    if not len(boxes):
        return False
    x0, y0, x1, y1 = rect
    cx, fy = (boxes[:, 0] + boxes[:, 2]) / 2, boxes[:, 3]
    return bool(np.any((cx >= x0) & (cx <= x1) & (fy >= y0) & (fy <= y1)))


def default_threads() -> int:
    """Torch threads for pose inference: both cores of a 2-core machine (0.13x RT instead of 0.17x
    at 720p on an idle machine), at most 2: the decode pass and the other sinks need the rest.
    On a heavily oversubscribed machine fewer threads are faster; set ``persons.threads`` to 1."""
    return max(1, min(2, os.cpu_count() or 1))


class PersonsStage(Stage):
    """Persons (boxes, 17 keypoints, track ids) and the ball; see the module docstring."""

    name = "persons"
    model = MODEL_NAME
    version = "11"  # 2: plausibility, field blobs, confirmation, stitching, roles; 3: moving ball, re-id;
    # 4: blob splitting by a per-row player height, outdoor courts, far tile while a far player is
    # missed, field blobs between pose samples on tactical views; 5: those blobs off by default;
    # 6: boxes carried by optical flow between pose samples, a shot's field kept on a sample whose
    # lines fade, officials found before the team split; 7: no hole in the samples after fast motion;
    # 8: field blobs between pose samples on tactical views on again; 9: no field blob of line paint;
    # 10: a track confirmed against the samples of its shot within 5 s of it; 11: the tracker's
    # matching cascade (the most recently seen tracks choose first: no swapped ids)
    requires = ("shots",)
    tracks = (PERSON,)

    def __init__(self, fps: float = 2.0, dense_fps: float = 4.0, width: int = 640,
                 imgsz: tuple[int, int] = (384, 640), conf: float = 0.25, tracker: str = "clipdesk",
                 weights: str | None = None, ball_weights: str | None = None, device: str = "cpu",
                 threads: int | None = None, fast_motion: float = 0.06, weights_source: str = "persons.weights",
                 ball_source: str = "persons.ball_weights", field: bool = True,
                 min_plausibility: float = 0.45, tile_every: int = 3, between: bool = True,
                 pose_every: int = 2, flow: bool = False, far_crop: bool = False) -> None:
        self.fps = float(fps)
        self.dense_fps = float(dense_fps)
        self.width = int(width)
        self.imgsz = imgsz
        self.conf = conf
        self.tracker = tracker
        self.weights = weights
        self.ball_weights = ball_weights
        self.device = device
        self.threads = threads or default_threads()
        self.fast_motion = fast_motion
        self.weights_source = weights_source  # the settings that named the files, for messages
        self.ball_source = ball_source
        self.field = bool(field)  # find the field per sample: small players, roles, the field mask
        self.min_plausibility = float(min_plausibility)
        self.tile_every = max(0, int(tile_every))  # the far-end tile on every n-th field sample (0: never)
        # field blobs between pose samples on tactical views (4 samples a second, no model): a
        # player's box between two samples is found, not interpolated (on the tuning half of the
        # tactical clip player recall 0.81 -> 0.89, precision 0.87 -> 0.89). Off in v5: they broke
        # the team split then (21 in one kit, 2 in the other), before officials were found first
        self.between = bool(between)
        # flow: the pose model on every n-th sample only; the samples between carry the last one's
        # boxes by optical flow (core.persons.flow), and a far player followed by the flow stands in
        # for the far tile between due tiles. Off by default: on the tuning tennis clip the carried
        # boxes cost precision and player recall (0.87 / 0.87 instead of 1.0 / 1.0)
        self.flow = bool(flow)
        self.pose_every = max(1, int(pose_every)) if self.flow else 1
        # between due far tiles, the model on a crop around the far players the last tile found. Off
        # by default: with a margin that keeps the far tennis player's track whole (3 body heights)
        # the crop fills the model's input anyway (no faster); a tight one split that track once
        self.far_crop = bool(far_crop)
        # the ball from every frame by motion (core.persons.ball_track) unless a ball model is named
        self.moving_ball = not ball_weights
        self._sinks: dict[int, _PoseSink] = {}
        self._ball_sinks: dict[int, BallSink] = {}

    @classmethod
    def from_settings(cls, settings: dict[str, Any], device: str = "cpu") -> "PersonsStage":
        s = dict(settings.get("persons", {}) or {})
        ball_source = "persons.ball_weights" if s.get("ball_weights") else "ball_weights"
        return cls(fps=float(s.get("fps", 2.0)), dense_fps=float(s.get("dense_fps", 4.0)),
                   width=int(s.get("width", 640)), conf=float(s.get("conf", 0.25)),
                   tracker=str(s.get("tracker", "clipdesk")), weights=s.get("weights"),
                   ball_weights=s.get("ball_weights") or settings.get("ball_weights"), device=device,
                   threads=int(s["threads"]) if s.get("threads") else None, ball_source=ball_source,
                   field=bool(s.get("field", True)), min_plausibility=float(s.get("min_plausibility", 0.45)),
                   tile_every=int(s.get("tile_every", 3)), between=bool(s.get("between", True)),
                   pose_every=int(s.get("pose_every", 2)), flow=bool(s.get("flow", False)),
                   far_crop=bool(s.get("far_crop", False)))

    def model_files(self) -> tuple[Path | None, Path | None]:
        """The pose and ball weight files this stage would load (``None``: the bundled pose model,
        the classical ball finder), each accepted by ``models.trust.check_model_path`` and scanned
        for code (``models.safe_load.scan``); one-line :class:`ClipDeskError` otherwise."""
        from models.safe_load import scan
        from models.trust import check_model_path

        out: list[Path | None] = []
        for value, source in ((self.weights, self.weights_source), (self.ball_weights, self.ball_source)):
            if not value:
                out.append(None)
                continue
            path = check_model_path(value, source)
            scan(path)
            out.append(path)
        return out[0], out[1]

    def params(self) -> dict[str, Any]:
        return {"fps": self.fps, "dense_fps": self.dense_fps, "width": self.width, "imgsz": list(self.imgsz),
                "conf": self.conf, "tracker": self.tracker, "weights": self.weights or "bundled",
                "ball": self.ball_weights or ("moving" if self.moving_ball else "classical"), "field": self.field,
                "min_plausibility": self.min_plausibility, "tile_every": self.tile_every,
                "between": self.between, "pose_every": self.pose_every, "flow": self.flow,
                "far_crop": self.far_crop}

    @property
    def signal_key(self) -> str:
        return f"{self.model}@{self.version}:{json.dumps(self.params(), sort_keys=True)}"

    def sinks(self, ctx: StageContext) -> list[Sink]:
        self.model_files()  # refuse an untrusted or unsafe file before the decode pass starts
        sink = _PoseSink(self)
        self._sinks[ctx.run_id] = sink
        if not self.moving_ball:
            return [sink]
        ball = self._ball_sinks[ctx.run_id] = BallSink()
        return [sink, ball]

    def finish(self, ctx: StageContext) -> None:
        sink = self._sinks.pop(ctx.run_id)
        vid = ctx.video.id
        shots = sorted((s.start_frame, s.end_frame) for s in ctx.project.segments(vid, "shot"))
        ctx.progress(self.name, 0.2, "tracking")
        fps = ctx.video.rate.fps
        poses, extras, roles = link_persons(sink.dets, shots, self.tracker, self.fps, fps)
        ctx.task.check()
        ball_sink = self._ball_sinks.pop(ctx.run_id, None)
        if ball_sink is not None:
            ball = link_ball(ball_sink.candidates, ball_sink.scale, shots)
        else:
            ball = track_ball(sink.balls, max_jump=0.05 * ctx.video.width * 30 / max(1.0, fps))
        fields = sink.fields.per_shot(shots, ctx.video.frame_count)
        with ctx.project.transaction():
            ctx.project.put_signal(vid, POSE_SIGNAL, self.signal_key, poses)
            ctx.project.put_signal(vid, BALL_SIGNAL, self.signal_key, ball)
            ctx.project.put_signal(vid, FIELD_SIGNAL, self.signal_key, fields)
            ctx.project.replace_machine_segments(vid, PERSON, person_segments(poses, self.source, roles),
                                                 ctx.run_id)


def link_persons(samples: list[tuple[int, np.ndarray]], shots: list[tuple[int, int]], tracker: str,
                 sample_fps: float, fps: float) -> tuple[np.ndarray, np.ndarray, dict[int, dict[str, Any]]]:
    """Tracked poses from the sampled detections (56 columns + the extras of
    ``core.persons.roles``): ByteTrack per shot, continuations stitched by position and kit
    colour, unconfirmed tracks dropped, roles assigned. Returns poses, extras (row-aligned) and
    roles per track."""
    if tracker == "clipdesk":
        poses, extras = link_tracks(samples, shots, fps, colour_col=EX_L)
    else:
        poses, extras = track_with_extras(samples, shots, tracker, sample_fps)
    if not len(poses):
        return poses, extras.reshape(0, EXTRA_COLS), {}
    colours = {}
    for t in np.unique(poses[:, 1]).astype(int):
        c = extras[poses[:, 1] == t][:, EX_L:EX_B + 1]
        c = c[np.isfinite(c).all(axis=1)]
        if len(c):
            colours[t] = np.median(c, axis=0)
    key = {(int(f), round(float(x), 2), round(float(y), 2)) : i for i, (f, x, y) in enumerate(poses[:, [0, 3, 4]])}
    stitched = stitch_tracks(poses, shots, fps, colours=colours)
    blob = {int(t) for t in np.unique(stitched[:, 1])
            if bool(np.all(stitched[stitched[:, 1] == t][:, 9::3].max(axis=1) <= 0))}
    sampled = sorted({int(f) for f, _ in samples})
    # extras follow their rows through stitching and confirmation (rows are unique by frame and box)
    idx = [key[(int(f), round(float(x), 2), round(float(y), 2))] for f, x, y in stitched[:, [0, 3, 4]]]
    play = extras[idx, EX_PLAY] if idx else np.zeros(0, np.float32)
    carried = extras[idx, EX_CARRIED] > 0 if idx and extras.shape[1] > EX_CARRIED else None
    kept = confirm_tracks(stitched, sampled, shots, blob_tracks=blob, in_play=play, carried=carried,
                          window=int(round(CONFIRM_WINDOW_S * max(1.0, fps))))
    idx = [key[(int(f), round(float(x), 2), round(float(y), 2))] for f, x, y in kept[:, [0, 3, 4]]]
    ex = extras[idx] if idx else np.zeros((0, extras.shape[1]), np.float32)
    ids = sorted({int(t) for t in kept[:, 1]}, key=lambda t: float(kept[kept[:, 1] == t][0, 0]))
    renum = {t: i + 1 for i, t in enumerate(ids)}  # ids 1..n in order of first appearance
    kept[:, 1] = [renum[int(t)] for t in kept[:, 1]]
    order = np.lexsort((kept[:, 1], kept[:, 0]))
    kept, ex = kept[order], ex[order]
    kept, ex = fill_gaps(kept, ex, sampled, max_gap=int(round(1.5 * max(1.0, fps))))
    return kept, ex, assign_roles(kept, ex, shots)


def person_segments(poses: np.ndarray, source: str,
                    roles: dict[int, dict[str, Any]] | None = None) -> list[Segment]:
    """One ``person`` segment per track, from its first to its last sampled frame, with its role
    (``player`` + team, ``official``, ``other``, ``person``) when known."""
    table = PoseTable(poses)
    out = []
    for tid in table.track_ids():
        r = table.track(tid)
        box = np.median(r[:, 3:7], axis=0)
        role = (roles or {}).get(tid, {})
        attrs: dict[str, Any] = {"track": tid, "samples": len(r), "box": [round(float(v), 1) for v in box]}
        if role:
            attrs["role"] = role.get("role")
            attrs["team"] = role.get("team")
        out.append(Segment(PERSON, int(r[0, 0]), int(r[-1, 0]) + 1, label="person",
                           confidence=round(float(r[:, 2].mean()), 4), attrs=attrs, source=source))
    return out
