"""``clipdesk analyze --engine ray`` on a local Ray instance (loopback only, 2 CPUs, no dashboard).

Cheap stages (shots, scenes, audio lanes) on short generated edits. Every test compares with the
same clips analysed by ``--engine local``: the JSON export must be the same (ignoring the video's
path and segment ids, which depend on commit order). Ray reads its token from the environment
(a random one per module) and HOME points at a private folder: nothing depends on, or writes to,
the user's ~/.ray.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

REPO = Path(__file__).resolve().parents[2]
STAGES = "shots,scenes,audio"


def _edit(path: Path, seed: int, shots: tuple[int, ...]) -> Path:
    from core.testing.synth import ShotSpec, make_edit, tone

    frames = sum(shots)
    make_edit(path, [ShotSpec(n) for n in shots], seed=seed, size=(160, 96),
              audio=tone(220.0 + 110 * seed, frames / 25.0), transitions=["cut"] * (len(shots) - 1))
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    """Four short edits with cuts and a tone (different seeds and cut positions); clip2 is long
    enough (600 frames) for the kill test to see its worker mid-video on a quiet machine (100
    frames were analysed between two progress polls)."""
    d = tmp_path_factory.mktemp("clips")
    for i, shots in enumerate([(30, 25, 35), (40, 30), (120, 180, 120, 180), (35, 45)]):
        _edit(d / f"clip{i}.mp4", i, shots)
    return d


def _env_private(home: Path, token: str) -> dict[str, str]:
    env = {"HOME": str(home), "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": token,
           "RAY_USAGE_STATS_ENABLED": "0", "OMP_NUM_THREADS": "1"}
    for var, sub in (("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache"), ("XDG_CONFIG_HOME", "config")):
        (home / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(home / sub)
    return env


@pytest.fixture(scope="module")
def local_ray(tmp_path_factory):
    """One Ray instance for the in-process tests: 2 CPUs, loopback, no dashboard, private token."""
    home = tmp_path_factory.mktemp("rayhome")
    env = _env_private(home, secrets.token_hex(16))
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    from app.cli.engine.ray_engine import _reload_auth

    _reload_auth()
    tmp = tempfile.mkdtemp(prefix="cdrt-", dir="/tmp")
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", _temp_dir=tmp,
             log_to_driver=False, object_store_memory=200 * 2**20)
    try:
        yield
    finally:
        ray.shutdown()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(tmp, ignore_errors=True)


def clipdesk_main(*args) -> int:
    from app.cli import main

    return main([str(a) for a in args])


def exports(project: Path, names: list[str]) -> dict[str, dict]:
    """The JSON export of each video, without what depends on where and in which order."""
    from core.export.data import load
    from core.store import Project

    out = {}
    with Project(project, create=False) as p:
        for v in p.videos():
            if v.name not in names:
                continue
            data = load(p, v.id)
            segs = [{k: getattr(s, k) for k in ("track", "start_frame", "end_frame", "label", "confidence",
                                                 "attrs", "source", "status")} for s in data.all_segments()]
            out[v.name] = {"frames": v.frame_count, "segments": sorted(segs, key=json.dumps)}
    return out


@pytest.fixture(scope="module")
def reference(clips, tmp_path_factory) -> dict[str, dict]:
    """The same clips through ``--engine local``."""
    d = tmp_path_factory.mktemp("local")
    proj = d / "local.clipdesk"
    assert clipdesk_main("analyze", clips, "--project", proj, "--stages", STAGES, "--quiet") == 0
    ref = exports(proj, [f"clip{i}.mp4" for i in range(4)])
    assert all(any(s["track"] == "shot" for s in v["segments"]) for v in ref.values())
    return ref


def same(got: dict[str, dict], want: dict[str, dict]) -> None:
    """Equal exports, or the first difference spelled out."""
    assert sorted(got) == sorted(want)
    for name in want:
        assert got[name]["frames"] == want[name]["frames"], name
        extra = [s for s in got[name]["segments"] if s not in want[name]["segments"]]
        missing = [s for s in want[name]["segments"] if s not in got[name]["segments"]]
        assert (extra, missing) == ([], []), f"{name}: extra {extra[:3]}, missing {missing[:3]}"
        assert got[name] == want[name], name


def no_duplicates(project: Path) -> None:
    from core.store import Project

    with Project(project, create=False) as p:
        rows = p.query("SELECT video_id, track, start_frame, end_frame, source, COUNT(*) AS n FROM segments"
                       " WHERE deleted=0 GROUP BY video_id, track, start_frame, end_frame, source HAVING n > 1")
        assert rows == []
        assert p.query("SELECT id FROM runs WHERE status='running'") == []


def test_three_clips_same_export_as_local(local_ray, clips, reference, tmp_path, capsys):
    videos = [clips / f"clip{i}.mp4" for i in range(3)]
    proj = tmp_path / "ray.clipdesk"
    assert clipdesk_main("analyze", *videos, "--project", proj, "--stages", STAGES, "--engine", "ray",
                         "--workers", "2") == 0
    out = capsys.readouterr().out
    assert len(re.findall(r"ran shots, scenes, audio", out)) == 3, out
    names = [v.name for v in videos]
    same(exports(proj, names), {n: reference[n] for n in names})
    no_duplicates(proj)
    # Run again: everything is up to date, nothing is written twice.
    assert clipdesk_main("analyze", *videos, "--project", proj, "--stages", STAGES, "--engine", "ray",
                         "--workers", "2") == 0
    assert capsys.readouterr().out.count("all stages up to date") == 3
    same(exports(proj, names), {n: reference[n] for n in names})
    no_duplicates(proj)


def test_bad_video_gets_one_line_and_the_others_go_on(local_ray, clips, tmp_path, capsys):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00" * 4000)
    good = clips / "clip1.mp4"
    proj = tmp_path / "p.clipdesk"
    assert clipdesk_main("analyze", bad, good, "--project", proj, "--stages", "shots", "--engine", "ray",
                         "--workers", "2") == 2
    cap = capsys.readouterr()
    errs = [ln for ln in cap.err.splitlines() if str(bad) in ln]
    assert len(errs) == 1 and errs[0].startswith("clipdesk: ") and "Traceback" not in cap.err
    assert "clip1.mp4: 70 frames; ran shots" in cap.out


def test_worker_killed_mid_video_is_retried(local_ray, clips, reference, tmp_path, capsys):
    from app.cli.engine.driver import Driver, Job
    from app.cli.engine.ray_engine import run_archive

    target = clips / "clip2.mp4"
    killed: list[tuple[str, str, int]] = []

    def observer(worker: str, state: dict) -> None:
        if not killed and state.get("video") == str(target) and state.get("stage") not in (None, "preparing"):
            killed.append((worker, state["stage"], state["pid"]))
            os.kill(state["pid"], signal.SIGKILL)

    proj = tmp_path / "k.clipdesk"
    jobs = [Job(i, clips / f"clip{i}.mp4", proj) for i in (2, 3)]
    driver = Driver(STAGES.split(","))
    try:
        status = run_archive(jobs, driver, None, 2, "cpu", quiet=False, observer=observer)
    finally:
        driver.close()
    cap = capsys.readouterr()
    assert status == 0, cap.err
    assert killed, "the worker was never seen mid-video"
    assert "clip2.mp4: worker" in cap.err and "retrying on another worker" in cap.err
    names = ["clip2.mp4", "clip3.mp4"]
    same(exports(proj, names), {n: reference[n] for n in names})
    no_duplicates(proj)
    from core.store import Project

    with Project(proj, create=False) as p:  # the retry reused the claimed runs: one done run per stage
        runs = p.query("SELECT v.path, r.stage, r.status FROM runs r JOIN videos v ON v.id=r.video_id")
    assert sorted((Path(r["path"]).name, r["stage"]) for r in runs) == sorted(
        (n, s) for n in names for s in STAGES.split(","))
    assert {r["status"] for r in runs} == {"done"}


def _children(pid: int) -> list[int]:
    import psutil

    try:
        return [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


def _session(sid: int) -> list[int]:
    """Processes of session ``sid`` (a node this test started with start_new_session)."""
    import psutil

    out = []
    for p in psutil.process_iter():
        try:
            if os.getsid(p.pid) == sid:
                out.append(p.pid)
        except (OSError, psutil.Error):
            continue
    return out


def _end(pids: list[int]) -> None:
    """End the processes a test started (by id), if still there."""
    import psutil

    for pid in pids:
        try:
            psutil.Process(pid).kill()
        except psutil.Error:
            pass


def test_driver_killed_and_rerun_finishes_without_duplicates(local_ray, clips, reference, tmp_path, capsys):
    """The driver runs in its own process on this module's Ray instance (``--address``); killed
    by SIGKILL after its first commit, its workers die with it (Ray ends an owner's actors)."""
    proj = tmp_path / "d.clipdesk"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")  # the module's private HOME and token
    env.pop("RAY_ADDRESS", None)
    cmd = [sys.executable, "-m", "app.cli", "analyze", str(clips), "--project", str(proj), "--stages", STAGES,
           "--engine", "ray", "--workers", "2", "--address", ray.get_runtime_context().gcs_address]
    driver = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True, start_new_session=True)
    started: list[int] = []
    guard = threading.Timer(240.0, driver.kill)  # never wait forever on a line
    guard.start()
    try:
        assert driver.stdout is not None
        first = driver.stdout.readline()  # the first video committed; the others are in flight
        assert "ran shots, scenes, audio" in first, first
        started = _children(driver.pid)
        driver.send_signal(signal.SIGKILL)
        driver.wait(30)
    finally:
        guard.cancel()
        if driver.poll() is None:
            driver.kill()
            driver.wait(30)
        time.sleep(1.0)
        _end(started)  # the private Ray instance normally ends with its driver
    from core.store import Project

    with Project(proj, create=False) as p:
        before = {r["status"] for r in p.query("SELECT status FROM runs")}
    assert "done" in before
    assert clipdesk_main("analyze", clips, "--project", proj, "--stages", STAGES, "--engine", "ray",
                         "--workers", "2") == 0
    out = capsys.readouterr().out
    assert first.split(":")[0] + ": nothing to do (all stages up to date)" in out, out
    names = [f"clip{i}.mp4" for i in range(4)]
    same(exports(proj, names), reference)
    no_duplicates(proj)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_two_nodes_both_get_work(clips, tmp_path):
    """A head and a second node started with ``ray start`` on loopback ports, one CPU each: the
    workers (one CPU each, spread) land on both nodes and each analyses videos."""
    ray_bin = Path(sys.executable).with_name("ray")
    home = Path(tempfile.mkdtemp(prefix="cdmn-", dir="/tmp"))  # short: Ray's socket paths
    env = dict(os.environ, **_env_private(home, secrets.token_hex(16)), QT_QPA_PLATFORM="offscreen")
    env.pop("RAY_ADDRESS", None)
    port = _free_port()
    two = [str(clips / "clip0.mp4"), str(clips / "clip3.mp4")]
    common = ["--node-ip-address", "127.0.0.1", "--num-cpus", "1", "--block", "--disable-usage-stats"]
    nodes: list[subprocess.Popen] = []
    logs = [home / "head.log", home / "node.log"]

    def start(args: list[str], log: Path) -> None:
        for attempt in range(2):  # Ray gives a raylet 30 s to register: a busy machine may need a retry
            with open(log, "w") as out:
                nodes.append(subprocess.Popen([str(ray_bin), "start", *args, *common], env=env, stdout=out,
                                              stderr=subprocess.STDOUT, start_new_session=True))
            deadline = time.monotonic() + 150.0
            while "Ray runtime started" not in log.read_text():  # joined (or, for the head, up)
                if nodes[-1].poll() is not None and "timed out during startup" in log.read_text() \
                        and attempt == 0:
                    break
                assert nodes[-1].poll() is None and time.monotonic() < deadline, log.read_text()[-1500:]
                time.sleep(0.5)
            else:
                return

    try:
        start(["--head", "--port", str(port), "--include-dashboard", "false", "--temp-dir", str(home / "t")],
              logs[0])
        start(["--address", f"127.0.0.1:{port}"], logs[1])
        r = subprocess.run([sys.executable, "-m", "app.cli", "analyze", *two, "--project", str(tmp_path / "m.clipdesk"),
                            "--stages", "shots", "--engine", "ray", "--address", f"127.0.0.1:{port}", "--workers",
                            "2"], cwd=REPO, env=env, capture_output=True, text=True, timeout=240)
        assert r is not None and r.returncode == 0, r.stderr[-2000:] if r else ""
        nodes_used = set(re.findall(r"node ([0-9a-f]{8})", r.stdout))
        assert len(re.findall(r"ran shots", r.stdout)) == 2, r.stdout
        assert len(nodes_used) == 2, r.stdout
    finally:
        for n in reversed(nodes):
            if n.poll() is None:
                n.send_signal(signal.SIGTERM)  # `ray start --block` stops its node's processes
            try:
                n.wait(30)
            except subprocess.TimeoutExpired:
                n.kill()
        time.sleep(0.5)
        _end([pid for n in nodes for pid in _session(n.pid)])  # anything a failed start left behind
        shutil.rmtree(home, ignore_errors=True)


def test_engine_arguments_are_checked(tmp_path, clips, capsys):
    video = clips / "clip0.mp4"
    assert clipdesk_main("analyze", video, "--engine", "ray", "--workers", "0") == 2
    assert clipdesk_main("analyze", video, "--address", "auto", "--project", tmp_path / "p.clipdesk") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(e.startswith("clipdesk: ") for e in err), err
    assert "1..4096" in err[0] and "need --engine ray" in err[1]
    assert not (tmp_path / "p.clipdesk").exists()


def test_a_worker_that_cannot_read_a_video_is_one_line_naming_both(local_ray, tmp_path):
    """The start-up check: every worker opens every video (here the path exists for nobody, as it
    would not on a node without the shared mount)."""
    from app.cli.engine.ray_engine import RayPool
    from core.errors import ClipDeskError

    pool = RayPool(None, 1, "cpu", ["shots"])
    pool.connect()  # this module's instance
    try:
        pool.start()
        missing = str(tmp_path / "not-mounted" / "match.mp4")
        with pytest.raises(ClipDeskError) as e:
            pool.check_paths([missing])
        line = str(e.value)
        assert "\n" not in line and re.match(r"worker w1 on \S+ \(node [0-9a-f]{8}\) cannot read ", line), line
        assert missing in line and "No such file or directory" in line and "same path" in line
    finally:
        pool.shutdown()
    assert ray.is_initialized()  # a pool that joined an instance leaves it running


def test_a_long_video_split_in_ranges_equals_the_single_pass(local_ray, tmp_path, capsys):
    """``--split-minutes``: a 30 s video (a board whose score changes twice, then cut shots) is split
    in two ranges for its shots on the two workers; the merge equals the local single pass: the
    same shots and transitions, the same score changes."""
    from core.export.clip import ffmpeg_exe
    from core.shots.metrics import f1
    from core.store import Project
    from core.testing.scoreboard import BoardPhase, make_board_clip
    from core.testing.synth import ShotSpec, make_edit

    make_board_clip(tmp_path / "b.mp4", [BoardPhase(0, 0, 0), BoardPhase(4, 1, 0), BoardPhase(9, 1, 1)], 12.0,
                    fps=10)
    make_edit(tmp_path / "a.mp4", [ShotSpec(n, look=i) for i, n in enumerate((30, 25, 40, 20, 35, 30))],
              size=(640, 360), fps=10, gop=10, seed=4)
    video = tmp_path / "long.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(tmp_path / "b.mp4"), "-i", str(tmp_path / "a.mp4"),
                    "-filter_complex", "[0:v][1:v]concat=n=2:v=1[v]", "-map", "[v]", "-c:v", "libx264",
                    "-preset", "ultrafast", "-g", "10", str(video)], check=True)
    stages = "shots,scoreboard"
    one, split = tmp_path / "one.clipdesk", tmp_path / "split.clipdesk"
    assert clipdesk_main("analyze", video, "--project", one, "--stages", stages, "--quiet") == 0
    assert clipdesk_main("analyze", video, "--project", split, "--stages", stages, "--engine", "ray",
                         "--workers", "2", "--split-minutes", "0.2") == 0
    out = capsys.readouterr().out
    assert "long.mp4: shots in 2 ranges on the workers" in out, out

    def results(path: Path) -> dict:
        with Project(path, create=False) as p:
            vid = p.videos()[0].id
            return {t: [(s.start_frame, s.end_frame, s.label) for s in p.segments(vid, t)]
                    for t in ("shot", "transition", "event")}

    a, b = results(one), results(split)
    assert len(a["shot"]) >= 6 and len(a["event"]) == 2
    assert f1([s[0] for s in b["shot"]], [s[0] for s in a["shot"]], tolerance=0) >= 0.99
    assert b == a
    no_duplicates(split)
