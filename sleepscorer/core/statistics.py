"""Sleep architecture of a hypnogram: time in each state (total, per hour, light/dark),
bouts, transitions, sleep and REM latency, and per-state EEG power spectra; CSV/JSON export.

`compute_statistics` is the one function behind the statistics panel and
`sleepscorer stats`, so both always give the same numbers.
Unscored epochs are reported as their own row and never counted as any sleep state; a
transition is counted between two consecutive bouts only when both are scored. Per-hour
bins run from the recording's start (the default) or, with a known start time and
`clock_hours`, from clock hour to clock hour; every export says which, and gives each bin's
real length (a partial first or last bin is never read as a whole hour).
Must not import Qt.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from sleepscorer.errors import SleepScorerError
from sleepscorer.hypnogram import Hypnogram
from sleepscorer.io.atomic import write_text_atomic
from sleepscorer.stages import Stage, mask_runs, runs

DEFAULT_STATES = (Stage.WAKE, Stage.NREM, Stage.REM, Stage.MA, Stage.ARTIFACT)
SLEEP_STATES = (Stage.NREM, Stage.REM)
LIGHTS_ON_HOUR, LIGHTS_OFF_HOUR = 7, 19  # the usual 12:12 light cycle, lights on at 07:00
SLEEP_ONSET_S = 60.0  # sleep latency: time to the first sleep bout at least this long
FROM_START, CLOCK_HOURS = "recording start", "clock hours"  # what per-hour bins align to


@dataclass
class StateSpectra:
    """EEG power per state: for each state the mean and standard deviation over its epochs
    of 10*log10(power) (dB, a log scale), at `freqs` Hz; `n_epochs` counts the epochs used."""

    freqs: np.ndarray
    mean_db: dict[Stage, np.ndarray]
    sd_db: dict[Stage, np.ndarray]
    n_epochs: dict[Stage, int]


def state_spectra(power_db: np.ndarray, freqs: np.ndarray, step_s: float, hyp: Hypnogram,
                  states: tuple[Stage, ...] = DEFAULT_STATES, start: int = 0,
                  stop: int | None = None) -> StateSpectra:
    """Mean and spread of the spectrogram's columns (core/display.spectrogram: dB, one
    column every `step_s`) grouped by the stage of the epoch each column's centre lies in."""
    stop = len(hyp) if stop is None else min(stop, len(hyp))
    centres = (np.arange(len(power_db)) + 0.5) * step_s
    epoch = np.floor(centres / hyp.epoch_length).astype(np.int64)
    inside = (epoch >= start) & (epoch < stop)
    stage_of = np.full(len(power_db), int(Stage.UNSCORED), np.int16)
    stage_of[inside] = hyp.stages[epoch[inside]]
    # sums per state by sorting the columns once (no copy per state, no BLAS threads): a
    # 24 h spectrogram (86,400 columns) takes tens of ms, so the panel refreshes after edits
    index = np.full(len(stage_of), len(states), np.int64)
    for i, s in enumerate(states):
        index[stage_of == int(s)] = i
    order = np.argsort(index, kind="stable")
    bounds = np.searchsorted(index[order], np.arange(len(states) + 1))
    n = np.diff(bounds).astype(np.float64)
    power = np.asarray(power_db, np.float32)[order]
    sums = np.zeros((len(states), power.shape[1]))
    squares = np.zeros_like(sums)
    for i in range(len(states)):
        block = power[bounds[i]:bounds[i + 1]].astype(np.float64)
        if len(block):
            sums[i] = block.sum(axis=0)
            squares[i] = np.einsum("ij,ij->j", block, block)
    mean, sd, counts = {}, {}, {}
    for i, s in enumerate(states):
        counts[s] = int(n[i])
        if n[i]:
            m = sums[i] / n[i]
            mean[s] = m.astype(np.float32)
            sd[s] = np.sqrt(np.maximum(squares[i] / n[i] - m * m, 0.0)).astype(np.float32)
        else:
            mean[s] = sd[s] = np.full(len(freqs), np.nan, np.float32)
    return StateSpectra(np.asarray(freqs, np.float32), mean, sd, counts)


@dataclass
class SleepStatistics:
    """Figures for one hypnogram (or a range of it); dictionaries are keyed by Stage."""

    epoch_length: float
    states: tuple[Stage, ...]
    time_s: dict[Stage, float]
    percent_of_scored: dict[Stage, float]
    bout_count: dict[Stage, int]
    mean_bout_s: dict[Stage, float]
    transitions: np.ndarray  # (len(states), len(states)) counts, row = from, column = to
    unscored_s: float
    total_s: float
    per_hour_s: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (hours, states)
    hour_starts: list[str] = field(default_factory=list)  # clock time or offset of each hour
    hour_offsets_s: list[float] = field(default_factory=list)  # each bin's start from epoch 0
    hour_lengths_s: list[float] = field(default_factory=list)  # 3600 but a partial first/last
    hours_aligned_to: str = FROM_START  # or CLOCK_HOURS
    light_s: dict[Stage, float] | None = None  # None when the start time is unknown
    dark_s: dict[Stage, float] | None = None
    sleep_latency_s: float | None = None  # to the first sleep bout >= SLEEP_ONSET_S
    rem_latency_s: float | None = None  # from sleep onset to the first REM epoch
    start_time: datetime | None = None
    spectra: StateSpectra | None = None

    def transition_count(self, from_stage: Stage, to_stage: Stage) -> int:
        return int(self.transitions[self.states.index(from_stage), self.states.index(to_stage)])

    def per_hour_text(self) -> str:
        """'3 bins on clock hours (first 30.0 min, last 30.0 min)': what the exports'
        per-hour table holds, said where the figures are shown."""
        lengths = self.hour_lengths_s
        if not lengths:
            return "none"
        where = "on clock hours" if self.hours_aligned_to == CLOCK_HOURS else "from the recording start"
        ends = [("first ", lengths[0]), ("last ", lengths[-1])] if len(lengths) > 1 else [("", lengths[0])]
        partial = [f"{name}{n / 60:.1f} min" for name, n in ends if abs(n - 3600) > 1e-6]
        count = f"{len(lengths)} bin{'s' if len(lengths) != 1 else ''}"
        return f"{count} {where}" + (f" ({', '.join(partial)})" if partial else "")


def compute_statistics(hyp: Hypnogram, start: int = 0, stop: int | None = None,
                       states: tuple[Stage, ...] = DEFAULT_STATES,
                       start_time: datetime | None = None, spectrogram=None,
                       clock_hours: bool = False) -> SleepStatistics:
    """Statistics of epochs [start, stop) of `hyp`.

    `start_time`: the recording's clock time at epoch 0 (light/dark split, hour labels).
    `spectrogram`: a core/display.Spectrogram of the EEG, for per-state power spectra.
    `clock_hours`: per-hour bins from clock hour to clock hour (needs `start_time`)."""
    if clock_hours and start_time is None:
        raise SleepScorerError(None, "per-hour bins on clock hours need the recording's start "
                                     "time, and it is not known")
    stop = len(hyp) if stop is None else min(stop, len(hyp))
    stages = hyp.stages[start:stop]
    el = hyp.epoch_length
    time_s = {s: float(np.count_nonzero(stages == s) * el) for s in states}
    unscored_s = float(np.count_nonzero(stages == Stage.UNSCORED) * el)
    scored_s = sum(time_s.values())
    percent = {s: (100.0 * t / scored_s if scored_s else 0.0) for s, t in time_s.items()}

    if len(stages):
        bout_stages, starts, stops = runs(stages)
        lengths = stops - starts
    else:
        lengths = bout_stages = np.empty(0, int)
    bout_count = {s: int(np.count_nonzero(bout_stages == s)) for s in states}
    mean_bout = {s: (float(lengths[bout_stages == s].mean() * el) if bout_count[s] else 0.0)
                 for s in states}

    lookup = np.full(256, -1, np.int64)  # stage code -> row (codes are small ints)
    for i, s in enumerate(states):
        lookup[int(s) & 0xFF] = i
    rows = lookup[np.asarray(bout_stages, np.int64) & 0xFF]
    transitions = np.zeros((len(states), len(states)), int)
    if len(rows) > 1:
        a, b = rows[:-1], rows[1:]
        both = (a >= 0) & (b >= 0)
        np.add.at(transitions, (a[both], b[both]), 1)
    hours = _per_hour(stages, el, states, start * el, start_time, clock_hours)
    light = dark = None
    if start_time is not None:
        light, dark = _light_dark(stages, el, states, start_time + timedelta(seconds=start * el))
    latency, rem_latency = _latencies(stages, el)
    spectra = None
    if spectrogram is not None and len(spectrogram.power):
        spectra = state_spectra(spectrogram.power, spectrogram.freqs, spectrogram.step_s, hyp,
                                tuple(states), start, stop)
    return SleepStatistics(el, tuple(states), time_s, percent, bout_count, mean_bout,
                           transitions, unscored_s, float(len(stages) * el), *hours,
                           CLOCK_HOURS if clock_hours else FROM_START, light, dark, latency,
                           rem_latency, start_time, spectra)


def _per_hour(stages: np.ndarray, el: float, states, offset_s: float,
              start_time: datetime | None, clock_hours: bool = False
              ) -> tuple[np.ndarray, list[str], list[float], list[float]]:
    """Seconds in each state per hour bin; each bin's label, start (s from epoch 0) and
    length. Bins start at the first epoch, or with `clock_hours` at each clock hour (the
    first and last then partial); an epoch across a bin edge is split between the two."""
    total = len(stages) * el
    first = 3600.0
    if clock_hours and start_time is not None:
        t0 = start_time + timedelta(seconds=offset_s)
        into = (t0.minute * 60 + t0.second + t0.microsecond / 1e6) % 3600
        first = 3600.0 - into if into > 1e-6 else 3600.0
    n_inner = max(0, int(math.ceil((total - first) / 3600 - 1e-9)))
    edges = np.array([0.0, *(first + 3600.0 * np.arange(n_inner)), total]) if total else np.zeros(0)
    # time in state s before t: whole epochs before t plus the part of the epoch holding t
    i = np.minimum((edges // el).astype(np.int64), len(stages))
    out = np.zeros((max(len(edges) - 1, 0), len(states)))
    for j, s in enumerate(states):
        x = np.append(stages == s, False).astype(np.float64)
        before = np.concatenate([[0.0], np.cumsum(x[:-1])]) * el
        out[:, j] = np.round(np.diff(before[i] + x[i] * (edges - i * el)), 6)
    starts, lengths = [float(e) for e in edges[:-1]], [float(d) for d in np.diff(edges)]
    return out, [_hour_label(offset_s + t, start_time) for t in starts], \
        [offset_s + t for t in starts], lengths


def _hour_label(seconds: float, start_time: datetime | None) -> str:
    """The clock time `seconds` after epoch 0 ('2024-03-01 18:30', seconds when not 0),
    or '+1.5 h' without a start time."""
    if start_time is None:
        return f"+{round(seconds / 3600, 4):g} h"
    t = start_time + timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%d %H:%M" + (":%S" if t.second else ""))


def _light_dark(stages: np.ndarray, el: float, states, t0: datetime
                ) -> tuple[dict[Stage, float], dict[Stage, float]]:
    """Seconds in each state in the light and in the dark; an epoch across lights on or off
    is split between the two, as the per-hour bins split it, so the hours of the light
    period add up to the light total (a 10-s epoch at 18:59:55 had gone wholly to one side)."""
    day = 86400.0
    start = t0.hour * 3600 + t0.minute * 60 + t0.second + t0.microsecond / 1e6
    on, off = LIGHTS_ON_HOUR * 3600.0, LIGHTS_OFF_HOUR * 3600.0

    def light_before(t: np.ndarray) -> np.ndarray:  # light seconds from midnight of day 0 to t
        return (t // day) * (off - on) + np.clip(t % day - on, 0.0, off - on)

    edges = start + np.arange(len(stages) + 1) * el
    light = np.diff(light_before(edges))
    light_s = {s: float(np.round(light[stages == s].sum(), 6)) for s in states}
    return light_s, {s: float(np.round(np.count_nonzero(stages == s) * el - light_s[s], 6))
                     for s in states}


def sleep_onset(stages: np.ndarray, el: float) -> int | None:
    """The first epoch of the first run of sleep (NREM/REM) lasting SLEEP_ONSET_S, or None:
    one definition of falling asleep for sleep latency and for sleep after a stimulation."""
    sleep = np.isin(stages, [int(s) for s in SLEEP_STATES])
    if not sleep.any():
        return None
    starts, stops = (np.array(side) for side in zip(*mask_runs(sleep), strict=True))
    need = max(1, int(math.ceil(SLEEP_ONSET_S / el - 1e-9)))
    long_enough = np.flatnonzero(stops - starts >= need)
    return int(starts[long_enough[0]]) if len(long_enough) else None


def _latencies(stages: np.ndarray, el: float) -> tuple[float | None, float | None]:
    """Sleep latency: start to `sleep_onset`; REM latency: sleep onset to the first REM
    epoch after it."""
    onset = sleep_onset(stages, el)
    if onset is None:
        return None, None
    rem = np.flatnonzero(stages[onset:] == Stage.REM)
    return onset * el, (float(rem[0] * el) if len(rem) else None)


def statistics_dict(stats: SleepStatistics) -> dict:
    """Everything in plain types (JSON export, and the CSV is made from it)."""
    names = [s.label for s in stats.states]

    def by_state(values: dict | None):
        return None if values is None else {s.label: values[s] for s in stats.states}

    out = {
        "epoch_length_s": stats.epoch_length,
        "total_s": stats.total_s,
        "unscored_s": stats.unscored_s,
        "start_time": stats.start_time.isoformat() if stats.start_time else None,
        "time_s": by_state(stats.time_s),
        "percent_of_scored": by_state(stats.percent_of_scored),
        "bouts": by_state(stats.bout_count),
        "mean_bout_s": by_state(stats.mean_bout_s),
        "transitions": {a: {b: int(stats.transitions[i, j]) for j, b in enumerate(names)}
                        for i, a in enumerate(names)},
        "per_hour_aligned_to": stats.hours_aligned_to,
        "per_hour_s": [{"hour": label, "start_s": start, "length_s": length,
                        **{n: float(v) for n, v in zip(names, row, strict=True)}}
                       for label, start, length, row in zip(
                           stats.hour_starts, stats.hour_offsets_s, stats.hour_lengths_s,
                           stats.per_hour_s, strict=True)],
        "light_s": by_state(stats.light_s),
        "dark_s": by_state(stats.dark_s),
        "sleep_latency_s": stats.sleep_latency_s,
        "rem_latency_s": stats.rem_latency_s,
    }
    if stats.spectra is not None:
        sp = stats.spectra
        out["spectra_db"] = {
            "freqs_hz": [round(float(f), 4) for f in sp.freqs],
            **{s.label: {"epochs": sp.n_epochs[s],
                         "mean": [None if np.isnan(v) else round(float(v), 3) for v in sp.mean_db[s]],
                         "sd": [None if np.isnan(v) else round(float(v), 3) for v in sp.sd_db[s]]}
               for s in stats.states}}
    return out


def write_statistics(stats: SleepStatistics, path: str | Path) -> Path:
    """JSON when `path` ends with .json, CSV when .csv; any other name is refused, so that
    statistics never replace a recording (an export named mouse1.edf did)."""
    path = Path(path)
    if path.suffix.lower() not in (".csv", ".json"):
        raise SleepScorerError(path, "statistics are written as .csv or .json; choose a name "
                                     "ending with one of them (nothing was written)")
    if path.suffix.lower() == ".json":
        write_text_atomic(path, json.dumps(statistics_dict(stats), indent=1))
        return path
    return write_statistics_csv(stats, path)


def write_statistics_csv(stats: SleepStatistics, path: str | Path) -> Path:
    """One row per state (time, %, bouts, mean bout), then the transition matrix."""
    path = Path(path)
    with io.StringIO(newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["state", "time_s", "percent_of_scored", "bouts", "mean_bout_s"])
        for s in stats.states:
            out.writerow([s.label, f"{stats.time_s[s]:g}", f"{stats.percent_of_scored[s]:.2f}",
                          stats.bout_count[s], f"{stats.mean_bout_s[s]:.2f}"])
        out.writerow([Stage.UNSCORED.label, f"{stats.unscored_s:g}", "", "", ""])
        out.writerow([])
        out.writerow(["transitions from \\ to", *[s.label for s in stats.states]])
        for i, s in enumerate(stats.states):
            out.writerow([s.label, *[int(v) for v in stats.transitions[i]]])
        names = [s.label for s in stats.states]
        out.writerow([])
        out.writerow(["latency", "seconds"])
        out.writerow(["sleep", "" if stats.sleep_latency_s is None else f"{stats.sleep_latency_s:g}"])
        out.writerow(["REM", "" if stats.rem_latency_s is None else f"{stats.rem_latency_s:g}"])
        if len(stats.per_hour_s):
            out.writerow([])
            _write_per_hour(out, stats)
        if stats.light_s is not None:
            out.writerow([])
            out.writerow(["phase", *[f"{n}_s" for n in names]])
            out.writerow(["light", *[f"{stats.light_s[s]:g}" for s in stats.states]])
            out.writerow(["dark", *[f"{stats.dark_s[s]:g}" for s in stats.states]])
        if stats.spectra is not None:
            sp = stats.spectra
            out.writerow([])
            out.writerow(["freq_hz", *[f"{n}_mean_db" for n in names],
                          *[f"{n}_sd_db" for n in names]])
            for j, f in enumerate(sp.freqs):
                out.writerow([f"{f:g}", *[_num(sp.mean_db[s][j]) for s in stats.states],
                              *[_num(sp.sd_db[s][j]) for s in stats.states]])
        write_text_atomic(path, fh.getvalue())
    return path


def _write_per_hour(out, stats: SleepStatistics) -> None:  # noqa: ANN001 - a csv writer
    """The per-hour table under a line saying what its bins are aligned to; each row gives
    its start from the recording's start, its clock time when known, and its length."""
    out.writerow(["per hour", f"bins aligned to {stats.hours_aligned_to}"])
    out.writerow(["hour_from_recording_start", "clock_time", "length_s",
                  *[f"{s.label}_s" for s in stats.states]])
    for label, start, length, row in zip(stats.hour_starts, stats.hour_offsets_s,
                                         stats.hour_lengths_s, stats.per_hour_s, strict=True):
        clock = label if stats.start_time is not None else ""
        out.writerow([f"{round(start / 3600, 4):g}", clock, f"{length:g}", *[f"{v:g}" for v in row]])


def _num(value: float) -> str:
    return "" if np.isnan(value) else f"{value:.3f}"
