"""Find the recordings inside a folder (batch scoring, File > Open Folder), and tell what a
file holds before reading it (a drop on the window: recording or labels).

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


def file_contents(path: str | Path) -> set[str]:
    """What a file holds: {'signals'}, {'labels'} or both, from its variable names or
    header only (cheap; the file is not read whole)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".mat":
        names = _mat_names(path)
        holds = set()
        if names & {"eeg", "data"}:
            holds.add("signals")
        if "sleep_scores" in names:
            holds.add("labels")
        return holds or {"signals"}  # let the reader say what is missing
    if suffix in (".csv", ".tsv", ".txt"):
        from sleepscorer.io.label_tables import LABEL_COLUMNS, SIGNAL_COLUMNS, read_header

        try:
            columns = set(read_header(path))
        except OSError:
            return {"labels"}
        holds = set()
        if columns & SIGNAL_COLUMNS:
            holds.add("signals")
        if columns & LABEL_COLUMNS or not holds:
            holds.add("labels")
        return holds
    return {"signals"}


def _mat_names(path: Path) -> set[str]:
    try:
        from scipy.io import whosmat

        return {name.lower() for name, _, _ in whosmat(str(path))}
    except (NotImplementedError, ValueError, OSError):  # MATLAB v7.3 is HDF5
        try:
            import h5py

            with h5py.File(path, "r") as fh:
                return {name.lower() for name in fh.keys()}
        except (OSError, ImportError):
            return set()
