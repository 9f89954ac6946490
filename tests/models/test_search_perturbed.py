"""Image search on another copy of the footage (issue 16): the middle frame of each shot, taken
from a clean copy, cropped 5 % at each side, brighter, more contrasted, scaled and saved as JPEG
q60, finds its own shot in a project whose copy carries a burned-in scoreboard."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from core.pipeline import analyze
from core.store import Project
from core.testing.edits_overlay import SCALES, board_plan, burn_board, perturb_query
from core.testing.synth import ShotSpec, make_edit
from models.search.index import ProjectSearch
from models.search.stage import SearchStage


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "userdata"
    monkeypatch.setenv("CLIPDESK_DATA_DIR", str(d))
    return d


def test_perturbed_query_from_a_clean_copy_finds_its_shot(tmp_path: Path):
    size = (480, 270)
    clean = tmp_path / "clean.mp4"
    # two pairs of shots share a look (the same scene, a different moment): the hit must be the shot
    specs = [ShotSpec(40), ShotSpec(40, look=7), ShotSpec(40), ShotSpec(40, look=7), ShotSpec(40),
             ShotSpec(40, look=9), ShotSpec(40, look=9)]
    truth = make_edit(clean, specs, size=size, seed=5)
    broadcast = tmp_path / "broadcast.mp4"
    burn_board(clean, broadcast, board_plan(size, "FRA", "USA", scores=((0, 1, 0), (120, 2, 0)), text_h=13))
    with Project(tmp_path / "p.clipdesk") as p:
        analyze(p, broadcast, [SearchStage()])
        ps = ProjectSearch(p)
        right = []
        with av.open(str(clean)) as c:
            frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
        for k, (a, b) in enumerate(truth.shots):
            q = perturb_query(frames[(a + b) // 2], SCALES[k % len(SCALES)])
            img = cv2.cvtColor(cv2.imdecode(np.frombuffer(q, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
            hits = ps.search(img, top=1)
            right.append(bool(hits) and a <= hits[0].frame < b)
    assert all(right), right


def test_perturbation_is_what_the_issue_names():
    img = np.full((200, 400, 3), 100, np.uint8)
    q = cv2.imdecode(np.frombuffer(perturb_query(img, 0.5), np.uint8), cv2.IMREAD_COLOR)
    assert q.shape[:2] == (90, 180)  # 5 % off each side, then half size
    assert abs(float(q.mean()) - ((100 - 128) * 1.1 + 136)) < 2  # contrast x1.1, brightness +8
