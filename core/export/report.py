"""Producer report: one self-contained HTML file per video for feedback to upstream production.

Sections (always all present; a section whose analysis did not run says which stage to run):
summary, shot-length distribution, speech coverage, action density over time, excitement
curve, highlights per period, dead time, and the highlight list with each one's "why". Plots are
inline SVG drawn with matplotlib's object API (no pyplot state, no display), so the file needs
nothing beside it. :func:`report_data` computes the numbers (testable without HTML);
:func:`render_report` draws them; :func:`write_report` writes the file atomically.

Runs on the caller's thread (CLI or an app worker); no Qt.
"""

from __future__ import annotations

import html
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from core.highlights.cues import Material, material_from_project
from core.highlights.reel import reel_order
from core.segments import HIGHLIGHT, REJECTED, Segment
from core.store.project import Project
from core.timebase import clock

SECTIONS = ("summary", "shots", "speech", "actions", "excitement", "periods", "dead-time", "highlights")
PERIOD_LABELS = ("first_half", "half_time", "second_half", "extra_time_first", "extra_time_second")
DEAD_MIN_S = 10.0  # shorter quiet stretches are normal pacing, not dead time
DEAD_EXCITEMENT = 0.3


@dataclass
class ReportData:
    name: str
    duration: float
    fps: float
    size: tuple[int, int]
    shot_lengths: list[float]
    speech_spans: list[tuple[float, float]]
    speech_share: float | None  # None: no speech analysis
    action_times: list[tuple[float, str]]
    event_times: list[tuple[float, str]]
    excitement: np.ndarray | None
    lane_hop: float
    highlights: list[Segment]
    highlight_spans: list[tuple[float, float]]
    periods: list[tuple[str, float, float, int]]  # label, start, end, highlights starting in it
    period_kind: str  # "match periods" or "N-minute blocks"
    dead: list[tuple[float, float]]
    stages: list[str] = field(default_factory=list)
    covers: dict[int, str] = field(default_factory=dict)  # highlight id -> base64 JPEG thumbnail


MAX_COVERS = 40


def cover_thumbnails(path: str, clk: Any, segs: Sequence[Segment], width: int = 160) -> dict[int, str]:
    """Base64 JPEG thumbnails of the highlights' cover frames (unreadable video: none)."""
    import base64

    import cv2

    from core.media.reader import FrameReader, MediaError

    out: dict[int, str] = {}
    todo = [(s.id, int(f)) for s in segs[:MAX_COVERS]
            if s.id is not None and isinstance(f := s.attrs.get("cover_frame"), (int, float))]
    if not todo:
        return out
    try:
        with FrameReader(path, clk, fmt="bgr24") as r:
            for sid, f in sorted(todo, key=lambda x: x[1]):
                img = r.read(f)
                h = max(2, int(round(img.shape[0] * width / max(1, img.shape[1]))))
                ok, buf = cv2.imencode(".jpg", cv2.resize(img, (width, h), interpolation=cv2.INTER_AREA),
                                       [cv2.IMWRITE_JPEG_QUALITY, 80])
                if ok:
                    out[sid] = base64.b64encode(buf.tobytes()).decode("ascii")
    except (MediaError, OSError) as e:
        import logging

        logging.getLogger(__name__).warning("report covers: %s", e)
    return out


def _spans(segs: Sequence[Segment], m: Material) -> list[tuple[float, float]]:
    t = m.clock.time
    return [(t(s.start_frame), t(s.end_frame)) for s in segs if s.end_frame > s.start_frame]


def _merge(spans: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def dead_time(duration: float, busy: Sequence[tuple[float, float]], excitement: np.ndarray | None,
              hop: float, min_s: float = DEAD_MIN_S, quiet: float = DEAD_EXCITEMENT) -> list[tuple[float, float]]:
    """Stretches of at least ``min_s`` seconds with nothing going on: no speech, event, action or
    highlight (``busy``) and, when the audio was analysed, excitement below ``quiet``."""
    step = 0.5
    n = int(np.ceil(duration / step))
    if n <= 0:
        return []
    free = np.ones(n, bool)
    for a, b in busy:
        free[int(a / step):int(np.ceil(b / step))] = False
    if excitement is not None and excitement.size:
        idx = np.minimum((np.arange(n) * step / hop).astype(int), excitement.size - 1)
        free &= excitement[idx] < quiet
    out: list[tuple[float, float]] = []
    i = 0
    while i < n:
        if not free[i]:
            i += 1
            continue
        j = i
        while j < n and free[j]:
            j += 1
        a, b = i * step, min(duration, j * step)
        if b - a >= min_s:
            out.append((a, b))
        i = j
    return out


def _periods(m: Material, hs: Sequence[Segment]) -> tuple[list[tuple[str, float, float, int]], str]:
    t = m.clock.time
    starts = [t(h.start_frame) for h in hs]
    match = [s for s in m.scenes if s.label in PERIOD_LABELS]
    if match:
        spans = [(str(s.label), t(s.start_frame), t(s.end_frame)) for s in sorted(match, key=lambda s: s.start_frame)]
        kind = "match periods"
    else:
        dur = m.clock.duration
        block = next((b for b in (1, 2, 5, 10, 15) if dur / (b * 60) <= 12), 15) * 60.0
        if dur < 120:
            block = max(10.0, float(np.ceil(dur / 6 / 10) * 10))
        spans = [(f"{clock(a, False)}\u2013{clock(min(a + block, dur), False)}", a, min(a + block, dur))
                 for a in np.arange(0.0, dur, block)]
        kind = f"{block / 60:g}-minute blocks" if block >= 60 else f"{block:g}-second blocks"
    return [(lab, a, b, sum(1 for s in starts if a <= s < b)) for lab, a, b in spans], kind


def report_data(project: Project, video_id: int, m: Material | None = None) -> ReportData:
    """The numbers behind every section of the report."""
    m = m or material_from_project(project, video_id)
    v = project.video(video_id)
    t = m.clock.time
    dur = m.clock.duration
    hs = reel_order([s for s in project.segments(video_id, HIGHLIGHT) if s.status != REJECTED])
    speech = _merge(_spans(m.speech, m))
    ran = sorted({r.stage for r in project.runs(video_id) if r.status == "done"})
    has_speech = bool(m.speech) or "speech" in ran
    exc = m.lanes.excitement if m.lanes is not None else None
    hop = m.lanes.lane_hop if m.lanes is not None else 0.1
    actions = [(t(s.start_frame), s.label or "action") for s in m.actions]
    events = [(t(s.start_frame), s.label or "event") for s in m.events]
    busy = speech + _spans(m.actions, m) + _spans(m.events, m) + _spans(hs, m)
    periods, kind = _periods(m, hs)
    return ReportData(
        name=v.name, duration=dur, fps=v.rate.fps, size=(v.width, v.height),
        shot_lengths=[t(s.end_frame) - t(s.start_frame) for s in m.shots if s.end_frame > s.start_frame],
        speech_spans=speech,
        speech_share=(sum(b - a for a, b in speech) / dur if dur > 0 else 0.0) if has_speech else None,
        action_times=actions, event_times=events, excitement=exc, lane_hop=hop,
        highlights=hs, highlight_spans=_spans(hs, m), periods=periods, period_kind=kind,
        dead=dead_time(dur, busy, exc, hop), stages=ran,
        # a missing video: no covers; a changed one is refused rather than showing its frames
        covers=cover_thumbnails(str(project.video_file(video_id, missing_ok=True)), m.clock, hs))


# -- plots ------------------------------------------------------------------------------------

def _svg(fig: Any) -> str:
    from matplotlib import rc_context

    buf = io.StringIO()
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "clipdesk"}):
        fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    return text[text.find("<svg"):]


def _figure(height: float = 2.4) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, height), dpi=96)
    ax = fig.add_subplot(1, 1, 1)
    ax.grid(True, alpha=0.3)
    return fig, ax


def _time_axis(ax: Any, duration: float) -> None:
    ax.set_xlim(0, max(duration, 1e-3))
    ax.set_xlabel("minutes" if duration >= 120 else "seconds")
    if duration >= 120:
        ax.xaxis.set_major_formatter(_formatter())


def _min_fmt(x: float, _pos: Any = None) -> str:
    return f"{x / 60:g}"


def _formatter() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(_min_fmt)



def plot_shots(d: ReportData) -> str:
    fig, ax = _figure()
    lens = np.array(d.shot_lengths)
    bins = np.unique(np.concatenate([[0.0], np.geomspace(0.2, max(0.3, float(lens.max()) * 1.01), 24)]))
    ax.hist(lens, bins=bins, color="#3b6ea5")
    ax.set_xscale("symlog", linthresh=1.0)
    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:g}"))
    ax.axvline(float(np.median(lens)), color="#c0392b", lw=1.5, label=f"median {np.median(lens):.1f} s")
    ax.set_xlabel("shot length (s)")
    ax.set_ylabel("shots")
    ax.legend(loc="upper right")
    return _svg(fig)


def _strip(d: ReportData, spans: Sequence[tuple[float, float]], color: str, label: str) -> str:
    fig, ax = _figure(1.1)
    ax.broken_barh([(a, b - a) for a, b in spans], (0, 1), color=color)
    ax.set_yticks([])
    ax.set_ylabel(label)
    _time_axis(ax, d.duration)
    return _svg(fig)


def plot_actions(d: ReportData) -> str:
    fig, ax = _figure()
    nb = int(max(4, min(60, d.duration // (60 if d.duration >= 600 else 5))))
    edges = np.linspace(0, d.duration, nb + 1)
    width = edges[1] - edges[0]
    per = 60.0 / width
    a = np.histogram([x for x, _ in d.action_times], edges)[0] * per
    e = np.histogram([x for x, _ in d.event_times], edges)[0] * per
    ax.bar(edges[:-1], a, width=width, align="edge", color="#27ae60", label="actions")
    ax.bar(edges[:-1], e, width=width, align="edge", bottom=a, color="#e67e22", label="events")
    for x, lab in d.event_times[:40]:  # beyond that the labels are unreadable anyway
        ax.annotate(lab.replace("_", " "), (x, 0), xytext=(0, 12), textcoords="offset points",
                    rotation=90, fontsize=7, color="#a04000")
    ax.set_ylabel("per minute")
    ax.legend(loc="upper right")
    _time_axis(ax, d.duration)
    return _svg(fig)


def plot_excitement(d: ReportData) -> str:
    fig, ax = _figure()
    assert d.excitement is not None
    y = d.excitement.astype(np.float32)
    step = max(1, int(np.ceil(y.size / 2000)))  # a 90-minute match: ~2,000 points, peaks kept
    if step > 1:
        y = np.pad(y, (0, (-y.size) % step), mode="edge").reshape(-1, step).max(axis=1)
    x = np.arange(y.size) * d.lane_hop * step
    for a, b in d.highlight_spans:
        ax.axvspan(a, b, color="#f1c40f", alpha=0.35, lw=0)
    ax.plot(x, y, color="#8e44ad", lw=1.0, label="excitement")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("excitement (0\u20131)")
    if d.highlight_spans:
        from matplotlib.patches import Patch

        ax.legend(handles=[ax.lines[0], Patch(color="#f1c40f", alpha=0.35, label="highlights")],
                  loc="upper right")
    _time_axis(ax, d.duration)
    return _svg(fig)


def plot_periods(d: ReportData) -> str:
    fig, ax = _figure()
    labels = [p[0].replace("_", " ") for p in d.periods]
    ax.bar(range(len(labels)), [p[3] for p in d.periods], color="#16a085")
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=30 if len(labels) > 5 else 0, ha="right" if len(labels) > 5 else "center",
                       fontsize=8)
    ax.set_ylabel("highlights")
    return _svg(fig)


# -- HTML ------------------------------------------------------------------------------------

_CSS = """body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:980px;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse}td,th{padding:.25em .7em;border-bottom:1px solid #eee;text-align:left;
vertical-align:top}.muted{color:#888}svg{max-width:100%;height:auto}ul.why{margin:0;padding-left:1.1em}"""


def _section(sid: str, title: str, body: str) -> str:
    return f'<section id="{sid}"><h2>{html.escape(title)}</h2>\n{body}\n</section>\n'


def _missing(stage: str) -> str:
    return f'<p class="muted">Not analysed: run the <code>{stage}</code> stage.</p>'


def _fmt_span(a: float, b: float) -> str:
    return f"{clock(a, False)}\u2013{clock(b, False)}"


def render_report(d: ReportData) -> str:
    """The whole report as one HTML document (see module docstring)."""
    dead_total = sum(b - a for a, b in d.dead)
    shots = np.array(d.shot_lengths)
    rows = [("duration", clock(d.duration, False)), ("frame size / rate", f"{d.size[0]}\u00d7{d.size[1]}, "
            f"{d.fps:.3f} fps"), ("shots", f"{len(shots)}" + (f", median {np.median(shots):.1f} s, "
            f"{len(shots) / max(d.duration / 60, 1e-6):.1f} cuts/min" if len(shots) else "")),
            ("speech", "not analysed" if d.speech_share is None else f"{100 * d.speech_share:.0f}% of the time"),
            ("actions / events", f"{len(d.action_times)} / {len(d.event_times)}"),
            ("highlights", f"{len(d.highlights)}, {sum(b - a for a, b in d.highlight_spans):.0f} s in all"),
            ("dead time", f"{dead_total:.0f} s ({100 * dead_total / max(d.duration, 1e-6):.0f}%) in "
             f"{len(d.dead)} stretch(es) of \u2265 {DEAD_MIN_S:g} s"),
            ("stages run", ", ".join(d.stages) or "none")]
    parts = [_section("summary", "Summary", "<table>" + "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows) + "</table>")]
    parts.append(_section("shots", "Shot-length distribution",
                          plot_shots(d) if len(shots) else _missing("shots")))
    if d.speech_share is None:
        speech = _missing("speech")
    else:
        speech = (f"<p>Speech covers {100 * d.speech_share:.0f}% of the video in {len(d.speech_spans)} "
                  f"stretch(es).</p>" + _strip(d, d.speech_spans, "#2980b9", "speech"))
    parts.append(_section("speech", "Speech coverage", speech))
    acts = (plot_actions(d) if d.action_times or d.event_times
            else '<p class="muted">No actions or events found (run the <code>actions</code> and '
                 '<code>scoreboard</code> stages).</p>')
    parts.append(_section("actions", "Action density over time", acts))
    parts.append(_section("excitement", "Excitement curve",
                          plot_excitement(d) if d.excitement is not None and d.excitement.size
                          else _missing("audio")))
    parts.append(_section("periods", f"Highlights per period ({d.period_kind})",
                          plot_periods(d) if d.periods else _missing("highlights")))
    dead = (f"<p>{dead_total:.0f} s without speech, action, event, highlight"
            f"{' or crowd/commentary excitement' if d.excitement is not None else ''}.</p>")
    if d.dead:
        dead += _strip(d, d.dead, "#7f8c8d", "dead") + "<table><tr><th>from\u2013to</th><th>length</th></tr>" + "".join(
            f"<tr><td>{_fmt_span(a, b)}</td><td>{b - a:.0f} s</td></tr>"
            for a, b in sorted(d.dead, key=lambda ab: ab[0] - ab[1])[:10]) + "</table>"
    parts.append(_section("dead-time", "Dead time", dead))
    if d.highlights:
        hl = ("<table><tr><th>#</th><th>cover</th><th>time</th><th>label</th><th>score</th><th>status</th>"
              "<th>why</th></tr>")
        for i, (s, (a, b)) in enumerate(zip(d.highlights, d.highlight_spans, strict=False), 1):
            why = "".join(f"<li>{html.escape(str(w))}</li>" for w in s.attrs.get("why", []))
            score = s.attrs.get("score", s.confidence)
            img = d.covers.get(s.id) if s.id is not None else None
            cover = f'<img alt="cover" src="data:image/jpeg;base64,{img}">' if img else ""
            hl += (f"<tr><td>{i}</td><td>{cover}</td><td>{_fmt_span(a, b)} ({b - a:.1f} s)</td>"
                   f"<td>{html.escape(s.label or '')}"
                   f"</td><td>{'' if score is None else f'{float(score):.2f}'}</td><td>{s.status}</td>"
                   f'<td><ul class="why">{why}</ul></td></tr>')
        hl += "</table>"
    else:
        hl = _missing("highlights")
    parts.append(_section("highlights", "Highlights", hl))
    title = f"ClipDesk report \u2014 {d.name}"
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
            f"</title><style>{_CSS}</style></head><body>\n<h1>{html.escape(title)}</h1>\n"
            + "".join(parts) + "</body></html>\n")


def write_report(project: Project, video_id: int, out: str | os.PathLike[str]) -> Path:
    """Render the report of one video and write it atomically to ``out``."""
    from core.export.data import write_text_atomic

    path = Path(out)
    if path.is_dir():
        path = path / f"{Path(project.video(video_id).path).stem}_report.html"
    return write_text_atomic(path, render_report(report_data(project, video_id)))


__all__ = ["SECTIONS", "ReportData", "dead_time", "render_report", "report_data", "write_report"]
