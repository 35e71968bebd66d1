"""Signals in a table: CSV or Parquet with `eeg` and `emg` columns (the AccuSleep layout).

A table has no sampling rate, so it must be given. Must not validate or resample.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import numpy as np

from sleepscorer.errors import RecordingError
from sleepscorer.io.assemble import RawChannel
from sleepscorer.io.recording import ChannelKind, kind_from_name


def _read_columns(path: Path) -> dict[str, np.ndarray]:
    if path.suffix.lower() == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError as exc:
            raise RecordingError(path, "reading Parquet needs pyarrow; install it with "
                                       "`pip install pyarrow` or save the table as CSV") from exc
        table = pq.read_table(path)
        return {name: table.column(name).to_numpy() for name in table.column_names}
    try:
        import pyarrow.csv as pacsv

        table = pacsv.read_csv(path)
        return {name: table.column(name).to_numpy() for name in table.column_names}
    except ImportError:
        pass
    except Exception as exc:  # pyarrow's parse errors: report like the csv path would
        raise RecordingError(path, f"cannot read this CSV ({exc}); check it is a table with "
                                   "a header row and numbers") from exc
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise RecordingError(path, "the CSV file is empty")
    try:
        values = np.array(rows[1:], dtype=np.float64)
    except ValueError as exc:
        raise RecordingError(path, f"the CSV has a non-number ({exc}); fix that row") from exc
    return {name: values[:, i] for i, name in enumerate(rows[0])}


def read_table(path: Path, rate: float | None) -> tuple[list[RawChannel], datetime | None, list[str]]:
    """`eeg`/`emg` columns (any case; other EEG/EMG-named columns too) at `rate` Hz."""
    if rate is None:
        raise RecordingError(path, "a CSV/Parquet table has no sampling rate; pass it with "
                                   "--rate HZ (e.g. --rate 512)")
    columns = _read_columns(path)
    channels = []
    for name, values in columns.items():
        kind = kind_from_name(name)
        if kind is ChannelKind.OTHER:
            continue
        try:
            data = np.asarray(values, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise RecordingError(path, f"column '{name}' is not numeric; fix the table") from exc
        channels.append(RawChannel(name.strip(), kind, data, float(rate)))
    if not any(c.kind is ChannelKind.EEG for c in channels):
        raise RecordingError(path, f"no EEG column (found {', '.join(columns) or 'none'}); "
                                   "name the EEG column 'eeg' (and the EMG column 'emg')")
    return channels, None, []
