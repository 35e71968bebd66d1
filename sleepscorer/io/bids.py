"""BIDS sleep recordings: `*_eeg.edf` with sibling `*_channels.tsv` and `*_events.tsv`.

Channel types (EEG/EMG/...) come from channels.tsv; labels from events.tsv. `load_bids`
returns the recording and the expert labels at the file's own epoch length (or None).
"""

from __future__ import annotations

import csv
from pathlib import Path

from sleepscorer.hypnogram import Hypnogram
from sleepscorer.io.recording import ChannelKind, Recording

_TYPES = {"EEG": ChannelKind.EEG, "ECOG": ChannelKind.EEG, "SEEG": ChannelKind.EEG,
          "EMG": ChannelKind.EMG}


def _sibling(path: Path, suffix: str) -> Path | None:
    """`sub-1_task-sleep_eeg.edf` -> `sub-1_task-sleep_<suffix>` if it exists."""
    stem = path.name.rsplit("_", 1)[0] if "_" in path.name else path.stem
    candidate = path.with_name(f"{stem}_{suffix}")
    return candidate if candidate.is_file() else None


def bids_roles(path: Path) -> dict[str, ChannelKind]:
    """Channel roles from the sibling channels.tsv (empty when there is none)."""
    tsv = _sibling(path, "channels.tsv")
    if tsv is None:
        return {}
    from sleepscorer.errors import RecordingError

    try:
        with open(tsv, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
    except UnicodeDecodeError:
        raise RecordingError(tsv, "is not UTF-8 text; save the BIDS channels.tsv as UTF-8 (or "
                                  "remove it and name the channels with --eeg/--emg)") from None
    except csv.Error as exc:
        raise RecordingError(tsv, f"is not a readable channels.tsv ({exc})") from None
    return {str(r["name"]).strip(): _TYPES.get(str(r.get("type") or "").strip().upper(),
                                               ChannelKind.OTHER)
            for r in rows if r.get("name")}


def is_bids(path: Path) -> bool:
    return path.name.endswith("_eeg.edf") and _sibling(path, "channels.tsv") is not None


def load_bids(path: str | Path, rate: float | None = None,
              roles: dict[str, ChannelKind] | None = None) -> tuple[Recording, Hypnogram | None]:
    """The recording (roles from channels.tsv, overridden by `roles`) and its events' labels.

    The labels keep the events' epoch length (e.g. 4 s) and carry `warnings`; None when
    there is no events.tsv.
    """
    from sleepscorer.io import load_recording
    from sleepscorer.io.labels import read_bids_events

    path = Path(path)
    recording = load_recording(path, rate=rate, roles=roles)
    events = _sibling(path, "events.tsv")
    return recording, (read_bids_events(events) if events is not None else None)
