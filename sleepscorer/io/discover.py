"""Find the recordings inside a folder, for batch scoring and File > Open Folder.

Label tables (.csv/.tsv) are not taken as recordings here: a folder of results would
otherwise be scored again. An Open Ephys folder (holding .continuous files) is one recording.
"""

from __future__ import annotations

from pathlib import Path

BATCH_SUFFIXES = (".edf", ".bdf", ".mat", ".parquet")


def is_openephys_folder(path: Path) -> bool:
    return path.is_dir() and any(path.glob("*.continuous"))


def find_recordings(root: Path, recursive: bool = False) -> list[Path]:
    """Recordings in `root` (sorted), descending into sub-folders when `recursive`."""
    root = Path(root)
    if root.is_file() or is_openephys_folder(root):
        return [root]
    found: list[Path] = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file() and entry.suffix.lower() in BATCH_SUFFIXES:
            found.append(entry)
        elif is_openephys_folder(entry):
            found.append(entry)
        elif entry.is_dir() and recursive:
            found.extend(find_recordings(entry, recursive=True))
    return found
