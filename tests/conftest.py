"""Shared fixtures. Tests run offscreen (QT_QPA_PLATFORM=offscreen) and fully offline."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
SHARED_MEDIA = Path(os.environ.get("CLIPDESK_SHARED_MEDIA", REPO.parent / "shared" / "media"))


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
