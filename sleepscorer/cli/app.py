"""`sleepscorer gui [PATH]` opens the desktop app; `sleepscorer demo` opens the bundled
demo recording and scores it automatically."""

from __future__ import annotations

import argparse
import os
import sys

from sleepscorer.cli.arguments import named_path


def check_display(command: str) -> None:
    """A clear error instead of Qt's abort (signal 6) where no display can be opened."""
    from sleepscorer.errors import SleepScorerError

    platform = os.environ.get("QT_QPA_PLATFORM", "").split(":")[0].strip().lower()
    if platform in ("offscreen", "minimal", "vnc", "eglfs", "linuxfb", "vkkhrdisplay"):
        return
    if not sys.platform.startswith("linux"):
        return
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return
    raise SleepScorerError(None, f"no display to open the app on (DISPLAY is not set); run it "
                                 f"on a desktop, or headless as `xvfb-run sleepscorer {command}`; "
                                 "`sleepscorer selftest` checks an installation without a "
                                 "display, and `sleepscorer score` scores without one")


def _gui(args: argparse.Namespace) -> int:
    check_display("gui" + (f" {args.path}" if args.path else ""))
    from sleepscorer.gui.app import run

    return run(args.path)


def _demo(args: argparse.Namespace) -> int:
    check_display("demo")
    from sleepscorer.gui.app import demo_path, run

    return run(demo_path())


def register(subparsers) -> None:
    gui = subparsers.add_parser("gui", help="open the desktop app (optionally a recording)")
    gui.add_argument("path", nargs="?", type=named_path, help="recording file or folder to open")
    gui.set_defaults(func=_gui)
    demo = subparsers.add_parser("demo", help="open the bundled 29-min mouse recording and "
                                              "score it")
    demo.set_defaults(func=_demo)
