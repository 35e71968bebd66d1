"""Find the recordings inside a folder (batch scoring, File > Open Folder), and tell what a
file holds before reading it (a drop on the window: recording or labels).

A file is a recording by its first bytes (`io.sniff`, as `load_recording` reads it) or, when
they say nothing, by its suffix: an EDF named `mouse3` or `mouse3.dat` is scored, as the app
opens it. Label tables (.csv/.tsv) and our outputs (text) are not taken as recordings here:
a folder of results would otherwise be scored again. An Open Ephys folder (holding
.continuous files) is one recording.
"""

from __future__ import annotations

from pathlib import Path

BATCH_SUFFIXES = {".edf": "edf", ".bdf": "edf", ".mat": "mat", ".parquet": "parquet"}


def is_openephys_folder(path: Path) -> bool:
    return path.is_dir() and any(path.glob("*.continuous"))


def recording_format(path: Path) -> str | None:
    """The format a batch reads `path` as ('edf', 'mat' or 'parquet'), or None for a file that
    is no recording. The content wins over the name, by the readers' own rule
    (`io.sniff.misnamed`): reading it says so in one warning, as for a file named on its own.
    Only the first bytes are read.

    Why: a batch skipped an EDF named `mouse3` that the app opened when dropped."""
    from sleepscorer.io.sniff import READ_AS, SUFFIX_FORMATS, misnamed, sniff

    suffix = path.suffix.lower()
    kind = sniff(path)
    if kind in READ_AS and SUFFIX_FORMATS.get(suffix) == READ_AS[kind]:
        found = READ_AS[kind]  # content and name agree (an EDF named .rec too)
    else:
        found = misnamed(path, kind) or BATCH_SUFFIXES.get(suffix)  # a bad .edf: reader says why
    return None if found == "mat" and labels_only_mat(path) else found


def labels_only_mat(path: Path) -> bool:
    """Whether a MATLAB file holds labels (`sleep_scores`) and no signals: an AccuSleep or
    MiSleep label file, which a batch passes over as it does a label table.

    Why: `score DIR -r` reported such a file as a failed recording ("no EEG in this .mat
    file")."""
    from sleepscorer.io.mat import labels_only

    return labels_only(_mat_names(path))


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
            if entry.is_file() and recording_format(entry):
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
    """What a file holds: {'signals'}, {'labels'} or both, from its magic bytes, variable
    names or header only (cheap; the file is not read whole); an EDF named .csv holds
    signals."""
    from sleepscorer.io.sniff import sniff

    path = Path(path)
    suffix = path.suffix.lower()
    kind = sniff(path)
    if kind in ("empty", "edf", "bdf", "parquet"):  # its reader says what an empty file is
        return {"signals"}
    if kind in ("mat", "hdf5") or suffix == ".mat":
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


def passed_over(path: Path) -> str:
    """What a file beside the recordings is: 'empty', 'recording' (one by its content, named
    otherwise: 'rec.edf.bak', 'rec'; a batch scores those, see `recording_format`), 'labels',
    'signal table' (scored when named on its own, with --rate), 'table' (another table),
    'sidecar' (a BIDS .json beside its .tsv) or 'other'. A .mat holding only `sleep_scores`
    is 'labels', and so is a table the label reader reads as such (BIDS events whose
    trial_type is stages; a task's are another table).

    Why: a batch called notes.txt a "table file" and passed over an extensionless file
    without a word."""
    from sleepscorer.io.label_tables import LABEL_COLUMNS, SIGNAL_COLUMNS
    from sleepscorer.io.recording import ChannelKind, kind_from_name
    from sleepscorer.io.sniff import misnamed, sniff

    if path.suffix.lower() == ".json" and path.with_suffix(".tsv").is_file():
        return "sidecar"  # BIDS: sub-01_events.json describes sub-01_events.tsv
    kind = sniff(path)
    if kind in ("mat", "hdf5") and (path.suffix.lower() == ".mat" or misnamed(path, kind)) \
            and labels_only_mat(path):
        return "labels"
    if kind == "empty" or misnamed(path, kind):
        return "recording" if kind != "empty" else "empty"
    if kind is not None:
        return "other"  # a bare HDF5 (.nwb, .h5) is not a format read here
    rows = _first_rows(path) if path.suffix.lower() in (".csv", ".tsv", ".txt") else []
    header = {h.strip().lower() for h in rows[0]} if rows else set()
    # one column is a table only when it is a label column (AccuSleep's brain_state), as
    # `info` reads it: an AccuSleep label file was listed among "other files"
    if len(rows) < 2 or len(rows[1]) != len(rows[0]) or (
            len(rows[0]) < 2 and not header & LABEL_COLUMNS):
        return "other"  # prose, or not text: not a table
    if header & LABEL_COLUMNS:
        return "labels"
    if "trial_type" in header:  # BIDS events: sleep labels when their trial_type is stages
        from sleepscorer.io.bids_events import trial_type_problem

        if not trial_type_problem(path):
            return "labels"
    if header & SIGNAL_COLUMNS or any(kind_from_name(h) is not ChannelKind.OTHER for h in header):
        return "signal table"
    return "table"


def _first_rows(path: Path) -> list[list[str]]:
    """The first two non-blank lines split as a table's rows (tab, comma or semicolon)."""
    import csv

    try:
        with path.open(encoding="utf-8-sig", errors="strict") as fh:
            lines = [ln for ln in (fh.readline(1 << 16) for _ in range(50)) if ln.strip()][:2]
    except (OSError, UnicodeDecodeError):
        return []
    if not lines:
        return []
    sep = next((s for s in ("\t", ",", ";") if s in lines[0]), ",")
    return [next(csv.reader([ln], delimiter=sep), []) for ln in lines]
