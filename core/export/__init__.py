"""Every export format, behind one call: ``export(project, video_id, fmt, out_path, tracks)``.

Formats (``FORMATS``): ``json`` (INTERFACES.md ``clipdesk.export/1``), ``csv``, ``scenes``
(PySceneDetect scene-list CSV), ``otio``, ``fcpxml`` (Resolve/FCP X), ``fcp7`` (Premiere XML),
``edl`` (CMX3600), ``srt``, ``vtt``, ``chapters`` (YouTube text), ``ffmetadata`` (FFmpeg
chapters), ``labels`` (JSON Lines for training on corrections). Rejected suggestions appear only
in ``labels``. Files are written atomically.

Thread: any worker thread with its own project connection; no Qt.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from core.export.data import ExportData, ExportError, load, resolve_video, write_text_atomic
from core.export.labels import to_labels
from core.export.paths import check_output, project_inputs
from core.export.tabular import to_csv, to_json, to_scene_list
from core.export.text import to_chapters, to_ffmetadata, to_srt, to_vtt
from core.export.timeline import to_edl, to_fcp7, to_fcpxml, to_otio
from core.store.project import Project


@dataclass(frozen=True)
class Format:
    name: str
    suffix: str
    help: str
    write: Callable[[ExportData], str]
    review: bool = False  # reads rejected/deleted segments and history too


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("json", ".json", "all segments, clipdesk.export/1 (INTERFACES.md)", to_json),
    Format("csv", ".csv", "one row per segment", to_csv),
    Format("scenes", ".csv", "PySceneDetect-compatible scene list of the shots", to_scene_list),
    Format("otio", ".otio", "OpenTimelineIO, one track per ClipDesk track", to_otio),
    Format("fcpxml", ".fcpxml", "Final Cut Pro X / DaVinci Resolve cut list", to_fcpxml),
    Format("fcp7", ".xml", "Final Cut Pro 7 XML (Premiere) cut list", to_fcp7),
    Format("edl", ".edl", "CMX3600 EDL cut list (highlights, else shots)", to_edl),
    Format("srt", ".srt", "SubRip subtitles from the speech (or word) track", to_srt),
    Format("vtt", ".vtt", "WebVTT subtitles from the speech (or word) track", to_vtt),
    Format("chapters", ".txt", "YouTube chapters from scenes (or highlights)", to_chapters),
    Format("ffmetadata", ".txt", "FFmpeg chapter metadata from scenes (or highlights)", to_ffmetadata),
    Format("labels", ".jsonl", "review labels for training: every segment (rejected and deleted too),"
           " the machine's value and each correction", to_labels, review=True),
)}


def render(project: Project, video_id: int, fmt: str, tracks: Sequence[str] | None = None) -> str:
    """The export as text, without writing a file."""
    f = FORMATS.get(fmt)
    if f is None:
        raise ExportError(f"unknown export format '{fmt}' (choose from {', '.join(FORMATS)})")
    return f.write(load(project, video_id, tracks, review=f.review))


def export(project: Project, video_id: int, fmt: str, out_path: str | os.PathLike[str],
           tracks: Sequence[str] | None = None) -> Path:
    """Write ``fmt`` for one video to ``out_path`` (atomically) and return the path."""
    out = check_output(out_path, project_inputs(project), what="export", parents=True)
    return write_text_atomic(out, render(project, video_id, fmt, tracks))


__all__ = ["FORMATS", "ExportError", "Format", "export", "render", "resolve_video"]
