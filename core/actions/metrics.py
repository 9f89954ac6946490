"""Evaluation of action recognition: window-level confusion matrix and per-class precision /
recall, segment-level matching at a temporal IoU, and a confusion-matrix plot (PNG).

Pure functions (matplotlib is imported lazily, Agg backend, only to draw); any thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from core.actions.localize import tiou


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n: int) -> np.ndarray:
    """``cm[t, p]`` = examples of true class t predicted as p."""
    cm = np.zeros((n, n), np.int64)
    np.add.at(cm, (np.asarray(y_true, int), np.asarray(y_pred, int)), 1)
    return cm


def per_class(cm: np.ndarray, classes: Sequence[str]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for i, c in enumerate(classes):
        tp = float(cm[i, i])
        pp = float(cm[:, i].sum())
        sup = float(cm[i].sum())
        p = tp / pp if pp else 0.0
        r = tp / sup if sup else 0.0
        out[c] = {"precision": round(p, 4), "recall": round(r, 4),
                  "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0, "support": int(sup)}
    return out


def classification_report(y_true: np.ndarray, y_pred: np.ndarray, classes: Sequence[str]) -> dict[str, Any]:
    cm = confusion(y_true, y_pred, len(classes))
    pc = per_class(cm, classes)
    present = [c for c in classes if pc[c]["support"] > 0]
    return {
        "accuracy": round(float(np.trace(cm) / max(1, cm.sum())), 4),
        "macro_f1": round(float(np.mean([pc[c]["f1"] for c in present])) if present else 0.0, 4),
        "per_class": pc,
        "confusion": cm.tolist(),
        "classes": list(classes),
        "examples": int(cm.sum()),
    }


def match_segments(pred: Sequence[tuple[Any, int, int, str]], truth: Sequence[tuple[Any, int, int, str]],
                   iou: float = 0.5) -> dict[str, Any]:
    """Greedy one-to-one matching of predicted and true spans ``(person, start, end, label)``:
    a hit needs the same person (``None`` matches anyone), the same label and tIoU >= ``iou``.
    Returns per-class and overall precision / recall / F1 and the mean boundary offset."""
    labels = sorted({t[3] for t in truth} | {p[3] for p in pred})
    used = [False] * len(truth)
    tp: dict[str, int] = dict.fromkeys(labels, 0)
    offsets: list[float] = []
    for p in sorted(pred, key=lambda p: p[1]):
        best, bi = 0.0, -1
        for i, t in enumerate(truth):
            if used[i] or t[3] != p[3] or (p[0] is not None and t[0] is not None and p[0] != t[0]):
                continue
            v = tiou((p[1], p[2]), (t[1], t[2]))
            if v > best:
                best, bi = v, i
        if bi >= 0 and best >= iou:
            used[bi] = True
            tp[p[3]] += 1
            offsets.append((abs(p[1] - truth[bi][1]) + abs(p[2] - truth[bi][2])) / 2)
    out: dict[str, Any] = {"iou": iou, "per_class": {}}
    for lab in labels:
        n_p = sum(1 for p in pred if p[3] == lab)
        n_t = sum(1 for t in truth if t[3] == lab)
        pr = tp[lab] / n_p if n_p else 0.0
        rc = tp[lab] / n_t if n_t else 0.0
        out["per_class"][lab] = {"precision": round(pr, 4), "recall": round(rc, 4),
                                 "f1": round(2 * pr * rc / (pr + rc), 4) if pr + rc else 0.0,
                                 "support": n_t}
    n_tp = sum(tp.values())
    pr = n_tp / len(pred) if pred else 0.0
    rc = n_tp / len(truth) if truth else 0.0
    out.update(precision=round(pr, 4), recall=round(rc, 4),
               f1=round(2 * pr * rc / (pr + rc), 4) if pr + rc else 0.0,
               mean_boundary_offset_frames=round(float(np.mean(offsets)), 2) if offsets else None,
               predicted=len(pred), truth=len(truth))
    return out


def plot_confusion(cm: np.ndarray | list[list[int]], classes: Sequence[str], path: str | Path,
                   title: str = "Validation confusion matrix") -> Path:
    """Write a row-normalised confusion matrix (counts printed in the cells) as a PNG."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    m = np.asarray(cm, np.float64)
    norm = m / np.maximum(1, m.sum(axis=1, keepdims=True))
    n = len(classes)
    fig = Figure(figsize=(2.6 + 0.8 * n, 2.2 + 0.7 * n), dpi=100)
    ax = fig.add_subplot(111)
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), list(classes), rotation=45, ha="right")
    ax.set_yticks(range(n), list(classes))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    for i in range(n):
        for j in range(n):
            ax.text(j, i, str(int(m[i, j])), ha="center", va="center",
                    color="white" if norm[i, j] > 0.5 else "black", fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    return path
