"""Find the scoreboard among text boxes from sparse full-frame text detection.

A board is a cluster of text boxes that stays in place across detection samples, sits in the
frame's border bands, and has rows of names followed by numbers. Detection often misses the tiny
digit cells, so each row is extended to the right (stopping at unrelated text) before it is read.
:func:`locate_candidates` ranks clusters; the caller confirms one by reading and parsing it.
Pure functions; any thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

Box = tuple[int, int, int, int]  # x, y, w, h in source pixels


@dataclass(frozen=True)
class TextBox:
    x: int
    y: int
    w: int
    h: int
    text: str = ""
    score: float = 1.0

    @property
    def box(self) -> Box:
        return (self.x, self.y, self.w, self.h)


@dataclass(frozen=True)
class BoardLayout:
    """Where a board is: its box and, per row (top to bottom), the boxes to read; a row's text
    is its boxes' texts joined by spaces."""

    box: Box
    rows: tuple[tuple[Box, ...], ...]
    score: float = 0.0
    persistence: float = 0.0

    @property
    def boxes(self) -> list[Box]:
        return [b for r in self.rows for b in r]

    def texts_to_lines(self, texts: Sequence[str]) -> list[str]:
        """Join the recognized texts (one per box, in :attr:`boxes` order) into row lines."""
        out, i = [], 0
        for r in self.rows:
            out.append(" ".join(t for t in texts[i:i + len(r)] if t).strip())
            i += len(r)
        return out


def iou(a: Box, b: Box) -> float:
    ax1, ay1, bx1, by1 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = max(0, min(ax1, bx1) - max(a[0], b[0]))
    ih = max(0, min(ay1, by1) - max(a[1], b[1]))
    inter = iw * ih
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def _v_overlap(a: TextBox, b: TextBox) -> float:
    ov = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
    return ov / max(1, min(a.h, b.h))


def _h_gap(a: TextBox, b: TextBox) -> int:
    return max(a.x, b.x) - min(a.x + a.w, b.x + b.w)


def _v_gap(a: TextBox, b: TextBox) -> int:
    return max(a.y, b.y) - min(a.y + a.h, b.y + b.h)


def cluster_boxes(boxes: Sequence[TextBox]) -> list[list[TextBox]]:
    """Group boxes that form one graphic: same row and close, or stacked rows that overlap in x."""
    n = len(boxes)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(n):
        for j in range(i + 1, n):
            a, b = boxes[i], boxes[j]
            hmin = min(a.h, b.h)
            same_row = _v_overlap(a, b) > 0.5 and _h_gap(a, b) < 5 * hmin
            stacked = (_v_gap(a, b) < 0.8 * hmin and _h_gap(a, b) < 0.5 * hmin
                       and abs(a.h - b.h) < 0.6 * max(a.h, b.h))
            if same_row or stacked:
                parent[find(i)] = find(j)
    groups: dict[int, list[TextBox]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(boxes[i])
    return list(groups.values())


def _rows(group: Sequence[TextBox]) -> list[list[TextBox]]:
    """Rows of a cluster from its normal-height boxes (tall boxes are digit columns)."""
    hs = sorted(b.h for b in group)
    low = hs[len(hs) // 4]
    normal = sorted((b for b in group if b.h <= 1.5 * low), key=lambda b: b.y)
    rows: list[list[TextBox]] = []
    for b in normal:
        for r in rows:
            if _v_overlap(r[0], b) > 0.5:
                r.append(b)
                break
        else:
            rows.append([b])
    for r in rows:
        r.sort(key=lambda b: b.x)
    return rows


def _union(boxes: Sequence[Box]) -> Box:
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return (x0, y0, x1 - x0, y1 - y0)


def layout_for(group: Sequence[TextBox], others: Sequence[TextBox],
               frame_size: tuple[int, int]) -> BoardLayout:
    """Boxes to read for a cluster: each detected box (padded), plus, for a row that ends in a
    name, an extension to the right where detection missed the digit cells (up to other text)."""
    fw, fh = frame_size
    gx, gy, gw, gh = _union([b.box for b in group])
    rows: list[tuple[Box, ...]] = []
    for row in _rows(group):
        rh = max(b.h for b in row)
        ry0 = min(b.y for b in row)
        ry1 = max(b.y + b.h for b in row)
        pv, ph = max(2, int(0.1 * rh)), max(2, int(0.3 * rh))
        y0, y1 = max(0, ry0 - pv), min(fh, ry1 + pv)
        # a row is read as one line: recognition reads "DJOKOVIC610" whole, where a lone "0"
        # crop comes back as a box-drawing glyph
        if len(row) >= 2 and all(re.fullmatch(r"[0-9OoDlI|]{1,2}", b.text.strip()) for b in row[1:]):
            # a name and lone digit cells (tennis): read as one line, spanning the cluster's
            # columns (rows of a board share them): recognition reads "DJOKOVIC610" whole,
            # where a lone "0" crop comes back as a box-drawing glyph
            x0, x1 = max(0, row[0].x - ph), min(fw, max(gx + gw, max(b.x + b.w for b in row)) + ph)
            rows.append(((x0, y0, x1 - x0, y1 - y0),))
            continue
        boxes: list[Box] = []
        for b in row:
            x0, x1 = max(0, b.x - ph), min(fw, b.x + b.w + ph)
            boxes.append((x0, y0, x1 - x0, y1 - y0))
        last = row[-1]
        if last.text and last.text.rstrip()[-1:].isalpha():
            # A name with no number after it: detection missed the digit cells. Read the whole
            # row as one line, extended right up to other text (recognition skips background).
            x0 = last.x + last.w
            if gx + gw > x0 + rh:  # digit columns were detected: the board ends there
                x1 = min(fw, gx + gw + ph + rh // 2)
            else:
                x1 = min(fw, x0 + max(int(1.4 * gw), 4 * rh))
            for o in others:
                ov = min(o.y + o.h, y1) - max(o.y, y0)
                if o.x >= x0 and ov > 0.25 * rh:
                    x1 = min(x1, o.x - 2)
            bx0 = boxes[0][0]
            boxes = [(bx0, y0, max(2, x1 - bx0), y1 - y0)]
        rows.append(tuple(boxes))
    if not rows:
        rows = [((gx, gy, gw, gh),)]
    return BoardLayout(_union([b for r in rows for b in r]), tuple(rows))


def plate_box(images: Sequence[Any], box: Box, min_step: float = 10.0, line: int | None = None) -> Box:
    """Grow a board's text box to the plate drawn behind it. On each side, from 2 px inside
    the box outwards (a text ``line`` height up and down, 1.5 sideways), the
    line whose colour steps against the next one along most of its length (the median
    over the line of the per-pixel step, summed over channels, averaged over a few frames: the
    plate's edge stays while the picture behind it changes; text and advertising beyond it step
    along only part of a line) by ``min_step`` and half the strongest step: sideways the
    outermost such line (a plate of coloured cells steps at each cell, then at its own edge), up
    and down the nearest. A side with no such line (no plate, a see-through one) stays put."""
    import numpy as np

    x, y, w, h = box
    if not images:
        return box
    H, W = images[0].shape[:2]
    lh = int(line or h)  # the height of one text line (a two-row board's box is two)
    dv, dh, inner = max(2, lh), max(2, int(1.5 * lh)), 2
    x0, y0, x1, y1 = x, y, x + w, y + h
    new = [x0, y0, x1, y1]
    for side in range(4):
        steps = []
        for img in images:
            a = np.asarray(img, dtype=np.int16)
            if side == 0:  # top: rows from inside the box upwards, over the text's columns
                lo, hi = max(0, y0 - dv), min(H, y0 + inner)
                st = np.median(np.abs(np.diff(a[lo:hi, x0:x1], axis=0)).sum(axis=-1), axis=1)[::-1]
            elif side == 1:
                lo, hi = max(0, y1 - inner), min(H, y1 + dv)
                st = np.median(np.abs(np.diff(a[lo:hi, x0:x1], axis=0)).sum(axis=-1), axis=1)
            elif side == 2:
                lo, hi = max(0, x0 - dh), min(W, x0 + inner)
                st = np.median(np.abs(np.diff(a[y0:y1, lo:hi], axis=1)).sum(axis=-1), axis=0)[::-1]
            else:
                lo, hi = max(0, x1 - inner), min(W, x1 + dh)
                st = np.median(np.abs(np.diff(a[y0:y1, lo:hi], axis=1)).sum(axis=-1), axis=0)
            steps.append(st)
        if not steps or any(len(st) != len(steps[0]) or not len(st) for st in steps):
            continue
        step = np.mean(np.stack(steps), axis=0)
        hit = np.flatnonzero(step >= max(min_step, 0.5 * float(step.max())))
        if not len(hit):
            continue
        # the step between line k and k + 1, counted outwards: sideways the outermost (cells
        # side by side), up and down the nearest (text beyond a plate is closer above/below)
        k = int(hit[-1] if side >= 2 else hit[0])
        if side == 0:
            new[1] = min(y0, (min(H, y0 + inner) - 1) - k)
        elif side == 1:
            new[3] = max(y1, max(0, y1 - inner) + k + 1)
        elif side == 2:
            new[0] = min(x0, (min(W, x0 + inner) - 1) - k)
        else:
            new[2] = max(x1, max(0, x1 - inner) + k + 1)
    return (int(new[0]), int(new[1]), int(new[2] - new[0]), int(new[3] - new[1]))


_NAME_THEN_NUMBER = re.compile(r"[A-Za-z]{2,}.*\d|\d.*[A-Za-z]{3}")


def _persistence(group: Sequence[TextBox], history: Sequence[Sequence[TextBox]]) -> float:
    if len(history) <= 1:
        return 0.5
    hits = []
    for b in group:
        hits.append(sum(any(iou(b.box, o.box) > 0.3 for o in det) for det in history) / len(history))
    return sum(hits) / len(hits)


def tight_groups(group: Sequence[TextBox]) -> list[list[TextBox]]:
    """The smallest parts of a cluster whose detected text already reads as the whole cluster
    does (score, names, clock): runs of boxes within a row, pairs of adjacent rows (tennis);
    smallest first. A board's cluster
    often takes in the advertising around it (a box four times the board's width, once)."""
    from core.match.scoreboard.parse import parse_board

    rows = _rows(group)
    parts: list[list[TextBox]] = []
    for r in rows:
        for i in range(len(r)):
            for j in range(i + 1, len(r) + 1):
                parts.append(r[i:j])
    for a, b in zip(rows, rows[1:], strict=False):
        parts.append(a + b)
    def key(boxes: Sequence[TextBox]) -> tuple[str | None, ...] | None:
        r = parse_board([" ".join(b.text for b in row) for row in _rows(boxes)])
        return None if r is None else (r.label, r.home, r.away, r.clock)

    whole = key(group)
    out = []
    for part in parts:
        if len(part) == len(group):
            continue
        k = key(part)
        if k is not None and k == whole:  # all the cluster says, nothing less
            out.append(part)
    out.sort(key=lambda p: _union([b.box for b in p])[2] * _union([b.box for b in p])[3])
    return out


def locate_candidates(detections: Sequence[Sequence[TextBox]], frame_size: tuple[int, int],
                      max_candidates: int = 4) -> list[BoardLayout]:
    """Rank board candidates from the latest detection (``detections[-1]``) using earlier ones
    for persistence; best first."""
    if not detections or not detections[-1]:
        return []
    fw, fh = frame_size
    boxes = [b for b in detections[-1] if b.w > 4 and b.h > 4 and b.h < 0.2 * fh]
    out: list[BoardLayout] = []
    for group in cluster_boxes(boxes):
        text = " ".join(b.text for b in group)
        gx, gy, gw, gh = _union([b.box for b in group])
        cy = (gy + gh / 2) / fh
        band = 1.0 if (cy < 0.3 or cy > 0.7) else 0.4
        rows = len(_rows(group))
        content = 1.0 + 1.5 * bool(_NAME_THEN_NUMBER.search(text)) + 0.5 * bool(re.search(r"\d", text))
        letters = sum(c.isalpha() for c in text)
        if letters < 2:
            continue
        pers = _persistence(group, detections)
        score = band * content * (1.0 + 0.5 * min(rows, 3)) * (0.5 + pers)
        others = [b for b in boxes if b not in group]
        tight = tight_groups(group)
        if tight and gw > 1.5 * _union([b.box for b in tight[0]])[2]:
            # text beside the board joined its cluster (advertising, a logo): read the part that
            # says all the cluster says first, the whole cluster only if the part does not read.
            # Rows stacked on the board (a competition name, a goal line) are the board's own.
            part = tight[0]
            lay = layout_for(part, [b for b in boxes if b not in part], frame_size)
            out.append(BoardLayout(lay.box, lay.rows, score * 1.5, _persistence(part, detections)))
        lay = layout_for(group, others, frame_size)
        out.append(BoardLayout(lay.box, lay.rows, score, pers))
    out.sort(key=lambda c: -c.score)
    return out[:max_candidates]


__all__ = ["BoardLayout", "Box", "TextBox", "cluster_boxes", "iou", "layout_for", "locate_candidates", "plate_box",
           "tight_groups"]
