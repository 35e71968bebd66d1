"""BIDS events.tsv (onset, duration, stage) laid onto an epoch grid.

An events table is either a list of epochs (every row one scoring epoch, as MSSV's 4-s rows)
or a list of bouts of any length (BIDS's usual form). Only the first says how long an epoch
is. Bouts are a hypnogram in time, read onto the epoch grid the caller uses (1 s, the app's,
when none is asked for): their common divisor is no epoch length (boundaries at 10.4 s and
30.4 s were read, silently, as 0.8-s epochs). Every epoch is whole: an incomplete last one
is left out, as a recording's is (`stages.n_epochs`), so time in state never gains seconds.
An optional `source` column (model, expert, imported, as our CSV) says who set each row's
label; without it every label is a person's (imported), as in files of other tools (MSSV).
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
    format_number,
    sources_from_names,
)
from sleepscorer.stages import BASE_EPOCH, LABEL_DTYPE, Stage

_ON_GRID = 1e-6  # a time within this many epochs of a grid line is on it (float rounding)


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
    errors."""
    onsets = floats(path, column(path, header, rows, "onset"), "onset")
    durations = floats(path, column(path, header, rows, "duration"), "duration")
    values = column(path, header, rows, "stage")
    with np.errstate(invalid="ignore"):  # NaN and inf are bad too
        bad = ~(np.isfinite(onsets) & (onsets >= 0)) | ~(np.isfinite(durations) & (durations > 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        if not (np.isfinite(onsets[i]) and onsets[i] >= 0):
            raise LabelsError(path, f"event row {i + 1}: onset {format_number(onsets[i]) or 'empty'}"
                                    " is not a time >= 0 s; fix that row")
        raise LabelsError(path, f"event row {i + 1}: duration {format_number(durations[i]) or 'empty'}"
                                " must be a positive number of seconds; fix that row")
    ends = onsets + durations
    order = np.argsort(onsets, kind="stable")
    overlap = np.flatnonzero(ends[order[:-1]] > onsets[order[1:]] + 1e-6 * durations[order[:-1]])
    if len(overlap):
        a, b = int(order[overlap[0]]), int(order[overlap[0] + 1])
        raise LabelsError(path, f"event rows {a + 1} and {b + 1} overlap ({onsets[a]:g}-"
                                f"{ends[a]:g} s and {onsets[b]:g}-{ends[b]:g} s); each moment "
                                "needs one stage")
    stage_of = {v: int(_stage_of(path, v)) for v in set(values)}
    codes = np.array([stage_of[v] for v in values], dtype=LABEL_DTYPE)
    sources = (sources_from_names(path, column(path, header, rows, "source"))
               if "source" in header else np.full(len(codes), Source.IMPORTED, np.int8))
    return onsets[order], ends[order], codes[order], sources[order]


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
