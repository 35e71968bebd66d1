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
import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from sleepscorer.errors import LabelsError, SleepScorerError
from sleepscorer.hypnogram import Hypnogram, Source
from sleepscorer.io.atomic import write_text_atomic
from sleepscorer.io.bids_events import bids_from_rows, stage_column
from sleepscorer.io.existing import BIDS_SIDECAR_MARK
from sleepscorer.io.label_tables import (
    MSSV_STAGES,
    SUPPORTED,
    column,
    format_number,
    from_codes,
    ours_from_rows,
    read_mat_scores,
    read_table,
)
from sleepscorer.io.outputs import check_label_output, check_output_file
from sleepscorer.stages import Stage, epochs_text

HEADER = ("epoch", "onset_s", "duration_s", "stage", "confidence", "source")
ACCUSLEEP_STAGES: dict[int, Stage] = {1: Stage.REM, 2: Stage.WAKE, 3: Stage.NREM}
# Writing BIDS events: MSSV has no micro-arousal code, so MA (a brief awakening) is Wake.
MSSV_CODES: dict[Stage, int] = {**{stage: code for code, stage in MSSV_STAGES.items()},
                                Stage.MA: 1}
MAT_STAGES: dict[int, Stage] = {0: Stage.WAKE, 1: Stage.NREM, 2: Stage.REM, 3: Stage.MA}


# -- writing ----------------------------------------------------------------------------
Notes = Sequence[str] | Callable[[Hypnogram], Sequence[str] | None] | None


def write_labels_csv(hyp: Hypnogram, path: str | Path, epoch_length: float | None = None,
                     probabilities: bool = True, notes: Notes = None,
                     record: dict | None = None) -> None:
    """Write `hyp` as our CSV, atomically. Converts to `epoch_length` when it differs, by
    `Hypnogram.to_epoch_length` (sleepscorer.epoch_windows: the rule `sleepscorer score
    --epoch-length` uses too, so the app's export and the CLI's file agree).

    Probabilities (`p_Wake,...`) are written when asked for and known (at another epoch
    length, each window's mean). Confidence is empty for person-set labels.
    `notes` (one string per written epoch, "" for none) adds a last `note` column saying why
    an epoch is what it is (e.g. a flat electrode); readers ignore it. It may be a function of
    the hypnogram as written (at `epoch_length`) giving them, or None for no column
    (model.quality.note_column, for the CLI and the app alike).
    `record`: fields of the provenance record to write beside it (io.provenance: who wrote the
    file, from what), checked before the CSV is written so a stranger's JSON there stops both.
    """
    from sleepscorer.io.provenance import check_record_output, write_record

    path = check_label_output(path)
    if record is not None:
        check_record_output(path, [record["recording"]] if record.get("recording") else [])
    out = _at_epoch_length(hyp, epoch_length, path)
    notes = notes(out) if callable(notes) else notes
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
        row = [i, format_number(i * el), format_number(el), Stage(int(out.stages[i])).label,
               format_number(conf), Source(int(out.sources[i])).label]
        if probs is not None:
            row.extend(format_number(float(p)) for p in probs[i])
        if notes is not None:
            row.append(notes[i])
        writer.writerow(row)
    write_text_atomic(path, buf.getvalue())
    if record is not None:
        write_record(path, record)


def _at_epoch_length(hyp: Hypnogram, epoch_length: float | None, path: Path) -> Hypnogram:
    """`hyp` at `epoch_length` (None: its own), by `Hypnogram.to_epoch_length`."""
    if epoch_length is None or math.isclose(epoch_length, hyp.epoch_length):
        return hyp
    try:
        return hyp.to_epoch_length(epoch_length)
    except ValueError as exc:
        raise LabelsError(path, f"{exc}; choose an epoch length that is a simple multiple "
                                f"of {hyp.epoch_length:g} s") from exc


def write_bids_events(hyp: Hypnogram, path: str | Path, epoch_length: float | None = None
                      ) -> list[str]:
    """Write a BIDS events.tsv (`onset`,`duration`,`stage`,`source`), one row per scored
    epoch, with its events.json sidecar saying what the codes mean, and return what the files
    cannot hold (for the person to read).

    Stages are MSSV-coded: 1 Wake, 2 NREM, 3 REM, 4 Artifact; MA is written as 1 (Wake)
    because the coding has no micro-arousal; Unscored epochs are omitted. `source` (an extra
    column, as BIDS allows) says who set each label, in our CSV's words (model, expert,
    imported): without it the model's labels read back as a person's, training data. A
    sidecar that is not ours is kept, and said so: BIDS reads codes through it, so a dataset's
    own must not be replaced. `epoch_length`: as `write_labels_csv`'s.
    """
    check_label_output(path, bids=True)
    hyp = _at_epoch_length(hyp, epoch_length, Path(path))
    lines = ["onset\tduration\tstage\tsource"]
    el = hyp.epoch_length
    for i, code in enumerate(hyp.stages):
        stage = Stage(int(code))
        if stage is Stage.UNSCORED:
            continue
        lines.append(f"{format_number(i * el)}\t{format_number(el)}\t{MSSV_CODES[stage]}\t"
                     f"{Source(int(hyp.sources[i])).label}")
    write_text_atomic(Path(path), "\n".join(lines) + "\n")
    notes = []
    n_ma = int(np.count_nonzero(hyp.stages == Stage.MA))
    if n_ma:
        notes.append(f"{n_ma} MA epoch(s) written as Wake: the MSSV stage codes of BIDS events "
                     "have no microarousal (our CSV keeps MA)")
    sidecar = bids_sidecar_path(path)
    try:
        check_output_file(sidecar, [path])
    except SleepScorerError as exc:
        problem = exc.problem.split(";")[0]
        notes.append(f"{sidecar}: not written, it {problem}; the events have no sidecar of "
                     "ours (their stage codes: 1 Wake, 2 NREM, 3 REM, 4 Artifact)")
    else:
        write_text_atomic(sidecar, json.dumps(BIDS_SIDECAR, indent=2) + "\n")
    return notes


def bids_sidecar_path(events: str | Path) -> Path:
    """`sub-01_events.json` beside `sub-01_events.tsv` (BIDS's inheritance: same stem)."""
    events = Path(events)
    return events.with_name(events.name[: -len(".tsv")] + ".json")


BIDS_SIDECAR = {  # what io.outputs recognises as ours (BIDS_SIDECAR_MARK) and may write again
    "onset": {"Description": "Start of the scoring epoch from the recording's start",
              "Units": "s"},
    "duration": {"Description": "Length of the scoring epoch", "Units": "s"},
    "stage": {"LongName": "Sleep stage",
              "Description": BIDS_SIDECAR_MARK + ": sleep stage of the epoch, in the MSSV "
                             "dataset's codes (a microarousal is written as Wake)",
              "Levels": {str(code): stage.label for stage, code in MSSV_CODES.items()
                         if stage is not Stage.MA}},
    "source": {"Description": "Who set the epoch's stage",
               "Levels": {"model": "the automatic scorer",
                          "expert": "a person, in SleepScorer",
                          "imported": "read from a label file (a person's labels)"}},
}


# -- reading ----------------------------------------------------------------------------
def read_labels(path: str | Path, n_epochs: int | None = None, epoch_length: float | None = 1.0,
                accusleep_stages: Mapping[int, Stage] | None = None,
                file_epoch_length: float | None = None,
                duration_s: float | None = None) -> Hypnogram:
    """Read any supported label file, at `epoch_length` seconds per epoch.

    Files that record their own epoch length (our CSV, BIDS events of one row per epoch) are
    converted to `epoch_length` (majority vote when coarser, repeated when finer);
    `epoch_length=None` keeps the file's own. BIDS bouts are read onto `epoch_length` epochs
    (1 s when None), each the stage covering most of it (bids_events). AccuSleep CSV and .mat files have one label per epoch of
    `epoch_length` (1 s when None), or of `file_epoch_length` when given (then converted to
    `epoch_length`; files with their own epoch length ignore it). With `n_epochs` (of the
    recording, at the same epoch length), shorter labels are padded with Unscored (a
    warning), one extra epoch is dropped (a warning), and more than one extra epoch is a
    `LabelsError`; `duration_s` (the recording's length in seconds) does the same whatever
    the epoch length turns out to be (n_epochs counts epochs of the result's length).
    The result's `warnings` attribute lists what was noted.
    """
    path = Path(path)
    if not path.exists():
        raise LabelsError(path, "label file not found; check the path")
    if not path.is_file():
        kind = "a folder" if path.is_dir() else "not a regular file (a FIFO or device)"
        raise LabelsError(path, f"is {kind}, not a label file; choose the label file itself")
    for length in (epoch_length, file_epoch_length):
        if length is not None and not (math.isfinite(length) and length > 0):
            raise LabelsError(path, f"epoch length {length:g} s is not a positive number of "
                                    "seconds; use e.g. 1, 2, 2.5, 4, 5 or 10")
    try:
        return _read_labels(path, n_epochs, epoch_length, accusleep_stages, file_epoch_length,
                            duration_s)
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
                 accusleep_stages: Mapping[int, Stage] | None,
                 file_epoch_length: float | None, duration_s: float | None = None) -> Hypnogram:
    own_length = True  # the file says how long its epochs are
    untimed = file_epoch_length or epoch_length or 1.0  # the epoch length of one that does not
    if path.suffix.lower() == ".mat":
        hyp = from_codes(path, read_mat_scores(path), MAT_STAGES, untimed, ".mat")
        own_length = False
    else:
        header, rows = read_table(path)
        if "brain_state" in header:
            mapping = dict(accusleep_stages or ACCUSLEEP_STAGES)
            codes = column(path, header, rows, "brain_state")
            hyp = from_codes(path, codes, mapping, untimed, "AccuSleep")
            own_length = False
        elif stage_column(header):  # BIDS events: stages in `stage`, else `trial_type`
            hyp = bids_from_rows(path, header, rows, epoch_length)
        elif {"epoch", "stage"} <= set(header):
            hyp = ours_from_rows(path, header, rows)
        else:
            raise LabelsError(path, "not a label file this program knows (columns: "
                              f"{', '.join(header) or 'none'}); supported: {'; '.join(SUPPORTED)}")
    file_labels = len(hyp)  # what a guess at the file's epoch length counts
    if epoch_length is not None and not math.isclose(epoch_length, hyp.epoch_length):
        if n_epochs is not None:  # too long for the recording: said in the file's own epochs
            _fit_length(path, hyp, int(n_epochs * epoch_length / hyp.epoch_length + 1e-9), own_length)
        notes, covered = hyp.warnings, len(hyp) * hyp.epoch_length
        try:
            hyp = hyp.to_epoch_length(epoch_length)
        except ValueError as exc:
            raise LabelsError(path, f"cannot put {hyp.epoch_length:g}-s labels onto "
                                    f"{epoch_length:g}-s epochs ({exc})") from exc
        left = covered - len(hyp) * epoch_length
        hyp.warnings = notes + ([f"{path}: the last {left:g} s are shorter than one "
                                 f"{epoch_length:g}-s epoch and are left out"] if left > 1e-6 else [])
    if duration_s is not None:
        n_epochs = int(duration_s / hyp.epoch_length + 1e-9)
    if n_epochs is not None:
        hyp = _fit_length(path, hyp, n_epochs, own_length, file_labels)
    hyp.recorded_epoch_length = own_length
    return hyp


def read_labels_as_recorded(path: str | Path, file_epoch_length: float | None = None,
                            duration_s: float | None = None) -> Hypnogram:
    """A label file at its own epoch length; a file that records none (AccuSleep, .mat) at
    `file_epoch_length` (1 s when None). With `duration_s`, fitted to a recording that long.

    Why: an `--epoch-length` meant for files that do not record theirs re-binned those that
    do (a 4-s file spread onto 3-s epochs, a 1-s hypnogram's bouts merged), without a word.
    """
    return read_labels(path, epoch_length=None, file_epoch_length=file_epoch_length,
                       duration_s=duration_s)


def unused_length_note(hyps: list[Hypnogram], given: float | None, option: str) -> str | None:
    """Said when `option` (an epoch length for files that record none) was given and every
    file records its own, so it changed nothing (`compare --epoch-length 4` was silent)."""
    if given is None or not all(h.recorded_epoch_length for h in hyps):
        return None
    own = ", ".join(sorted({f"{h.recorded_epoch_length:g} s" for h in hyps}))
    return (f"{option} {given:g} is not used: it is for files that do not record their epoch "
            f"length, and these record theirs ({own})")


def assumed_length_note(path: str | Path, hyp: Hypnogram, known: bool, how: str) -> str | None:
    """The one check of a file read at an assumed 1-s epoch: it records none (AccuSleep,
    .mat), and neither its epoch length nor the recording's length (`known`) was given to
    show it wrong. `how` names the command's options (`stats` said so, `convert-labels` not)."""
    if hyp.recorded_epoch_length or known:
        return None
    return (f"{path} does not record its epoch length: read as one label per 1 s; give "
            f"{how} if its epochs are longer")


def read_labels_of_recording(path: str | Path, duration_s: float,
                             file_epoch_length: float | None, option: str) -> Hypnogram:
    """The labels of one recording `duration_s` long, at the file's own epoch length, placed
    as `stats --recording` places them (`read_labels_as_recorded`). A file that records no
    epoch length (AccuSleep, .mat) whose labels would cover the recording at a longer one
    (`covering_epoch_length`, as `compare` and the app's import guess) is ambiguous: refused,
    naming `option`, unless `file_epoch_length` was given. (900 4-s AccuSleep labels of a
    1-h recording were taken as its first 900 s, without a word.)"""
    hyp = read_labels_as_recorded(path, file_epoch_length)
    fits = None if hyp.recorded_epoch_length or file_epoch_length is not None \
        else covering_epoch_length(len(hyp), duration_s)
    if fits:
        raise LabelsError(path, f"does not record its epoch length: its {len(hyp)} labels cover "
                                f"{len(hyp):g} s of the {duration_s:g}-s recording at 1 s each, "
                                f"all of it at {fits:g} s; give {option} {fits:g} if its epochs "
                                f"are {fits:g} s ({option} 1 if they are 1 s)")
    fitted = _fit_length(Path(path), hyp, int(duration_s // hyp.epoch_length + 1e-9),
                         hyp.recorded_epoch_length)
    fitted.recorded_epoch_length = hyp.recorded_epoch_length
    return fitted


def read_bids_events(path: str | Path) -> Hypnogram:
    """A BIDS events.tsv as a Hypnogram at the file's own epoch length (e.g. 4 s), or at
    1 s when its rows are bouts of any length.

    `stage` (else BIDS's `trial_type`) may be MSSV codes (1 Wake, 2 NREM, 3 REM, 4 Artifact)
    or stage names; epochs no row covers stay Unscored (a warning says which), an incomplete
    last epoch is left out. A `source` column (model, expert, imported) says who set each
    label; without it all are a person's. Convert with `hyp.to_epoch_length(1.0)`.
    """
    path = Path(path)
    if not path.is_file():
        raise LabelsError(path, "events file not found or not a regular file; check the path")
    header, rows = read_table(path)
    if not stage_column(header):
        raise LabelsError(path, "a BIDS events.tsv needs columns onset, duration and stage or "
                                f"trial_type (found {', '.join(header) or 'none'})")
    return bids_from_rows(path, header, rows)


def _fit_length(path: Path, hyp: Hypnogram, n_epochs: int, own_length: bool,
                file_labels: int | None = None) -> Hypnogram:
    """`hyp` cut or padded to `n_epochs`; `file_labels`: the file's own label count, for the
    guess at its epoch length (`len(hyp)` unless it was re-binned)."""
    notes = list(hyp.warnings)
    n = len(hyp)
    file_labels = n if file_labels is None else file_labels
    el = hyp.epoch_length
    if n > n_epochs + 1:
        raise LabelsError(path, f"the labels cover {epochs_text(n, el)} ({n * el:g} s) but the "
                                f"recording has only {epochs_text(n_epochs, el)} "
                                f"({n_epochs * el:g} s); check that the labels belong to this "
                                "recording and use the same epoch length")
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
        fits = None if own_length else covering_epoch_length(file_labels, n_epochs * el)
        notes.append(f"{path}: the labels cover {n} of {n_epochs} epochs; the file has no label "
                     f"for the last {n_epochs - n} ({(n_epochs - n) * el:g} s)"
                     + (f". One label per {fits:g} s would cover the recording: if that is "
                        f"the file's epoch length, read it so (the app asks when importing; "
                        f"CLI: --file-epoch-length {fits:g})" if fits else ""))
        out.covering_epoch_length = fits
    out.warnings = notes
    return out


def covering_epoch_length(n_labels: int, duration_s: float) -> float | None:
    """The common epoch length (2-30 s) at which `n_labels` labels cover `duration_s` to
    within one epoch, or None: a guess offered to a person, never taken silently (a 4-s
    AccuSleep file read as 1-s labels covered a quarter of the recording)."""
    for length in (2.0, 2.5, 4.0, 5.0, 10.0, 30.0):
        if n_labels and abs(n_labels * length - duration_s) <= length:
            return length
    return None
