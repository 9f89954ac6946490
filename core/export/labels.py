"""The review export: every segment ever proposed or drawn, with what the machine said and what
people changed, one JSON object per line, for retraining on corrections (PRODUCT.md: every
correction is a label).

Pure function of :class:`~core.export.data.ExportData` loaded with ``review=True``; any thread.
"""

from __future__ import annotations

import json
from typing import Any

from core.export.data import ExportData
from core.segments import Segment

_MACHINE_FIELDS = ("track", "start_frame", "end_frame", "label", "confidence", "attrs", "status")


def machine_value(s: Segment, history: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A machine segment's values as the model wrote them: the current value of every field,
    replaced by the oldest recorded old value of each field a person changed."""
    if not s.is_machine:
        return None
    out = {k: getattr(s, k) for k in _MACHINE_FIELDS}
    seen: set[str] = set()
    for h in history:
        f = h.get("field")
        if h.get("op") == "update" and f in out and f not in seen:
            out[f] = h["old_value"]
            seen.add(f)
    return out


def to_labels(d: ExportData) -> str:
    lines = []
    for s in d.all_segments():
        hist = d.history.get(s.id or 0, [])
        rec = {
            "video": d.video.name, "id": s.id, "track": s.track, "start_frame": s.start_frame,
            "end_frame": s.end_frame, "start": d.time(s.start_frame), "end": d.time(s.end_frame),
            "label": s.label, "confidence": s.confidence, "source": s.source, "status": s.status,
            "deleted": (s.id in d.deleted), "attrs": s.attrs,
            "machine": machine_value(s, hist),
            "edits": [{"op": h["op"], "field": h["field"], "old": h["old_value"], "new": h["new_value"],
                       "who": h["who"], "at": h["at"], "batch": h["batch"]}
                      for h in hist if h["op"] != "create"],
        }
        lines.append(json.dumps(rec, ensure_ascii=False, sort_keys=False))
    return "\n".join(lines) + ("\n" if lines else "")
