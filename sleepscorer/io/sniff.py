"""What a file is by its first bytes (its magic), whatever it is named.

Readers, batch discovery and the output guard ask here before trusting a suffix: an EDF
renamed .mat is still an EDF. Only the first bytes are read; the file is never changed.
Must not read a file whole or know how to parse a format.

Why: an EDF renamed .mat was reported as "Unknown mat file type, version 32, 32".
"""

from __future__ import annotations

from pathlib import Path

EDF_MAGIC = b"0       "  # ASCII '0' and 7 spaces: the EDF/EDF+ version field
BDF_MAGIC = b"\xffBIOSEMI"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"  # MATLAB v7.3 files are HDF5, after a 512-byte text block
_MAGICS = ((EDF_MAGIC, "edf"), (BDF_MAGIC, "bdf"), (b"MATLAB ", "mat"), (HDF5_MAGIC, "hdf5"),
           (b"PAR1", "parquet"))

# the format each kind is read as, the name a user knows it by, and the suffixes it goes by
READ_AS = {"edf": "edf", "bdf": "edf", "mat": "mat", "hdf5": "mat", "parquet": "parquet"}
KIND_NAMES = {"edf": "EDF", "bdf": "BDF", "mat": "MATLAB .mat", "hdf5": "HDF5 (MATLAB v7.3)",
              "parquet": "Parquet"}
_ARTICLES = {"edf": "an", "bdf": "a", "mat": "a", "hdf5": "an", "parquet": "a"}
_SUFFIXES = {"edf": ".edf", "bdf": ".bdf", "mat": ".mat", "hdf5": ".mat", "parquet": ".parquet"}
SUFFIX_FORMATS = {".edf": "edf", ".bdf": "edf", ".rec": "edf", ".mat": "mat",
                  ".parquet": "parquet", ".csv": "table", ".tsv": "table", ".txt": "table",
                  ".continuous": "openephys"}


def sniff(path: str | Path) -> str | None:
    """'edf', 'bdf', 'mat' (v5-v7, and v7.3 with MATLAB's header), 'hdf5' (a bare HDF5 file:
    MATLAB v7.3 without that header, or NWB...) or 'parquet' by the content's magic bytes;
    'empty' for a 0-byte file; None for anything else (text tables, unknown formats) or a
    file that cannot be opened (its reader then says why)."""
    try:
        with Path(path).open("rb") as fh:
            head = fh.read(520)
    except OSError:
        return None
    if not head:
        return "empty"
    for magic, kind in _MAGICS:
        if head.startswith(magic):
            return kind
    if head[512:520] == HDF5_MAGIC:  # an HDF5 file with a user block (MATLAB v7.3)
        return "mat"
    return None


def misnamed(path: str | Path, kind: str | None) -> str | None:
    """The format `kind` is read as when the file's suffix says another format (an EDF
    named .mat or .csv); None when the suffix fits, or the content is not known."""
    suffix = Path(path).suffix.lower()
    if kind not in READ_AS or (kind == "hdf5" and suffix not in SUFFIX_FORMATS):
        return None  # a bare HDF5 named .nwb or .h5 is not taken for a MATLAB file
    wanted = READ_AS[kind]
    return wanted if SUFFIX_FORMATS.get(suffix) != wanted else None


def not_labels_text(kind: str | None) -> str | None:
    """Why a file of `kind` (from `sniff`) is no text label table, e.g. 'holds an EDF
    recording, not labels'; None for a text file. Why: a recording given where labels were
    expected was reported as "cannot decode as UTF-8"."""
    if kind not in KIND_NAMES:
        return None
    what = "recording" if kind in ("edf", "bdf") else "file"
    return f"holds {_ARTICLES[kind]} {KIND_NAMES[kind]} {what}, not labels"


def misnamed_note(path: str | Path, kind: str) -> str:
    """'rec.mat holds an EDF recording although named .mat; read as EDF (...)'."""
    path = Path(path)
    named = f"named {path.suffix}" if path.suffix else "it has no suffix"
    name = KIND_NAMES[kind]
    return (f"{path.name} holds {_ARTICLES[kind]} {name} recording although {named}; read as "
            f"{name} (the file is not changed; renaming it {_SUFFIXES[kind]} stops this note)")


def labels_not_signals(what: str) -> str:
    """The mirror of `not_labels_text`: the refusal of a label file opened as a recording
    (`what`: the columns or variables it holds), naming every place such a file is read; one
    text for the .mat and the table reader."""
    return (f"this file holds sleep labels ({what}), not signals; open the recording and import "
            "these labels onto it (File > Import labels in the app; `sleepscorer stats`, "
            "`compare` and `convert-labels` read such files)")
