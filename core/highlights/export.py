"""Hand-off of the reel: NLE cut lists of the highlights in reel order, and per-highlight media.

:func:`export_reel` writes into one folder:

- ``reel.otio``, ``reel.fcpxml`` (Resolve / FCP X), ``reel.xml`` (FCP 7 XML, Premiere),
  ``reel.edl`` (CMX3600): one video track, the highlights back to back in reel order, built by
  :func:`core.export.timeline.build_cut_list` restricted to the ``highlight`` track;
- ``reel_chapters.txt``: YouTube chapters at the reel's own times (the reel video's timeline),
  and ``source_chapters.txt``: the highlights as chapters of the source video;
- per highlight ``NN_title.mp4`` (horizontal), ``NN_title_9x16.mp4`` (vertical, reframed along
  the crop path through :mod:`core.export.clip`), ``NN_title.gif`` and ``NN_title.jpg`` (the cover;
  titles from :mod:`core.highlights.titles`, also the MP4 title tag);
- ``reel.json``: what was written, with each highlight's why.

Runs on the caller's thread (CLI or an app worker); takes a Task for progress and cancel.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Sequence

from core.errors import ClipDeskError
from core.highlights.reel import reel_segments
from core.highlights.titles import slug, with_titles
from core.progress import Task, ensure_task
from core.segments import HIGHLIGHT, Segment
from core.store.project import Project

CUT_FORMATS = ("otio", "fcpxml", "fcp7", "edl", "chapters")
MEDIA_KINDS = ("horizontal", "vertical", "gif", "still")
REEL_VIDEO = "reel"  # media kind, not a default: reel.mp4, the horizontal clips joined (core.export.concat)
_SUFFIX = {"otio": ".otio", "fcpxml": ".fcpxml", "fcp7": ".xml", "edl": ".edl"}
Reuse = Callable[[str, Segment, Path, str, "int | None"], bool]


def _yt(seconds: float, hours: bool) -> str:
    t = int(seconds)
    h, rem = divmod(t, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if hours else f"{m}:{s:02d}"


def reel_chapters(project: Project, video_id: int, reel: Sequence[Segment]) -> str:
    """Chapter lines at the reel's own times (each highlight starts where the previous ends)."""
    clk = project.clock(video_id)
    pos = 0.0
    total = sum(clk.time(s.end_frame) - clk.time(s.start_frame) for s in reel)
    lines: list[str] = []
    last = -1
    for i, s in enumerate(reel):
        t = int(pos)
        if t > last:
            title = str((s.attrs or {}).get("title") or (s.label or "highlight").replace("_", " "))
            lines.append(f"{_yt(pos, total >= 3600)} {i + 1}. {title}")
            last = t
        pos += clk.time(s.end_frame) - clk.time(s.start_frame)
    return "\n".join(lines) + "\n"


def write_cut_lists(project: Project, video_id: int, reel: Sequence[Segment], out_dir: Path,
                    formats: Sequence[str] = CUT_FORMATS) -> list[Path]:
    """The reel as NLE cut lists (see module docstring)."""
    import opentimelineio as otio

    from core.export import FORMATS
    from core.export.data import ExportData, write_text_atomic
    from core.export.timeline import build_cut_list

    bad = [f for f in formats if f not in CUT_FORMATS]
    if bad:
        raise ClipDeskError(f"unknown reel format '{bad[0]}' (choose from {', '.join(CUT_FORMATS)})")
    data = ExportData(project.video(video_id), project.clock(video_id), {HIGHLIGHT: list(reel)})
    written: list[Path] = []
    for f in formats:
        if f == "chapters":
            written.append(write_text_atomic(out_dir / "reel_chapters.txt",
                                             reel_chapters(project, video_id, reel)))
            chrono = ExportData(data.video, data.clock,
                                {HIGHLIGHT: sorted(reel, key=lambda s: s.start_frame)})
            written.append(write_text_atomic(out_dir / "source_chapters.txt",
                                             FORMATS["chapters"].write(chrono)))
        elif f == "otio":
            text = otio.adapters.write_to_string(build_cut_list(data), adapter_name="otio_json")
            written.append(write_text_atomic(out_dir / "reel.otio", str(text)))
        else:
            written.append(write_text_atomic(out_dir / f"reel{_SUFFIX[f]}", FORMATS[f].write(data)))
    return written


def write_media(project: Project, video_id: int, reel: Sequence[Segment], out_dir: Path,
                kinds: Sequence[str] = MEDIA_KINDS, task: Task | None = None,
                reuse: Reuse | None = None) -> list[dict[str, Any]]:
    """Per-highlight clips, GIF and cover still (see module docstring). ``reuse(kind, segment,
    out, title, frame)``: puts a file cut earlier with the same frames at ``out`` and returns
    True (the live follower's cuts, :mod:`core.live.reel`), or False to cut it here."""
    from core.export import clip as ce

    task = ensure_task(task)
    v = project.video(video_id)
    src = str(project.video_file(video_id))  # missing or changed: one line, nothing written
    clk = project.clock(video_id)
    rows: list[dict[str, Any]] = []
    for i, s in enumerate(reel, 1):
        task.check()
        title = str((s.attrs or {}).get("title") or (s.label or "highlight").replace("_", " "))
        stem = f"{i:02d}_{slug(title, 40)}"
        row: dict[str, Any] = {"id": s.id, "order": i, "label": s.label, "title": title,
                               "start_frame": s.start_frame,
                               "end_frame": s.end_frame, "start": round(clk.time(s.start_frame), 3),
                               "end": round(clk.time(s.end_frame), 3), "score": s.attrs.get("score"),
                               "why": s.attrs.get("why", []), "files": {}}
        if "horizontal" in kinds and not (reuse and reuse("horizontal", s, out_dir / f"{stem}.mp4", title, None)):
            r = ce.export_clip(src, clk, s.start_frame, s.end_frame, out_dir / f"{stem}.mp4",
                               rotation=v.info.rotation, task=task, title=title)
        if "horizontal" in kinds:
            row["files"]["horizontal"] = f"{stem}.mp4"
        if "vertical" in kinds:
            r = ce.export_project_clip(project, video_id, s.start_frame, s.end_frame,
                                       out_dir / f"{stem}_9x16.mp4", aspect="9:16", task=task,
                                       title=title)
            row["files"]["vertical"] = r.path.name
        if "gif" in kinds and not (reuse and reuse("gif", s, out_dir / f"{stem}.gif", title, None)):
            r = ce.export_gif(src, clk, s.start_frame, s.end_frame, out_dir / f"{stem}.gif",
                              rotation=v.info.rotation, task=task)
        if "gif" in kinds:
            row["files"]["gif"] = f"{stem}.gif"
        if "still" in kinds:
            cover = s.attrs.get("cover_frame")
            frame = int(cover) if isinstance(cover, (int, float)) and s.contains(int(cover)) else (
                (s.start_frame + s.end_frame) // 2)
            if not (reuse and reuse("still", s, out_dir / f"{stem}.jpg", title, frame)):
                ce.export_still(src, clk, frame, out_dir / f"{stem}.jpg", rotation=v.info.rotation)
            row["files"]["still"] = f"{stem}.jpg"
            row["cover_frame"] = frame
        rows.append(row)
    return rows


def export_reel(project: Project, video_id: int, out_dir: str | Path,
                formats: Sequence[str] = CUT_FORMATS, media: Sequence[str] = MEDIA_KINDS,
                task: Task | None = None, reuse: Reuse | None = None) -> dict[str, Any]:
    """Write the reel's hand-off files into ``out_dir`` (see module docstring); returns the manifest.
    ``reuse``: see :func:`write_media`."""
    task = ensure_task(task)
    bad = [k for k in media if k not in (*MEDIA_KINDS, REEL_VIDEO)]
    if bad:
        raise ClipDeskError(f"unknown media kind '{bad[0]}' (choose from {', '.join((*MEDIA_KINDS, REEL_VIDEO))})")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ClipDeskError(f"{out}: exists and is not a folder")
    reel, reviewed = reel_segments(project, video_id)
    if not reel:
        raise ClipDeskError(f"{project.video(video_id).name}: no highlights to export "
                            "(run clipdesk highlights first, or every one was rejected)")
    out.mkdir(parents=True, exist_ok=True)
    reel = with_titles(project, video_id, reel)  # clip names, file names, MP4 title tags
    cut_files = write_cut_lists(project, video_id, reel, out, formats) if formats else []
    rows = write_media(project, video_id, reel, out, media, task, reuse) if media else []
    reel_video = None
    if REEL_VIDEO in media and "horizontal" in media and rows:  # packets copied: a second, not an encode
        from core.export.concat import concat_clips

        task.check()
        reel_video = concat_clips([out / r["files"]["horizontal"] for r in rows], out / "reel.mp4")["path"].name
    clk = project.clock(video_id)
    manifest = {
        "schema": "clipdesk.reel/1", "video": project.video(video_id).path, "reviewed": reviewed,
        "duration": round(sum(clk.time(s.end_frame) - clk.time(s.start_frame) for s in reel), 3),
        "cut_lists": [p.name for p in cut_files],
        **({"reel_video": reel_video} if reel_video else {}),
        "highlights": rows or [{"id": s.id, "order": i, "label": s.label,
                                "title": s.attrs.get("title"), "start_frame": s.start_frame,
                                "end_frame": s.end_frame, "why": s.attrs.get("why", [])}
                               for i, s in enumerate(reel, 1)],
    }
    from core.export.paths import write_text_atomic

    write_text_atomic(out / "reel.json", json.dumps(manifest, indent=2, default=str))
    return manifest


__all__ = ["CUT_FORMATS", "MEDIA_KINDS", "export_reel", "reel_chapters", "write_cut_lists", "write_media"]
