"""Argument types the commands share, checked while argparse reads the command line: a value
no command can use is refused before any file is opened, in one line that names the argument
(`error: argument --rate: 0 must be ...`), never blamed on a file.

Imports nothing heavy: every command module uses these in `register` (see cli/__init__).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path


def named_path(text: str) -> Path:
    """A path argument that names something. Why: an empty one (`"$OUT"` with OUT unset) was
    read as the current folder: `score '' -o x.csv` scanned it, `stats ''` said '.: is a
    folder', and `stats lab.mat --out ''` printed its figures and wrote nothing, silently."""
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty; name a file (or folder)")
    return Path(text)


def number(parse: Callable[[str], float], ok: Callable[[float], bool], rule: str,
           what: str) -> Callable[[str], float]:
    """An argparse type: `parse` the text and check it with `ok`. Why: --epochs 0 wrote an
    untrained model, and --batch-size 0 or --val-fraction 1 ended in tracebacks."""
    def read(text: str) -> float:
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"{text} must be {rule}")
        return value
    return read


# --rate: a table's sampling rate. Why: `info sig.csv --rate 0` blamed the file ("the file
# header is damaged") for the user's argument.
rate_hz = number(float, lambda v: math.isfinite(v) and 1 <= v <= 1e6,
                 "a positive sampling rate in Hz, from 1 to 1000000 (e.g. --rate 512)",
                 "a number")
# --from / --to of a time range: seconds into the recording
seconds_from = number(float, lambda v: math.isfinite(v) and v >= 0,
                      "a number of seconds, at least 0", "a number")
seconds_to = number(float, lambda v: math.isfinite(v) and v > 0,
                    "a number of seconds above 0", "a number")
