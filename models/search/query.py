"""What a search query needs before it runs: embeddings for every video of the project.

Shared by ``clipdesk search`` and the Search panel (worker thread). Runs the ``search`` stage on
videos that lack embeddings; missing video files are reported through ``warn`` and skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from core.pipeline import analyze
from core.progress import ProgressFn, Task
from core.store.project import Project
from models.search.index import FRAMES_SIGNAL, SIGNAL_KEY
from models.search.stage import SearchStage


def ensure_embeddings(project: Project, on_progress: ProgressFn | None = None,
                      warn: Callable[[str], None] | None = None) -> int:
    """Run the ``search`` stage on every video that lacks embeddings; returns how many ran."""
    ran = 0
    for v in project.videos():
        if project.get_signal(v.id, FRAMES_SIGNAL, SIGNAL_KEY) is not None:
            continue
        if not Path(v.path).exists():
            if warn is not None:
                warn(f"{v.name}: video file missing, not searchable")
            continue
        analyze(project, v.path, [SearchStage()], Task(on_progress=on_progress))
        ran += 1
    return ran


__all__ = ["ensure_embeddings"]
