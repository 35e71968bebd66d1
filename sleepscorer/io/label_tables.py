"""Label tables row by row: the parsers behind `labels.read_labels` (BIDS events: bids_events).

Kept apart from labels.py so that module stays the short public face (read, write, the
stage codes) while the checks each row needs (onsets on the epoch grid, one row an epoch,
durations, probabilities in 0..1), which make up most of the code, live here. Every
problem is a `LabelsError` naming the file and the row. Must not know about Qt.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from sleepscorer.errors import LabelsError
from sleepscorer.hypnogram import Hypnogram, Source
from sleepscorer.io.sniff import not_labels_text, sniff
from sleepscorer.stages import LABEL_DTYPE, Stage

MSSV_STAGES: dict[int, Stage] = {1: Stage.WAKE, 2: Stage.NREM, 3: Stage.REM, 4: Stage.ARTIFACT}
MAX_EPOCHS = 20_000_000  # 231 days of 1-s epochs: beyond this an onset is a typo, not a recording
SUPPORTED = ("our CSV (epoch,onset_s,duration_s,stage,...)", "AccuSleep CSV (brain_state)",
             "BIDS events.tsv (onset,duration,stage or trial_type)", ".mat with sleep_scores")


def format_number(x: float) -> str:
    """A number as written in label files and messages: "" when not finite."""
    return "" if not math.isfinite(x) else f"{x:.10g}"


NO_VALUE = ("", "n/a")  # a cell left empty (BIDS writes n/a), not a value such as nan or inf


def shown(value: float, text: str) -> str:
    """A cell as an error names it: the number, else the text as written ('nan', 'inf'),
    else 'empty'. Why: a duration_s of nan was reported as "duration_s empty"."""
    return format_number(value) or text or "empty"


SIGNAL_COLUMNS = {"eeg", "emg"}  # a table of samples (AccuSleep layout), not of labels
LABEL_COLUMNS = {"stage", "brain_state"}  # the stage columns the label reader reads
# columns that look like labels in a layout not read here: never called labels that `stats`
# or `convert-labels` read (info said so, and both then refused the file); not `state`, the
# first column of our own statistics table
LABEL_LIKE_COLUMNS = {"sleep_stage", "label", "score", "hypnogram"}


def read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    """(lower-case header, rows) of a CSV/TSV, the delimiter guessed from the header line.
    A recording or a JSON file (a corrections manifest) is named as what it is."""
    wrong = not_labels_text(sniff(path))
    if wrong:
        raise LabelsError(path, f"{wrong}; give a label file: {'; '.join(SUPPORTED)}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LabelsError(path, "not a text label file (cannot decode as UTF-8); supported: "
                                f"{'; '.join(SUPPORTED)}") from exc
    except OSError as exc:
        raise LabelsError(path, f"cannot read the file ({exc.strerror}); check permissions") from exc
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise LabelsError(path, "the label file is empty; export the labels again")
    if lines[0].lstrip().startswith(("{", "[")):
        raise LabelsError(path, "is a JSON file, not a label table; give a label file: "
                                f"{'; '.join(SUPPORTED)}")
    table = list(csv.reader(lines, delimiter=_delimiter(lines[0])))
    header = [h.strip().lower() for h in table[0]]
    return header, table[1:]


def read_header(path: Path) -> list[str]:
    """The lower-case header of a CSV/TSV as `read_table` reads it, from the first line only:
    cheap on a table of samples (what a file holds is asked before it is read)."""
    with path.open(encoding="utf-8-sig", errors="replace") as fh:
        line = next((ln for ln in fh if ln.strip()), "")
    return [h.strip().lower() for h in next(csv.reader([line], delimiter=_delimiter(line)), [])]


def _delimiter(header_line: str) -> str:
    return "\t" if "\t" in header_line else ("," if "," in header_line else ";")


def column(path: Path, header: list[str], rows: list[list[str]], name: str,
           row_word: str = "row") -> list[str]:
    """The stripped values of column `name` (which the header has) in every row; a row too
    short to have it is an error naming that row (`row_word` N, as the caller's other
    errors name rows)."""
    i = header.index(name)
    short = next((k for k, row in enumerate(rows) if len(row) <= i), None)
    if short is not None:
        raise LabelsError(path, f"{row_word} {short + 1} has no '{name}' value (it has "
                                f"{len(rows[short])} of {len(header)} columns); the file is cut "
                                "short or malformed, fix that row")
    return [row[i].strip() for row in rows]


def floats(path: Path, values: list[str], name: str) -> np.ndarray:
    try:
        return np.array([float(v) if v not in ("", "n/a", "nan", "NaN") else np.nan
                         for v in values], dtype=np.float64)
    except ValueError as exc:
        raise LabelsError(path, f"column '{name}' has a non-number ({exc}); fix that row") from exc


def from_codes(path: Path, codes: list[str] | np.ndarray, mapping: Mapping[int, Stage],
               epoch_length: float, kind: str) -> Hypnogram:
    """One label per epoch from numeric codes (AccuSleep, .mat); unknown codes are Unscored,
    with a warning."""
    values = floats(path, list(codes), "stage") if not isinstance(codes, np.ndarray) else codes
    if len(values) == 0:  # written out, it is a file every command refuses
        raise LabelsError(path, "holds no epochs (a header and no labels); export the labels "
                                "again")
    stages = np.full(len(values), Stage.UNSCORED, dtype=LABEL_DTYPE)
    unknown: Counter[str] = Counter()
    for i, v in enumerate(values):
        stage = mapping.get(int(v)) if np.isfinite(v) and v == int(v) else None
        if stage is None:
            unknown[format_number(float(v)) or "empty"] += 1
        else:
            stages[i] = stage
    hyp = Hypnogram.from_arrays(stages, epoch_length, source=Source.IMPORTED)
    hyp.warnings = []
    if unknown:
        listed = ", ".join(f"{k} ({n}x)" for k, n in sorted(unknown.items()))
        hyp.warnings.append(f"{path}: {kind} codes {listed} are not stages; those epochs are "
                            "Unscored")
    return hyp


def read_mat_scores(path: Path) -> np.ndarray:
    from sleepscorer.io.mat import read_sleep_scores

    return read_sleep_scores(path)


def _epoch_length_of(path: Path, header: list[str], rows: list[list[str]]) -> float:
    """The one epoch length of our CSV's rows (1 s without a duration_s column)."""
    if "duration_s" not in header or not rows:
        return 1.0
    texts = column(path, header, rows, "duration_s")
    durations = floats(path, texts, "duration_s")
    for i, d in enumerate(durations):
        if not np.isfinite(d) or d <= 0:
            raise LabelsError(path, f"row {i + 1}: duration_s {shown(d, texts[i])} must be a "
                                    "positive number of seconds; fix that row")
    el = float(durations[0])
    odd = np.flatnonzero(np.abs(durations - el) > 1e-6 * el)
    if len(odd):
        i = int(odd[0])
        raise LabelsError(path, f"row {i + 1}: duration_s {durations[i]:g} differs from the "
                                f"first row's {el:g} s; every row of our CSV must have the same "
                                "epoch length")
    return el


def _positions(path: Path, header: list[str], rows: list[list[str]], el: float,
               ) -> tuple[np.ndarray, list[str]]:
    """Epoch index of every row, from `onset_s` (else `epoch`); checked, with notes."""
    notes: list[str] = []
    epoch_texts = column(path, header, rows, "epoch")
    epochs = floats(path, epoch_texts, "epoch")
    onset_texts = column(path, header, rows, "onset_s") if "onset_s" in header else None
    onsets = floats(path, onset_texts, "onset_s") if onset_texts is not None else None
    index = np.empty(len(rows), dtype=np.int64)
    for i, e in enumerate(epochs):
        # an empty onset_s leaves the row to its epoch; nan or inf is a bad onset
        if onsets is not None and onset_texts[i].lower() not in NO_VALUE:
            at = onsets[i] / el
            if not np.isfinite(at) or onsets[i] < 0 or abs(at - round(at)) > 1e-3:
                raise LabelsError(path, f"row {i + 1}: onset_s {shown(onsets[i], onset_texts[i])} "
                                        f"is not the start of a {el:g}-s epoch (a time >= 0 on "
                                        "the epoch grid)")
            k = int(round(at))
            if np.isfinite(e) and e != k:
                raise LabelsError(path, f"row {i + 1}: epoch {e:g} but onset_s {onsets[i]:g} "
                                        f"(epoch {k} at {el:g} s per epoch); fix that row")
        elif np.isfinite(e) and e >= 0 and e == int(e):
            k = int(e)
        else:
            raise LabelsError(path, f"row {i + 1}: epoch {shown(e, epoch_texts[i])} is not an "
                                    "epoch number (0, 1, 2, ...) and there is no onset_s; fix "
                                    "that row")
        if k >= MAX_EPOCHS:
            raise LabelsError(path, f"row {i + 1}: epoch {k} is {k * el / 86400:.0f} days into "
                                    "the recording; fix that row")
        index[i] = k
    order = np.argsort(index, kind="stable")
    dup = np.flatnonzero(np.diff(index[order]) == 0)
    if len(dup):
        a, b = int(order[dup[0]]), int(order[dup[0] + 1])
        raise LabelsError(path, f"rows {a + 1} and {b + 1} are both epoch {index[a]} "
                                f"({index[a] * el:g} s); each epoch needs exactly one row")
    if len(index) and (np.diff(index) < 0).any():
        notes.append(f"{path}: the rows are not in time order; each was placed by its "
                     f"{'onset_s' if onsets is not None else 'epoch'}")
    n = int(index.max()) + 1 if len(index) else 0
    have = np.zeros(n, bool)
    have[index] = True
    if (note := missing_rows_note(path, have, el)) is not None:
        notes.append(note)
    return index, notes


def missing_rows_note(path: Path, have: np.ndarray, el: float) -> str | None:
    """The warning for epochs no row covers (`have` False), which stay Unscored; None when
    every epoch has one. One text for our CSV and BIDS events: a gap in either is the same
    thing to the person reading it."""
    missing = np.flatnonzero(~have)
    if not len(missing):
        return None
    first = int(missing[0])
    return (f"{path}: {len(missing)} epoch(s) have no row (the first is epoch {first}, at "
            f"{first * el:g} s); they are Unscored")


def ours_from_rows(path: Path, header: list[str], rows: list[list[str]]) -> Hypnogram:
    """Our CSV, each row placed at its own epoch (onset_s, else epoch), never by row order."""
    if not rows:
        raise LabelsError(path, "the label file has a header but no rows; export the labels "
                                "again")
    epoch_length = _epoch_length_of(path, header, rows)
    index, notes = _positions(path, header, rows, epoch_length)
    n = int(index.max()) + 1 if len(index) else 0
    row_stages = np.array([_stage_of_name(path, v) for v in column(path, header, rows, "stage")],
                          dtype=LABEL_DTYPE)
    stages = np.full(n, Stage.UNSCORED, dtype=LABEL_DTYPE)
    stages[index] = row_stages
    if "source" in header:
        row_sources = sources_from_names(path, column(path, header, rows, "source"))
        sources = np.full(n, Source.NONE, dtype=np.int8)
        sources[index] = row_sources
        sources[stages == Stage.UNSCORED] = Source.NONE
    else:
        sources = np.where(stages == Stage.UNSCORED, Source.NONE, Source.IMPORTED).astype(np.int8)
    confidence = None
    if "confidence" in header:
        values = floats(path, column(path, header, rows, "confidence"), "confidence")
        _check_unit_range(path, values, "confidence")
        confidence = np.full(n, np.nan)
        confidence[index] = values
    hyp = Hypnogram.from_arrays(stages, epoch_length, sources=sources, confidence=confidence)
    prob_cols = [h for h in header if h.startswith("p_")]
    if prob_cols and rows:
        hyp.classes = tuple(_stage_of_name(path, h[2:]) for h in prob_cols)
        probs = np.full((n, len(prob_cols)), np.nan, dtype=np.float32)
        for j, h in enumerate(prob_cols):
            values = floats(path, column(path, header, rows, h), h)
            _check_unit_range(path, values, h)
            probs[index, j] = values
        hyp.probabilities = probs
    hyp.warnings = notes
    return hyp


def read_note_column(path: Path) -> tuple[list[str], float] | None:
    """Our CSV's `note` column, one string per epoch placed as its stage is (by onset_s, else
    epoch; "" where no row or no note), and the file's epoch length; None for a file of
    another layout or without the column. Reading labels ignores the column; converting a
    file keeps it (`sleepscorer convert-labels`)."""
    if path.suffix.lower() == ".mat":
        return None
    header, rows = read_table(path)
    if "note" not in header or not {"epoch", "stage"} <= set(header) or not rows:
        return None
    epoch_length = _epoch_length_of(path, header, rows)
    index, _ = _positions(path, header, rows, epoch_length)
    i = header.index("note")
    notes = [""] * (int(index.max()) + 1)
    for k, row in zip(index, rows, strict=True):
        notes[k] = row[i].strip() if i < len(row) else ""
    return notes, epoch_length


def sources_from_names(path: Path, values: list[str]) -> np.ndarray:
    """Who set each row's label, as our CSV writes it (model, expert, imported, none; empty
    or n/a is none): one vocabulary for our CSV and BIDS events' `source` column."""
    names = {s.label: s for s in Source}
    try:
        return np.array([names["none" if v.lower() in ("", "n/a") else v.lower()]
                         for v in values], dtype=np.int8)
    except KeyError as exc:
        raise LabelsError(path, f"unknown source {exc}; use model, expert, imported or "
                                "none") from None


def _check_unit_range(path: Path, values: np.ndarray, name: str) -> None:
    bad = np.flatnonzero(np.isfinite(values) & ((values < 0) | (values > 1)) | np.isinf(values))
    if len(bad):
        i = int(bad[0])
        raise LabelsError(path, f"row {i + 1}: {name} {values[i]:g} is outside 0..1; "
                                f"{name} is a probability, fix that row")


def _stage_of_name(path: Path, value: str) -> Stage:
    try:
        return Stage.from_name(value)
    except ValueError as exc:
        raise LabelsError(path, f"unknown stage {value!r}; use Wake, NREM, REM, MA, Artifact "
                                "or Unscored") from exc
