"""Real input through the X server (the XTEST extension, what xdotool uses) for window tests
under Xvfb: pointer moves, button presses and key presses reach the app exactly as a user's do.
ctypes over libX11/libXtst, so no extra package is needed. Test helper; any thread."""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

_MODS = {"ctrl": "Control_L", "shift": "Shift_L", "alt": "Alt_L"}


class XDriver:
    def __init__(self, display: str) -> None:
        x11 = ctypes.util.find_library("X11") or "libX11.so.6"
        xtst = ctypes.util.find_library("Xtst") or "libXtst.so.6"
        self.x = ctypes.cdll.LoadLibrary(x11)
        self.t = ctypes.cdll.LoadLibrary(xtst)
        self.x.XOpenDisplay.restype = ctypes.c_void_p
        self.x.XOpenDisplay.argtypes = [ctypes.c_char_p]
        for f in ("XFlush", "XCloseDisplay"):
            getattr(self.x, f).argtypes = [ctypes.c_void_p]
        self.x.XStringToKeysym.restype = ctypes.c_ulong
        self.x.XStringToKeysym.argtypes = [ctypes.c_char_p]
        self.x.XKeysymToKeycode.restype = ctypes.c_ubyte
        self.x.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        self.t.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                                ctypes.c_int, ctypes.c_ulong]
        self.t.XTestFakeButtonEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
        self.t.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
        self.dpy = self.x.XOpenDisplay(display.encode())
        if not self.dpy:
            raise RuntimeError(f"cannot open display {display}")

    def close(self) -> None:
        self.x.XCloseDisplay(self.dpy)

    def _flush(self, pause: float = 0.03) -> None:
        self.x.XFlush(self.dpy)
        time.sleep(pause)

    def move(self, x: float, y: float) -> None:
        self.t.XTestFakeMotionEvent(self.dpy, -1, int(round(x)), int(round(y)), 0)
        self._flush()

    def click(self, x: float, y: float, button: int = 1) -> None:
        self.move(x, y)
        self.t.XTestFakeButtonEvent(self.dpy, button, 1, 0)
        self._flush()
        self.t.XTestFakeButtonEvent(self.dpy, button, 0, 0)
        self._flush(0.15)

    def drag(self, x0: float, y0: float, x1: float, y1: float, steps: int = 12) -> None:
        """Press at (x0, y0), move in steps (the app sees every motion), release at (x1, y1)."""
        self.move(x0, y0)
        self.t.XTestFakeButtonEvent(self.dpy, 1, 1, 0)
        self._flush(0.1)
        for i in range(1, steps + 1):
            self.move(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps)
        time.sleep(0.1)
        self.t.XTestFakeButtonEvent(self.dpy, 1, 0, 0)
        self._flush(0.2)

    def key(self, combo: str) -> None:
        """Press and release ``combo`` ("ctrl+z", "ctrl+shift+z", "Down", "Return", "e")."""
        parts = combo.split("+")
        codes = []
        for p in parts:
            sym = self.x.XStringToKeysym(_MODS.get(p.lower(), p).encode())
            code = self.x.XKeysymToKeycode(self.dpy, sym)
            if not code:
                raise ValueError(f"no key for {p!r}")
            codes.append(code)
        for c in codes:
            self.t.XTestFakeKeyEvent(self.dpy, c, 1, 0)
            self._flush(0.02)
        for c in reversed(codes):
            self.t.XTestFakeKeyEvent(self.dpy, c, 0, 0)
            self._flush(0.02)
        time.sleep(0.15)


class WindowSession:
    """A test harness window on a private Xvfb display, driven through XTEST. The harness
    (``python HARNESS PROJECT LAYOUT`` with ``env``) writes its layout/state as JSON to LAYOUT;
    :meth:`wait` polls it. Skips the test when Xvfb or XTEST is missing."""

    def __init__(self, harness: Path, project: Path, layout: Path, cfg: Path, displays: range) -> None:
        import pytest

        if shutil.which("Xvfb") is None:
            pytest.skip("Xvfb binary not installed")
        n = next((n for n in displays if not Path(f"/tmp/.X11-unix/X{n}").exists()
                  and not Path(f"/tmp/.X{n}-lock").exists()), displays[-1])
        self.xvfb = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not Path(f"/tmp/.X11-unix/X{n}").exists():
            if self.xvfb.poll() is not None or time.monotonic() > deadline:
                self.xvfb.kill()
                pytest.skip("Xvfb did not start")
            time.sleep(0.05)
        self.project, self.layout = project, layout
        env = dict(os.environ, DISPLAY=f":{n}", QT_QPA_PLATFORM="xcb", CLIPDESK_CONFIG_DIR=str(cfg))
        self.proc = subprocess.Popen([sys.executable, str(harness), str(project), str(layout)],
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            self.drv = XDriver(f":{n}")
        except OSError as e:  # pragma: no cover - libXtst missing
            self.close()
            pytest.skip(f"no XTEST library: {e}")

    def read(self) -> dict[str, Any]:
        try:
            return json.loads(self.layout.read_text())
        except (OSError, ValueError):
            return {}

    def wait(self, cond: Callable[[dict[str, Any]], Any], timeout: float = 20) -> dict[str, Any]:
        """The layout once ``cond`` holds on it (the window exiting fails the test at once)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise AssertionError("the window exited: " + (self.proc.stderr.read() or "")[-2000:])  # type: ignore[union-attr]
            d = self.read()
            if d and cond(d):
                return d
            time.sleep(0.05)
        raise AssertionError(f"timed out; last layout: {json.dumps(self.read())[:1500]}")

    def close(self) -> None:
        drv = getattr(self, "drv", None)
        if drv is not None:
            drv.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.xvfb.terminate()
        self.xvfb.wait(5)
