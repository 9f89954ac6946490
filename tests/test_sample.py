"""The bundled sample (what `make demo` analyzes) against its ground truth by construction."""

import json
from pathlib import Path

from core.pipeline import analyze, order_stages
from core.shots.metrics import f1
from core.store import Project
from models.stages import available_stages

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "sample"


def test_sample_shots_match_truth(tmp_path):
    truth = json.loads((SAMPLE / "truth.json").read_text())
    with Project(tmp_path / "s.clipdesk") as p:
        report = analyze(p, SAMPLE / "clipdesk-sample.mp4", order_stages(available_stages(), ["shots"]))
        vid = report.video.id
        assert report.video.frame_count == truth["frame_count"]
        shots = p.segments(vid, "shot")
        trans = p.segments(vid, "transition")
    starts = [s.start_frame for s in shots[1:]]
    assert shots[0].start_frame == 0 and shots[-1].end_frame == truth["frame_count"]
    assert all(a.end_frame == b.start_frame for a, b in zip(shots, shots[1:]))  # shots tile
    assert f1(starts, truth["boundaries"], tolerance=2) == 1.0, starts
    dissolve = [t for t in trans if t.label == "dissolve"]
    assert len(dissolve) == 1 and abs((dissolve[0].start_frame + dissolve[0].end_frame) // 2 - 348) <= 2
    # the opening fade in from black and the closing fade out are not boundaries
    assert all(48 < s < 720 for s in starts)
