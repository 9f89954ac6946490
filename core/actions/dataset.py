"""Training data for the action network, built from project databases.

Labels are the ``action`` segments people made or confirmed: status ``accepted`` or a
``user:*`` source (not deleted, not rejected). Segments a person *rejected* become explicit
background examples. A video with at least one such label is taken as reviewed, so its other
pose windows (away from any label) are sampled as background too. Each example is a window
(:mod:`core.actions.windows`) centred inside a span on the span's person. Examples remember the
video they come from, so the train/validation split is by video.

Runs on the caller's thread (CLI or an app worker); reads the project, never writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from core.actions.starter import CLASSES as STARTER_CLASSES
from core.actions.windows import WindowParams, window_input
from core.errors import ClipDeskError
from core.persons.poses import POSE_SIGNAL, PoseTable
from core.progress import Task, ensure_task
from core.segments import ACCEPTED, ACTION, REJECTED, Segment
from core.store.project import Project
from core.timebase import Rate

BACKGROUND = "background"
CLASSES_SETTING = "action_classes"


def pose_key(project: Project, video_id: int) -> str | None:
    """Key of the newest ``poses`` signal of a video (written by the persons stage), if any."""
    keys = project.signal_keys(video_id, POSE_SIGNAL)
    return keys[0] if keys else None


def load_poses(project: Project, video_id: int) -> PoseTable | None:
    key = pose_key(project, video_id)
    if key is None:
        return None
    arr = project.get_signal(video_id, POSE_SIGNAL, key)
    return PoseTable(arr) if arr is not None and len(arr) else None


def is_human_label(seg: Segment) -> bool:
    return bool(seg.label) and seg.status != REJECTED and (
        seg.status == ACCEPTED or seg.source.startswith("user:"))


def project_classes(project: Project) -> list[str]:
    """The project's editable class list (setting ``action_classes``), else the labels in use, else
    the starter detector's classes (a new project labels with the default model's names)."""
    cls = project.get_setting(CLASSES_SETTING)
    if isinstance(cls, list) and cls:
        return [str(c) for c in cls]
    rows = project.query("SELECT DISTINCT label FROM segments WHERE track=? AND deleted=0 AND label IS NOT NULL"
                         " ORDER BY label", (ACTION,))
    return [str(r["label"]) for r in rows] or list(STARTER_CLASSES)


def person_for(table: PoseTable, seg: Segment) -> int | None:
    """The track a span is about: its ``person`` attribute, else the track seen most within it
    (ties: the larger person)."""
    p = seg.attrs.get("person")
    if p is not None:
        return int(p)
    a = table.array
    inside = a[(a[:, 0] >= seg.start_frame) & (a[:, 0] < seg.end_frame)]
    if not len(inside):
        return None
    best: tuple[float, float, int] | None = None
    for tid in np.unique(inside[:, 1]):
        r = inside[inside[:, 1] == tid]
        cand = (float(len(r)), float(np.mean(r[:, 6] - r[:, 4])), int(tid))
        if best is None or cand > best:
            best = cand
    return best[2] if best else None


@dataclass
class VideoLabels:
    """The reviewed action labels of one video with its poses."""

    key: str  # "<project file>#<video id>"
    name: str
    table: PoseTable
    spans: list[tuple[int, Segment]]  # (person, segment)
    negatives: list[tuple[int, Segment]]
    frame_count: int
    rate: Rate


def collect(projects: Sequence[Project]) -> list[VideoLabels]:
    """Every video with human action labels and poses, across ``projects``."""
    out: list[VideoLabels] = []
    for proj in projects:
        for v in proj.videos():
            segs = proj.segments(v.id, ACTION)
            pos = [s for s in segs if is_human_label(s)]
            if not pos:
                continue
            table = load_poses(proj, v.id)
            if table is None:
                continue
            neg = [s for s in segs if s.status == REJECTED]
            spans = [(p, s) for s in pos if (p := person_for(table, s)) is not None]
            negs = [(p, s) for s in neg if (p := person_for(table, s)) is not None]
            if spans:
                out.append(VideoLabels(f"{proj.path}#{v.id}", v.name, table, spans, negs, v.frame_count,
                                       v.rate))
    return out


@dataclass
class ActionDataset:
    x: np.ndarray  # (N, C, T, V) float32
    y: np.ndarray  # (N,) int64, 0 = background
    groups: np.ndarray  # (N,) video key per example
    centres: np.ndarray  # (N,) window centre frame
    classes: list[str]  # index 0 is BACKGROUND
    stats: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.y)

    def subset(self, mask: np.ndarray) -> "ActionDataset":
        return ActionDataset(self.x[mask], self.y[mask], self.groups[mask], self.centres[mask],
                             self.classes, dict(self.stats))


def build_dataset(videos: Sequence[VideoLabels], window: WindowParams, streams: Sequence[str],
                  classes: Sequence[str] | None = None, per_span: int = 8, background_ratio: float = 1.0,
                  seed: int = 0, task: Task | None = None, all_tracks: bool = False,
                  background_min: int = 0) -> ActionDataset:
    """Windows centred inside each labelled span (``per_span`` of them, evenly spread with a
    little jitter) plus background windows: rejected spans and unlabelled stretches of the
    reviewed videos' tracks (``background_ratio`` x the positives of that video, at least
    ``background_min``). Background comes from the labelled persons' tracks, or with
    ``all_tracks`` from every track (pseudo-labelled videos: every person was looked at)."""
    task = ensure_task(task)
    rng = np.random.default_rng(seed)
    labels = sorted({s.label for v in videos for _, s in v.spans if s.label})
    names = [c for c in (classes or labels) if c != BACKGROUND]
    unknown = [c for c in labels if c not in names]
    names = [BACKGROUND] + names
    index = {c: i for i, c in enumerate(names)}
    xs: list[np.ndarray] = []
    ys: list[int] = []
    gs: list[str] = []
    cs: list[float] = []
    per_class: dict[str, int] = {c: 0 for c in names}

    def add(x: np.ndarray, label: str, key: str, centre: float) -> None:
        xs.append(x)
        ys.append(index[label])
        gs.append(key)
        cs.append(centre)
        per_class[label] += 1

    for vi, v in enumerate(videos):
        task.check()
        task.progress("dataset", vi / max(1, len(videos)), v.name)
        spec = window.spec(v.rate)
        tracks = {tid: v.table.track(tid) for tid in v.table.track_ids()}
        n_pos = 0
        for person, s in v.spans:
            if s.label not in index or person not in tracks:
                continue
            n = max(1, min(per_span, s.length))
            base = s.start_frame + (np.arange(n) + 0.5) * s.length / n
            centres = base + rng.uniform(-0.5, 0.5, n) * (s.length / n)
            for c in centres:
                x = window_input(tracks[person], float(c), spec, streams)
                if x is not None:
                    add(x, s.label, v.key, float(c))
                    n_pos += 1
        # Background: rejected spans, then unlabelled stretches of labelled persons' tracks.
        for person, s in v.negatives:
            if person in tracks:
                for c in s.start_frame + (np.arange(2) + 0.5) * s.length / 2:
                    x = window_input(tracks[person], float(c), spec, streams)
                    if x is not None:
                        add(x, BACKGROUND, v.key, float(c))
        covered = np.zeros(max(v.frame_count, int(v.table.frames.max(initial=0)) + 1), bool)
        for _, s in v.spans:
            covered[max(0, s.start_frame - spec.stride):s.end_frame + spec.stride] = True
        want = max(background_min, int(round(background_ratio * n_pos)))
        people = sorted(tracks) if all_tracks else [p for p in {p for p, _ in v.spans} if p in tracks]
        tries = 0
        while want > 0 and people and tries < 20 * want + 50:
            tries += 1
            rows = tracks[people[int(rng.integers(len(people)))]]
            c = float(rng.uniform(rows[0, 0], rows[-1, 0] + 1))
            if covered[min(int(c), len(covered) - 1)]:
                continue
            x = window_input(rows, c, spec, streams)
            if x is None:
                continue
            add(x, BACKGROUND, v.key, c)
            want -= 1
    if not xs:
        raise ClipDeskError("no training examples: label some actions (accept or draw them) on videos "
                            "that have poses (run the persons stage) first")
    return ActionDataset(np.stack(xs).astype(np.float32), np.asarray(ys, np.int64), np.asarray(gs),
                         np.asarray(cs), names,
                         {"windows_per_class": per_class, "labels_not_in_class_list": unknown,
                          "videos": [v.name for v in videos],
                          "spans": sum(len(v.spans) for v in videos),
                          "rejected_spans": sum(len(v.negatives) for v in videos)})


def split_by_video(ds: ActionDataset, val_fraction: float = 0.25,
                   seed: int = 0) -> tuple[np.ndarray, np.ndarray, str]:
    """Train / validation masks. Whole videos go to validation; with a single video, its last
    ``val_fraction`` of time is held out instead (and the method says so)."""
    keys = sorted(set(ds.groups.tolist()))
    if val_fraction <= 0:  # every label trains; the caller measures on other videos
        return np.ones(len(ds), bool), np.zeros(len(ds), bool), "none (measured on other videos by the caller)"
    if len(keys) >= 2:
        rng = np.random.default_rng(seed)
        n_val = min(len(keys) - 1, max(1, int(round(val_fraction * len(keys)))))
        val_keys = set(rng.permutation(keys)[:n_val].tolist())
        val = np.isin(ds.groups, list(val_keys))
        return ~val, val, "by video"
    cut = np.quantile(ds.centres, 1 - val_fraction) if len(ds.centres) else 0
    val = ds.centres >= cut
    return ~val, val, "by time within the only video (last part held out)"
