"""Files in, files out: readers that turn recordings into `Recording`, and label files.

No Qt here. `load_recording(path)` is the one entry point for recordings; it picks the
reader by content (magic bytes, `sniff`), else by extension, then `assemble` applies roles,
keeps each channel at its own rate and validates (warnings in `Recording.warnings`,
unusable input raises `RecordingError`). Input files are only ever opened read-only.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from sleepscorer.errors import RecordingError
from sleepscorer.io.assemble import assemble
from sleepscorer.io.recording import Channel, ChannelKind, Recording, kind_from_name
from sleepscorer.io.sniff import misnamed, misnamed_note, sniff

if TYPE_CHECKING:
    from sleepscorer.hypnogram import Hypnogram

SUPPORTED_RECORDINGS = (".edf", ".bdf", ".mat", ".continuous", ".csv", ".tsv", ".parquet",
                        "an Open Ephys folder")

__all__ = ["Channel", "ChannelKind", "Recording", "RecordingError", "SUPPORTED_RECORDINGS",
           "kind_from_name", "load_bids", "load_recording", "write_edf"]


def _missing(path: Path) -> str:
    """Why a path names nothing: a link that leads nowhere is not a missing file."""
    if path.is_symlink():
        try:
            path.resolve(strict=True)
        except RuntimeError:
            return "is a symbolic link that leads back to itself (a loop); link the recording itself"
        except OSError:
            pass
        return f"is a symbolic link to {os.readlink(path)}, which does not exist; check the link"
    return "file not found; check the path"


def load_recording(path: str | Path, rate: float | None = None,
                   roles: dict[str, ChannelKind] | None = None) -> Recording:
    """Read a recording: EDF/EDF+/BDF (BIDS-aware), .mat, Open Ephys, CSV/Parquet.

    The content's magic bytes win over the suffix: an EDF named .mat is read as EDF, with
    a warning saying so (`io.sniff`); a 0-byte file is refused as empty, whatever its name.

    `rate` is needed (and only used) for CSV/Parquet tables; given for another file, a
    warning says that the file's own rate is used (it was ignored without a word). `roles`
    overrides channel kinds by channel name, e.g. {"Channel1": ChannelKind.EEG}; a channel
    named for EEG or EMG there is the one scored in that role (`Recording.chosen`).
    """
    path = Path(path)
    if not path.exists():
        raise RecordingError(path, _missing(path))
    if not (path.is_file() or path.is_dir()):
        raise RecordingError(path, "is not a regular file (a FIFO, device or socket); copy the "
                                   "recording to an ordinary file first")
    kind = sniff(path) if path.is_file() else None
    if kind == "empty":
        raise RecordingError(path, "the file is empty (0 bytes); copy or export the recording "
                                   "again")
    content = misnamed(path, kind)  # the content's format when the suffix says another
    suffix = f".{content}" if content else path.suffix.lower()
    try:
        with warnings.catch_warnings():  # readers' numpy/mne chatter is not for users
            warnings.simplefilter("ignore")
            raw, start, notes, merged = _read(path, suffix, rate, roles)
            if content:
                notes.insert(0, misnamed_note(path, kind))
            recording = assemble(path, raw, start, notes, merged, chosen=roles)
    except RecordingError:
        raise
    except PermissionError as exc:
        raise RecordingError(path, "cannot read the file (permission denied); check its "
                                   "permissions") from exc
    except OSError as exc:
        raise RecordingError(path, f"cannot read the file ({exc.strerror or exc}); check that "
                                   "it is complete and not in use") from exc
    except MemoryError:
        raise RecordingError(path, "the file's header asks for more memory than this machine "
                                   "has; the header is damaged or the file is not a recording"
                             ) from None
    except Exception as exc:  # noqa: BLE001 - a damaged file is one line, never a traceback
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise RecordingError(path, f"cannot read this file ({type(exc).__name__}: {detail}); "
                                   "it is damaged or not in a supported layout") from None
    if rate is not None and suffix not in TABLE_SUFFIXES:  # said: `score x.edf --rate 100`
        recording.warnings.append(f"--rate {rate:g} is not used: this file stores its own "
                                  f"sampling rate, and that is used ({recording.rates_text()})")
    return recording


TABLE_SUFFIXES = (".csv", ".parquet", ".tsv")  # tables of samples: no rate of their own


def check_opens(path: str | Path) -> None:
    """Raises the reader's own RecordingError for a file it would refuse at its first bytes
    (missing, empty, an EDF/BDF whose header is not one), reading only that header. Anything
    else is left to `load_recording`.

    Why: the app asked a user to export the open recording's labels, then said the file they
    were leaving it for could not be opened."""
    from sleepscorer.io.edf import check_layout
    from sleepscorer.io.sniff import SUFFIX_FORMATS

    path = Path(path)
    if not path.exists():
        load_recording(path)  # raises at once: nothing is read
    if not path.is_file():
        return  # a folder (Open Ephys, BIDS): its reader names what is missing
    kind = sniff(path)
    if kind == "empty":
        load_recording(path)  # raises at once, before any reader
    content = misnamed(path, kind)
    if SUFFIX_FORMATS.get(f".{content}" if content else path.suffix.lower()) == "edf":
        check_layout(path)  # the header alone


def check_roles(path: Path, names: list[str], roles: dict[str, ChannelKind] | None) -> None:
    """Channel names the user gave (--eeg/--emg, the roles dialog) must exist."""
    if not roles:
        return
    blank = [kind for name, kind in roles.items() if not name.strip()]
    if blank:
        raise RecordingError(path, f"an empty channel name was given for "
                                   f"{ChannelKind(blank[0]).value}; the channels are "
                                   f"{', '.join(names) or 'none'}")
    missing = [n for n in roles if n not in names]
    if missing:
        raise RecordingError(path, f"no channel named {', '.join(map(repr, missing))}; the "
                                   f"channels are {', '.join(names) or 'none'}")


def _read(path: Path, suffix: str, rate: float | None,
          roles: dict[str, ChannelKind] | None) -> tuple:
    if path.is_dir() or suffix == ".continuous":
        from sleepscorer.io.openephys import read_openephys

        raw, start, notes = read_openephys(path)
        check_roles(path, [c.name for c in raw], roles)
    elif suffix in (".edf", ".bdf", ".rec"):
        from sleepscorer.io.bids import bids_roles
        from sleepscorer.io.edf import read_edf

        raw, start, notes = read_edf(path)
        check_roles(path, [c.name for c in raw], roles)
        roles = {**bids_roles(path), **(roles or {})}
    elif suffix == ".mat":
        from sleepscorer.io.mat import read_mat

        raw, start, notes = read_mat(path)
        check_roles(path, [c.name for c in raw], roles)
    elif suffix in TABLE_SUFFIXES:
        from sleepscorer.io.tabular import read_table

        raw, start, notes = read_table(path, rate, keep=tuple(roles or ()),
                                       parquet=suffix == ".parquet")
        check_roles(path, [c.name for c in raw], roles)
    else:
        raise RecordingError(path, f"unknown file type '{path.suffix or path.name}'; "
                                   f"supported: {', '.join(SUPPORTED_RECORDINGS)}")
    return raw, start, notes, roles


def load_bids(path: str | Path, rate: float | None = None,
              roles: dict[str, ChannelKind] | None = None) -> tuple[Recording, Hypnogram | None]:
    """A BIDS `*_eeg.edf` (roles from channels.tsv, overridden by `roles`) and its events'
    labels, which keep the events' epoch length (e.g. 4 s) and carry `warnings`; None when
    there is no events.tsv."""
    from sleepscorer.io.bids import events_file
    from sleepscorer.io.labels import read_bids_events

    recording = load_recording(path, rate=rate, roles=roles)
    events = events_file(Path(path))
    return recording, (read_bids_events(events) if events is not None else None)


def write_edf(recording: Recording, path: str | Path) -> None:
    """Write a recording as EDF+ (see `sleepscorer.io.edf.write_edf`)."""
    from sleepscorer.io.edf import write_edf as _write_edf

    _write_edf(recording, path)
