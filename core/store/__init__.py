"""The project store: one SQLite file per project (see :mod:`core.store.project`), its health
checks (:mod:`core.store.health`), fingerprints (:mod:`core.store.fingerprint`), automatic
backups (:mod:`core.store.backup`) and salvage of a damaged file (:mod:`core.store.recover`)."""

from core.store.health import DamagedProjectError, ForeignFileError
from core.store.project import (Project, RunRecord, VideoChangedError, VideoMissingError,
                                VideoRecord)

__all__ = ["DamagedProjectError", "ForeignFileError", "Project", "RunRecord", "VideoChangedError",
           "VideoMissingError", "VideoRecord"]
