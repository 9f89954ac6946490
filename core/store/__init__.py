"""The project store: one SQLite file per project (see :mod:`core.store.project`)."""

from core.store.project import Project, VideoRecord, RunRecord

__all__ = ["Project", "VideoRecord", "RunRecord"]
