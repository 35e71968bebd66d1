"""Find the recordings inside a folder, for batch scoring and File > Open Folder.

Label tables (.csv/.tsv) are not taken as recordings here: a folder of results would
otherwise be scored again. An Open Ephys folder (holding .continuous files) is one recording.
"""

from __future__ import annotations

from pathlib import Path

BATCH_SUFFIXES = (".edf", ".bdf", ".mat", ".parquet")


def is_openephys_folder(path: Path) -> bool:
    return path.is_dir() and any(path.glob("*.continuous"))


def find_recordings(root: Path, recursive: bool = False,
                    _seen: set[Path] | None = None) -> list[Path]:
    """Recordings in `root` (sorted), descending into sub-folders when `recursive`.

    Each real folder is visited once: a symlink back into the tree (a loop) or to a folder
    already searched is skipped. Only regular files count (never FIFOs or devices).
    """
    root = Path(root)
    if root.is_file() or is_openephys_folder(root):
        return [root]
    seen = _seen if _seen is not None else set()
    try:
        real = root.resolve(strict=True)
        entries = sorted(root.iterdir())
    except (OSError, RuntimeError):  # unreadable folder or a symlink loop
        return []
    if real in seen:
        return []
    seen.add(real)
    found: list[Path] = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            if entry.is_file() and entry.suffix.lower() in BATCH_SUFFIXES:
                found.append(entry)
            elif is_openephys_folder(entry):
                if entry.resolve() not in seen:
                    seen.add(entry.resolve())
                    found.append(entry)
            elif entry.is_dir() and recursive:
                found.extend(find_recordings(entry, recursive=True, _seen=seen))
        except OSError:  # a broken link or a file that vanished
            continue
    return found
