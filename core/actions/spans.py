"""Hand-labelled action spans (``tests/data/action_spans.json``) and the evaluation of detected
actions against them: recall at a temporal IoU, false actions per 10 s of footage without the
action, boundary offsets. A detection matches a labelled span when the class is the same (or,
for the family figures, of the same family), the tIoU reaches the threshold and the person is
the same, roughly: the detection's person box centre lies in the label's box (grown by a quarter
on each side) or the label box's centre in the detection's box. Pure functions; any thread.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from statistics import median
from typing import Any, Sequence

from core.actions.localize import tiou as frames_tiou
from core.errors import ClipDeskError

KIND = "clipdesk.action-spans/1"
FAMILY = {"forehand": "stroke", "backhand": "stroke", "serve": "stroke"}


@dataclass(frozen=True)
class Span:
    start: int
    end: int  # exclusive
    cls: str
    box: tuple[float, float, float, float] | None = None
    conf: float = 1.0


@dataclass
class ClipLabels:
    name: str
    split: str
    spans: list[Span]
    notes: str = ""
    ignore: list[Span] = field(default_factory=list)  # stretches where a class could not be judged


def load_spans(path: str | Path) -> dict[str, ClipLabels]:
    """The labelled clips of a spans file, by clip file name; one-line error if malformed."""
    try:
        d = json.loads(Path(path).read_text())
        if d.get("kind") != KIND:
            raise ValueError(f"not a {KIND} file")
        split = {n: k for k, names in d["split"].items() for n in names}
        out = {}
        for name, c in d["clips"].items():
            spans = []
            for s in c["spans"]:
                a, b = int(s["start"]), int(s["end"])
                if b <= a:
                    raise ValueError(f"{name}: span {a}-{b} ends before it starts")
                box = tuple(float(v) for v in s["box"]) if s.get("box") else None
                spans.append(Span(a, b, str(s["class"]), box))  # type: ignore[arg-type]
            ignore = []
            for s in c.get("ignore", []):
                a, b = int(s["start"]), int(s["end"])
                if b <= a:
                    raise ValueError(f"{name}: ignore {a}-{b} ends before it starts")
                ignore.append(Span(a, b, str(s["class"])))
            if name not in split:
                raise ValueError(f"{name}: in no split")
            out[name] = ClipLabels(name, split[name], spans, str(c.get("notes", "")), ignore)
        return out
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ClipDeskError(f"{path}: bad action spans file ({e})") from None


def shrink_spans(spans: Sequence[Span], k: int, size: tuple[int, int]) -> list[Span]:
    """The spans of a video made ``k`` times smaller and centred on a canvas of its own
    ``size`` (the small-player proxy of ``bench/actions.py --shrink``): boxes scaled about the
    centre, frames unchanged."""
    w, h = size
    ox, oy = (w - w / k) / 2, (h - h / k) / 2
    return [replace(s, box=(s.box[0] / k + ox, s.box[1] / k + oy, s.box[2] / k + ox, s.box[3] / k + oy))
            if s.box else s for s in spans]


def tiou(a: Span, b: Span) -> float:
    return frames_tiou((a.start, a.end), (b.start, b.end))


def same_person(pred: Span, truth: Span) -> bool:
    if pred.box is None or truth.box is None:
        return True
    x1, y1, x2, y2 = truth.box
    gx, gy = 0.25 * (x2 - x1), 0.25 * (y2 - y1)
    px, py = (pred.box[0] + pred.box[2]) / 2, (pred.box[1] + pred.box[3]) / 2
    if x1 - gx <= px <= x2 + gx and y1 - gy <= py <= y2 + gy:
        return True
    tx, ty = (x1 + x2) / 2, (y1 + y2) / 2
    return pred.box[0] <= tx <= pred.box[2] and pred.box[1] <= ty <= pred.box[3]


def _cls(c: str, family: bool) -> str:
    return FAMILY.get(c, c) if family else c


def match(pred: Sequence[Span], truth: Sequence[Span], iou: float = 0.3,
          family: bool = False) -> list[tuple[int, int]]:
    """Greedy one-to-one pairs ``(pred index, truth index)``, best tIoU first."""
    cands = []
    for i, p in enumerate(pred):
        for j, t in enumerate(truth):
            if _cls(p.cls, family) == _cls(t.cls, family) and same_person(p, t):
                v = tiou(p, t)
                if v >= iou:
                    cands.append((v, i, j))
    used_p: set[int] = set()
    used_t: set[int] = set()
    pairs = []
    for _, i, j in sorted(cands, reverse=True):
        if i not in used_p and j not in used_t:
            used_p.add(i)
            used_t.add(j)
            pairs.append((i, j))
    return pairs


@dataclass
class ClipResult:
    name: str
    frames: int
    fps: float
    pred: list[Span]
    truth: list[Span]
    ignore: list[Span] = field(default_factory=list)


def evaluate(clips: Sequence[ClipResult], iou: float = 0.3, family: bool = False) -> dict[str, Any]:
    """Recall at ``iou``, false actions per 10 s of footage without the action (per class: the
    clip's duration outside that class's labelled spans; a detection is false unless it matches
    or overlaps a labelled span of its class on the same person, or overlaps an ignore stretch
    of its class), median boundary offset (s)."""
    hits = n_truth = 0
    offsets: list[float] = []
    false_by: dict[str, int] = {}
    free_s: dict[str, float] = {}
    per_class: dict[str, dict[str, int]] = {}
    classes = sorted({_cls(s.cls, family) for c in clips for s in c.pred + c.truth})
    for c in clips:
        pairs = match(c.pred, c.truth, iou, family)
        hits += len(pairs)
        n_truth += len(c.truth)
        for i, j in pairs:
            p, t = c.pred[i], c.truth[j]
            offsets += [abs(p.start - t.start) / c.fps, abs(p.end - t.end) / c.fps]
        matched = {i for i, _ in pairs}
        for k in classes:
            covered = sum(t.end - t.start for t in c.truth if _cls(t.cls, family) == k)
            free_s[k] = free_s.get(k, 0.0) + max(0, c.frames - covered) / c.fps
        for i, p in enumerate(c.pred):
            k = _cls(p.cls, family)
            if i not in matched and not any(_cls(t.cls, family) == k and tiou(p, t) > 0 and same_person(p, t)
                                            for t in c.truth) \
                    and not any(_cls(g.cls, family) == k and tiou(p, g) > 0 for g in c.ignore):
                false_by[k] = false_by.get(k, 0) + 1
        for j, t in enumerate(c.truth):
            k = _cls(t.cls, family)
            pc = per_class.setdefault(k, {"truth": 0, "hits": 0})
            pc["truth"] += 1
            pc["hits"] += int(any(jj == j for _, jj in pairs))
    seconds = sum(c.frames / c.fps for c in clips)
    fa = {k: round(10 * false_by.get(k, 0) / free_s[k], 3) for k in classes if free_s.get(k)}
    return {
        "clips": len(clips), "seconds": round(seconds, 1), "truth": n_truth, "hits": hits,
        "recall": round(hits / n_truth, 3) if n_truth else None,
        "false_per_10s": round(10 * sum(false_by.values()) / seconds, 3) if seconds else None,
        "false_per_10s_without_class": fa,
        "false_per_10s_without_class_max": max(fa.values()) if fa else 0.0,
        "median_boundary_offset_s": round(median(offsets), 3) if offsets else None,
        "per_class_recall": {k: f"{v['hits']}/{v['truth']}" for k, v in sorted(per_class.items())},
    }


__all__ = ["ClipLabels", "ClipResult", "FAMILY", "Span", "evaluate", "load_spans", "match", "same_person",
           "shrink_spans", "tiou"]
