"""Atomic, durable file writes: a file appears whole or not at all, with ordinary permissions.

Every writer (labels, EDF, weights, manifests, the session store's record of an expert's
work) goes through here, so a crash, cancel or power cut leaves the old file or the new one,
never half of either, and a `mkstemp` file's 0600 mode never leaks out.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


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
    path.parent.mkdir(parents=True, exist_ok=True)  # the output checks allow a folder to be made
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        _fsync(tmp, os.O_RDONLY)  # the bytes are on disk before the name points at them
        os.chmod(tmp, _default_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:  # the rename itself survives a power cut once the folder is synced
        _fsync(path.parent, os.O_RDONLY)
    except OSError:  # some file systems cannot sync a folder; the write is still whole
        pass


def _fsync(path: str | Path, flags: int) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes_atomic(path: str | Path, write: Callable[[BinaryIO], object]) -> None:
    """`write(fh)` into a binary file that replaces `path` whole."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        write(fh)


def write_text_atomic(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="")
