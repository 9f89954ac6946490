"""The command line: one clear line and a non-zero exit on bad input, project left intact."""

import hashlib
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def clipdesk(*args, cwd=REPO):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "app.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=300)


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.mark.parametrize("bad", ["missing.mp4", "dir", "empty.mp4", "garbage.mp4", "truncated.mp4"])
def test_analyze_bad_input_one_line_project_intact(bad, tmp_path, make_video):
    good = make_video("good.mp4", frames=20)
    proj = tmp_path / "p.clipdesk"
    from core.media.reader import probe
    from core.segments import Segment
    from core.store import Project

    with Project(proj) as p:  # an existing project with work in it
        v = p.add_video(probe(good))
        p.insert_segment(v.id, Segment("shot", 0, 20, label="wide", source="user:ed"))
    before = digest(proj)
    target = tmp_path / bad
    if bad == "dir":
        target.mkdir()
    elif bad == "empty.mp4":
        target.write_bytes(b"")
    elif bad == "garbage.mp4":
        target.write_bytes(random.Random(7).randbytes(20000))  # seeded: reproducible
    elif bad == "truncated.mp4":
        target.write_bytes(good.read_bytes()[:500])
    r = clipdesk("analyze", target, "--project", proj)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("clipdesk: "), r.stderr
    assert "Traceback" not in r.stderr
    assert digest(proj) == before


def test_analyze_default_project_beside_video(tmp_path, make_video):
    v = make_video("match.mp4", frames=15)
    r = clipdesk("analyze", v, "--stages", "shots", "--quiet")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "match.clipdesk").exists()


def test_unreadable_project_is_one_line(tmp_path, make_video):
    v = make_video("m.mp4", frames=10)
    bad = tmp_path / "bad.clipdesk"
    bad.write_bytes(b"not a database" * 200)
    r = clipdesk("analyze", v, "--project", bad)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1


def test_folder_input_expands_to_videos(tmp_path, make_video):
    make_video("a.mp4", frames=10)
    make_video("b.mp4", frames=12)
    proj = tmp_path / "batch.clipdesk"
    r = clipdesk("analyze", tmp_path, "--project", proj, "--stages", "shots", "--quiet")
    assert r.returncode == 0, r.stderr
    from core.store import Project

    with Project(proj) as p:
        assert sorted(v.frame_count for v in p.videos()) == [10, 12]
