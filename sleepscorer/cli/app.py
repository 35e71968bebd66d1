"""`sleepscorer gui [PATH]` opens the desktop app; `sleepscorer demo` opens the bundled
demo recording and scores it automatically."""

from __future__ import annotations

import argparse


def _gui(args: argparse.Namespace) -> int:
    from sleepscorer.gui.app import run

    return run(args.path)


def _demo(args: argparse.Namespace) -> int:
    from sleepscorer.gui.app import demo_path, run

    return run(demo_path())


def register(subparsers) -> None:
    gui = subparsers.add_parser("gui", help="open the desktop app (optionally a recording)")
    gui.add_argument("path", nargs="?", help="recording file or folder to open")
    gui.set_defaults(func=_gui)
    demo = subparsers.add_parser("demo", help="open the bundled 29-min mouse recording and "
                                              "score it")
    demo.set_defaults(func=_demo)
