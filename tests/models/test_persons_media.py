"""The persons stage on real pictures: no person on the sample's clouds, the small players of a
football tactical view with two teams, the far tennis player and one id for the near one."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from core.export.clip import ffmpeg_exe
from core.persons.field import FIELD_SIGNAL, shot_field_mask
from core.persons.poses import latest_signal_key, load_poses
from core.pipeline import analyze
from core.segments import PERSON
from core.store import Project
from models.persons.stage import PersonsStage

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample" / "clipdesk-sample.mp4"


def _cut(src: Path, start: float, seconds: float, out: Path) -> Path:
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-ss", f"{start}", "-i", str(src), "-t", f"{seconds}",
                    "-an", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", str(out)], check=True)
    return out


def _analyse(video: Path, tmp: Path) -> tuple[Project, int]:
    p = Project(tmp / f"{video.stem}.clipdesk")
    rep = analyze(p, video, [PersonsStage(threads=1)])
    assert rep.ran == ["persons"]
    return p, rep.video.id


def test_no_person_on_the_clouds_of_the_sample(tmp_path: Path) -> None:
    # Big Buck Bunny's sky, 2.5-4.5 s: the pose model called the clouds a person at 0.25 and 0.48
    clip = _cut(SAMPLE, 2.5, 2.0, tmp_path / "clouds.mp4")
    p, vid = _analyse(clip, tmp_path)
    with p:
        assert len(load_poses(p, vid)) == 0
        assert p.segments(vid, PERSON) == []


@pytest.mark.shared_media
def test_small_players_of_a_tactical_view(shared_media: Path, tmp_path: Path) -> None:
    clip = _cut(shared_media / "video" / "yolov4-deepsort__football1.mp4", 0, 4.0, tmp_path / "football.mp4")
    p, vid = _analyse(clip, tmp_path)
    with p:
        table = load_poses(p, vid)
        per_frame = [len(table.at(int(f))) for f in table.sampled_frames()]
        assert np.median(per_frame) >= 15, per_frame  # ~22 players; the pose model alone finds none
        # 2 pose samples a second, and the field blobs between them (`persons.between`)
        assert len(table.sampled_frames()) >= 8, table.sampled_frames()
        persons = p.segments(vid, PERSON)
        roles = [s.attrs.get("role") for s in persons]
        teams = [s.attrs.get("team") for s in persons if s.attrs.get("role") == "player"]
        assert roles.count("player") >= 12 and teams.count("A") >= 5 and teams.count("B") >= 5
        boxes = table.array[:, 3:7]
        assert float(np.median(boxes[:, 3] - boxes[:, 1])) < 40  # small players, not the stands
        assert float(boxes[:, 1].min()) > 10  # nobody in the crowd at the top edge
        key = latest_signal_key(p, vid, FIELD_SIGNAL)
        mask = shot_field_mask(p.get_signal(vid, FIELD_SIGNAL, key) if key else None, 10)
        assert mask is not None and 0.6 < float(mask.mean()) < 0.95  # the field, stored per shot


@pytest.mark.shared_media
def test_tennis_far_player_found_and_near_player_keeps_one_id(shared_media: Path, tmp_path: Path) -> None:
    clip = _cut(shared_media / "video" / "tennis-tracking__video_input1.mp4", 0, 2.0, tmp_path / "tennis.mp4")
    p, vid = _analyse(clip, tmp_path)
    with p:
        table = load_poses(p, vid)
        w, h = 1920, 1080
        far = [q for q in table.array if q[6] < 0.35 * h and 0.3 * w < (q[3] + q[5]) / 2 < 0.7 * w
               and q[6] - q[4] < 0.2 * h]
        assert far, "the far player (60 px tall, behind the far baseline) is found"
        assert {int(q[0]) for q in far} & {0, 1, 2}  # already on the first sample (missed before)
        near = [q for q in table.array if q[6] - q[4] > 0.2 * h and 0.35 * h < q[4] < 0.8 * h]
        assert len({int(q[0]) for q in near}) == len(table.sampled_frames())  # on every sample
        assert len({int(q[1]) for q in near}) == 1  # one id
        roles = {s.attrs["track"]: s.attrs.get("role") for s in p.segments(vid, PERSON)}
        assert roles[int(near[0][1])] == "player" and roles[int(far[0][1])] == "player"
