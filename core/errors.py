"""Errors that reach the user as one clear line (the CLI prints ``str(err)`` and exits non-zero)."""


class ClipDeskError(Exception):
    """Base class: the message is shown to the user as is."""


class MediaError(ClipDeskError):
    """The input cannot be read as video (missing, unreadable, corrupt, unsupported)."""


class ProjectError(ClipDeskError):
    """The project file cannot be opened or is from a newer ClipDesk."""


class Cancelled(ClipDeskError):
    """Work was cancelled by the user; nothing half-written was committed."""

    def __init__(self, message: str = "cancelled") -> None:
        super().__init__(message)
