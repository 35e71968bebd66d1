"""Signals in a table: CSV or Parquet with `eeg` and `emg` columns (the AccuSleep layout).

A table has no sampling rate, so it must be given. Must not validate or resample.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import numpy as np

from sleepscorer.errors import RateNeeded, RecordingError
from sleepscorer.io.assemble import RawChannel
from sleepscorer.io.recording import ChannelKind, kind_from_name


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def _read_columns(path: Path, parquet: bool) -> dict[str, np.ndarray]:
    if parquet:
        try:
            import pyarrow.parquet as pq
        except ImportError as exc:
            raise RecordingError(path, "reading Parquet needs pyarrow; install it with "
                                       "`pip install pyarrow` or save the table as CSV") from exc
        try:
            table = pq.read_table(path)
            return {name: table.column(name).to_numpy() for name in table.column_names}
        except Exception as exc:  # noqa: BLE001 - pyarrow's errors on damaged files
            raise RecordingError(path, f"not a readable Parquet table ({_one_line(exc)}); "
                                       "save the table again") from None
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        import pyarrow.csv as pacsv

        table = pacsv.read_csv(path, parse_options=pacsv.ParseOptions(delimiter=delimiter))
        return {name: table.column(name).to_numpy() for name in table.column_names}
    except ImportError:
        pass
    except Exception as exc:  # noqa: BLE001 - pyarrow's parse errors: report like csv would
        kind = "TSV" if delimiter == "\t" else "CSV"
        raise RecordingError(path, f"cannot read this {kind} ({_one_line(exc)}); check it is a "
                                   "table with a header row and numbers") from None
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f, delimiter=delimiter))
    except UnicodeDecodeError:
        raise RecordingError(path, "not a text table (cannot decode as UTF-8)") from None
    if not rows:
        raise RecordingError(path, "the CSV file is empty")
    try:
        values = np.array(rows[1:], dtype=np.float64).reshape(len(rows) - 1, len(rows[0]))
    except ValueError as exc:
        raise RecordingError(path, f"the CSV has a non-number or a short row ({exc}); fix "
                                   "that row") from None
    return {name: values[:, i] for i, name in enumerate(rows[0])}


def _refuse_labels(path: Path, keep: tuple[str, ...]) -> None:
    """A label table (stage, brain_state... and no EEG/EMG column) is not a recording.

    Why: `score labels.csv --rate 512` said "no EEG column (found epoch, onset_s, ...); name
    the EEG column 'eeg'", as if the labels were a recording with a misnamed column."""
    from sleepscorer.io.bids_events import trial_type_problem
    from sleepscorer.io.discover import file_contents
    from sleepscorer.io.label_tables import (
        LABEL_COLUMNS,
        LABEL_LIKE_COLUMNS,
        SUPPORTED,
        read_header,
    )
    from sleepscorer.io.sniff import labels_not_signals

    if file_contents(path) != {"labels"}:
        return
    try:
        header = read_header(path)
    except (OSError, UnicodeDecodeError):
        return  # the reader says what is wrong
    named = {k.strip().lower() for k in keep}
    if (not (LABEL_COLUMNS | LABEL_LIKE_COLUMNS | {"trial_type"}) & set(header)
            or named & set(header) or any(kind_from_name(h) is not ChannelKind.OTHER for h in header)):
        return
    shown = ", ".join(header[:4]) + (", ..." if len(header) > 4 else "")
    if not (LABEL_COLUMNS | {"trial_type"}) & set(header):
        raise RecordingError(path, f"this file looks like sleep labels (columns {shown}), not "
                                   "signals, in a layout SleepScorer does not read; label files "
                                   f"it reads: {'; '.join(SUPPORTED)}")
    # BIDS events' trial_type is sleep labels only when the label reader reads it as such
    # (a task's go/stop events were called "sleep labels" that `stats` then refused)
    if not LABEL_COLUMNS & set(header) and (problem := trial_type_problem(path)):
        raise RecordingError(path, f"this file holds events (columns {shown}), neither signals "
                                   f"nor sleep labels: {problem}")
    raise RecordingError(path, labels_not_signals(f"columns {shown}"))


def read_table(path: Path, rate: float | None, keep: tuple[str, ...] = (),
               parquet: bool | None = None,
               ) -> tuple[list[RawChannel], datetime | None, list[str]]:
    """`eeg`/`emg` columns (any case; other EEG/EMG-named columns too) at `rate` Hz.

    Columns named in `keep` (the user's --eeg/--emg) are read whatever their names. `parquet`
    says what the content is (None: the suffix says); a table of labels is refused as such."""
    if parquet is None:
        parquet = path.suffix.lower() == ".parquet"
    if not parquet:
        _refuse_labels(path, keep)
    if rate is None:
        raise RateNeeded(path, "a CSV/Parquet table has no sampling rate; pass it with "
                               "--rate HZ (e.g. --rate 512)")
    columns = _read_columns(path, parquet)
    if path.suffix.lower() == ".tsv" and len(columns) == 1 and "," in next(iter(columns)):
        raise RecordingError(path, "this .tsv is comma-separated (its header is "
                                   f"{next(iter(columns))!r}); a .tsv must be tab-separated, "
                                   "or name the file .csv")
    channels = []
    for name, values in columns.items():
        kind = kind_from_name(name)
        if kind is ChannelKind.OTHER and name.strip() not in keep:
            continue
        try:
            data = np.asarray(values, dtype=np.float32)
        except (TypeError, ValueError):
            raise RecordingError(path, f"column '{name}' is not numeric; fix the table") from None
        channels.append(RawChannel(name.strip(), kind, data, float(rate)))
    if not any(c.kind is ChannelKind.EEG for c in channels) and not keep:
        raise RecordingError(path, f"no EEG column (found {', '.join(columns) or 'none'}); "
                                   "name the EEG column 'eeg' (and the EMG column 'emg')")
    return channels, None, []
