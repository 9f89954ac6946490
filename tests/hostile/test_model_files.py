"""Hostile model files: a crafted ``.pt`` named by a project never runs its code.

The crafted files' unpickling would create a marker file (``pathlib.Path.touch``); each way the
issue found to reach the loader (absolute ``analysis.persons.weights``, a relative ``ball_weights``
next to the video in the working directory, ``clipdesk analyze``, the persons stage, the search
embedder, the window's analysis on opening a video) must leave no marker and say why in one line.
The bundled weights still load and detect as a direct ultralytics load does; a user's own copy
loads once trusted (or in the models folder) and is refused again when its bytes change.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.errors import ClipDeskError

REPO = Path(__file__).resolve().parents[2]


class _Touch:
    """Unpickling this calls ``Path(marker).touch()``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (Path(self.marker),))


def craft(path: Path, marker: Path, form: str = "zip") -> Path:
    """A ``.pt`` whose unpickling creates ``marker``: a ``torch.save`` archive (the checkpoint
    layout ultralytics expects) or a bare pickle."""
    if form == "zip":
        import torch

        torch.save({"model": _Touch(marker), "train_args": {}}, path)
    else:
        path.write_bytes(pickle.dumps({"model": _Touch(marker)}))
    return path


@pytest.fixture
def evil(tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "PWNED"
    return craft(tmp_path / "evil.pt", marker), marker


@pytest.fixture
def models_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "user-models"
    root.mkdir()
    monkeypatch.setenv("CLIPDESK_MODELS_DIR", str(root))
    monkeypatch.setenv("CLIPDESK_CONFIG_DIR", str(tmp_path / "cfg"))
    return root


@pytest.fixture(scope="module")
def bus() -> np.ndarray:
    import cv2
    from ultralytics.utils import ASSETS

    return cv2.cvtColor(cv2.imread(str(ASSETS / "bus.jpg")), cv2.COLOR_BGR2RGB)


@pytest.fixture(scope="module")
def user_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled checkpoint re-saved by the user: same network, different file."""
    import torch

    from models.persons.pose import default_pose_weights
    from models.safe_load import load_checkpoint

    ckpt = load_checkpoint(default_pose_weights())
    ckpt["date"] = "re-saved by a user"
    path = tmp_path_factory.mktemp("mine") / "mine-pose.pt"
    torch.save(ckpt, path)
    return path


def _project_with(tmp_path: Path, video: Path, analysis: dict) -> Path:
    from core.media.reader import probe
    from core.segments import Segment
    from core.store import Project
    from core.store.project import project_path_for

    proj = project_path_for(video)
    with Project(proj) as p:
        v = p.add_video(probe(video))
        p.insert_segment(v.id, Segment("shot", 0, 10, label="kept", source="user:ed"))
        p.set_setting("analysis", analysis)
    return proj


def _one_line(msg: str) -> str:
    assert "\n" not in msg.strip() and "Traceback" not in msg, msg
    return msg.strip()


@pytest.mark.parametrize("form", ["zip", "pickle"])
def test_the_crafted_file_does_run_code_when_fully_unpickled(tmp_path: Path, form: str) -> None:
    """The probe is live: full unpickling (what ultralytics did) creates the marker."""
    import torch

    marker = tmp_path / "control"
    f = craft(tmp_path / "c.pt", marker, form)
    if form == "zip":
        torch.load(f, weights_only=False)
    else:
        pickle.loads(f.read_bytes())
    assert marker.exists()


@pytest.mark.parametrize("form", ["zip", "pickle"])
def test_safe_loader_refuses_code_by_name(tmp_path: Path, form: str) -> None:
    from models.safe_load import UnsafeModelFile, load_checkpoint, load_module, load_yolo, scan

    marker = tmp_path / "PWNED"
    f = craft(tmp_path / "evil.pt", marker, form)
    for load in (load_checkpoint, load_module, lambda p: load_yolo(p, "pose")):
        with pytest.raises(UnsafeModelFile) as e:
            load(f)
        msg = _one_line(str(e.value))
        assert "is not a plain weights file: refusing to load code it names (pathlib." in msg
    if form == "zip":  # the opcode scan alone names it, before anything is unpickled
        with pytest.raises(UnsafeModelFile):
            scan(f)
    assert not marker.exists()


def test_analyze_refuses_absolute_weights_in_a_subprocess(tmp_path: Path, make_video, evil) -> None:
    f, marker = evil
    video = make_video("match.mp4", frames=10)
    proj = _project_with(tmp_path, video, {"persons": {"weights": str(f)}})
    before = hashlib.sha256(proj.read_bytes()).hexdigest()
    r = subprocess.run([sys.executable, "-m", "app.cli", "analyze", str(video), "--stages", "persons", "--quiet"],
                       capture_output=True, text=True, cwd=REPO, timeout=300,
                       env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert r.returncode == 2, r.stderr
    line = _one_line(r.stderr)
    assert line.startswith("clipdesk: analysis.persons.weights names ") and "not a trusted model file" in line
    assert "clipdesk models trust" in line
    assert not marker.exists()
    assert hashlib.sha256(proj.read_bytes()).hexdigest() == before  # untouched: no run started
    from core.store import Project

    with Project(proj) as p:
        assert p.runs() == []


def test_relative_ball_weights_never_resolve_from_the_working_directory(tmp_path: Path, make_video, capsys,
                                                                        monkeypatch: pytest.MonkeyPatch,
                                                                        models_root: Path) -> None:
    """The unpacked zip: match.mp4, match.clipdesk naming ``x.pt``, and x.pt, all in the cwd."""
    from app.cli import main

    marker = tmp_path / "PWNED"
    craft(tmp_path / "x.pt", marker)
    video = make_video("match.mp4", frames=10)
    _project_with(tmp_path, video, {"persons": {"ball_weights": "x.pt"}})
    monkeypatch.chdir(tmp_path)
    assert main(["analyze", "match.mp4", "--stages", "persons", "--quiet"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "analysis.persons.ball_weights" in line and str(models_root / "x.pt") in line
    assert not marker.exists()
    # the same file inside the models folder passes the trust rules but is still not unpickled
    craft(models_root / "x.pt", marker)
    assert main(["analyze", "match.mp4", "--stages", "persons", "--quiet"]) == 2
    assert "refusing to load code it names (pathlib." in _one_line(capsys.readouterr().err)
    assert not marker.exists()


def test_legacy_top_level_persons_setting_is_checked_too(tmp_path: Path, make_video, evil, capsys,
                                                         models_root: Path) -> None:
    from app.cli import main
    from core.store import Project

    f, marker = evil
    video = make_video("match.mp4", frames=10)
    proj = _project_with(tmp_path, video, {})
    with Project(proj) as p:
        p.set_setting("persons", {"weights": str(f)})
    assert main(["analyze", str(video), "--quiet"]) == 2
    assert _one_line(capsys.readouterr().err).startswith("clipdesk: persons.weights names ")
    assert not marker.exists()


def test_paths_cannot_escape_the_models_folder(evil, models_root: Path) -> None:
    from models.trust import UntrustedModelError, check_model_path

    f, _ = evil
    (models_root / "link.pt").symlink_to(f)
    for value in ("link.pt", "../evil.pt", str(models_root / ".." / "evil.pt")):
        with pytest.raises(UntrustedModelError) as e:
            check_model_path(value, "analysis.persons.weights")
        assert e.value.reason == "untrusted" and e.value.path == f.resolve()
    with pytest.raises(UntrustedModelError) as e:
        check_model_path("nowhere.pt", "analysis.persons.weights")
    assert e.value.reason == "missing" and str(models_root) in str(e.value)


def test_persons_stage_directly_fails_its_run_with_one_line(tmp_path: Path, make_video, evil,
                                                            models_root: Path) -> None:
    from core.pipeline import analyze
    from core.store import Project
    from models.persons.stage import PersonsStage

    f, marker = evil
    video = make_video("v.mp4", frames=10)
    inside = craft(models_root / "in.pt", marker)
    for settings, expect in (({"persons": {"weights": str(f)}}, "not a trusted model file"),
                             ({"ball_weights": str(inside)}, "refusing to load code it names"),
                             ({"persons": {"ball_weights": "../evil.pt"}}, "not a trusted model file")):
        with Project(tmp_path / "p.clipdesk") as p:
            with pytest.raises(ClipDeskError) as e:
                analyze(p, video, [PersonsStage.from_settings(settings)])
            assert expect in _one_line(str(e.value))
            failed = [r for r in p.runs() if r.status == "failed"]
            assert failed and all(_one_line(r.message or "") for r in failed)
    assert not marker.exists()


def test_deep_embedder_refuses_untrusted_and_unsafe_weights(evil, models_root: Path) -> None:
    from models.safe_load import UnsafeModelFile
    from models.search.embeddings import DeepEmbedder
    from models.trust import UntrustedModelError

    f, marker = evil
    with pytest.raises(UntrustedModelError) as e:
        DeepEmbedder(weights=f)
    assert "not a trusted model file" in _one_line(str(e.value))
    with pytest.raises(UnsafeModelFile):
        DeepEmbedder(weights=craft(models_root / "e.pt", marker))
    assert not marker.exists()


def test_bundled_weights_load_weights_only_and_detect_as_ultralytics_does(bus: np.ndarray,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import torch
    from ultralytics import YOLO

    from models.persons.pose import PoseDetector, default_pose_weights
    from models.search.embeddings import DeepEmbedder

    direct = YOLO(str(default_pose_weights()), task="pose")  # the reference: ultralytics' own load
    ref = direct.predict(np.ascontiguousarray(bus[:, :, ::-1]), imgsz=(384, 640), conf=0.25, classes=[0],
                         device="cpu", verbose=False)[0]
    ref_layers = [m.eval().float() for m in list(direct.model.model)[:11]]
    calls: list[object] = []
    real_load = torch.load

    def spy(*a, **k):
        calls.append(k.get("weights_only"))
        return real_load(*a, **k)

    monkeypatch.setattr(torch, "load", spy)
    det = PoseDetector(threads=1, runtime="torch")  # the ONNX Runtime path: tests/models/test_pose_runtime.py
    d = det.detect(bus)
    emb = DeepEmbedder()
    assert calls and all(c is True for c in calls)  # ultralytics never unpickled anything itself
    assert len(d) >= 3  # the people by the bus
    np.testing.assert_array_equal(d[:, 0:4], ref.boxes.xyxy.numpy())
    np.testing.assert_array_equal(d[:, 4], ref.boxes.conf.numpy())
    np.testing.assert_array_equal(d[:, 5:].reshape(-1, 17, 3), ref.keypoints.data.numpy())
    x = torch.from_numpy(np.ascontiguousarray(bus[:256, :256])).permute(2, 0, 1)[None].float() / 255
    with torch.inference_mode():
        a, b = x, x
        for la, lb in zip(emb._layers, ref_layers):
            a, b = la(a), lb(b)
    # the search backbone folds batch norm into its convolutions (search stage v3): the same
    # weights, rounded differently in float32
    assert torch.allclose(a, b, rtol=1e-4, atol=1e-4), float((a - b).abs().max())


def test_a_users_own_weights_load_once_trusted_and_again_only_when_retrusted(
        user_copy: Path, bus: np.ndarray, models_root: Path, capsys) -> None:
    import shutil

    import torch

    from app.cli import main
    from models.persons.pose import PoseDetector
    from models.safe_load import load_checkpoint
    from models.persons.stage import PersonsStage
    from models.trust import UntrustedModelError, is_trusted

    with pytest.raises(UntrustedModelError):
        PoseDetector(user_copy)
    assert main(["models", "trust", str(user_copy)]) == 0
    assert "trusted " in capsys.readouterr().out and is_trusted(user_copy)
    mine = PoseDetector(user_copy, threads=1).detect(bus)
    np.testing.assert_array_equal(mine, PoseDetector(threads=1).detect(bus))
    # in the models folder, by relative path: no trust needed
    shutil.copy(user_copy, models_root / "copy.pt")
    assert PersonsStage.from_settings({"persons": {"weights": "copy.pt"}}).model_files()[0] == \
        (models_root / "copy.pt").resolve()
    # the trusted file's bytes change: refused until trusted again
    changed = user_copy.with_name("changed.pt")
    ckpt = load_checkpoint(user_copy)
    ckpt["date"] = "changed"
    torch.save(ckpt, changed)
    os.replace(changed, user_copy)
    with pytest.raises(UntrustedModelError) as e:
        PoseDetector(user_copy)
    assert e.value.reason == "changed" and "changed since it was trusted" in _one_line(str(e.value))
    assert main(["models", "list"]) == 0
    assert "changed  " in capsys.readouterr().out
    assert main(["models", "trust", str(user_copy)]) == 0
    assert len(PoseDetector(user_copy, threads=1).detect(bus)) == len(mine)


def test_models_trust_refuses_a_file_that_names_code(evil, models_root: Path, capsys) -> None:
    from app.cli import main
    from models.trust import is_trusted, trusted

    f, marker = evil
    assert main(["models", "trust", str(f)]) == 2
    assert "refusing to load code it names" in _one_line(capsys.readouterr().err)
    assert trusted() == [] and not is_trusted(f) and not marker.exists()


def test_opening_a_video_in_the_window_never_loads_untrusted_weights(qtbot, tmp_path: Path, make_video,
                                                                      evil, models_root: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import models.stages
    from app.window.main_window import MainWindow
    from core.store import Project
    from models.persons.stage import PersonsStage

    f, marker = evil
    video = make_video("match.mp4", frames=10)
    proj = _project_with(tmp_path, video, {"persons": {"weights": str(f), "fps": 5.0}})
    seen: list[dict] = []

    def persons_only(settings=None, device="cpu"):  # keep the run short: only the stage at stake
        seen.append(settings or {})
        return [PersonsStage.from_settings(settings or {}, device=device)]

    monkeypatch.setattr(models.stages, "available_stages", persons_only)
    w = MainWindow(interactive=False, audio=False)
    qtbot.addWidget(w)
    with qtbot.waitSignal(w.worker.finished, timeout=120000) as sig:
        w.open_path(video)  # opening starts the analysis
    ok, message = sig.args
    w.worker.wait(10)
    assert ok, message
    notice = w.analysis_panel.notice.text()
    assert "analysis.persons.weights" in notice and "bundled pose model" in _one_line(notice)
    assert "bundled pose model" in message
    assert not marker.exists()
    assert any("weights" not in (s.get("persons") or {}) for s in seen)  # the worker's settings
    w.close()
    with Project(proj) as p:
        runs = [r for r in p.runs() if r.stage == "persons"]
        assert [r.status for r in runs] == ["done"] and runs[0].params["weights"] == "bundled"
        assert p.get_setting("analysis")["persons"]["weights"] == str(f)  # the project is not rewritten


def test_the_window_asks_before_trusting_and_never_offers_code(qtbot, tmp_path: Path, evil, user_copy: Path,
                                                               models_root: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QMessageBox, QWidget

    from app.window.analysis import confirm_model_files
    from core.store import Project
    from models.trust import is_trusted

    f, marker = evil
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda parent, title, text, *a: asked.append(text) or QMessageBox.StandardButton.Yes)
    parent = QWidget()
    qtbot.addWidget(parent)
    with Project(tmp_path / "p.clipdesk") as p:
        p.set_setting("analysis", {"persons": {"weights": str(f)}})
        confirm_model_files(parent, p)
        assert asked == [] and not is_trusted(f)
        p.set_setting("analysis", {"persons": {"weights": str(user_copy)}})
        confirm_model_files(parent, p)
    assert len(asked) == 1 and str(user_copy) in asked[0] and "analysis.persons.weights" in asked[0]
    assert is_trusted(user_copy) and not marker.exists()
