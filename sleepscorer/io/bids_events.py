"""BIDS events.tsv (onset, duration, stage or trial_type) laid onto an epoch grid.

An events table is either a list of epochs (every row one scoring epoch, as MSSV's 4-s rows)
or a list of bouts of any length (BIDS's usual form). Only the first says how long an epoch
is. Bouts are a hypnogram in time, read onto the epoch grid the caller uses (1 s, the app's,
when none is asked for): their common divisor is no epoch length (boundaries at 10.4 s and
30.4 s were read, silently, as 0.8-s epochs). Every epoch is whole: an incomplete last one
is left out, as a recording's is (`stages.n_epochs`), so time in state never gains seconds.
An optional `source` column (model, expert, imported, as our CSV) says who set each row's
label; without it every label is a person's (imported), as in files of other tools (MSSV).
The stages are in `stage` (ours, MSSV's) or else in `trial_type`, BIDS's standard column for
what an event is, read alike (a file calling its stages trial_type was refused as "not a
label file" while `info` said it held sleep labels).
Must not know about recordings' signals or Qt.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from sleepscorer.errors import LabelsError
from sleepscorer.hypnogram import Hypnogram, Source
from sleepscorer.io.label_tables import (
    MAX_EPOCHS,
    MSSV_STAGES,
    column,
    floats,
    missing_rows_note,
    read_table,
    shown,
    sources_from_names,
)
from sleepscorer.stages import BASE_EPOCH, LABEL_DTYPE, Stage

_ON_GRID = 1e-6  # a time within this many epochs of a grid line is on it (float rounding)
_ROW = "event row"  # how errors name a row of an events table


def stage_column(header: list[str]) -> str | None:
    """The column an events table (onset, duration) holds its stages in: `stage`, else
    `trial_type`; None when it is no events table of stages."""
    if not {"onset", "duration"} <= set(header):
        return None
    return next((name for name in ("stage", "trial_type") if name in header), None)


def trial_type_problem(path: Path) -> str | None:
    """Why a table with a `trial_type` column and no other stage column is not read as sleep
    labels (e.g. "event row 1: trial_type 'go' is not a sleep stage; ..."), or None when the
    label reader reads its stages. Why: `info` called a task's events "sleep labels" that
    every label command then refused."""
    try:
        header, rows = read_table(path)
        if stage_column(header) != "trial_type":
            return ("it has no onset and duration columns, which BIDS events have (columns "
                    f"{', '.join(header)})")
        _stage_codes(path, header, rows)
    except LabelsError as exc:
        return exc.problem
    return None


def bids_from_rows(path: Path, header: list[str], rows: list[list[str]],
                   epoch_length: float | None = None) -> Hypnogram:
    """The events as whole epochs of `epoch_length` s; overlapping events are errors.

    `epoch_length` None: an epoch table's own length, bouts onto 1 s. An epoch table asked
    for coarser epochs comes back at its own length, for `Hypnogram.to_epoch_length` to vote.
    """
    onsets, ends, stages, sources = _events(path, header, rows)
    if len(onsets) == 0:
        hyp = Hypnogram(0, epoch_length or BASE_EPOCH)
        hyp.warnings = [f"{path}: no events in the file"]
        return hyp
    own = _epoch_table_length(onsets, ends)
    if epoch_length is None or (own is not None and epoch_length > own * (1 + _ON_GRID)):
        epoch_length = own or BASE_EPOCH
    if ends[-1] / epoch_length > MAX_EPOCHS:
        raise LabelsError(path, f"an event ends at {ends[-1]:g} s, more than "
                                f"{MAX_EPOCHS * epoch_length / 86400:.0f} days; fix that onset")
    return _onto_grid(path, onsets, ends, stages, sources, epoch_length)


def _events(path: Path, header: list[str], rows: list[list[str]],
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(onsets, ends, stage codes, sources) in time order, every row checked; overlaps are
    errors. The stages are checked first: a task's events (trial_type go, stop) are named as
    no sleep stages, not as overlapping."""
    codes = _stage_codes(path, header, rows)
    onset_texts = column(path, header, rows, "onset", _ROW)
    duration_texts = column(path, header, rows, "duration", _ROW)
    onsets = floats(path, onset_texts, "onset")
    durations = floats(path, duration_texts, "duration")
    with np.errstate(invalid="ignore"):  # NaN and inf are bad too
        bad = ~(np.isfinite(onsets) & (onsets >= 0)) | ~(np.isfinite(durations) & (durations > 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        if not (np.isfinite(onsets[i]) and onsets[i] >= 0):
            raise LabelsError(path, f"{_ROW} {i + 1}: onset {shown(onsets[i], onset_texts[i])}"
                                    " is not a time >= 0 s; fix that row")
        raise LabelsError(path, f"{_ROW} {i + 1}: duration "
                                f"{shown(durations[i], duration_texts[i])} must be a positive "
                                "number of seconds; fix that row")
    ends = onsets + durations
    order = np.argsort(onsets, kind="stable")
    overlap = np.flatnonzero(ends[order[:-1]] > onsets[order[1:]] + 1e-6 * durations[order[:-1]])
    if len(overlap):
        a, b = int(order[overlap[0]]), int(order[overlap[0] + 1])
        raise LabelsError(path, f"event rows {a + 1} and {b + 1} overlap ({onsets[a]:g}-"
                                f"{ends[a]:g} s and {onsets[b]:g}-{ends[b]:g} s); each moment "
                                "needs one stage")
    sources = (sources_from_names(path, column(path, header, rows, "source", _ROW))
               if "source" in header else np.full(len(codes), Source.IMPORTED, np.int8))
    return onsets[order], ends[order], codes[order], sources[order]


def _stage_codes(path: Path, header: list[str], rows: list[list[str]]) -> np.ndarray:
    """The stage of every row, from `stage_column`; the first value (in row order) that is
    no stage is an error naming it and its row."""
    name = stage_column(header)
    values = column(path, header, rows, name, _ROW)
    stage_of: dict[str, int] = {}
    for i, value in enumerate(values):
        if value not in stage_of:
            stage_of[value] = int(_stage_of(path, value, name, i + 1))
    return np.array([stage_of[v] for v in values], dtype=LABEL_DTYPE)


def _epoch_table_length(onsets: np.ndarray, ends: np.ndarray) -> float | None:
    """The rows' commonest duration if they are epochs of it: it is whole or half seconds,
    at least 1 s, and every row starts and ends on its multiples (the last may end early: a
    recording stopped mid-epoch). None: the rows are bouts."""
    common = Counter(np.round(ends - onsets, 6).tolist()).most_common(1)[0][0]
    if common < BASE_EPOCH or not _on(np.array([2 * common]), 1.0).all():
        return None
    return common if _on(np.concatenate([onsets, ends[:-1]]), common).all() else None


def _on(times: np.ndarray, epoch_length: float) -> np.ndarray:
    at = times / epoch_length
    return np.abs(at - np.round(at)) <= _ON_GRID


def _onto_grid(path: Path, onsets: np.ndarray, ends: np.ndarray, codes: np.ndarray,
               who: np.ndarray, el: float) -> Hypnogram:
    """Each whole `el`-s epoch takes the stage covering most of it, time no event covers
    counting as Unscored; a tie goes to the stage that comes first in the epoch, as
    `Hypnogram.to_epoch_length` votes. Its source is that stage's events', the model's if
    any of them is the model's (a person's label is never made up). The incomplete last
    epoch is left out."""
    n = int(np.floor(ends[-1] / el + _ON_GRID))
    stages = np.full(n, Stage.UNSCORED, dtype=LABEL_DTYPE)
    sources = np.full(n, Source.NONE, dtype=np.int8)
    first = np.where(_on(onsets, el), np.round(onsets / el), np.ceil(onsets / el)).astype(np.int64)
    stop = np.minimum(np.where(_on(ends, el), np.round(ends / el), np.floor(ends / el)), n)
    count = np.maximum(stop.astype(np.int64) - first, 0)  # the epochs one event covers whole
    at = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count - first, count)
    stages[at] = np.repeat(codes, count)
    sources[at] = np.repeat(who, count)
    times = np.concatenate([onsets, ends[:-1]])
    off = np.unique(times[~_on(times, el)])
    for k in np.unique(np.floor(off / el).astype(np.int64)):
        if k < n:
            stages[k], sources[k] = _majority(onsets, ends, codes, who, k * el, (k + 1) * el)
    sources[stages == Stage.UNSCORED] = Source.NONE
    hyp = Hypnogram.from_arrays(stages, el, sources=sources)
    hyp.warnings = []
    # an epoch no event touches has no row, as in our CSV (a part-covered one is voted on)
    touch = np.zeros(n + 1, np.int64)
    np.add.at(touch, np.minimum(np.floor(onsets / el + _ON_GRID).astype(np.int64), n), 1)
    np.add.at(touch, np.minimum(np.ceil(ends / el - _ON_GRID).astype(np.int64), n), -1)
    if (note := missing_rows_note(path, np.cumsum(touch)[:n] > 0, el)) is not None:
        hyp.warnings.append(note)
    if len(off):
        hyp.warnings.append(
            f"{path}: {len(off)} event boundar{'y is' if len(off) == 1 else 'ies are'} not on the "
            f"{el:g}-s epoch grid (the first at {off[0]:g} s); each {el:g}-s epoch has the stage "
            "that covers most of it (on a tie, the one that comes first)")
    if (left := float(ends[-1]) - n * el) > _ON_GRID * el:
        hyp.warnings.append(f"{path}: the last {left:g} s (from {n * el:g} s) are shorter than "
                            f"one {el:g}-s epoch and are left out")
    return hyp


def _majority(onsets: np.ndarray, ends: np.ndarray, codes: np.ndarray, who: np.ndarray,
              lo: float, hi: float) -> tuple[int, int]:
    """(stage, source) of [lo, hi): the stage covering most of it, time order breaking ties,
    gaps Unscored; the source of that stage's events there, the model's if any is."""
    cover: dict[int, float] = {}
    setters: dict[int, set[int]] = {}
    t = lo
    for i in range(np.searchsorted(ends, lo, "right"), np.searchsorted(onsets, hi, "left")):
        start, end = max(float(onsets[i]), lo), min(float(ends[i]), hi)
        if start > t:
            cover[Stage.UNSCORED] = cover.get(Stage.UNSCORED, 0.0) + start - t
        cover[int(codes[i])] = cover.get(int(codes[i]), 0.0) + end - start
        setters.setdefault(int(codes[i]), set()).add(int(who[i]))
        t = end
    if hi > t:
        cover[Stage.UNSCORED] = cover.get(Stage.UNSCORED, 0.0) + hi - t
    stage = max(cover, key=lambda s: round(cover[s] / (hi - lo), 6))  # the first of equals
    by = setters.get(stage, {Source.NONE})
    return stage, (Source.MODEL if Source.MODEL in by else max(by))


def _stage_of(path: Path, value: str, name: str, row: int) -> Stage:
    """A stage name (as our CSV's) or MSSV code; else an error naming the row and value, in
    words that fit the column (a task's trial_type is no unknown stage)."""
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        try:
            return Stage.from_name(text)
        except ValueError:
            pass
        number = None
    if number is not None and number in MSSV_STAGES:
        return MSSV_STAGES[int(number)]
    names = "use Wake, NREM, REM, MA, Artifact or Unscored"
    codes = "BIDS events use 1 Wake, 2 NREM, 3 REM, 4 Artifact"
    if name == "trial_type":
        raise LabelsError(path, f"{_ROW} {row}: trial_type {text!r} is not a sleep stage; a "
                                "trial_type column is read as sleep stages: "
                                f"{names if number is None else codes}")
    if number is None:
        raise LabelsError(path, f"{_ROW} {row}: unknown stage {text!r}; {names}")
    raise LabelsError(path, f"{_ROW} {row}: unknown stage code {text!r}; {codes}")
