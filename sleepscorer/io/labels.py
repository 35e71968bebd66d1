"""Label files in and out: our CSV, AccuSleep CSV, BIDS events.tsv and .mat `sleep_scores`.

Our CSV has one row per epoch: `epoch,onset_s,duration_s,stage,confidence,source` and then
`p_<Stage>` columns when the model's probabilities are known. Stages are written by name.

Warnings: `read_labels` and `read_bids_events` return a `Hypnogram` that carries a
`warnings: list[str]` attribute (problems that did not stop reading, e.g. padding with
Unscored). It is always set on hypnograms returned here, possibly empty.

Must not know about recordings' signals or Qt; only `Hypnogram` and `Stage`.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from sleepscorer.errors import LabelsError
from sleepscorer.hypnogram import Hypnogram, Source
from sleepscorer.io.atomic import write_text_atomic
from sleepscorer.stages import LABEL_DTYPE, Stage

HEADER = ("epoch", "onset_s", "duration_s", "stage", "confidence", "source")
ACCUSLEEP_STAGES: dict[int, Stage] = {1: Stage.REM, 2: Stage.WAKE, 3: Stage.NREM}
MSSV_STAGES: dict[int, Stage] = {1: Stage.WAKE, 2: Stage.NREM, 3: Stage.REM, 4: Stage.ARTIFACT}
# Writing BIDS events: MSSV has no micro-arousal code, so MA (a brief awakening) is Wake.
MSSV_CODES: dict[Stage, int] = {Stage.WAKE: 1, Stage.NREM: 2, Stage.REM: 3, Stage.ARTIFACT: 4,
                                Stage.MA: 1}
MAT_STAGES: dict[int, Stage] = {0: Stage.WAKE, 1: Stage.NREM, 2: Stage.REM, 3: Stage.MA}
MAX_EPOCHS = 20_000_000  # 231 days of 1-s epochs: beyond this an onset is a typo, not a recording
SUPPORTED = ("our CSV (epoch,onset_s,duration_s,stage,...)", "AccuSleep CSV (brain_state)",
             "BIDS events.tsv (onset,duration,stage)", ".mat with sleep_scores")


# -- writing ----------------------------------------------------------------------------
def _number(x: float) -> str:
    return "" if not math.isfinite(x) else f"{x:.10g}"


def write_labels_csv(hyp: Hypnogram, path: str | Path, epoch_length: float | None = None,
                     probabilities: bool = True, notes: Sequence[str] | None = None) -> None:
    """Write `hyp` as our CSV, atomically. Converts to `epoch_length` when it differs.

    Probabilities (`p_Wake,...`) are written only when asked for and still valid, i.e.
    not after a change of epoch length. Confidence is empty for person-set labels.
    `notes` (one string per written epoch, "" for none) adds a last `note` column saying why
    an epoch is what it is (e.g. a flat electrode); readers ignore it.
    """
    path = Path(path)
    out = hyp
    if epoch_length is not None and not math.isclose(epoch_length, hyp.epoch_length):
        try:
            out = hyp.to_epoch_length(epoch_length)
        except ValueError as exc:
            raise LabelsError(path, f"{exc}; choose an epoch length that is a simple multiple "
                                    f"of {hyp.epoch_length:g} s") from exc
    probs = out.probabilities if probabilities and out.probabilities is not None else None
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if notes is not None and len(notes) != len(out):
        raise ValueError(f"{len(notes)} notes for {len(out)} epochs")
    writer.writerow([*HEADER, *(f"p_{c.label}" for c in (out.classes if probs is not None else ())),
                     *(("note",) if notes is not None else ())])
    el = out.epoch_length
    person = out.is_person_labelled()
    for i in range(len(out)):
        conf = float("nan") if person[i] else float(out.confidence[i])
        row = [i, _number(i * el), _number(el), Stage(int(out.stages[i])).label, _number(conf),
               Source(int(out.sources[i])).label]
        if probs is not None:
            row.extend(_number(float(p)) for p in probs[i])
        if notes is not None:
            row.append(notes[i])
        writer.writerow(row)
    write_text_atomic(path, buf.getvalue())


def write_bids_events(hyp: Hypnogram, path: str | Path) -> None:
    """Write a BIDS events.tsv (`onset`,`duration`,`stage`), one row per scored epoch.

    Stages are MSSV-coded: 1 Wake, 2 NREM, 3 REM, 4 Artifact; MA is written as 1 (Wake)
    because the coding has no micro-arousal; Unscored epochs are omitted.
    """
    lines = ["onset\tduration\tstage"]
    el = hyp.epoch_length
    for i, code in enumerate(hyp.stages):
        stage = Stage(int(code))
        if stage is Stage.UNSCORED:
            continue
        lines.append(f"{_number(i * el)}\t{_number(el)}\t{MSSV_CODES[stage]}")
    write_text_atomic(Path(path), "\n".join(lines) + "\n")


# -- reading ----------------------------------------------------------------------------
def read_labels(path: str | Path, n_epochs: int | None = None, epoch_length: float | None = 1.0,
                accusleep_stages: Mapping[int, Stage] | None = None) -> Hypnogram:
    """Read any supported label file, at `epoch_length` seconds per epoch.

    Files that record their own epoch length (our CSV, BIDS events) are converted to
    `epoch_length` (majority vote when coarser, repeated when finer); `epoch_length=None`
    keeps the file's own. AccuSleep CSV and .mat files have one label per epoch of
    `epoch_length` (1 s when None). With `n_epochs` (of the recording, at the same epoch
    length), shorter labels are padded with Unscored (a warning), one extra epoch is
    dropped (a warning), and more than one extra epoch is a `LabelsError`.
    The result's `warnings` attribute lists what was noted.
    """
    path = Path(path)
    if not path.exists():
        raise LabelsError(path, "label file not found; check the path")
    if not path.is_file():
        kind = "a folder" if path.is_dir() else "not a regular file (a FIFO or device)"
        raise LabelsError(path, f"is {kind}, not a label file; choose the label file itself")
    if epoch_length is not None and not (math.isfinite(epoch_length) and epoch_length > 0):
        raise LabelsError(path, f"epoch length {epoch_length:g} s is not a positive number of "
                                "seconds; use e.g. 1, 2, 2.5, 4, 5 or 10")
    try:
        return _read_labels(path, n_epochs, epoch_length, accusleep_stages)
    except LabelsError:
        raise
    except MemoryError:
        raise LabelsError(path, "the labels would need more memory than this machine has; an "
                                "onset or epoch number is far too large") from None
    except Exception as exc:  # noqa: BLE001 - a damaged file is one line, never a traceback
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise LabelsError(path, f"cannot read these labels ({type(exc).__name__}: {detail}); "
                                "the file is damaged or not in a supported layout") from None


def _read_labels(path: Path, n_epochs: int | None, epoch_length: float | None,
                 accusleep_stages: Mapping[int, Stage] | None) -> Hypnogram:
    if path.suffix.lower() == ".mat":
        hyp = _from_codes(path, _read_mat_scores(path), MAT_STAGES, epoch_length or 1.0, ".mat")
    else:
        header, rows = _read_table(path)
        if "brain_state" in header:
            mapping = dict(accusleep_stages or ACCUSLEEP_STAGES)
            codes = _column(path, header, rows, "brain_state")
            hyp = _from_codes(path, codes, mapping, epoch_length or 1.0, "AccuSleep")
        elif {"onset", "duration", "stage"} <= set(header):
            hyp = _bids_from_rows(path, header, rows)
        elif {"epoch", "stage"} <= set(header):
            hyp = _ours_from_rows(path, header, rows)
        else:
            raise LabelsError(path, "not a label file this program knows (columns: "
                              f"{', '.join(header) or 'none'}); supported: {'; '.join(SUPPORTED)}")
    if epoch_length is not None and not math.isclose(epoch_length, hyp.epoch_length):
        notes = hyp.warnings
        try:
            hyp = hyp.to_epoch_length(epoch_length)
        except ValueError as exc:
            raise LabelsError(path, f"cannot put {hyp.epoch_length:g}-s labels onto "
                                    f"{epoch_length:g}-s epochs ({exc})") from exc
        hyp.warnings = notes
    if n_epochs is not None:
        hyp = _fit_length(path, hyp, n_epochs)
    return hyp


def read_bids_events(path: str | Path) -> Hypnogram:
    """A BIDS events.tsv as a Hypnogram at the file's own epoch length (e.g. 4 s).

    `stage` may be MSSV codes (1 Wake, 2 NREM, 3 REM, 4 Artifact) or stage names; epochs
    no row covers stay Unscored. Convert with `hyp.to_epoch_length(1.0)`.
    """
    path = Path(path)
    if not path.is_file():
        raise LabelsError(path, "events file not found or not a regular file; check the path")
    header, rows = _read_table(path)
    if not {"onset", "duration", "stage"} <= set(header):
        raise LabelsError(path, "a BIDS events.tsv needs columns onset, duration and stage "
                                f"(found {', '.join(header) or 'none'})")
    return _bids_from_rows(path, header, rows)


def _read_table(path: Path) -> tuple[list[str], list[list[str]]]:
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
    delimiter = "\t" if "\t" in lines[0] else ("," if "," in lines[0] else ";")
    table = list(csv.reader(lines, delimiter=delimiter))
    header = [h.strip().lower() for h in table[0]]
    return header, table[1:]


def _column(path: Path, header: list[str], rows: list[list[str]], name: str) -> list[str]:
    i = header.index(name)
    try:
        return [row[i].strip() for row in rows]
    except IndexError as exc:
        raise LabelsError(path, f"a row has no '{name}' value; the file is cut short or "
                                "malformed") from exc


def _floats(path: Path, values: list[str], name: str) -> np.ndarray:
    try:
        return np.array([float(v) if v not in ("", "n/a", "nan", "NaN") else np.nan
                         for v in values], dtype=np.float64)
    except ValueError as exc:
        raise LabelsError(path, f"column '{name}' has a non-number ({exc}); fix that row") from exc


def _from_codes(path: Path, codes: list[str] | np.ndarray, mapping: Mapping[int, Stage],
                epoch_length: float, kind: str) -> Hypnogram:
    values = _floats(path, list(codes), "stage") if not isinstance(codes, np.ndarray) else codes
    stages = np.full(len(values), Stage.UNSCORED, dtype=LABEL_DTYPE)
    unknown: Counter[str] = Counter()
    for i, v in enumerate(values):
        stage = mapping.get(int(v)) if np.isfinite(v) and v == int(v) else None
        if stage is None:
            unknown[_number(float(v)) or "empty"] += 1
        else:
            stages[i] = stage
    hyp = Hypnogram.from_arrays(stages, epoch_length, source=Source.IMPORTED)
    hyp.warnings = []
    if unknown:
        listed = ", ".join(f"{k} ({n}x)" for k, n in sorted(unknown.items()))
        hyp.warnings.append(f"{path}: {kind} codes {listed} are not stages; those epochs are "
                            "Unscored")
    return hyp


def _read_mat_scores(path: Path) -> np.ndarray:
    from sleepscorer.io.mat import read_sleep_scores

    return read_sleep_scores(path)


def _stage_of(path: Path, value: str) -> Stage:
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        try:
            return Stage.from_name(text)
        except ValueError as exc:
            raise LabelsError(path, f"unknown stage {text!r}; use Wake, NREM, REM, MA, "
                                    "Artifact or Unscored") from exc
    if number in MSSV_STAGES:
        return MSSV_STAGES[int(number)]
    raise LabelsError(path, f"unknown stage code {text!r}; BIDS events use 1 Wake, 2 NREM, "
                            "3 REM, 4 Artifact")


def _bids_from_rows(path: Path, header: list[str], rows: list[list[str]]) -> Hypnogram:
    onsets = _floats(path, _column(path, header, rows, "onset"), "onset")
    durations = _floats(path, _column(path, header, rows, "duration"), "duration")
    stage_values = _column(path, header, rows, "stage")
    if len(rows) == 0:
        hyp = Hypnogram(0, 1.0)
        hyp.warnings = [f"{path}: no events in the file"]
        return hyp
    positive = durations[np.isfinite(durations) & (durations > 0)]
    if len(positive) == 0:
        raise LabelsError(path, "no event has a positive duration; fill the 'duration' column")
    for i, (onset, duration) in enumerate(zip(onsets, durations, strict=True)):
        if not np.isfinite(onset) or onset < 0:
            raise LabelsError(path, f"event row {i + 1}: onset {_number(onset) or 'empty'} is "
                                    "not a time >= 0 s; fix that row")
        if not np.isfinite(duration) or duration <= 0:
            raise LabelsError(path, f"event row {i + 1}: duration {_number(duration) or 'empty'}"
                                    " must be a positive number of seconds; fix that row")
    epoch_length = Counter(np.round(positive, 6).tolist()).most_common(1)[0][0]
    ends = onsets + durations
    if np.max(ends) / epoch_length > MAX_EPOCHS:
        raise LabelsError(path, f"an event ends at {np.max(ends):g} s, more than "
                                f"{MAX_EPOCHS * epoch_length / 86400:.0f} days; fix that onset")
    order = np.argsort(onsets, kind="stable")
    for a, b in zip(order[:-1], order[1:], strict=True):
        if ends[a] > onsets[b] + 1e-6 * epoch_length:
            raise LabelsError(path, f"event rows {a + 1} and {b + 1} overlap ({onsets[a]:g}-"
                                    f"{ends[a]:g} s and {onsets[b]:g}-{ends[b]:g} s); each moment "
                                    "needs one stage")
    # a final partial epoch counts when it covers at least half an epoch
    n = int(np.floor(np.nanmax(ends) / epoch_length + 0.5))
    stages = np.full(n, Stage.UNSCORED, dtype=LABEL_DTYPE)
    for onset, end, value in zip(onsets, ends, stage_values, strict=True):
        stages[int(round(onset / epoch_length)):int(round(end / epoch_length))] = _stage_of(path, value)
    hyp = Hypnogram.from_arrays(stages, epoch_length, source=Source.IMPORTED)
    hyp.warnings = []
    return hyp


def _epoch_length_of(path: Path, header: list[str], rows: list[list[str]]) -> float:
    """The one epoch length of our CSV's rows (1 s without a duration_s column)."""
    if "duration_s" not in header or not rows:
        return 1.0
    durations = _floats(path, _column(path, header, rows, "duration_s"), "duration_s")
    for i, d in enumerate(durations):
        if not np.isfinite(d) or d <= 0:
            raise LabelsError(path, f"row {i + 1}: duration_s {_number(d) or 'empty'} must be a "
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
    epochs = _floats(path, _column(path, header, rows, "epoch"), "epoch")
    onsets = (_floats(path, _column(path, header, rows, "onset_s"), "onset_s")
              if "onset_s" in header else None)
    index = np.empty(len(rows), dtype=np.int64)
    for i, e in enumerate(epochs):
        if onsets is not None and np.isfinite(onsets[i]):
            at = onsets[i] / el
            if onsets[i] < 0 or abs(at - round(at)) > 1e-3:
                raise LabelsError(path, f"row {i + 1}: onset_s {onsets[i]:g} is not the start of "
                                        f"a {el:g}-s epoch (a time >= 0 on the epoch grid)")
            k = int(round(at))
            if np.isfinite(e) and e != k:
                raise LabelsError(path, f"row {i + 1}: epoch {e:g} but onset_s {onsets[i]:g} "
                                        f"(epoch {k} at {el:g} s per epoch); fix that row")
        elif np.isfinite(e) and e >= 0 and e == int(e):
            k = int(e)
        else:
            raise LabelsError(path, f"row {i + 1}: epoch {_number(e) or 'empty'} is not an epoch "
                                    "number (0, 1, 2, ...) and there is no onset_s; fix that row")
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
    missing = n - len(index)
    if missing:
        have = np.zeros(n, bool)
        have[index] = True
        first = int(np.flatnonzero(~have)[0])
        notes.append(f"{path}: {missing} epoch(s) have no row (the first is epoch {first}, at "
                     f"{first * el:g} s); they are Unscored")
    return index, notes


def _ours_from_rows(path: Path, header: list[str], rows: list[list[str]]) -> Hypnogram:
    """Our CSV, each row placed at its own epoch (onset_s, else epoch), never by row order."""
    if not rows:
        raise LabelsError(path, "the label file has a header but no rows; export the labels "
                                "again")
    epoch_length = _epoch_length_of(path, header, rows)
    index, notes = _positions(path, header, rows, epoch_length)
    n = int(index.max()) + 1 if len(index) else 0
    row_stages = np.array([_stage_of_name(path, v) for v in _column(path, header, rows, "stage")],
                          dtype=LABEL_DTYPE)
    stages = np.full(n, Stage.UNSCORED, dtype=LABEL_DTYPE)
    stages[index] = row_stages
    if "source" in header:
        names = {s.label: s for s in Source}
        try:
            row_sources = np.array([names[v.lower() or "none"] for v in
                                    _column(path, header, rows, "source")], dtype=np.int8)
        except KeyError as exc:
            raise LabelsError(path, f"unknown source {exc}; use model, expert, imported or "
                                    "none") from None
        sources = np.full(n, Source.NONE, dtype=np.int8)
        sources[index] = row_sources
        sources[stages == Stage.UNSCORED] = Source.NONE
    else:
        sources = np.where(stages == Stage.UNSCORED, Source.NONE, Source.IMPORTED).astype(np.int8)
    confidence = None
    if "confidence" in header:
        values = _floats(path, _column(path, header, rows, "confidence"), "confidence")
        _check_unit_range(path, values, "confidence")
        confidence = np.full(n, np.nan)
        confidence[index] = values
    hyp = Hypnogram.from_arrays(stages, epoch_length, sources=sources, confidence=confidence)
    prob_cols = [h for h in header if h.startswith("p_")]
    if prob_cols and rows:
        hyp.classes = tuple(_stage_of_name(path, h[2:]) for h in prob_cols)
        probs = np.full((n, len(prob_cols)), np.nan, dtype=np.float32)
        for j, h in enumerate(prob_cols):
            values = _floats(path, _column(path, header, rows, h), h)
            _check_unit_range(path, values, h)
            probs[index, j] = values
        hyp.probabilities = probs
    hyp.warnings = notes
    return hyp


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


def _fit_length(path: Path, hyp: Hypnogram, n_epochs: int) -> Hypnogram:
    notes = list(hyp.warnings)
    n = len(hyp)
    el = hyp.epoch_length
    if n > n_epochs + 1:
        raise LabelsError(path, f"the labels cover {n} epochs ({n * el:g} s) but the recording "
                                f"has only {n_epochs} epochs of {el:g} s; check that the labels "
                                "belong to this recording and use the same epoch length")
    if n == n_epochs:
        return hyp
    out = Hypnogram(n_epochs, el)
    k = min(n, n_epochs)
    out.stages[:k] = hyp.stages[:k]
    out.sources[:k] = hyp.sources[:k]
    out.confidence[:k] = hyp.confidence[:k]
    if hyp.probabilities is not None:
        out.probabilities = np.full((n_epochs, hyp.probabilities.shape[1]), np.nan, np.float32)
        out.probabilities[:k] = hyp.probabilities[:k]
        out.classes = hyp.classes
    if n > n_epochs:
        notes.append(f"{path}: the labels have one epoch more than the recording; the last "
                     "one was dropped")
    else:
        notes.append(f"{path}: the labels cover {n} of {n_epochs} epochs; the last "
                     f"{n_epochs - n} ({(n_epochs - n) * el:g} s) are Unscored")
    out.warnings = notes
    return out
