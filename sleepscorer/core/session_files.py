"""A session folder's files on disk: which recording a folder belongs to, and writing its
files so that a crash leaves the old file or the new one, never half of either.

Kept apart from session_store.py, which decides what a session holds and when it is
saved; this is only bytes and names. Must not import Qt.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sleepscorer.io.atomic import write_bytes_atomic

FORMAT = 1  # of the session folder; part of every fingerprint
SAMPLE_BLOCK = 64 * 1024  # bytes read at each sampled place of a file
SAMPLES_PER_FILE = 8  # head, tail and evenly spaced blocks between


# -- identity ---------------------------------------------------------------------------
def _files_of(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    return [path]


def recording_fingerprint(path: str | Path) -> str:
    """sha256 over each file's name (inside a folder), size and sampled blocks: reads at most
    512 KiB a file, so a 24 h recording is identified in milliseconds."""
    path = Path(path)
    h = hashlib.sha256(f"sleepscorer-session-v{FORMAT}".encode())
    for file in _files_of(path):
        size = file.stat().st_size
        h.update(f"|{file.name if path.is_dir() else ''}|{size}|".encode())
        if size <= SAMPLE_BLOCK * SAMPLES_PER_FILE:
            offsets = [0]
            length = size
        else:
            last = size - SAMPLE_BLOCK
            offsets = [round(i * last / (SAMPLES_PER_FILE - 1)) for i in range(SAMPLES_PER_FILE)]
            length = SAMPLE_BLOCK
        with file.open("rb") as fh:
            for offset in offsets:
                fh.seek(offset)
                h.update(fh.read(length))
    return h.hexdigest()


def session_key(fingerprint: str) -> str:
    return fingerprint[:24]


# -- atomic files -----------------------------------------------------------------------
def write_atomic(path: Path, write) -> None:
    """`write(fh)` into `path`, creating the session folder if needed; whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, write)


def write_json(path: Path, data: dict) -> None:
    write_atomic(path, lambda fh: fh.write(json.dumps(data, indent=1).encode()))


def read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
