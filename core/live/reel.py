"""The reel's media cut while the recording is followed, so the end of the stream has little left.

:class:`LiveReel` watches the highlights the follower commits. A highlight is *stable* when its
bounds have stayed the same over the last ``stable_updates`` re-rankings and its end is at least
``behind_s`` media seconds behind the committed edge (shots near the edge still move). For each
stable highlight a background thread, at a lower CPU priority than the analysis (``nice`` +10 on
the thread; its ffmpeg children inherit it), does what the end of the stream would do:

- the cover search's reading (:func:`core.highlights.project.sample_cover`: the sampled frames
  and their picture scores), keyed by the highlight's bounds, the transitions that touch it and
  the picture geometry; the final highlights stage ranks those frames again with the final poses
  (:meth:`LiveReel.choose_cover`: the same result as a search at the end, without reading);
- the per-highlight media of the reel (horizontal clip, GIF, cover still: the same
  :mod:`core.export.clip` calls as :func:`core.highlights.export.write_media`), into a private
  folder ``<reel>/.live-cuts``.

A highlight whose bounds change later is cut again once the new bounds are stable; the old cut
is never used. At the end, :func:`core.highlights.export.export_reel` asks :meth:`LiveReel.reuse`
for every file: a cut with the same frames is moved into place (a clip whose title changed gets
its title tag rewritten by a stream copy), anything else is cut then. The private folder is
removed afterwards, so nothing stale is left beside the reel. The vertical (9:16) clips need the
final crop path and are always cut at the end.

Observed on the follower's thread; cuts on the reel thread, which never touches the project
(everything it needs is copied when a cut is queued).
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from core.errors import Cancelled, ClipDeskError
from core.progress import Task
from core.segments import TRANSITION, Segment
from core.store.project import Project
from core.timebase import FrameClock

log = logging.getLogger(__name__)

CUTS_DIR = ".live-cuts"
LIVE_KINDS = ("horizontal", "gif", "still")  # what can be cut before the end (not "vertical")
NICE = 10


def cover_frames(clk: FrameClock, start: int, end: int, trans: Sequence[tuple[int, int]]) -> list[int]:
    """The frames :func:`core.highlights.project.sample_cover` reads for ``[start, end)`` (as
    :func:`core.highlights.covers.sample_cover_frames` picks them; a test holds the two equal)."""
    from core.highlights.covers import in_spans
    from core.highlights.project import _COVER_SAMPLES, cover_spans

    start, end = max(0, int(start)), min(int(end), clk.frame_count)
    if end <= start:
        return []
    margin = min(2, (end - start) // 4)
    lo, hi = start + margin, end - margin
    n = max(1, min(_COVER_SAMPLES, hi - lo))
    frames = sorted({int(round(lo + (hi - lo - 1) * i / max(1, n - 1))) for i in range(n)})
    spans = cover_spans(trans)
    return [f for f in frames if not in_spans(f, spans)] or frames


def _cover_key(clk: FrameClock, start: int, end: int, trans: Sequence[tuple[int, int]],
               size: tuple[int, int] | None, rotation: int) -> str:
    """What the cover search of ``[start, end)`` reads: the frames (:func:`cover_frames`), their
    times and the picture geometry. Not the transitions themselves (they only choose the frames and
    mark the ones in a transition, which :meth:`LiveReel.choose_cover` sets again from the final
    ones), so the final shots pass moving a transition elsewhere does not make the end read them
    again; nor the poses (they only weigh the frames read)."""
    frames = cover_frames(clk, start, end, trans)
    times = [round(clk.time(f), 4) for f in frames]
    return hashlib.sha1(repr((frames, times, size, rotation)).encode()).hexdigest()


def _with_transitions(sampled: Sequence[Any], trans: Sequence[tuple[int, int]]) -> list[Any]:
    """The frames read, each marked in a transition or not by ``trans`` (as a search with them)."""
    from dataclasses import replace

    from core.highlights.covers import in_spans
    from core.highlights.project import cover_spans

    spans = cover_spans(trans)
    return [replace(s, in_transition=in_spans(s.frame, spans)) for s in sampled]


@dataclass
class _Job:
    start: int
    end: int
    title: str
    clock: FrameClock
    trans: list[tuple[int, int]]
    poses: Any
    cover_key: str
    kinds: tuple[str, ...]


@dataclass
class _Cut:
    path: Path
    title: str | None = None


@dataclass
class LiveReelStats:
    queued: int = 0  # highlights queued for cutting during the follow
    cut: int = 0  # files cut during the follow
    reused: int = 0  # files of the final reel taken from them
    recut: int = 0  # highlights queued again because their bounds changed
    covers_reused: int = 0
    covers_searched: int = 0  # cover searches the end did itself
    at_end: int = 0  # highlights first queued at the end (cut on two threads before the reel is written)
    at_stream_end: int = 0  # live highlights queued when the stream ended, cut while the stages finish
    failed: list[str] = field(default_factory=list)


class LiveReel:
    """See the module docstring. ``kinds``: the reel's media kinds (those in :data:`LIVE_KINDS`
    are cut during the follow)."""

    def __init__(self, media_path: Path, reel_dir: Path, kinds: Sequence[str], rotation: int = 0,
                 source_size: tuple[int, int] | None = None, stable_updates: int = 2,
                 behind_s: float = 20.0, nice: int = NICE) -> None:
        self.media_path = Path(media_path)
        self.dir = Path(reel_dir) / CUTS_DIR
        self.kinds = tuple(k for k in kinds if k in LIVE_KINDS)
        self.rotation = rotation
        self.source_size = source_size
        self.stable_updates = max(1, stable_updates)
        self.behind_s = behind_s
        self.nice = nice
        self.stats = LiveReelStats()
        self._seen: dict[tuple[int, int], int] = {}  # bounds -> consecutive re-rankings seen
        self._queued: set[tuple[int, int]] = set()
        self._covers: dict[str, list[Any]] = {}  # cover key -> the frames read and scored
        self._reading: dict[str, threading.Event] = {}  # cover keys the reel thread is reading now
        self._cuts: dict[tuple[Any, ...], _Cut] = {}
        self._placed: dict[tuple[Any, ...], tuple[Path, str]] = {}  # cuts moved into the reel
        self._lock = threading.Lock()
        self._jobs: "queue.Queue[_Job | None]" = queue.Queue()
        self._task = Task()
        self._busy = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the follower's side ------------------------------------------------------------------
    def observe(self, project: Project, video_id: int, media_s: float, reranked: bool) -> None:
        """After a commit: count how long each highlight's bounds stayed the same (``reranked``:
        the highlights were proposed again in this commit) and queue the stable ones that are far
        enough behind the edge."""
        from core.highlights.reel import reel_segments

        reel, _ = reel_segments(project, video_id)
        if reranked:
            bounds = {(s.start_frame, s.end_frame) for s in reel}
            self._seen = {b: self._seen.get(b, 0) + 1 for b in bounds}
        clk = project.clock(video_id)
        ready = [s for s in reel if (s.start_frame, s.end_frame) not in self._queued
                 and self._seen.get((s.start_frame, s.end_frame), 0) >= self.stable_updates
                 and s.end_frame <= clk.frame_count and clk.time(s.end_frame) <= media_s - self.behind_s]
        if ready:
            self._queue(project, video_id, ready)

    def queue_open(self, project: Project, video_id: int) -> int:
        """When the stream ends, before the stages finish: queue the live highlights not queued
        yet (the last ones, not stable 20 s before the end), so the reel thread cuts them while
        the stages finish; those the final pass keeps are reused, the others dropped by :meth:`stop`."""
        from core.highlights.reel import reel_segments

        rest = [s for s in reel_segments(project, video_id)[0] if (s.start_frame, s.end_frame) not in self._queued]
        if rest and self.kinds:
            self._queue(project, video_id, rest)
            self.stats.at_stream_end += len(rest)
        return len(rest)

    def queue_final(self, project: Project, video_id: int) -> int:
        """At the end, once the highlights are final: queue the reel's highlights that were not cut
        during the follow, so that :meth:`stop` cuts them on two threads (the caller's and the reel
        thread) before the reel is written; returns how many were queued."""
        from core.highlights.reel import reel_segments

        rest = [s for s in reel_segments(project, video_id)[0] if (s.start_frame, s.end_frame) not in self._queued]
        if rest and self.kinds:
            self._queue(project, video_id, rest)
            self.stats.at_end += len(rest)
        return len(rest)

    def _queue(self, project: Project, video_id: int, segs: Sequence[Segment]) -> None:
        from core.highlights.titles import with_titles
        from core.persons.poses import load_poses

        clk = project.clock(video_id)
        try:
            poses: Any = load_poses(project, video_id)
        except Exception:  # noqa: BLE001 - as add_covers: no usable poses, the subject term is neutral
            poses = None
        trans = [(t.start_frame, t.end_frame) for t in project.segments(video_id, TRANSITION)
                 if t.end_frame > t.start_frame]
        for s in with_titles(project, video_id, list(segs)):
            b = (s.start_frame, s.end_frame)
            if any(q[0] < b[1] and b[0] < q[1] for q in self._queued):
                self.stats.recut += 1  # the same moment with new bounds: cut again
            self._queued.add(b)
            self.stats.queued += 1
            key = _cover_key(clk, b[0], b[1], trans, self.source_size, self.rotation)
            self._submit(_Job(b[0], b[1], str(s.attrs.get("title") or ""), clk, trans, poses, key, self.kinds))

    def _submit(self, job: _Job) -> None:
        if self._thread is None:
            self.dir.mkdir(parents=True, exist_ok=True)
            self._thread = threading.Thread(target=self._run, name="clipdesk-live-reel", daemon=True)
            self._thread.start()
        self._jobs.put(job)

    # -- the reel thread ----------------------------------------------------------------------
    def _run(self) -> None:
        if self.nice and hasattr(os, "setpriority"):
            try:  # this thread only (Linux threads have their own nice value); ffmpeg inherits it
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self.nice)
            except OSError:
                pass
        while True:
            job = self._jobs.get()
            if job is None:
                return
            self._busy.set()
            try:
                self._cut(job)
            except Cancelled:
                return
            except (ClipDeskError, OSError, ValueError) as e:
                self.stats.failed.append(f"{job.start}-{job.end}: {e}"[:200])
                log.info("live reel: %s-%s not cut during the follow: %s", job.start, job.end, e)
            finally:
                self._busy.clear()

    def _cut(self, job: _Job) -> None:
        from core.export import clip as ce
        from core.highlights.project import choose_cover, sample_cover

        src = str(self.media_path)
        with self._lock:
            sampled = self._covers.get(job.cover_key)
            reading = None if sampled is not None else self._reading.setdefault(job.cover_key, threading.Event())
        if sampled is None and reading is not None:
            try:
                sampled = sample_cover(src, job.clock, job.start, job.end, job.trans, self.source_size,
                                       self.rotation, self._task)
                with self._lock:
                    self._covers[job.cover_key] = sampled
            finally:
                with self._lock:
                    self._reading.pop(job.cover_key, None)
                reading.set()
        marked = None if sampled is None else _with_transitions(sampled, job.trans)
        cover = choose_cover(src, job.clock, job.start, job.end, job.trans, job.poses, self.source_size,
                             self.rotation, self._task, sampled=marked)
        stem = f"{job.start}_{job.end}"
        for kind in job.kinds:
            self._task.check()
            if kind == "horizontal":
                out = self.dir / f"{stem}.mp4"
                ce.export_clip(src, job.clock, job.start, job.end, out, rotation=self.rotation,
                               task=self._task, title=job.title)
                key: tuple[Any, ...] = (kind, job.start, job.end)
            elif kind == "gif":
                out = self.dir / f"{stem}.gif"
                ce.export_gif(src, job.clock, job.start, job.end, out, rotation=self.rotation,
                              task=self._task)
                key = (kind, job.start, job.end)
            else:
                frame = int(cover["frame"]) if cover else (job.start + job.end) // 2
                out = self.dir / f"{stem}_{frame}.jpg"
                ce.export_still(src, job.clock, frame, out, rotation=self.rotation)
                key = (kind, frame)
            with self._lock:
                self._cuts[key] = _Cut(out, job.title if kind == "horizontal" else None)
                self.stats.cut += 1

    # -- the end ------------------------------------------------------------------------------
    def stop(self, keep: set[tuple[int, int]] | None = None, wait_s: float = 600.0) -> None:
        """No more highlights: the queued cuts of the bounds in ``keep`` (None: all) are finished,
        the others dropped, then the thread ends. The caller's thread takes queued cuts too, at
        its own (normal) priority, while the reel thread finishes the one it is on: at the end of
        the stream nothing else competes for the cores, so both are used."""
        held: list[_Job] = []
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None and (keep is None or (job.start, job.end) in keep):
                held.append(job)
        for job in held:
            self._jobs.put(job)
        while self._thread is not None and not self._task.cancelled:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is None:
                continue
            try:
                self._cut(job)
            except Cancelled:
                break
            except (ClipDeskError, OSError, ValueError) as e:
                self.stats.failed.append(f"{job.start}-{job.end}: {e}"[:200])
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join(wait_s)

    def cancel(self) -> None:
        self._task.cancel()
        self.stop(set(), 30.0)

    def choose_cover(self, path: str, clk: FrameClock, start: int, end: int,
                     transitions: Sequence[tuple[int, int]], poses: Any = None,
                     source_size: tuple[int, int] | None = None, rotation: int = 0,
                     task: Task | None = None) -> dict[str, Any] | None:
        """:func:`core.highlights.project.choose_cover`, from the search done during the follow
        when its inputs are the same."""
        from core.highlights.project import choose_cover, sample_cover

        key = _cover_key(clk, start, end, transitions, source_size, rotation)
        with self._lock:
            reading = self._reading.get(key)
        if reading is not None:  # the reel thread is reading these frames now: wait for them
            reading.wait(120.0)
        with self._lock:
            sampled = self._covers.get(key)
        if sampled is not None:
            self.stats.covers_reused += 1
            sampled = _with_transitions(sampled, transitions)
        else:
            self.stats.covers_searched += 1
            sampled = sample_cover(path, clk, start, end, transitions, source_size, rotation, task)
            with self._lock:  # a cut still queued for these bounds need not read them again
                self._covers[key] = sampled
        return choose_cover(path, clk, start, end, transitions, poses, source_size, rotation, task,
                            sampled=sampled)

    def reuse(self, kind: str, seg: Segment, out: Path, title: str, frame: int | None) -> bool:
        """The hook of :func:`core.highlights.export.write_media`: put the cut of ``seg`` made
        during the follow at ``out`` if there is one with the same frames; False: cut it now."""
        key: tuple[Any, ...] = (kind, frame) if kind == "still" else (kind, seg.start_frame, seg.end_frame)
        with self._lock:
            cut = self._cuts.pop(key, None)
            placed = self._placed.get(key)
        if cut is None and placed == (out, title) and out.is_file():
            return True  # placed by an earlier attempt at the reel (written again without stills)
        if cut is None or not cut.path.is_file():
            return False
        out.parent.mkdir(parents=True, exist_ok=True)
        if kind == "horizontal" and cut.title != title:
            if not _retitle(cut.path, out, title):
                return False
        else:
            os.replace(cut.path, out)
        with self._lock:
            self._placed[key] = (out, title)
        self.stats.reused += 1
        return True

    def cleanup(self) -> None:
        """Remove the private folder of cuts (nothing stale beside the reel)."""
        shutil.rmtree(self.dir, ignore_errors=True)


def _retitle(src: Path, out: Path, title: str) -> bool:
    """``src`` with another MP4 title tag, by a stream copy (no re-encode)."""
    from core.export.clip import ffmpeg_exe
    from core.export.paths import atomic_target

    t0 = time.monotonic()
    try:
        with atomic_target(out) as tmp:
            subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i", str(src),
                            "-map", "0", "-c", "copy", "-metadata", f"title={' '.join(title.split())[:200]}",
                            "-movflags", "+faststart", "-f", "mp4", str(tmp)],
                           check=True, capture_output=True, timeout=120)
    except (subprocess.SubprocessError, OSError) as e:
        log.info("live reel: re-titling %s failed (%s); cutting it again", src.name, e)
        return False
    log.debug("live reel: re-titled %s in %.2f s", src.name, time.monotonic() - t0)
    src.unlink(missing_ok=True)
    return True


__all__ = ["CUTS_DIR", "LIVE_KINDS", "LiveReel", "LiveReelStats"]
