"""BIDS sleep recordings: `*_eeg.edf` with sibling `*_channels.tsv` and `*_events.tsv`.

Channel types (EEG/EMG/...) come from channels.tsv; labels from events.tsv
(`events_file`). `sleepscorer.io.load_bids` returns the recording and the expert labels at
the file's own epoch length (or None).
"""

from __future__ import annotations

import csv
from pathlib import Path

from sleepscorer.io.recording import ChannelKind

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


def events_file(path: Path) -> Path | None:
    """The sibling `*_events.tsv` holding the recording's labels, or None."""
    return _sibling(Path(path), "events.tsv")
