"""The hand-labelled persons file (tests/data/persons_gt.json) that bench/persons.py scores against."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GT = ROOT / "tests" / "data" / "persons_gt.json"
MEDIA = ROOT.parent / "shared" / "media" / "video"
ROLES = {"player", "official", "other"}
PERSON_KEYS = {"box", "role", "ignore", "id"}


@pytest.fixture(scope="module")
def gt() -> dict:
    return json.loads(GT.read_text())


def _frames(gt: dict):
    for name, clip in gt["clips"].items():
        for f, rec in clip["frames"].items():
            yield name, clip, int(f), rec


def test_schema_and_boxes_inside_the_frame(gt: dict) -> None:
    assert gt["about"] and "by eye" in gt["about"] or "looking" in gt["about"]
    assert gt["iou"] == 0.5
    for name, clip, f, rec in _frames(gt):
        assert set(clip) >= {"kind", "split", "width", "height", "fps", "frame_count", "frames"}, name
        assert 0 <= f < clip["frame_count"], (name, f)
        assert set(rec) <= {"persons", "ball", "split"}, (name, f, set(rec))
        for p in rec["persons"]:
            assert set(p) <= PERSON_KEYS and "box" in p and p["role"] in ROLES, (name, f, p)
            x1, y1, x2, y2 = p["box"]
            assert 0 <= x1 < x2 <= clip["width"] and 0 <= y1 < y2 <= clip["height"], (name, f, p)
            assert isinstance(p.get("ignore", False), bool)
        if rec.get("ball") is not None:
            x, y = rec["ball"]
            assert 0 <= x <= clip["width"] and 0 <= y <= clip["height"], (name, f)


def test_enough_frames_and_every_kind_of_footage(gt: dict) -> None:
    frames = list(_frames(gt))
    assert len(frames) >= 300
    kinds = {clip["kind"] for clip in gt["clips"].values()}
    assert {"tennis", "football-tactical", "football-broadcast", "basketball", "film", "street", "cartoon",
            "no-person", "close-up"} <= kinds
    empty = [1 for _, _, _, rec in frames if not [p for p in rec["persons"] if not p.get("ignore")]]
    assert len(empty) >= 40  # frames with no person at all
    players = sum(1 for _, _, _, rec in frames for p in rec["persons"] if p["role"] == "player" and not p.get("ignore"))
    assert players >= 400


def test_split_by_source_clip_with_the_tactical_view_split_by_time(gt: dict) -> None:
    by_split: dict[str, set[str]] = {"tuning": set(), "heldout": set()}
    for name, clip in gt["clips"].items():
        if clip["split"] in by_split:
            by_split[clip["split"]].add(name)
            assert all("split" not in rec for rec in clip["frames"].values()), name
            continue
        # the declared exception: one clip split by time, tuning strictly before held-out
        assert clip["split"] == "by_time" and name in gt["split_rule"], name
        cut = gt["split_rule"][name]["tuning_before_frame"]
        for f, rec in clip["frames"].items():
            assert rec["split"] == ("tuning" if int(f) < cut else "heldout"), (name, f)
        assert {rec["split"] for rec in clip["frames"].values()} == {"tuning", "heldout"}
    assert not by_split["tuning"] & by_split["heldout"]
    assert len(by_split["tuning"]) >= 5 and len(by_split["heldout"]) >= 5
    # the two tennis matches and the basketball clips are not all on one side
    for stem in ("tennis-tracking__", "ai-basketball-analysis__"):
        sides = {clip["split"] for n, clip in gt["clips"].items() if n.startswith(stem)}
        assert sides == {"tuning", "heldout"}, stem


def test_identities_only_on_players_and_once_per_frame(gt: dict) -> None:
    for name, _, f, rec in _frames(gt):
        ids = [p["id"] for p in rec["persons"] if "id" in p]
        assert len(ids) == len(set(ids)), (name, f)
        assert all(p["role"] == "player" and not p.get("ignore") for p in rec["persons"] if "id" in p)


def test_sizes_match_the_shared_media(gt: dict) -> None:
    if not MEDIA.is_dir():
        pytest.skip("shared media not found at ../shared/media (labels checked without it)")
    from core.media.reader import probe

    for name, clip in gt["clips"].items():
        info = probe(MEDIA / name)
        assert tuple(info.display_size) == (clip["width"], clip["height"]), name
        assert abs(info.frame_count - clip["frame_count"]) <= 1, name


def test_ball_labels(gt: dict) -> None:
    balls = json.loads((ROOT / "tests" / "data" / "ball_gt.json").read_text())
    assert 0 < balls["radius"] < 0.05
    for name, clip in balls["clips"].items():
        assert name in gt["clips"] and clip["width"] == gt["clips"][name]["width"], name
        assert clip["split"] == gt["clips"][name]["split"], name
        h = gt["clips"][name]["height"]
        assert len(clip["frames"]) >= 5, name
        for f, c in clip["frames"].items():
            assert int(f) % clip["step"] == 0 and int(f) < gt["clips"][name]["frame_count"], (name, f)
            assert c is None or (0 <= c[0] <= clip["width"] and 0 <= c[1] <= h), (name, f)
