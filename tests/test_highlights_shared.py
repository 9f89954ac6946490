"""Highlights on real footage: an edit cut from ../shared/media (hand-annotated single-shot
spans, real speech recordings, crowd roars and a lagging scoreboard event at known times) goes
through the real shots and audio stages and the highlight stage (bench.highlights, another seed
than the benchmark's held-out ones)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[1] / "bench" / "highlights.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("clipdesk_bench_highlights", BENCH)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_real_footage_events_inside_and_speech_never_cut(shared_media: Path, tmp_path: Path) -> None:
    r = _bench().run_one(shared_media, seed=7, seconds=60.0, tmp=tmp_path, clip_s=12.0)
    assert r["events"] == 6
    assert r["inside"] == r["events"], r["detail"]
    assert r["cut_speech"] == 0
    assert r["highlights"] >= 2 and r["without_known_event"] == 0
    # every boundary is a detected shot boundary, the video's edge or a speech pause
    assert r["on_detected_cut"] + r["bound_kinds"].get("pause", 0) + r["bound_kinds"].get("free", 0) \
        >= r["boundaries"] - r["bound_kinds"].get("edge", 0)
    assert r["bound_kinds"].get("free", 0) == 0
