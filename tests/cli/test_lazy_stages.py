"""``clipdesk analyze --stages shots`` builds only the shots stage group (start-up cost, issue 16).

Building every stage imports scipy (audio), torch, YOLO, Whisper and the search models; a run of
the shots stage alone needs none of them. These tests check the import side (in a fresh
process) and that ``models.stages.STAGE_GROUPS`` agrees with the stages themselves.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from core.pipeline import order_stages
from models.stages import STAGE_GROUPS, STAGE_NAMES, _needed_groups, available_stages

REPO = Path(__file__).resolve().parents[2]

# Modules the other stages bring in; none of them may be imported by `analyze --stages shots`.
HEAVY = ("scipy.signal", "torch", "ultralytics", "faster_whisper", "open_clip", "core.audio.stage",
         "models.speech.stage", "models.persons.stage", "models.scoreboard.stage", "models.search.stage",
         "models.actions.stage", "core.highlights.stage")

_SCRIPT = """
import json, sys
from app.cli import main
rc = main(sys.argv[1:])
print("MODULES " + json.dumps(sorted(m for m in sys.modules)))
sys.exit(rc)
"""


def test_stage_groups_match_the_stages() -> None:
    every = available_stages({})
    by_name = {s.name: s for s in every}
    grouped = [n for names, _ in STAGE_GROUPS for n in names]
    assert grouped == [s.name for s in every], "STAGE_GROUPS lists the stages in pipeline order"
    assert set(STAGE_NAMES) <= set(grouped)
    for names, req in STAGE_GROUPS:
        own = {r for n in names for r in by_name[n].requires} - set(names)
        assert own == set(req), f"{names}: requires {sorted(own)}, STAGE_GROUPS says {sorted(req)}"
    # a subset built lazily orders exactly like the full list
    for wanted in (["shots"], ["actions"], ["events", "highlights"]):
        lazy = order_stages(available_stages({}, only=wanted), wanted)
        full = order_stages(every, wanted)
        assert [s.name for s in lazy] == [s.name for s in full], wanted


def test_needed_groups() -> None:
    assert _needed_groups(None) is None
    assert _needed_groups(["shots"]) == {"shots", "scenes"}
    assert _needed_groups(["actions"]) == {"actions", "persons", "shots", "scenes"}
    assert _needed_groups(["shots", "nonsense"]) is None  # unknown: build all, order_stages says which


def test_unknown_stage_still_names_every_known_one(make_video, tmp_path: Path) -> None:
    video = make_video("clip.mp4", frames=10)
    proc = subprocess.run([sys.executable, "-m", "app.cli", "analyze", str(video), "--stages", "shots,nope",
                           "--project", str(tmp_path / "p.clipdesk"), "--quiet"],
                          cwd=REPO, capture_output=True, text=True, env={**os.environ, "YOLO_OFFLINE": "1"})
    assert proc.returncode == 2
    assert "unknown stage(s): nope" in proc.stderr and "highlights" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_analyze_stages_shots_imports_no_other_stage(make_video, tmp_path: Path) -> None:
    video = make_video("clip.mp4", frames=40, size=(96, 54))
    proj = tmp_path / "p.clipdesk"
    env = {**os.environ, "YOLO_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", _SCRIPT, "analyze", str(video), "--stages", "shots",
                           "--project", str(proj), "--quiet"], cwd=REPO, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("MODULES "))
    loaded = set(json.loads(line[len("MODULES "):]))
    assert "core.shots.stage" in loaded and "models.shots.stage" in loaded
    heavy = sorted(m for m in HEAVY if m in loaded)
    assert not heavy, f"analyze --stages shots imported {heavy}"
    from core.store.project import Project

    with Project(proj, create=False) as p:
        vid = p.videos()[0].id
        assert p.segments(vid, "shot"), "the shots stage ran"

