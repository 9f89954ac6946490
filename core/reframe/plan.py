"""Planning the ``crop`` track: one segment per shot with camera mode, keyframes and pins.

:func:`plan_shot` turns a shot's persons into crop keyframes (subject choice, camera mode,
kinematic solve); :func:`plan_video` does every shot of a video and stores the result (segments
a person touched are kept); :func:`resolve` recomputes one segment's keyframes after the user
switched its mode, pinned a keyframe or picked a person to follow (the UI applies the returned
attrs as one undoable edit); :func:`video_crop_path` gives the crop of any frame range.

Crop segment attrs (INTERFACES.md): ``mode``, ``aspect``, ``keyframes`` ``[[frame, cx, cy, w, h],
...]``, ``pins`` ``[[frame, cx, cy], ...]``, ``approved`` (True/False/None), plus ``auto_mode``,
``subject`` (track id), ``follow`` (user pick), ``content`` (picture rect without black bars) and
``overlay`` (scoreboard box re-placed inside the vertical frame). Runs on a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Sequence

import numpy as np

from core.persons.ball import BALL_COLS, BALL_SIGNAL
from core.media.reader import FrameReader
from core.persons.poses import PoseTable, latest_signal_key, load_poses
from core.persons.roles import load_roles
from core.progress import Task, ensure_task
from core.reframe.aspect import Rect, aspect_label, crop_size, detect_content, parse_aspect
from core.reframe.path import CropPath, VideoCropPath, simplify
from core.reframe.solver import MODES, Kinematics, choose_mode, solve
from core.reframe.subject import subject_targets
from core.segments import CROP, SCOREBOARD, SHOT, SUGGESTED, Segment, model_source
from core.store.project import Project

MODEL = "reframe"
VERSION = "1"
SOURCE = model_source(MODEL, VERSION)
SETTINGS_KEY = "reframe"  # project setting: dict of ReframeSettings fields, "scoreboard_box"


@dataclass(frozen=True)
class ReframeSettings:
    """Camera behaviour, relative to the picture so it holds for any resolution and rate."""

    dead_zone: float = 0.12  # fraction of the crop width the subject may drift with no camera move
    smooth_s: float = 0.4  # smoothing time constant
    max_speed: float = 0.6  # picture widths per second
    max_accel: float = 1.5  # picture widths per second^2
    scoreboard_overlay: bool = True  # re-place the scoreboard inside the vertical frame
    scoreboard_box: list[int] | None = None  # user-drawn [x, y, w, h] until the scoreboard track exists
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_project(cls, project: Project) -> "ReframeSettings":
        d = dict(project.get_setting(SETTINGS_KEY, {}) or {})
        known = {k: d.pop(k) for k in list(d) if k in cls.__dataclass_fields__ and k != "extra"}
        return cls(**known, extra=d)

    def kinematics(self, crop_w: float, picture_w: float, fps: float) -> Kinematics:
        fps = max(1.0, fps)
        return Kinematics(dead_zone=self.dead_zone * crop_w, smooth_frames=self.smooth_s * fps,
                          max_vel=self.max_speed * picture_w / fps,
                          max_acc=self.max_accel * picture_w / fps / fps)


def _pins_axis(pins: Sequence[Sequence[float]], start: int, end: int, col: int) -> dict[int, float]:
    return {int(p[0]) - start: float(p[col]) for p in pins if start <= int(p[0]) < end}


def plan_shot(poses: PoseTable, start: int, end: int, content: Rect, aspect: Fraction | None, fps: float,
              settings: ReframeSettings = ReframeSettings(), mode: str | None = None,
              pins: Sequence[Sequence[float]] = (), follow: int | None = None,
              ball: np.ndarray | None = None, roles: dict[int, Any] | None = None) -> dict[str, Any]:
    """Crop attrs for frames ``[start, end)`` (see the module docstring); ``roles`` (track ->
    role, ``core.persons.roles.load_roles``) make the automatic subject a player, not a ball kid."""
    cw, ch = crop_size(content, aspect)
    tg = subject_targets(poses, start, end, content.h, ball, follow, roles=roles)
    kin = settings.kinematics(cw, content.w, fps)
    subject_w = float(np.median(tg.half_w[tg.weight > 0]) * 2) if (tg.weight > 0).any() else 0.0
    auto = choose_mode(tg.cx, tg.weight, cw, subject_w)
    use = mode if mode in MODES else auto
    # the dead zone never lets the subject's box leave the window
    room = max(0.0, cw / 2 - subject_w / 2 - 0.02 * cw)
    kin_x = Kinematics(min(kin.dead_zone, room), kin.smooth_frames, kin.max_vel, kin.max_acc)
    lo_x, hi_x = content.x + cw / 2, content.x + content.w - cw / 2
    lo_y, hi_y = content.y + ch / 2, content.y + content.h - ch / 2
    x = solve(use, tg.cx, tg.weight, lo_x, hi_x, kin_x, _pins_axis(pins, start, end, 1), room=room)
    subject_h = float(np.median(tg.half_h[tg.weight > 0]) * 2) if (tg.weight > 0).any() else 0.0
    room_y = max(0.0, ch / 2 - subject_h / 2)
    kin_y = Kinematics(min(kin.dead_zone, room_y), kin.smooth_frames, kin.max_vel, kin.max_acc)
    y = solve(use, tg.cy, tg.weight, lo_y, hi_y, kin_y, _pins_axis(pins, start, end, 2))
    n = end - start
    cols = np.stack([x, y], axis=1) if n else np.zeros((0, 2))
    keep = set(simplify(cols, 0.75)) if n else set()
    keep |= {int(p[0]) - start for p in pins if start <= int(p[0]) < end}
    kfs = [[start + i, round(float(x[i]), 1), round(float(y[i]), 1), cw, ch] for i in sorted(keep)]
    return {"mode": use, "auto_mode": auto, "aspect": aspect_label(aspect), "keyframes": kfs,
            "pins": [list(p) for p in pins], "approved": None, "subject": tg.track, "follow": follow,
            "content": content.as_list()}


def shot_ranges(project: Project, video_id: int) -> list[tuple[int, int]]:
    """The video's shots (half-open), or the whole video as one shot."""
    n = project.video(video_id).frame_count
    shots = sorted((s.start_frame, s.end_frame) for s in project.segments(video_id, SHOT) if s.length > 0)
    return shots or [(0, n)]


def content_rect(project: Project, video_id: int, samples: int = 6) -> Rect:
    """Picture area without black bars (cached in the project settings per video)."""
    key = f"{SETTINGS_KEY}.content.{video_id}"
    cached = project.get_setting(key)
    if cached:
        return Rect(*cached)
    v = project.video(video_id)
    clock = project.clock(video_id)
    picks = np.linspace(0, max(0, v.frame_count - 1), samples).astype(int)
    frames = []
    with FrameReader(v.path, clock, fmt="gray", rotation=v.info.rotation) as r:
        for f in dict.fromkeys(int(p) for p in picks):
            frames.append(r.read_keyframe(f)[1])
    rect = detect_content(frames)
    project.set_setting(key, rect.as_list())
    return rect


def load_ball(project: Project, video_id: int) -> np.ndarray | None:
    key = latest_signal_key(project, video_id, BALL_SIGNAL)
    a = project.get_signal(video_id, BALL_SIGNAL, key) if key else None
    return None if a is None else np.asarray(a, np.float32).reshape(-1, BALL_COLS)


def scoreboard_box(project: Project, video_id: int, start: int, end: int,
                   settings: ReframeSettings | None = None) -> list[int] | None:
    """The scoreboard's box ``[x, y, w, h]`` during ``[start, end)``: from the scoreboard track,
    else the user-drawn box in the reframe settings."""
    settings = settings or ReframeSettings.from_project(project)
    for s in project.segments(video_id, SCOREBOARD):
        if s.start_frame < end and s.end_frame > start and s.attrs.get("box"):
            return [int(v) for v in s.attrs["box"]]
    return [int(v) for v in settings.scoreboard_box] if settings.scoreboard_box else None


def _touched(project: Project, seg: Segment) -> bool:
    if seg.status != SUGGESTED or not seg.is_machine:
        return True
    return any(h["op"] != "create" for h in project.history(seg.id or 0))


def crop_segments(project: Project, video_id: int, aspect: str) -> list[Segment]:
    return [s for s in project.segments(video_id, CROP) if s.attrs.get("aspect") == aspect]


def plan_video(project: Project, video_id: int, aspect: str = "9:16",
               settings: ReframeSettings | None = None, task: Task | None = None,
               run_id: int | None = None) -> list[Segment]:
    """Plan and store the crop track for ``aspect``; shots a person edited keep their crop."""
    task = ensure_task(task)
    settings = settings or ReframeSettings.from_project(project)
    asp = parse_aspect(aspect)
    label = aspect_label(asp)
    v = project.video(video_id)
    poses = load_poses(project, video_id)
    ball = load_ball(project, video_id)
    roles = load_roles(project, video_id)
    content = content_rect(project, video_id)
    existing = crop_segments(project, video_id, label)
    kept = [s for s in existing if _touched(project, s)]
    shots = shot_ranges(project, video_id)
    new: list[Segment] = []
    for i, (s, e) in enumerate(shots):
        task.check()
        task.progress("reframe", i / max(1, len(shots)), f"shot {i + 1}/{len(shots)}")
        if any(k.start_frame == s and k.end_frame == e for k in kept):
            continue
        attrs = plan_shot(poses, s, e, content, asp, v.rate.fps, settings, ball=ball, roles=roles)
        box = scoreboard_box(project, video_id, s, e, settings) if settings.scoreboard_overlay else None
        if box and asp is not None:
            attrs["overlay"] = {"box": box, "place": "top"}
        new.append(Segment(CROP, s, e, label=attrs["mode"], confidence=None, attrs=attrs, source=SOURCE))
    # replace_machine_segments clears every untouched crop suggestion on the track: re-add other aspects'
    others = [s.with_(id=None) for s in project.segments(video_id, CROP)
              if s.attrs.get("aspect") != label and not _touched(project, s)]
    project.replace_machine_segments(video_id, CROP, new + others, run_id)
    task.progress("reframe", 1.0, f"{len(shots)} shots", force=True)
    return crop_segments(project, video_id, label)


def resolve(project: Project, video_id: int, seg: Segment, *, mode: str | None = None,
            pins: Sequence[Sequence[float]] | None = None, follow: int | None = None,
            settings: ReframeSettings | None = None) -> dict[str, Any]:
    """New attrs for crop segment ``seg`` with a changed mode, pins or followed person.

    Arguments left ``None`` keep the segment's current value. The caller stores the result
    (``core.edit.ops.SetAttrs`` in the UI, so it is undoable).
    """
    settings = settings or ReframeSettings.from_project(project)
    a = seg.attrs
    v = project.video(video_id)
    content = Rect(*a["content"]) if a.get("content") else content_rect(project, video_id)
    new = plan_shot(load_poses(project, video_id), seg.start_frame, seg.end_frame, content,
                    parse_aspect(a.get("aspect", "9:16")), v.rate.fps, settings,
                    mode=mode if mode is not None else a.get("mode"),
                    pins=pins if pins is not None else a.get("pins", []),
                    follow=follow if follow is not None else a.get("follow"),
                    ball=load_ball(project, video_id), roles=load_roles(project, video_id))
    new["approved"] = a.get("approved")
    if "overlay" in a:
        new["overlay"] = a["overlay"]
    return new


def add_pin(pins: Sequence[Sequence[float]], frame: int, cx: float, cy: float) -> list[list[float]]:
    """Pins with one at ``frame`` (replacing an existing pin on that frame)."""
    out = [list(p) for p in pins if int(p[0]) != int(frame)]
    out.append([int(frame), round(float(cx), 1), round(float(cy), 1)])
    return sorted(out, key=lambda p: p[0])


def crop_track_json(project: Project, video_id: int, aspect: str = "9:16") -> dict[str, Any]:
    """The crop path as data for one aspect: per shot its mode, keyframes, pins and review state."""
    v = project.video(video_id)
    label = aspect_label(parse_aspect(aspect))
    return {
        "schema": "clipdesk.crop/1", "video": v.path, "aspect": label,
        "fps_num": v.rate.num, "fps_den": v.rate.den,
        "source": {"width": v.info.display_size[0], "height": v.info.display_size[1]},
        "shots": [{"start_frame": s.start_frame, "end_frame": s.end_frame, "status": s.status,
                   **{k: s.attrs.get(k) for k in ("mode", "keyframes", "pins", "approved", "subject",
                                                  "follow", "content", "overlay")}}
                  for s in crop_segments(project, video_id, label)],
    }


def video_crop_path(project: Project, video_id: int, aspect: str = "9:16",
                    task: Task | None = None) -> VideoCropPath:
    """The crop of every frame for ``aspect`` (planning and storing the crop track if missing)."""
    v = project.video(video_id)
    label = aspect_label(parse_aspect(aspect))
    segs = crop_segments(project, video_id, label)
    if not segs:
        segs = plan_video(project, video_id, label, task=task)
    size = v.info.display_size
    return VideoCropPath([CropPath.from_attrs(s.start_frame, s.end_frame, s.attrs, size) for s in segs], size)
