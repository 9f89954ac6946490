"""What the timeline shows, prepared for fast drawing: per-track sorted segments and lookups.

``TrackData`` keeps a track's segments sorted by start with numpy arrays of starts/ends, so the
visible ones in a frame range are found by binary search (5,000+ segments stay cheap).
``TimelineModel`` holds every track of the current video plus per-track view state (visible,
locked). Pure Python/numpy; the GUI thread owns instances.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core import segments as sg
from core.segments import Segment

TRACK_ORDER = (sg.SHOT, sg.TRANSITION, sg.SCENE, sg.SPEECH, sg.WORD, sg.PERSON, sg.ACTION,
               sg.EVENT, sg.SCOREBOARD, sg.HIGHLIGHT, sg.COVER, sg.CROP)

TRACK_COLORS: dict[str, tuple[int, int, int]] = {
    sg.SHOT: (86, 140, 214), sg.TRANSITION: (230, 160, 60), sg.SCENE: (120, 100, 200),
    sg.SPEECH: (72, 170, 120), sg.WORD: (100, 190, 150), sg.PERSON: (200, 110, 150),
    sg.ACTION: (214, 96, 76), sg.EVENT: (220, 190, 70), sg.SCOREBOARD: (70, 170, 190),
    sg.HIGHLIGHT: (240, 120, 40), sg.COVER: (160, 160, 160), sg.CROP: (150, 200, 90),
}


def track_color(track: str) -> tuple[int, int, int]:
    if track in TRACK_COLORS:
        return TRACK_COLORS[track]
    h = sum(track.encode()) * 47 % 360  # stable colour for unknown tracks
    import colorsys

    r, g, b = colorsys.hsv_to_rgb(h / 360, 0.45, 0.8)
    return int(r * 255), int(g * 255), int(b * 255)


def track_sort_key(track: str) -> tuple[int, str]:
    return (TRACK_ORDER.index(track) if track in TRACK_ORDER else len(TRACK_ORDER), track)


class TrackData:
    """One track's segments, sorted by start frame."""

    def __init__(self, name: str, segs: list[Segment]) -> None:
        self.name = name
        self.segs = sorted(segs, key=lambda s: (s.start_frame, s.end_frame, s.id or 0))
        self.starts = np.fromiter((s.start_frame for s in self.segs), np.int64, len(self.segs))
        self.ends = np.fromiter((s.end_frame for s in self.segs), np.int64, len(self.segs))
        self.max_len = int((self.ends - self.starts).max()) if self.segs else 0
        self.lane, self.n_lanes = _lanes(self.starts, self.ends)

    def __len__(self) -> int:
        return len(self.segs)

    def visible_range(self, f0: float, f1: float) -> tuple[int, int]:
        """Index range ``[i, j)`` that contains every segment overlapping ``[f0, f1)``."""
        if not self.segs:
            return 0, 0
        i = int(np.searchsorted(self.starts, f0 - self.max_len, side="left"))
        j = int(np.searchsorted(self.starts, f1, side="left"))
        return i, j

    def at(self, frame: float, lane: int | None = None) -> Segment | None:
        """The shortest segment containing ``frame`` (the most specific one), on ``lane`` if given."""
        i, j = self.visible_range(frame, frame + 1e-9)
        best: Segment | None = None
        for k in range(i, j):
            s = self.segs[k]
            if lane is not None and self.n_lanes > 1 and int(self.lane[k]) != lane:
                continue
            if s.start_frame <= frame < s.end_frame and (best is None or s.length < best.length):
                best = s
        return best

    def index_of(self, seg: Segment) -> int:
        """Position of ``seg`` in the track (0 if it is not there): "shot 3" is index 2."""
        i = int(np.searchsorted(self.starts, seg.start_frame, side="left"))
        for k in range(i, len(self.segs)):
            if self.segs[k].start_frame != seg.start_frame:
                break
            if self.segs[k].id == seg.id:
                return k
        return 0

    def boundaries(self) -> np.ndarray:
        return np.unique(np.concatenate([self.starts, self.ends])) if self.segs else np.zeros(0, np.int64)


def _lanes(starts: np.ndarray, ends: np.ndarray, max_lanes: int = 4) -> tuple[np.ndarray, int]:
    """Sub-rows for overlapping segments (a person's correction over the model's suggestion):
    each segment, in start order, takes the first lane free at its start (at most ``max_lanes``;
    more overlap shares the last). Returns (lane per segment, number of lanes)."""
    lane = np.zeros(starts.size, np.int64)
    free_at: list[int] = []
    for k in range(starts.size):
        a, b = int(starts[k]), max(int(ends[k]), int(starts[k]) + 1)
        for i, f in enumerate(free_at):
            if f <= a:
                free_at[i] = b
                lane[k] = i
                break
        else:
            if len(free_at) < max_lanes:
                free_at.append(b)
                lane[k] = len(free_at) - 1
            else:
                i = int(np.argmin(free_at))
                free_at[i] = max(free_at[i], b)
                lane[k] = i
    return lane, max(1, len(free_at))


@dataclass
class TrackView:
    visible: bool = True
    locked: bool = False


@dataclass
class TimelineModel:
    tracks: dict[str, TrackData] = field(default_factory=dict)
    views: dict[str, TrackView] = field(default_factory=dict)

    def load(self, segs: list[Segment], extra_tracks: tuple[str, ...] = ()) -> None:
        by: dict[str, list[Segment]] = {t: [] for t in extra_tracks}
        for s in segs:
            by.setdefault(s.track, []).append(s)
        self.tracks = {t: TrackData(t, by[t]) for t in sorted(by, key=track_sort_key)}
        for t in self.tracks:
            self.views.setdefault(t, TrackView())

    def reload_track(self, track: str, segs: list[Segment]) -> None:
        self.tracks[track] = TrackData(track, segs)
        self.tracks = {t: self.tracks[t] for t in sorted(self.tracks, key=track_sort_key)}
        self.views.setdefault(track, TrackView())

    def names(self) -> list[str]:
        return list(self.tracks)

    def find(self, seg_id: int) -> Segment | None:
        for td in self.tracks.values():
            for s in td.segs:
                if s.id == seg_id:
                    return s
        return None

    def all_boundaries(self, track: str) -> np.ndarray:
        td = self.tracks.get(track)
        return td.boundaries() if td is not None else np.zeros(0, np.int64)
