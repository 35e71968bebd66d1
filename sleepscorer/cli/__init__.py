"""The `sleepscorer` command: a thin shell over the core, one module per subcommand.

`sleepscorer` alone or with a PATH opens the desktop app; named subcommands run headless.
Every `SleepScorerError` becomes one line `error: PATH: problem` and exit status 2. An
argument no command can use is refused while parsing by its type (cli/arguments), as
`error: argument X: problem` after the usage, also status 2.

Building the parser imports every command module, so a command module imports nothing
heavy at its top or in `register`: torch, the model code and the GUI are imported inside
the function that runs the command (here, and only here, function-local imports are the
rule). `sleepscorer --help` and `--version` therefore never import torch
(tests/cli/test_startup.py).
"""

from __future__ import annotations

import argparse
import difflib
import errno
import importlib
import os
import sys
from typing import NoReturn

from sleepscorer.errors import SleepScorerError

# Each module defines `register(subparsers)`, which adds its parser and sets `func`.
COMMAND_MODULES = [
    "sleepscorer.cli.info",
    "sleepscorer.cli.labels",
    "sleepscorer.cli.score",
    "sleepscorer.cli.train",
    "sleepscorer.cli.simulate",
    "sleepscorer.cli.finetune",
    "sleepscorer.cli.app",
    "sleepscorer.cli.selftest",
    "sleepscorer.cli.stats",
    "sleepscorer.cli.compare",
]


class Parser(argparse.ArgumentParser):
    """argparse's parser, its refusals in the form of every other error: a line that starts
    with `error:` (after the usage), so a bad argument reads as a bad file does."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from sleepscorer import __version__

    parser = Parser(
        prog="sleepscorer",
        description="Rodent EEG/EMG sleep scoring. Without a command, opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"sleepscorer {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a command still being written
            if exc.name == name:
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    subparsers = parser._subparsers._group_actions[0].choices if parser._subparsers else {}
    commands = set(subparsers)
    if argv and argv[0] not in commands and not argv[0].startswith("-") \
            and not os.path.exists(argv[0]):  # a mistyped command is not a recording to open
        close = difflib.get_close_matches(argv[0], sorted(commands), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        print(f"error: {argv[0]!r} is neither a command{hint} nor a file or folder; commands: "
              f"{', '.join(sorted(commands))}", file=sys.stderr)
        return 2
    if not argv or (argv[0] not in commands and not argv[0].startswith("-")):
        argv = ["gui", *argv]  # `sleepscorer` or `sleepscorer PATH` opens the app
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # refused with the command's own usage: `simulate -o DIR` showed the top one
        subparsers.get(getattr(args, "command", None), parser).error(
            f"unrecognized arguments: {' '.join(unknown)}")
    try:
        return int(args.func(args) or 0)
    except SleepScorerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as cat does
        _silence_stdout()
        return 141
    except OSError as exc:
        if exc.errno not in STORAGE_ERRORS:
            raise  # a program error: its traceback is what a bug report needs
        where = exc.filename or "output"
        print(f"error: {where}: could not be written or read ({exc.strerror}); no output was "
              "replaced by a partial file", file=sys.stderr)
        return 2


# what a user can act on: a full disk or quota, permissions, a read-only mount. Checked
# before long work where possible (io.outputs), yet a disk can fill during a 24 h batch.
STORAGE_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS)


def _silence_stdout() -> None:
    """Point stdout at the null device, so that Python's own last flush into the closed pipe
    prints no traceback either."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # a stdout with no file behind it
        pass


if __name__ == "__main__":
    sys.exit(main())
