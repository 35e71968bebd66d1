"""Files in, files out: readers that turn recordings into `Recording`, and label files.

No Qt here. `load_recording(path)` is the one entry point for recordings; it picks the
reader by extension, then `assemble` applies roles, resamples to the EEG's rate and
validates (warnings in `Recording.warnings`, unusable input raises `RecordingError`).
Input files are only ever opened read-only.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sleepscorer.errors import RecordingError
from sleepscorer.io.assemble import assemble
from sleepscorer.io.recording import Channel, ChannelKind, Recording, kind_from_name

if TYPE_CHECKING:
    from sleepscorer.core.hypnogram import Hypnogram

SUPPORTED_RECORDINGS = (".edf", ".bdf", ".mat", ".continuous", ".csv", ".parquet",
                        "an Open Ephys folder")

__all__ = ["Channel", "ChannelKind", "Recording", "RecordingError", "SUPPORTED_RECORDINGS",
           "kind_from_name", "load_bids", "load_recording", "write_edf"]


def load_recording(path: str | Path, rate: float | None = None,
                   roles: dict[str, ChannelKind] | None = None) -> Recording:
    """Read a recording: EDF/EDF+/BDF (BIDS-aware), .mat, Open Ephys, CSV/Parquet.

    `rate` is needed (and only used) for CSV/Parquet tables. `roles` overrides channel
    kinds by channel name, e.g. {"Channel1": ChannelKind.EEG}.
    """
    path = Path(path)
    if not path.exists():
        raise RecordingError(path, "file not found; check the path")
    suffix = path.suffix.lower()
    try:
        if path.is_dir() or suffix == ".continuous":
            from sleepscorer.io.openephys import read_openephys

            raw, start, notes = read_openephys(path)
        elif suffix in (".edf", ".bdf", ".rec"):
            from sleepscorer.io.bids import bids_roles
            from sleepscorer.io.edf import read_edf

            raw, start, notes = read_edf(path)
            roles = {**bids_roles(path), **(roles or {})}
        elif suffix == ".mat":
            from sleepscorer.io.mat import read_mat

            raw, start, notes = read_mat(path)
        elif suffix in (".csv", ".parquet", ".tsv"):
            from sleepscorer.io.tabular import read_table

            raw, start, notes = read_table(path, rate)
        else:
            raise RecordingError(path, f"unknown file type '{path.suffix or path.name}'; "
                                       f"supported: {', '.join(SUPPORTED_RECORDINGS)}")
    except PermissionError as exc:
        raise RecordingError(path, "cannot read the file (permission denied); check its "
                                   "permissions") from exc
    except OSError as exc:
        raise RecordingError(path, f"cannot read the file ({exc.strerror or exc}); check that "
                                   "it is complete and not in use") from exc
    return assemble(path, raw, start, notes, roles)


def load_bids(path: str | Path, rate: float | None = None,
              roles: dict[str, ChannelKind] | None = None) -> tuple[Recording, Hypnogram | None]:
    """A BIDS `*_eeg.edf` and its events' labels (see `sleepscorer.io.bids.load_bids`)."""
    from sleepscorer.io.bids import load_bids as _load_bids

    return _load_bids(path, rate=rate, roles=roles)


def write_edf(recording: Recording, path: str | Path) -> None:
    """Write a recording as EDF+ (see `sleepscorer.io.edf.write_edf`)."""
    from sleepscorer.io.edf import write_edf as _write_edf

    _write_edf(recording, path)
