"""Sleep architecture of a hypnogram: time in each state, bouts, transitions; CSV export.

Unscored epochs are reported as their own row and never counted as any sleep state; a
transition is counted between two consecutive bouts only when both are scored.
Must not import Qt.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sleepscorer.hypnogram import Hypnogram
from sleepscorer.stages import Stage

DEFAULT_STATES = (Stage.WAKE, Stage.NREM, Stage.REM, Stage.MA, Stage.ARTIFACT)


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

    def transition_count(self, from_stage: Stage, to_stage: Stage) -> int:
        return int(self.transitions[self.states.index(from_stage), self.states.index(to_stage)])


def compute_statistics(hyp: Hypnogram, start: int = 0, stop: int | None = None,
                       states: tuple[Stage, ...] = DEFAULT_STATES) -> SleepStatistics:
    """Statistics of epochs [start, stop) of `hyp`."""
    stop = len(hyp) if stop is None else min(stop, len(hyp))
    stages = hyp.stages[start:stop]
    el = hyp.epoch_length
    time_s = {s: float(np.count_nonzero(stages == s) * el) for s in states}
    unscored_s = float(np.count_nonzero(stages == Stage.UNSCORED) * el)
    scored_s = sum(time_s.values())
    percent = {s: (100.0 * t / scored_s if scored_s else 0.0) for s, t in time_s.items()}

    if len(stages):
        change = np.flatnonzero(np.diff(stages)) + 1
        starts = np.concatenate([[0], change])
        lengths = np.diff(np.concatenate([starts, [len(stages)]]))
        bout_stages = stages[starts]
    else:
        lengths = bout_stages = np.empty(0, int)
    bout_count = {s: int(np.count_nonzero(bout_stages == s)) for s in states}
    mean_bout = {s: (float(lengths[bout_stages == s].mean() * el) if bout_count[s] else 0.0)
                 for s in states}

    index = {int(s): i for i, s in enumerate(states)}
    transitions = np.zeros((len(states), len(states)), int)
    for a, b in zip(bout_stages[:-1], bout_stages[1:], strict=False):
        if int(a) in index and int(b) in index:
            transitions[index[int(a)], index[int(b)]] += 1
    return SleepStatistics(el, tuple(states), time_s, percent, bout_count, mean_bout,
                           transitions, unscored_s, float(len(stages) * el))


def write_statistics_csv(stats: SleepStatistics, path: str | Path) -> Path:
    """One row per state (time, %, bouts, mean bout), then the transition matrix."""
    path = Path(path)
    with path.open("w", newline="") as fh:
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
    return path
