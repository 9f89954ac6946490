"""Highlights for a video in a project: propose, choose covers, store the ``highlight`` track.

:func:`update_highlights` reads the material (:func:`~core.highlights.cues.material_from_project`),
proposes highlights with the project's ``"highlights"`` setting, gives each an automatic cover
and stores them with :meth:`Project.replace_machine_segments`, which keeps every highlight a
person accepted, rejected or edited. New proposals never overlap those kept ones (a rejected
moment is not proposed again) and are numbered after the reel order already set.

Covers (:func:`choose_cover`): :func:`core.highlights.covers.cover_candidates` ranks sampled frames by
sharpness (Laplacian variance), exposure and, when poses exist, a well-framed person; frames in
or next to a transition (dissolves, fades and replay wipes) are left out.

Runs on the caller's thread (CLI, stage or an app worker) with a :class:`~core.progress.Task`.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Sequence

from core.highlights.cues import Material, material_from_project
from core.highlights.reel import SETTING_KEY, HighlightSettings, propose, settings_from
from core.media.reader import MediaError
from core.progress import Task, ensure_task
from core.segments import HIGHLIGHT, SUGGESTED, Segment
from core.store.project import Project
from core.timebase import FrameClock

log = logging.getLogger(__name__)
SOURCE = "model:highlights@1"
_TRANSITION_PAD = 2  # frames next to a transition still carry it (compression, motion blur)


_COVER_SAMPLES, _COVER_THUMB = 12, 192


def cover_spans(transitions: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The frames a cover avoids: each transition and the frames next to it."""
    return [(max(0, a - _TRANSITION_PAD), b + _TRANSITION_PAD) for a, b in transitions]


def sample_cover(path: str, clk: FrameClock, start: int, end: int, transitions: Sequence[tuple[int, int]],
                 source_size: tuple[int, int] | None = None, rotation: int = 0,
                 task: Task | None = None) -> list[Any]:
    """The frames :func:`choose_cover` reads and scores (everything but the person term); pass
    them back as its ``sampled`` to choose with other poses without reading again."""
    from core.highlights.covers import sample_cover_frames

    return sample_cover_frames(path, clk, start, end, transitions=cover_spans(transitions),
                               source_size=source_size, samples=_COVER_SAMPLES, thumb_width=_COVER_THUMB,
                               rotation=rotation, task=task)


def choose_cover(path: str, clk: FrameClock, start: int, end: int,
                 transitions: Sequence[tuple[int, int]], poses: Any = None,
                 source_size: tuple[int, int] | None = None, rotation: int = 0,
                 task: Task | None = None, sampled: Sequence[Any] | None = None) -> dict[str, Any] | None:
    """The best cover frame of ``[start, end)`` with its scores, or ``None`` if none could be read.
    ``sampled``: :func:`sample_cover` of the same arguments, done before (nothing is read then)."""
    from core.highlights.covers import rank_cover_frames

    s0, e0 = max(0, int(start)), min(int(end), clk.frame_count)
    if sampled is None:
        sampled = sample_cover(path, clk, s0, e0, transitions, source_size, rotation, task)
    cands = rank_cover_frames(sampled, s0, e0, poses=poses, source_size=source_size, count=1,
                              thumb_width=_COVER_THUMB)
    if not cands:
        return None
    c = cands[0]
    return {"frame": int(c.frame), "score": round(c.score, 3), "sharpness": round(c.sharpness, 3),
            "exposure": round(c.exposure, 3), "subject": round(c.subject, 3)}


def _is_untouched(project: Project, s: Segment) -> bool:
    if s.status != SUGGESTED or not s.is_machine or s.id is None:
        return False
    return all(h["op"] == "create" for h in project.history(s.id))


def add_covers(project: Project, video_id: int, segs: list[Segment], task: Task | None = None,
               choose: Callable[..., dict[str, Any] | None] | None = None) -> list[Segment]:
    """``segs`` with ``attrs["cover_frame"]`` (and ``attrs["cover"]`` scores) filled in.
    ``choose``: :func:`choose_cover` or one with its signature (the live follower's, which
    reuses the searches it did while following)."""
    pick = choose or choose_cover
    task = ensure_task(task)
    v = project.video(video_id)
    src = str(project.video_file(video_id, missing_ok=True))  # a changed file: refused
    clk = project.clock(video_id)
    from core.segments import TRANSITION

    trans = [(t.start_frame, t.end_frame) for t in project.segments(video_id, TRANSITION)
             if t.end_frame > t.start_frame]
    try:
        from core.persons.poses import load_poses

        poses = load_poses(project, video_id)
    except Exception:  # noqa: BLE001 - no usable poses: the subject term stays neutral
        poses = None
    out: list[Segment] = []
    for i, s in enumerate(segs):
        task.check()
        task.progress("highlights", 0.5 + 0.5 * i / max(1, len(segs)), f"cover {i + 1}/{len(segs)}")
        try:
            cover = pick(src, clk, s.start_frame, s.end_frame, trans, poses,
                                 v.info.display_size, v.info.rotation, task)
        except MediaError as e:
            log.warning("highlight cover: %s", e)
            cover = None
        if cover is None:
            out.append(s)
            continue
        attrs = {**s.attrs, "cover_frame": cover.pop("frame"), "cover": cover}
        out.append(s.with_(attrs=attrs))
    return out


def update_highlights(project: Project, video_id: int, settings: HighlightSettings | dict | str | None = None,
                      task: Task | None = None, run_id: int | None = None, covers: bool = True,
                      material: Material | None = None, source: str = SOURCE,
                      choose: Callable[..., dict[str, Any] | None] | None = None) -> list[Segment]:
    """Propose and store the video's highlights (see module docstring); returns the new ones.
    ``choose``: see :func:`add_covers`."""
    task = ensure_task(task)
    st = settings_from(settings if settings is not None else project.get_setting(SETTING_KEY))
    task.progress("highlights", 0.0, "reading signals", force=True)
    m = material or material_from_project(project, video_id)
    existing = project.segments(video_id, HIGHLIGHT)
    kept = [s for s in existing if not _is_untouched(project, s)]
    task.progress("highlights", 0.2, "ranking moments")
    new = propose(m, st, source=source, avoid=[(s.start_frame, s.end_frame) for s in kept])
    orders = [int(o) for s in kept if isinstance(o := s.attrs.get("order"), (int, float))]
    base = max(orders, default=0)
    new = [s.with_(attrs={**s.attrs, "order": base + int(s.attrs["order"])}) for s in new]
    if covers and new:
        new = add_covers(project, video_id, new, task, choose)
    stored = project.replace_machine_segments(video_id, HIGHLIGHT, new, run_id)
    task.progress("highlights", 1.0, f"{len(stored)} highlights", force=True)
    return stored


__all__ = ["SOURCE", "add_covers", "choose_cover", "cover_spans", "sample_cover", "update_highlights"]
