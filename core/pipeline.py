"""Analysis pipeline: stages with declared inputs, one shared decode pass, cached and resumable.

A :class:`Stage` declares the stages it needs, what it wants from the decode pass (sinks) and
how it turns that into segments. :func:`analyze` probes the video, skips stages whose finished
run (same version and parameters) is already in the project, runs *one* decode pass feeding all
pending stages' sinks, then lets each stage finish in dependency order. Each stage's results are
written in their own transaction and its run is marked done afterwards, so a killed analysis
resumes at the first unfinished stage. Cancel is honoured throughout.

Runs on the caller's thread (CLI main thread or an app worker).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from core.media.decode import DecodeResult, Sink, run_decode
from core.errors import Cancelled, ClipDeskError
from core.media.reader import MediaInfo, probe
from core.progress import Task, ensure_task
from core.store.project import Project, VideoRecord


@dataclass
class StageContext:
    project: Project
    video: VideoRecord
    info: MediaInfo
    task: Task
    run_id: int
    device: str = "cpu"
    decode: DecodeResult | None = None
    shared: dict[str, Any] = field(default_factory=dict)

    def progress(self, stage: str, fraction: float, message: str = "") -> None:
        self.task.progress(stage, fraction, message)


class Stage:
    """One analysis step. Subclasses set the class attributes and override the methods."""

    name: str = "stage"
    model: str = "clipdesk"
    version: str = "1"
    requires: tuple[str, ...] = ()
    tracks: tuple[str, ...] = ()

    def params(self) -> dict[str, Any]:
        """Parameters that change the result (part of the cache key)."""
        return {}

    def sinks(self, ctx: StageContext) -> list[Sink]:
        """What the stage needs from the decode pass; ``[]`` if nothing (or all cached)."""
        return []

    def finish(self, ctx: StageContext) -> None:
        """Compute and store results after the decode pass (use ``ctx.project``)."""

    @property
    def source(self) -> str:
        return f"model:{self.model}@{self.version}"


@dataclass
class AnalyzeReport:
    video: VideoRecord
    ran: list[str]
    skipped: list[str]
    warnings: list[str]


def order_stages(available: Sequence[Stage], wanted: Iterable[str] | None) -> list[Stage]:
    """The wanted stages plus everything they require, in dependency order."""
    by_name = {s.name: s for s in available}
    names = list(wanted) if wanted is not None else [s.name for s in available]
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise ClipDeskError(f"unknown stage(s): {', '.join(unknown)}; known: {', '.join(by_name)}")
    out: list[Stage] = []
    seen: set[str] = set()

    def visit(n: str, path: tuple[str, ...]) -> None:
        if n in seen:
            return
        if n in path:
            raise ClipDeskError(f"stage dependency cycle: {' -> '.join(path + (n,))}")
        for r in by_name[n].requires:
            if r in by_name:
                visit(r, path + (n,))
        seen.add(n)
        out.append(by_name[n])

    # Pipeline order, not the order the user typed: later stages (highlights) read what earlier
    # ones (speech, scoreboard) produced even when they do not formally require them.
    rank = {s.name: i for i, s in enumerate(available)}
    for n in sorted(dict.fromkeys(names), key=lambda n: rank[n]):
        visit(n, ())
    return out


def analyze(project: Project, video_path: str | os.PathLike[str], stages: Sequence[Stage],
            task: Task | None = None, device: str = "cpu", force: bool = False,
            on_stage_done: Callable[[str], None] | None = None) -> AnalyzeReport:
    """Analyze one video into ``project`` with ``stages`` (already ordered, see order_stages)."""
    task = ensure_task(task)
    info = probe(video_path)  # raises MediaError before the project is touched
    project.mark_interrupted_runs()
    video = project.add_video(info)
    pending, skipped = plan_stages(project, video.id, stages, force)
    warnings: list[str] = project.take_notes()  # e.g. a moved video found again by fingerprint
    if not pending and video.exact:
        # Nothing to decode again, but a file that ends early still says so.
        warnings.extend((project.get_setting(media_status_key(video.id)) or {}).get("warnings", []))
        return AnalyzeReport(video, [], skipped, warnings)
    ctxs: dict[str, StageContext] = {}
    shared: dict[str, Any] = {}
    for name, run_id in claim_runs(project, video, pending).items():
        ctxs[name] = StageContext(project, video, info, task, run_id, device, shared=shared)
    with project.keep_alive([c.run_id for c in ctxs.values()]):  # another host sees them live
        try:
            sinks: list[Sink] = []
            for st in pending:
                sinks.extend(st.sinks(ctxs[st.name]))
            if sinks or not video.exact:
                result = run_decode(info, sinks, task)
                if result.corrupt_packets:
                    warnings.append(f"{result.corrupt_packets} corrupt packet(s) skipped")
                if result.audio_error and any(s.audio for s in sinks):
                    warnings.append(f"audio: {result.audio_error}; speech analysis skipped")
                project.set_frame_times(video.id, result.frame_times)
                record_media_status(project, video.id, result, warnings)
                video = project.video(video.id)
                for c in ctxs.values():
                    c.decode = result
                    c.video = video
            ran: list[str] = []
            for st in pending:
                ctx = ctxs[st.name]
                task.check()
                task.progress(st.name, 0.0, "", force=True)
                st.finish(ctx)
                project.finish_run(ctx.run_id, "done")
                task.progress(st.name, 1.0, "done", force=True)
                ran.append(st.name)
                if on_stage_done:
                    on_stage_done(st.name)
            warnings.extend(str(w) for w in shared.get("warnings", []))
        except Cancelled:
            for c in ctxs.values():
                _close_run(project, c.run_id, "cancelled", "cancelled by user")
            raise
        except BaseException as e:
            for c in ctxs.values():
                _close_run(project, c.run_id, "failed", str(e)[:500])
            raise
    return AnalyzeReport(video, ran, skipped, warnings)


def claim_runs(project: Project, video: VideoRecord, pending: Sequence[Stage]) -> dict[str, int]:
    """Start a run of each pending stage (stage -> run id), checked and claimed in one write
    transaction, so two processes never both start a stage on a video."""
    with project.transaction():
        busy = [r for r in project.live_runs(video.id) if r.stage in {st.name for st in pending}]
        if busy:
            r = busy[0]
            if r.here and r.pid == os.getpid():
                who = "this ClipDesk process"
            else:
                who = f"another ClipDesk process (pid {r.pid}{'' if r.here else f' on {r.host}'})"
            raise ClipDeskError(f"video '{video.name}' is being analyzed by {who}; wait for it or"
                                " cancel it")
        return {st.name: project.start_run(video.id, st.name, st.model, st.version, st.params())
                for st in pending}


def plan_stages(project: Project, video_id: int, stages: Sequence[Stage], force: bool = False
                ) -> tuple[list[Stage], list[str]]:
    """``(pending, skipped)``: which of ``stages`` (dependency order) must run on a video, and
    the names of those whose finished run (same version and parameters, not stale) stands."""
    pending: list[Stage] = []
    skipped: list[str] = []
    done_ids: dict[str, int] = {}  # stage -> id of the finished run its results come from
    for st in stages:  # dependency order: requirements are decided first
        run = None if force else project.done_run(video_id, st.name, st.version, st.params())
        # Stale when a required stage re-runs now or finished a newer run since (e.g. a new
        # action model makes "events" redo its fusion); done_ids is filled in order.
        stale = run is not None and any(
            r in {p.name for p in pending} or done_ids.get(r, _latest_done(project, video_id, r)) > run.id
            for r in st.requires)
        if run is not None and not stale:
            skipped.append(st.name)
            done_ids[st.name] = run.id
        else:
            pending.append(st)
    return pending, skipped


def media_status_key(video_id: int) -> str:
    """Project setting with what the last decode pass learned about a video's file."""
    return f"media.status.{video_id}"


def record_media_status(project: Project, video_id: int, result: DecodeResult,
                        warnings: list[str]) -> None:
    """Store the pass's file-level findings (a file that ends early) and add them to ``warnings``."""
    found = [w for w in (result.ends_early,) if w]
    warnings.extend(found)
    key = media_status_key(video_id)
    if found or project.get_setting(key) is not None:
        project.set_setting(key, {"ends_at": round(result.ends_at, 3), "frames": result.frame_count,
                                  "declared_duration": round(result.declared_duration, 3),
                                  "warnings": found})


def _latest_done(project: Project, video_id: int, stage: str) -> int:
    rows = project.query("SELECT MAX(id) AS id FROM runs WHERE video_id=? AND stage=? AND status='done'",
                         (video_id, stage))
    return int(rows[0]["id"] or 0) if rows else 0


def _close_run(project: Project, run_id: int, status: str, message: str) -> None:
    rows = project.query("SELECT status FROM runs WHERE id=?", (run_id,))
    if rows and rows[0]["status"] == "running":
        project.finish_run(run_id, status, message)
