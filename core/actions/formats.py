"""Action labels and pose tracks in the training formats other tools read, and back.

* PYSKL / MMAction2 skeleton pickle: ``{"split": {"train": [...], "val": [...]}, "annotations":
  [{frame_dir, label, img_shape, original_shape, total_frames, keypoint (M,T,V,2) float32,
  keypoint_score (M,T,V) float32}, ...]}`` — one annotation per action span, M = 1 (the span's
  person), every frame of the span (poses interpolated between sampled frames). ClipDesk adds
  ``label_names`` at the top level and ``clipdesk`` (video, frames, person, label) per annotation;
  ``frame_dir`` is ``<video stem>_f<start>-<end>_p<person>`` so the labels survive without them.
* COCO keypoints JSON: one image per sampled frame, one annotation per person (``track_id``,
  ``bbox``, ``keypoints`` as x, y, v with v = 2 visible / 0 missing), plus ``action`` on the
  annotations that fall inside a labelled span.
* ActivityNet JSON (v1.3 style): ``database[video].annotations = [{segment: [s, e], label}]``
  in seconds; the *results* form (``results[video] = [{segment, label, score}]``) for predictions.

Imports put the labels back as ``action`` segments (labels from ground-truth files as accepted
``user:import-<format>`` segments, scored results as suggestions) on the video with the matching
file name. Pickles are read with a restricted unpickler (numpy arrays and plain containers
only). Pure functions; any thread.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import re
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from core.actions.dataset import is_human_label, load_poses, person_for
from core.actions.skeleton import sample_track
from core.errors import ClipDeskError
from core.persons.poses import COCO_KEYPOINTS, COCO_SKELETON, PoseTable
from core.segments import ACCEPTED, ACTION, REJECTED, SUGGESTED, Segment
from core.store.project import Project, VideoRecord

_FRAME_DIR = re.compile(r"^(?P<stem>.+)_f(?P<s>\d+)-(?P<e>\d+)_p(?P<p>-?\d+)$")


class FormatError(ClipDeskError):
    """A label file that cannot be read or does not fit the project."""


def _spans(project: Project, video_id: int, reviewed_only: bool) -> list[Segment]:
    segs = [s for s in project.segments(video_id, ACTION) if s.label and s.status != REJECTED]
    return [s for s in segs if is_human_label(s)] if reviewed_only else segs


def _video_by_name(project: Project, name: str) -> VideoRecord | None:
    stem = Path(name).stem
    for v in project.videos():
        if v.name == name or Path(v.path).stem == stem:
            return v
    return None


# -- PYSKL / MMAction2 ---------------------------------------------------------------------------
def export_pyskl(project: Project, out: str | os.PathLike[str], video_ids: Sequence[int] | None = None,
                 classes: Sequence[str] | None = None, reviewed_only: bool = True,
                 val_videos: Sequence[int] = ()) -> dict[str, int]:
    """Write the action spans with their person's skeleton as a PYSKL pickle."""
    anns: list[dict[str, Any]] = []
    split: dict[str, list[str]] = {"train": [], "val": []}
    vids = [v for v in project.videos() if video_ids is None or v.id in video_ids]
    spans = {v.id: _spans(project, v.id, reviewed_only) for v in vids}
    names = list(classes or sorted({str(s.label) for ss in spans.values() for s in ss}))
    for v in vids:
        table = load_poses(project, v.id)
        if table is None:
            continue
        for s in spans[v.id]:
            person = person_for(table, s)
            if person is None or s.label not in names or s.length == 0:
                continue
            seq = sample_track(table.track(person), np.arange(s.start_frame, s.end_frame, dtype=float),
                               max_gap=max(30, round(v.rate.fps)))
            name = f"{Path(v.path).stem}_f{s.start_frame}-{s.end_frame}_p{person}"
            anns.append({
                "frame_dir": name, "label": names.index(str(s.label)),
                "img_shape": (v.height, v.width), "original_shape": (v.height, v.width),
                "total_frames": s.length,
                "keypoint": seq[None, :, :, :2].astype(np.float32),
                "keypoint_score": seq[None, :, :, 2].astype(np.float32),
                "clipdesk": {"video": v.name, "start_frame": s.start_frame, "end_frame": s.end_frame,
                             "person": person, "label": s.label, "fps": v.rate.fps},
            })
            split["val" if v.id in val_videos else "train"].append(name)
    with open(out, "wb") as f:
        pickle.dump({"split": split, "annotations": anns, "label_names": names}, f,
                    protocol=pickle.HIGHEST_PROTOCOL)
    return {"annotations": len(anns), "classes": len(names)}


class _SafeUnpickler(pickle.Unpickler):
    _ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
                ("numpy._core.multiarray", "scalar"), ("numpy._core.numeric", "_frombuffer"),
                ("numpy.core.numeric", "_frombuffer"), ("builtins", "tuple"), ("builtins", "list"),
                ("builtins", "dict"), ("builtins", "set"), ("collections", "OrderedDict")}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a skeleton pickle")


def read_pyskl(path: str | os.PathLike[str]) -> dict[str, Any]:
    try:
        data = _SafeUnpickler(io.BytesIO(Path(path).read_bytes())).load()
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as e:
        raise FormatError(f"{path}: not a skeleton pickle ({e})") from None
    if not isinstance(data, dict) or not isinstance(data.get("annotations"), list):
        raise FormatError(f"{path}: no 'annotations' list (not a PYSKL/MMAction2 skeleton file)")
    return data


def import_pyskl(project: Project, path: str | os.PathLike[str],
                 label_names: Sequence[str] | None = None) -> dict[str, int]:
    """Action spans from a PYSKL pickle onto the project's videos (matched by file stem)."""
    data = read_pyskl(path)
    names = list(label_names or data.get("label_names") or [])
    added = skipped = 0
    for a in data["annotations"]:
        meta = a.get("clipdesk") or {}
        m = _FRAME_DIR.match(str(a.get("frame_dir", "")))
        video = meta.get("video") or (m.group("stem") if m else None)
        v = _video_by_name(project, str(video)) if video else None
        if v is None:
            skipped += 1
            continue
        fallback = (int(m.group("s")), int(m.group("e")), int(m.group("p"))) if m else (0, 0, -1)
        start = int(meta.get("start_frame", fallback[0]))
        end = int(meta.get("end_frame", fallback[1] if m else start + int(a.get("total_frames", 0))))
        person = int(meta.get("person", fallback[2]))
        lab = meta.get("label")
        if lab is None:
            idx = int(a.get("label", -1))
            lab = names[idx] if 0 <= idx < len(names) else f"class_{idx}"
        _add(project, v, start, end, str(lab), person if person >= 0 else None, "pyskl")
        added += 1
    return {"added": added, "skipped": skipped}


def _add(project: Project, v: VideoRecord, start: int, end: int, label: str, person: int | None,
         fmt: str, score: float | None = None) -> None:
    start, end = max(0, start), min(v.frame_count, end)
    if end <= start:
        return
    attrs: dict[str, Any] = {"imported_from": fmt}
    if person is not None:
        attrs["person"] = person
    if score is None:
        seg = Segment(ACTION, start, end, label, None, attrs, f"user:import-{fmt}", ACCEPTED)
    else:
        seg = Segment(ACTION, start, end, label, round(float(score), 4), attrs, f"model:import-{fmt}@1", SUGGESTED)
    project.insert_segment(v.id, seg)


# -- COCO keypoints ------------------------------------------------------------------------------
def export_coco(project: Project, video_id: int, out: str | os.PathLike[str], conf_thr: float = 0.05,
                reviewed_only: bool = True) -> dict[str, int]:
    """Every sampled frame's poses as COCO keypoints, with the person's action where labelled."""
    v = project.video(video_id)
    table = load_poses(project, video_id) or PoseTable(None)
    spans = [(person_for(table, s), s) for s in _spans(project, video_id, reviewed_only)]
    images: list[dict[str, Any]] = []
    anns: list[dict[str, Any]] = []
    for f in table.sampled_frames():
        f = int(f)
        img_id = len(images) + 1
        images.append({"id": img_id, "file_name": f"{v.name}#{f}", "width": v.width, "height": v.height,
                       "frame_index": f, "time": round(v.rate.seconds(f), 6), "video": v.name})
        for p in table.at(f):
            kp = p.keypoints
            vis = np.where(kp[:, 2] > conf_thr, 2, 0)
            flat = np.stack([kp[:, 0] * (vis > 0), kp[:, 1] * (vis > 0), vis], 1).reshape(-1)
            x1, y1, x2, y2 = (float(c) for c in p.box)
            ann: dict[str, Any] = {
                "id": len(anns) + 1, "image_id": img_id, "category_id": 1, "iscrowd": 0,
                "keypoints": [round(float(c), 2) for c in flat], "num_keypoints": int((vis > 0).sum()),
                "bbox": [round(x1, 2), round(y1, 2), round(x2 - x1, 2), round(y2 - y1, 2)],
                "area": round((x2 - x1) * (y2 - y1), 2), "score": round(p.score, 4), "track_id": p.track_id,
                "keypoint_scores": [round(float(c), 4) for c in kp[:, 2]]}
            act = next((s for who, s in spans if who == p.track_id and s.contains(f)), None)
            if act is not None:
                ann["action"] = act.label
            anns.append(ann)
    doc = {"info": {"description": f"ClipDesk poses of {v.name}", "fps": v.rate.fps},
           "images": images, "annotations": anns,
           "categories": [{"id": 1, "name": "person", "supercategory": "person",
                           "keypoints": list(COCO_KEYPOINTS),
                           "skeleton": [[a + 1, b + 1] for a, b in COCO_SKELETON]}]}
    Path(out).write_text(json.dumps(doc))
    return {"images": len(images), "annotations": len(anns)}


def import_coco(project: Project, path: str | os.PathLike[str], max_gap: int = 15) -> dict[str, int]:
    """Action spans from the ``action`` attributes of COCO keypoint annotations: consecutive
    sampled frames of one track with one action (gaps up to ``max_gap`` frames) form a span."""
    try:
        doc = json.loads(Path(path).read_text())
        images = {im["id"]: im for im in doc["images"]}
        anns = doc["annotations"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise FormatError(f"{path}: not a COCO keypoints file ({e})") from None
    runs: dict[tuple[str, int, str], list[int]] = {}
    for a in anns:
        if not a.get("action"):
            continue
        im = images.get(a["image_id"], {})
        video = str(im.get("video") or str(im.get("file_name", "")).split("#")[0])
        frame = int(im.get("frame_index", str(im.get("file_name", "#0")).split("#")[-1] or 0))
        runs.setdefault((video, int(a.get("track_id", -1)), str(a["action"])), []).append(frame)
    added = skipped = 0
    for (video, person, label), frames in runs.items():
        v = _video_by_name(project, video)
        if v is None:
            skipped += 1
            continue
        fs = sorted(set(frames))
        start = prev = fs[0]
        step = int(np.median(np.diff(fs))) if len(fs) > 1 else 1
        for f in fs[1:] + [None]:  # type: ignore[list-item]
            if f is None or f - prev > max_gap:
                _add(project, v, start, prev + step, label, person if person >= 0 else None, "coco")
                added += 1
                if f is not None:
                    start = f
            if f is not None:
                prev = f
    return {"added": added, "skipped": skipped}


# -- ActivityNet ---------------------------------------------------------------------------------
def export_activitynet(project: Project, out: str | os.PathLike[str], reviewed_only: bool = True,
                       results: bool = False) -> dict[str, int]:
    """Ground truth (``database``) or, with ``results=True``, predictions with scores."""
    n = 0
    labels: set[str] = set()
    body: dict[str, Any] = {}
    for v in project.videos():
        spans = _spans(project, v.id, reviewed_only and not results)
        items = []
        for s in spans:
            seg = [round(v.rate.seconds(s.start_frame), 3), round(v.rate.seconds(s.end_frame), 3)]
            it: dict[str, Any] = {"segment": seg, "label": s.label,
                                  "clipdesk": {"start_frame": s.start_frame, "end_frame": s.end_frame,
                                               "person": s.attrs.get("person"), "source": s.source}}
            if results:
                it["score"] = s.confidence if s.confidence is not None else 1.0
            items.append(it)
            labels.add(str(s.label))
        n += len(items)
        key = Path(v.path).stem
        if results:
            body[key] = items
        else:
            body[key] = {"subset": "training", "duration": round(v.duration, 3), "fps": v.rate.fps,
                         "resolution": f"{v.width}x{v.height}", "url": "", "annotations": items}
    doc: dict[str, Any] = {"version": "ActivityNet-1.3 (ClipDesk)"}
    if results:
        doc |= {"results": body, "external_data": {"used": False}}
    else:
        doc |= {"taxonomy": [{"nodeName": c, "nodeId": i + 1, "parentId": 0} for i, c in enumerate(sorted(labels))],
                "database": body}
    Path(out).write_text(json.dumps(doc, indent=1))
    return {"segments": n, "videos": len(body)}


def import_activitynet(project: Project, path: str | os.PathLike[str]) -> dict[str, int]:
    """Spans from an ActivityNet ``database`` (accepted labels) or ``results`` (suggestions)."""
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise FormatError(f"{path}: not JSON ({e})") from None
    if not isinstance(doc, dict) or not ("database" in doc or "results" in doc):
        raise FormatError(f"{path}: neither an ActivityNet 'database' nor 'results' file")
    is_results = "results" in doc
    added = skipped = 0
    body = doc.get("results") or doc.get("database") or {}
    for name, entry in body.items():
        v = _video_by_name(project, name)
        items = entry if is_results else entry.get("annotations", [])
        if v is None:
            skipped += len(items)
            continue
        for it in items:
            cd = it.get("clipdesk") or {}
            s0, s1 = (float(x) for x in it["segment"])
            start = int(cd.get("start_frame", v.rate.nearest_frame(s0)))
            end = int(cd.get("end_frame", v.rate.nearest_frame(s1)))
            person = cd.get("person")
            _add(project, v, start, end, str(it["label"]), int(person) if person is not None else None,
                 "activitynet", float(it.get("score", 0.0)) if is_results else None)
            added += 1
    return {"added": added, "skipped": skipped}


# -- by file type ---------------------------------------------------------------------------------
FORMATS = ("pyskl", "coco", "activitynet")


def export_labels(project: Project, out: str | os.PathLike[str], fmt: str,
                  video_id: int | None = None) -> dict[str, int]:
    """Export in ``fmt`` (one of :data:`FORMATS`); COCO is per video (default: the first)."""
    if fmt == "pyskl":
        return export_pyskl(project, out, [video_id] if video_id is not None else None)
    if fmt == "coco":
        vids = project.videos()
        if not vids:
            raise FormatError("the project has no video")
        return export_coco(project, video_id if video_id is not None else vids[0].id, out)
    if fmt == "activitynet":
        return export_activitynet(project, out)
    raise FormatError(f"unknown label format {fmt!r}; choose from {', '.join(FORMATS)}")


def detect_format(path: str | os.PathLike[str]) -> str:
    p = Path(path)
    if p.suffix.lower() in (".pkl", ".pickle"):
        return "pyskl"
    try:
        head = json.loads(p.read_text())
    except (OSError, ValueError) as e:
        raise FormatError(f"{p}: neither a skeleton pickle nor JSON ({e})") from None
    if isinstance(head, dict) and "images" in head and "annotations" in head:
        return "coco"
    if isinstance(head, dict) and ("database" in head or "results" in head):
        return "activitynet"
    raise FormatError(f"{p}: not a PYSKL, COCO keypoints or ActivityNet file")


def import_labels(project: Project, path: str | os.PathLike[str]) -> tuple[str, dict[str, int]]:
    """Import action labels from any supported file (format detected); returns (format, counts)."""
    fmt = detect_format(path)
    if fmt == "pyskl":
        return fmt, import_pyskl(project, path)
    if fmt == "coco":
        return fmt, import_coco(project, path)
    return fmt, import_activitynet(project, path)
