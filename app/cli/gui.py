"""``clipdesk gui [P | VIDEO] [--screenshot OUT.png] [--size WxH]``: the review window.

With ``--screenshot`` the window opens (never showing dialogs), analyzes a video first if it needs
it (progress on the terminal and in the window), waits until the frame, thumbnails and audio lane
have rendered, saves a PNG of the whole window and exits. Works on a real display, under Xvfb and
offscreen (chosen automatically when there is no display). Main thread.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from app.cli import argtypes
from core.errors import ClipDeskError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gui", help="open the review window")
    p.add_argument("path", nargs="?", help="a project (.clipdesk) or a video")
    p.add_argument("--screenshot", metavar="OUT.png", help="save a PNG of the window and exit")
    p.add_argument("--size", default="1440x900", help="window size for --screenshot (WxH)")
    p.add_argument("--select", type=argtypes.integer(0, 10**7), metavar="N",
                   help="with --screenshot: select the N-th shot first (shows inspector and covers)")
    p.add_argument("--track", default="shot", help="with --select: the track whose N-th segment is "
                   "selected (shot, highlight, action...)")
    p.add_argument("--panel", metavar="TITLE", help="with --screenshot: bring this dock to the front "
                   "(Inspector, Covers, Export, Actions...)")
    p.add_argument("--help-overlay", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--while-analyzing", type=argtypes.seconds(0.0, 3600.0), metavar="S", help=argparse.SUPPRESS)
    p.add_argument("--timeout", type=argtypes.seconds(0.0, 24 * 3600.0, allow_low=False), default=600.0,
                   help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise ClipDeskError(f"--size must look like 1440x900, not {text!r}") from None
    if not (320 <= w <= 8192 and 240 <= h <= 8192):
        raise ClipDeskError(f"--size must be between 320x240 and 8192x8192, not {text!r}")
    return w, h


def run(args: argparse.Namespace) -> int:
    from app.review.qtenv import fix_platform_env, make_app

    if args.screenshot:
        _size(args.size)  # a bad size is refused before any window opens
    fix_platform_env()
    app = make_app([sys.argv[0]])
    from app.window.main_window import MainWindow

    shot = bool(args.screenshot)
    win = MainWindow(interactive=not shot, audio=False if shot else None)
    if shot:
        win.resize(*_size(args.size))
    win.show()
    try:
        if args.path:
            path = Path(args.path)
            if not path.exists():
                raise ClipDeskError(f"{path}: no such file")
            win.open_path(path)
        if not shot:
            return int(app.exec())
        return _screenshot(app, win, Path(args.screenshot), args)
    finally:
        if shot:  # whatever happened (a refused file, an error): no window is left behind
            win.close()


def _pump(app: object, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.01)


def _screenshot(app: object, win: object, out: Path, args: argparse.Namespace) -> int:
    from app.window.main_window import MainWindow

    assert isinstance(win, MainWindow)
    deadline = time.monotonic() + args.timeout
    if args.while_analyzing is not None and win.worker.running:
        # document the analyzing state: grab mid-analysis, then cancel
        _pump(app, args.while_analyzing)
        _wait_rendered(app, win, time.monotonic() + 10)
        _pump(app, 0.2)
        img = win.grab().toImage()
        img.save(str(out))
        print(f"screenshot {img.width()}x{img.height()} -> {out} (while analyzing)")
        win.worker.cancel()
        win.worker.wait(30)
        win.close()
        return 0
    if win.worker.running:
        from app.cli.progress import TerminalProgress

        bar = TerminalProgress()
        win.worker.progress.connect(lambda s, f, m: bar(s, f, m))
        while win.worker.running and time.monotonic() < deadline:
            _pump(app, 0.05)
        _pump(app, 0.3)  # deliver the finished signal
        bar.done()
    ctx = win.ctx
    if ctx.video is not None:
        if args.select is not None:
            shots = ctx.segments(args.track)
            if shots:
                seg = shots[min(max(0, args.select), len(shots) - 1)]
                ctx.select(seg)
                ctx.seek((seg.start_frame + seg.end_frame) // 2)
        _wait_rendered(app, win, min(deadline, time.monotonic() + 20))
    if args.panel:
        dock = win.docks.get(args.panel)
        if dock is None:
            raise ClipDeskError(f"--panel: no panel {args.panel!r} (choose from {', '.join(win.docks)})")
        dock.show()
        dock.raise_()
        _pump(app, 0.5)
    if args.help_overlay:
        win.help.toggle()
    _pump(app, 0.2)
    img = win.grab().toImage()
    out.parent.mkdir(parents=True, exist_ok=True)
    if not img.save(str(out)):
        raise ClipDeskError(f"cannot write {out}")
    print(f"screenshot {img.width()}x{img.height()} -> {out}")
    win.close()
    return 0


def _wait_rendered(app: object, win: object, deadline: float) -> None:
    """Until the frame is shown, visible thumbnails are decoded and the audio lane is ready."""
    from app.window.main_window import MainWindow

    assert isinstance(win, MainWindow)
    canvas = win.timeline.canvas
    has_audio = win.ctx.video is not None and win.ctx.video.info.has_audio
    while time.monotonic() < deadline:
        _pump(app, 0.05)
        frame_ok = win.player.view.image is not None
        thumbs = canvas.thumbs
        thumbs_ok = thumbs is None or not thumbs._pending
        audio_ok = not has_audio or canvas.loudness is not None
        covers_ok = win.ctx.selection is None or bool(win.covers.candidates)
        if frame_ok and thumbs_ok and audio_ok and covers_ok:
            _pump(app, 0.3)
            canvas.update()
            _pump(app, 0.1)
            if thumbs is None or not thumbs._pending:
                return
