"""Atomic file writes: a file appears whole or not at all, with ordinary permissions.

Every writer of user-facing files (labels, EDF, weights, manifests) goes through here so a
crash or cancel never leaves half a file and a `mkstemp` file's 0600 mode never leaks out.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _default_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path`."""
    path = Path(path)
    if path.exists() and not path.is_file():  # never replace a device, FIFO or folder
        from sleepscorer.errors import SleepScorerError

        kind = "an existing folder" if path.is_dir() else "not a regular file (a device or FIFO)"
        raise SleepScorerError(path, f"is {kind}; choose an ordinary file as output")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, _default_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="")
