"""JSON (the ``clipdesk.export/1`` contract in INTERFACES.md), CSV and a PySceneDetect scene list.

Pure functions from :class:`~core.export.data.ExportData` to text; any thread.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from core.export.data import ExportData, ExportError
from core.export.rates import smpte, timecode_rate
from core.segments import SCENE, SHOT, Segment

SCHEMA = "clipdesk.export/1"


def segment_json(d: ExportData, s: Segment) -> dict[str, Any]:
    return {"track": s.track, "start_frame": s.start_frame, "end_frame": s.end_frame,
            "start": d.time(s.start_frame), "end": d.time(s.end_frame), "label": s.label,
            "confidence": s.confidence, "source": s.source, "status": s.status, "id": s.id,
            "attrs": s.attrs}


def video_json(d: ExportData) -> dict[str, Any]:
    v = d.video
    out: dict[str, Any] = {"path": v.path, "fps": v.rate.fps, "fps_num": v.rate.num, "fps_den": v.rate.den,
                           "frame_count": v.frame_count, "duration": d.time(v.frame_count), "width": v.width,
                           "height": v.height, "vfr": v.info.vfr}
    if d.warnings:  # only when there is something to say: the contract's keys stay as they were
        out["warnings"] = list(d.warnings)
    return out


def to_json(d: ExportData) -> str:
    doc = {"schema": SCHEMA, "video": video_json(d),
           "segments": [segment_json(d, s) for s in d.all_segments()]}
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


CSV_COLUMNS = ("id", "track", "start_frame", "end_frame", "start", "end", "start_timecode",
               "end_timecode", "label", "confidence", "source", "status", "attrs")


def to_csv(d: ExportData) -> str:
    """One row per segment; ``attrs`` as a JSON object; times in seconds and SMPTE timecode."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    rate = timecode_rate(d)  # probes the file once for VFR video, not per row
    for s in d.all_segments():
        w.writerow([s.id, s.track, s.start_frame, s.end_frame, f"{d.time(s.start_frame):.6f}",
                    f"{d.time(s.end_frame):.6f}", smpte(d, s.start_frame, rate),
                    smpte(d, s.end_frame, rate),
                    "" if s.label is None else s.label,
                    "" if s.confidence is None else f"{s.confidence:.4f}", s.source, s.status,
                    json.dumps(s.attrs, sort_keys=True, ensure_ascii=False)])
    return buf.getvalue()


def _clock_tc(seconds: float) -> str:
    """PySceneDetect's ``HH:MM:SS.nnn``."""
    ms = round(seconds * 1000)
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def to_scene_list(d: ExportData) -> str:
    """The CSV ``scenedetect ... list-scenes`` writes (1-based inclusive frames), from the shots
    (or the scenes/only track asked for), so tools built on PySceneDetect read ClipDesk cuts."""
    track = SHOT if SHOT in d.segments else SCENE if SCENE in d.segments else None
    if track is None and len(d.segments) == 1:
        track = d.tracks[0]
    if track is None:
        raise ExportError("scene list needs a shot or scene track (or one --track)")
    segs = d.segments[track]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["Timecode List:", *[_clock_tc(d.time(s.start_frame)) for s in segs[1:]]])
    w.writerow(["Scene Number", "Start Frame", "Start Timecode", "Start Time (seconds)", "End Frame",
                "End Timecode", "End Time (seconds)", "Length (frames)", "Length (timecode)",
                "Length (seconds)"])
    for i, s in enumerate(segs):
        t0, t1 = d.time(s.start_frame), d.time(s.end_frame)
        w.writerow([i + 1, s.start_frame + 1, _clock_tc(t0), f"{t0:.3f}", s.end_frame, _clock_tc(t1),
                    f"{t1:.3f}", s.length, _clock_tc(t1 - t0), f"{t1 - t0:.3f}"])
    return buf.getvalue()
