"""Follow a recording while it is written: analyse up to the live edge, commit in chunks, finish.

:func:`follow` is :func:`core.pipeline.analyze` for a source that grows (a file being written, or
an HLS playlist on disk, see :mod:`core.live.source`):

- it claims the stages' runs in one transaction (one writer per project: another live process
  on the project is refused with one line) and keeps them alive;
- one decode pass (:func:`core.live.decode.follow_decode`) feeds every stage's sinks; every
  ``every_s`` seconds of media each stage's :class:`core.live.stages.LiveStage` commits its
  provisional results, the frame table and the file's fingerprint are brought up to date, and
  ``on_commit`` hears which tracks changed; a new score change gets its still and GIF at once;
- when the lag behind the live edge exceeds ``lag_limit_s`` and grows, the stages are asked to
  do less (the pose rate first) and the status line and the log say so;
- at the end of the stream (``#EXT-X-ENDLIST``, no growth for ``idle_s``, ``until_s``) every stage
  runs its own ``finish`` on the complete state (so the results are the offline ones) and, with
  ``reel_dir``, the reel's cut lists and per-highlight clips are written.

A killed follower leaves its commits in the project; run again it checks that the file is the
same recording grown (the hash of its first bytes), reads it again from the start faster than
real time to rebuild the stages' state, and goes on from there.

Runs on the caller's thread (CLI main thread or an app worker).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from core.errors import Cancelled, ClipDeskError, MediaError
from core.live.decode import CommitPoint, follow_decode
from core.live.reel import LIVE_KINDS, LiveReel, LiveReelStats
from core.live.source import GrowingReader, HlsAssembler, assembled_path, is_playlist
from core.live.stages import LiveStage
from core.live.timeline import EndTimeline
from core.media.reader import MediaInfo, probe
from core.pipeline import Stage, StageContext
from core.progress import Task, ensure_task
from core.segments import EVENT, HIGHLIGHT, Segment
from core.store.project import Project, VideoRecord
from core.timebase import FrameClock, Rate

log = logging.getLogger(__name__)

LIVE_KEY = "live.{}"
LIVE_REEL = "live_reel"  # StageContext.shared: the follow's LiveReel (covers searched while following)
PREFIX_BYTES = 1 << 20
SETTLE_FRAMES = 20  # decoded frames before the probed rate is checked against their times


def live_key(video_id: int) -> str:
    """Project setting with a followed video's state (``following`` / ``ended``), lag and source."""
    return LIVE_KEY.format(video_id)


@dataclass
class FollowOptions:
    every_s: float = 10.0  # media seconds between commits
    idle_s: float = 10.0  # no growth for this long ends the stream
    closed_s: float = 1.0  # ... or this long once the writer seen holding the file has closed it
    until_s: float | None = None  # stop at this media time
    lag_limit_s: float = 20.0  # above this, and growing: do less
    reel_dir: Path | None = None  # reel hand-off at the end (None: none)
    goals_dir: Path | None = None  # a still and a GIF per score change (None: none)
    reel_media: tuple[str, ...] = ("horizontal", "still", "reel")  # reel: reel.mp4, the clips joined
    poll_s: float = 0.1
    commit_share: float = 0.1  # at most this share of the wall time goes to commits (1: every one)
    live_reel: bool = True  # cut stable highlights' media and covers during the follow (core.live.reel)
    stable_updates: int = 2  # ... once their bounds stayed the same over this many re-rankings
    stable_behind_s: float = 20.0  # ... and they end this far behind the committed edge


@dataclass
class CommitInfo:
    """What one commit changed, for the window and the status line."""

    index: int
    media_s: float
    lag_s: float
    changed: set[str]
    message: str = ""
    final: bool = False
    video_id: int = 0


@dataclass
class FollowReport:
    video: VideoRecord
    media_path: Path
    ran: list[str]
    end_reason: str
    commits: int = 0
    lag: list[tuple[float, float, float]] = field(default_factory=list)  # (wall s, media s, lag s)
    notes: list[str] = field(default_factory=list)
    goals: list[Path] = field(default_factory=list)
    reel: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    finish_s: float = 0.0  # end of stream -> results and reel written
    live_reel: LiveReelStats | None = None  # what was cut during the follow and reused at the end


def prefix_hash(path: str | os.PathLike[str], length: int) -> str:
    with open(path, "rb") as f:
        return hashlib.sha1(f.read(length)).hexdigest()


def _wait_probe(path: Path, reader_pump: Callable[[], None] | None, idle_s: float, task: Task,
                poll_s: float) -> MediaInfo:
    """Probe the start of the recording, waiting up to ``idle_s`` for enough of it to be written."""
    deadline = time.monotonic() + max(idle_s, 1.0)
    last: Exception | None = None
    while True:
        task.check()
        if reader_pump is not None:
            reader_pump()
        if path.is_file() and path.stat().st_size > 0:
            try:
                return probe(path)
            except MediaError as e:
                last = e
        if time.monotonic() >= deadline:
            if last is not None:
                raise last
            raise MediaError(f"{path}: nothing was written for {idle_s:g} s")
        time.sleep(max(poll_s, 0.25))


def _adopt_grown_file(project: Project, path: Path, say: Callable[[str], None]) -> None:
    """A video this project was following whose file has grown: same recording (its first bytes
    hash the same) -> the stored fingerprint is brought up to date; else one line."""
    from core.store.fingerprint import fingerprint

    ap = os.path.abspath(path)
    for r in project.query("SELECT id, path FROM videos"):
        if not isinstance(r["path"], str) or os.path.abspath(r["path"]) != ap:
            continue
        state = project.get_setting(live_key(int(r["id"]))) or {}
        if not state.get("prefix"):
            return
        n = int(state.get("prefix_len", 0))
        if path.stat().st_size < n or prefix_hash(path, n) != state["prefix"]:
            raise ClipDeskError(f"{path}: not the recording this project was following (its start "
                                "changed); follow it into another project (--project NEW)")
        with project.transaction() as c:
            c.execute("UPDATE videos SET fingerprint=? WHERE id=?", (fingerprint(path), int(r["id"])))
        if state.get("state") == "following":
            say(f"continuing the follow of {path.name} (last commit at {state.get('media_s', 0):.0f} s)")
        return


def _update_fingerprint(project: Project, vid: int, path: Path) -> None:
    from core.store.fingerprint import fingerprint

    with project.transaction() as c:
        c.execute("UPDATE videos SET fingerprint=? WHERE id=?", (fingerprint(path), vid))


def _measured_fps(times: Any) -> float | None:
    import numpy as np

    steps = np.diff(np.asarray(times, dtype=np.float64))
    steps = steps[steps > 0]
    return 1.0 / float(np.median(steps)) if steps.size >= 2 else None


def rate_agrees(project: Project, vid: int, times: Any) -> bool:
    """The video's stored rate is within 1 % of the decoded frame times' median step."""
    measured = _measured_fps(times)
    fps = project.video(vid).rate.fps
    return measured is not None and abs(measured - fps) <= 0.01 * fps


def rate_of(fps: float) -> Rate:
    """The rate a measured ``fps`` stands for: a whole number, an NTSC ``N*1000/1001``, else the
    nearest fraction with a denominator up to 1001."""
    from fractions import Fraction

    n = round(fps)
    if n and abs(n - fps) <= 0.0002 * fps:
        return Rate(n, 1)
    ntsc = round(fps * 1.001)
    if ntsc and abs(ntsc * 1000 / 1001 - fps) <= 0.0002 * fps:
        return Rate(ntsc * 1000, 1001)
    if n and abs(n - fps) <= 0.002 * fps:
        return Rate(n, 1)
    return Rate.from_fraction(Fraction(fps).limit_denominator(1001))


def settle_rate(project: Project, vid: int, path: Path, times: Any, live: bool = False) -> bool:
    """At the end of a follow: the rate probed from the recording's first packets is checked
    against the decoded frame times (their median step); when they disagree by more than 1 % the
    file (finished, or grown well past its first packets at the first commits) is probed again and
    its rate stored when it agrees with the frame times; ``live`` (a commit during the follow):
    when the file still says otherwise, the rate the frame times stand for (:func:`rate_of`) is
    stored, and the end checks it again against the finished file. True when the rate changed."""
    v = project.video(vid)
    measured = _measured_fps(times)
    if measured is None:
        return False
    if abs(measured - v.rate.fps) <= 0.01 * v.rate.fps:
        return False
    try:
        info: MediaInfo | None = probe(path)
    except MediaError:
        info = None
    if info is not None and abs(info.rate.fps - measured) <= 0.01 * measured and info.rate != v.rate:
        project.set_rate(vid, info.rate, info.vfr)
        return True
    if live:
        project.set_rate(vid, rate_of(measured), v.info.vfr)
        return True
    return False


def _claim(project: Project, video: VideoRecord, stages: Sequence[Stage]) -> dict[str, int]:
    with project.transaction():
        busy = [r for r in project.live_runs() if r.pid != os.getpid() or not r.here]
        if busy:
            r = busy[0]
            raise ClipDeskError(f"another ClipDesk process (pid {r.pid}{'' if r.here else f' on {r.host}'}) "
                                f"is analysing into {project.path.name}; one writer per project: wait for "
                                "it or cancel it")
        return {st.name: project.start_run(video.id, st.name, st.model, st.version, st.params())
                for st in stages}


def goal_stem(clk: FrameClock, event: Segment, committed: int) -> tuple[int, str]:
    """The frame of a score change's still and the files' name: its time on the video's clock
    ``clk`` as known now (a growing recording's rate is a guess until its frame times are stored)."""
    f = max(0, min(event.start_frame, committed - 1))
    t = clk.time(f)
    stem = f"goal_{int(t // 60):02d}m{int(t % 60):02d}s_{(event.label or 'score').replace(' ', '')[:24]}"
    return f, "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in stem)


def goal_media(clk: FrameClock, video: VideoRecord, path: Path, event: Segment, out_dir: Path,
               committed: int) -> list[Path]:
    """A still at the score change and a GIF of the seconds before it, into ``out_dir``."""
    from core.export import clip as ce

    fps = video.rate.fps
    f, stem = goal_stem(clk, event, committed)
    out_dir.mkdir(parents=True, exist_ok=True)
    still = ce.export_still(str(path), clk, f, out_dir / f"{stem}.jpg", rotation=video.info.rotation)
    a = max(0, f - int(round(6 * fps)))
    b = min(committed, f + int(round(2 * fps)))
    gif = ce.export_gif(str(path), clk, a, max(a + 1, b), out_dir / f"{stem}.gif", width=320, fps=8.0,
                        rotation=video.info.rotation)
    return [still, gif.path]


def follow(project: Project, source: str | os.PathLike[str], stages: Sequence[Stage],
           make_live: Callable[[Stage], LiveStage], task: Task | None = None, device: str = "cpu",
           options: FollowOptions | None = None, on_commit: Callable[[CommitInfo], None] | None = None,
           say: Callable[[str], None] | None = None) -> FollowReport:
    """Follow ``source`` into ``project`` with ``stages`` (ordered); see the module docstring."""
    task = ensure_task(task)
    opts = options or FollowOptions()
    notes: list[str] = []

    def tell(line: str, level: int = logging.INFO) -> None:
        notes.append(line)
        log.log(level if say is not None else logging.WARNING, "follow: %s", line)
        if say is not None:
            say(line)

    src = Path(source)
    project.mark_interrupted_runs()
    busy = [r for r in project.live_runs() if r.pid != os.getpid() or not r.here]
    if busy:
        raise ClipDeskError(f"another ClipDesk process (pid {busy[0].pid}) is analysing into "
                            f"{project.path.name}; one writer per project")
    assembler: HlsAssembler | None = None
    if is_playlist(src):
        if not src.is_file():
            raise MediaError(f"{src}: no such playlist")
        media_path = assembled_path(src, project.path.parent)
        assembler = HlsAssembler(src, media_path, opts.idle_s, tell)
    else:
        media_path = src
        if not src.exists():
            raise MediaError(f"{src}: no such file")
    pump = assembler.poll if assembler is not None else None
    info = _wait_probe(media_path, pump, opts.idle_s, task, opts.poll_s)
    _adopt_grown_file(project, media_path, tell)
    video = project.add_video(info)
    vid = video.id
    state = dict(project.get_setting(live_key(vid)) or {})
    plen = min(PREFIX_BYTES, media_path.stat().st_size)
    if not state.get("prefix") or int(state.get("prefix_len", 0)) < plen:
        state.update(prefix=prefix_hash(media_path, plen), prefix_len=plen)
    state.update(source=str(src), media=str(media_path), state="following", started=time.time(), history=[])
    project.set_setting(live_key(vid), state)

    lives = [make_live(st) for st in stages]
    run_ids = _claim(project, video, stages)
    shared: dict[str, Any] = {}
    cutter: LiveReel | None = None
    if opts.reel_dir is not None and opts.live_reel and any(k in LIVE_KINDS for k in opts.reel_media):
        cutter = LiveReel(media_path, opts.reel_dir, opts.reel_media, video.info.rotation,
                          video.info.display_size, opts.stable_updates, opts.stable_behind_s)
        shared[LIVE_REEL] = cutter
    ctxs = {st.name: StageContext(project, video, info, task, run_ids[st.name], device, shared=shared)
            for st in stages}
    report = FollowReport(video, media_path, [], "")
    # where the follower's time goes: sinks made (models loaded) per stage, each stage's finish,
    # end of stream -> stages done, the reel (kept in the live state for bench/live)
    timings: dict[str, Any] = {"sinks": {}, "finish": {}}
    t_start = time.monotonic()
    last_lag = [0.0]
    rate_checked = [False]  # the probed rate agrees with the decoded frame times
    lowered_at = [-10]
    reader: GrowingReader | None = None

    def stop_reason() -> str | None:
        return "cancelled" if task.cancelled else None

    pace = {"next": 0.0, "spent": 0.0}  # commits take at most ~10 % of the wall time
    goal_files: dict[tuple[int, str], list[Path]] = {}

    def sync_goals(events: list[Segment], fresh: VideoRecord, committed: int) -> None:
        """A still and a GIF per score change the scoreboard holds now: a provisional change that a
        later reading moved or withdrew, or whose time the stored frame times corrected, loses its
        files (ours), a new one gets them."""
        assert opts.goals_dir is not None
        clk = project.clock(fresh.id)
        now = {goal_stem(clk, e, committed): e for e in events}
        for key in [k for k in goal_files if k not in now]:
            for f in goal_files.pop(key):
                f.unlink(missing_ok=True)
                if f in report.goals:
                    report.goals.remove(f)
        for key, ev in sorted(now.items(), key=lambda kv: kv[0]):
            if key in goal_files:
                continue
            try:
                files = goal_media(clk, fresh, media_path, ev, opts.goals_dir, committed)
            except (ClipDeskError, OSError) as e:
                tell(f"score change at frame {ev.start_frame}: no still/GIF ({e})")
                files = []
            goal_files[key] = files
            report.goals.extend(files)

    def snapshot(point: CommitPoint) -> dict[str, Any] | None:
        if time.monotonic() < pace["next"]:
            return None  # the last commit was costly: skip this one, the next carries it all
        out: dict[str, Any] = {}
        for lv in lives:
            try:
                out[lv.name] = lv.snapshot(point)
            except Exception as e:  # noqa: BLE001 - a provisional result may fail; the end will not
                log.warning("follow: %s snapshot failed: %s", lv.name, e)
                out[lv.name] = None
        return out

    def commit(point: CommitPoint, snaps: dict[str, Any] | None) -> None:
        if snaps is None:
            return
        c0 = time.monotonic()
        project.set_frame_times(vid, point.times)
        _update_fingerprint(project, vid, media_path)
        if not rate_checked[0] and len(point.times) >= SETTLE_FRAMES:
            settled = rate_agrees(project, vid, point.times)
            if not settled and settle_rate(project, vid, media_path, point.times, live=True):
                tell(f"frame rate corrected to {project.video(vid).rate.fps:g} fps from the frames decoded "
                     "(the start of the recording gave another)")
                settled = True
            rate_checked[0] = settled  # else checked again at the next commit, and at the end
        fresh = project.video(vid)
        changed: set[str] = set()
        for lv in lives:
            ctx = ctxs[lv.name]
            ctx.video = fresh
            try:
                changed |= lv.commit(ctx, snaps.get(lv.name), point, changed)
            except Cancelled:
                raise
            except Exception as e:  # noqa: BLE001 - logged; the final pass redoes it
                log.warning("follow: %s commit failed: %s", lv.name, e)
        if cutter is not None:
            try:
                cutter.observe(project, vid, point.media_s, HIGHLIGHT in changed)
            except (ClipDeskError, OSError, ValueError) as e:  # the end cuts what is missing
                log.warning("follow: live reel: %s", e)
        message = ""
        lag = point.lag_s
        if opts.goals_dir is not None:
            sync_goals([e for lv in lives for e in (getattr(lv, "events", None) or [])], fresh, point.frames)
        if lag > opts.lag_limit_s and lag > last_lag[0] and point.index - lowered_at[0] >= 2:
            for lv in lives:
                msg = lv.lower_rate()
                if msg:
                    message = f"{lag:.0f} s behind the live edge: {msg}"
                    tell(message, logging.WARNING)
                    lowered_at[0] = point.index
                    break
        last_lag[0] = lag
        wall = time.monotonic() - t_start
        report.lag.append((round(wall, 2), round(point.media_s, 2), round(lag, 2)))
        report.commits += 1
        history = state.setdefault("history", [])  # (unix time, media s, lag s) per commit
        history.append([round(time.time(), 2), round(point.media_s, 2), round(lag, 2)])
        del history[:-2000]
        state.update(commits=report.commits, media_s=round(point.media_s, 2), lag_s=round(lag, 2),
                     status=message or f"{point.media_s:.0f} s analysed, {lag:.0f} s behind live")
        project.set_setting(live_key(vid), state)
        task.progress("follow", 0.5, state["status"], force=True)
        if on_commit is not None:
            on_commit(CommitInfo(point.index, point.media_s, lag, changed, message, video_id=vid))
        spent = time.monotonic() - c0
        pace["spent"] += spent
        pace["next"] = time.monotonic() + spent * (1 / max(opts.commit_share, 1e-3) - 1)
        state["commit_s"] = round(pace["spent"], 2)

    with project.keep_alive(list(run_ids.values())):
        try:
            sinks = []
            for lv in lives:
                t0 = time.monotonic()
                sinks.extend(lv.make_sinks(ctxs[lv.name]))
                timings["sinks"][lv.name] = round(time.monotonic() - t0, 2)  # models load here
            reader = GrowingReader(media_path, opts.idle_s, opts.poll_s, pump=pump,
                                   ended=assembler.end_reason if assembler is not None else None,
                                   stop=stop_reason, closed_s=opts.closed_s if assembler is None else None)
            try:
                result = follow_decode(info, reader, sinks, task, snapshot, commit, opts.every_s,
                                       opts.until_s)
            finally:
                reader.close()
            t_end = time.monotonic()
            report.end_reason = reader.end_reason or "end of stream"
            timeline = EndTimeline(min(reader.last_growth, reader.ended_at or t_end))
            timeline.mark(f"end seen: {report.end_reason}", reader.ended_at or t_end)
            timeline.mark("decode caught up (the sinks' own ends)", t_end)
            if cutter is not None:  # the last live highlights are cut while the stages finish
                try:
                    cutter.queue_open(project, vid)
                except (ClipDeskError, OSError, ValueError) as e:
                    log.warning("follow: live reel: %s", e)
            task.check()
            if result.corrupt_packets:
                report.warnings.append(f"{result.corrupt_packets} corrupt packet(s) skipped")
            project.set_frame_times(vid, result.frame_times)
            _update_fingerprint(project, vid, media_path)
            if settle_rate(project, vid, media_path, result.frame_times):
                tell(f"frame rate corrected to {project.video(vid).rate.fps:g} fps (the start of the "
                     "recording gave another)")
            timeline.mark("frame table, fingerprint and rate stored")
            fresh = project.video(vid)
            for lv in lives:
                ctx = ctxs[lv.name]
                ctx.decode, ctx.video = result, fresh
                task.check()
                task.progress(lv.name, 0.0, "finishing", force=True)
                t0 = time.monotonic()
                lv.finish(ctx)
                timings["finish"][lv.name] = round(time.monotonic() - t0, 2)
                timeline.mark(f"{lv.name} finished")
                project.finish_run(ctx.run_id, "done", "followed live")
                report.ran.append(lv.name)
                if on_commit is not None:
                    on_commit(CommitInfo(report.commits, result.ends_at, 0.0, set(lv.stage.tracks) or
                                         {lv.name}, f"{lv.name} finished", final=True, video_id=vid))
            if opts.goals_dir is not None:  # the stills follow the final score changes
                srcs = {lv.stage.source for lv in lives if hasattr(lv, "events")}
                sync_goals([s for s in project.segments(vid, EVENT) if s.source in srcs], fresh,
                           len(result.frame_times))
                timeline.mark("goal stills and GIFs of the final score changes")
            report.warnings.extend(str(w) for w in shared.get("warnings", []))
        except Cancelled:
            if cutter is not None:
                cutter.cancel()
                cutter.cleanup()
            for c in ctxs.values():
                _close(project, c.run_id, "cancelled", "cancelled by user")
            raise
        except BaseException as e:
            if cutter is not None:
                cutter.cancel()
                cutter.cleanup()
            for c in ctxs.values():
                _close(project, c.run_id, "failed", str(e)[:500])
            raise
    report.video = project.video(vid)
    reuse = None
    if cutter is not None:
        from core.highlights.reel import reel_segments

        final = {(s.start_frame, s.end_frame) for s in reel_segments(project, vid)[0]}
        try:  # the final highlights not cut during the follow: cut on two threads, then reused
            n = cutter.queue_final(project, vid)
        except (ClipDeskError, OSError, ValueError) as e:  # the reel cuts what is missing itself
            log.warning("follow: live reel: %s", e)
            n = 0
        timeline.mark(f"final highlights queued for cutting ({n} not cut during the follow)")
        cutter.stop(final)  # the queued cuts of the final reel are finished, the others dropped
        timeline.mark("reel media cut (the queued cuts finished)")
        reuse = cutter.reuse
    t_reel = time.monotonic()
    timings["stages_done"] = round(t_reel - t_end, 2)
    try:
        if opts.reel_dir is not None and project.segments(vid, "highlight"):
            from core.highlights.export import CUT_FORMATS, export_reel

            try:
                report.reel = export_reel(project, vid, opts.reel_dir, CUT_FORMATS, opts.reel_media, task, reuse)
            except ClipDeskError as e:  # e.g. a cover frame at the very end that does not decode
                media = tuple(m for m in opts.reel_media if m != "still")
                tell(f"reel: {e}; writing it again without stills" if media else f"reel not written: {e}")
                if media:
                    try:
                        report.reel = export_reel(project, vid, opts.reel_dir, CUT_FORMATS, media, task, reuse)
                    except ClipDeskError as e2:
                        tell(f"reel not written: {e2}")
    finally:
        if cutter is not None:
            cutter.cancel()
            cutter.cleanup()
    if cutter is not None:
        report.live_reel = cutter.stats
        state["live_reel"] = asdict(cutter.stats)
    report.finish_s = time.monotonic() - t_end
    timings["reel"] = round(time.monotonic() - t_reel, 2)
    timeline.mark("reel written" if report.reel else "no reel")
    timings["timeline"] = timeline.steps
    state["timings"] = timings
    report.notes = notes
    state.update(state="ended", end=report.end_reason, finish_s=round(report.finish_s, 2), ended_at=time.time(),
                 stream_end_at=round(time.time() - report.finish_s, 2), notes=notes[-50:],
                 reel=str(opts.reel_dir) if report.reel else None,
                 status=f"recording ended, {'reel ready' if report.reel else 'results ready'}")
    project.set_setting(live_key(vid), state)
    task.progress("follow", 1.0, state["status"], force=True)
    if on_commit is not None:
        on_commit(CommitInfo(report.commits, report.video.duration, 0.0, set(), state["status"], final=True,
                             video_id=vid))
    return report


def _close(project: Project, run_id: int, status: str, message: str) -> None:
    rows = project.query("SELECT status FROM runs WHERE id=?", (run_id,))
    if rows and rows[0]["status"] == "running":
        project.finish_run(run_id, status, message)


__all__ = ["CommitInfo", "FollowOptions", "FollowReport", "follow", "goal_media", "live_key", "prefix_hash"]
