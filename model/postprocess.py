"""Physiology the network does not know: rodents enter REM from NREM, and REM has atonia.

Normalising each recording by its own statistics (needed across amplifiers and electrodes)
has a blind spot: in a recording with no sleep at all, quiet wake with theta and the
recording's lowest EMG looks like REM. Sleep-onset REM straight from wake is not normal in
mice (it is the hallmark of narcolepsy/cataplexy models, for which this rule must be turned
off). So a REM bout is kept only when NREM comes before it; otherwise it is scored Wake.
Thresholds were chosen on the simulated validation animals, not on the test animals.

A network that reads a wake-like cortex can call a whole REM bout Wake even where the EMG lies
far below NREM's tone (simulated animals of another generator: 0.5 decades of power below). An
awake mouse keeps its tone, so `atonia_to_rem` gives such epochs' Wake probability to REM before
decoding; the REM rule above still removes REM that no NREM precedes.
Must not import Qt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sleepscorer.stages import Stage, runs


@dataclass(frozen=True)
class RemRule:
    """A REM bout is kept when, walking back from its start past Wake stretches of at most
    `max_wake_gap_s` each and NREM stretches shorter than `min_nrem_s`, one reaches NREM of at
    least `min_nrem_s`, or a REM bout that was kept. The recording's start does not count."""

    max_wake_gap_s: float = 60.0
    min_nrem_s: float = 10.0


REM_RULE = RemRule()  # what scoring applies unless told otherwise


def rem_without_nrem(states: np.ndarray, wake: int, nrem: int, rem: int, epoch_length: float = 1.0,
                     rule: RemRule | None = None) -> np.ndarray:
    """Boolean mask of the REM epochs whose bout no NREM precedes (see RemRule)."""
    rule = rule or RemRule()
    max_gap = rule.max_wake_gap_s / epoch_length
    min_nrem = rule.min_nrem_s / epoch_length
    values, starts, stops = runs(states)
    kept = np.zeros(len(values), dtype=bool)
    drop = np.zeros(len(states), dtype=bool)
    for i in np.flatnonzero(values == rem):
        for j in range(i - 1, -1, -1):
            length = stops[j] - starts[j]
            if values[j] == nrem and length >= min_nrem:
                kept[i] = True
                break
            if values[j] == rem:
                kept[i] = kept[j]
                break
            if values[j] == wake and length > max_gap:
                break
        if not kept[i]:
            drop[starts[i]:stops[i]] = True
    return drop


def wake_nrem_rem(classes: Sequence[Stage]) -> tuple[int, int, int] | None:
    """The class indices of Wake, NREM and REM, or None when the model lacks one of them."""
    index = {Stage(int(c)): i for i, c in enumerate(classes)}
    if not {Stage.WAKE, Stage.NREM, Stage.REM} <= index.keys():
        return None
    return index[Stage.WAKE], index[Stage.NREM], index[Stage.REM]


def apply_rem_rule(probabilities: np.ndarray, classes: Sequence[Stage], epoch_length: float = 1.0,
                   rule: RemRule | None = None) -> tuple[np.ndarray, int]:
    """Probabilities with each dropped REM epoch's REM probability given to Wake (a copy), and
    how many epochs changed. Unchanged when the model lacks Wake, NREM or REM."""
    found = wake_nrem_rem(classes)
    if found is None or len(probabilities) == 0:
        return probabilities, 0
    w, n, r = found
    drop = rem_without_nrem(probabilities.argmax(1), w, n, r, epoch_length, rule)
    if not drop.any():
        return probabilities, 0
    out = probabilities.copy()
    out[drop, w] += out[drop, r]
    out[drop, r] = 0.0
    return out, int(drop.sum())


ATONIA_SPAN = 0.3  # decades over which the share of P(Wake) moved grows from none to all
ATONIA_MIN_NREM = 0.05  # a recording with less NREM than this has no NREM level to compare with


def atonia_to_rem(probabilities: np.ndarray, emg_level: np.ndarray, labels: np.ndarray,
                  classes: Sequence[Stage], below: float, usable: np.ndarray | None = None
                  ) -> np.ndarray:
    """Probabilities (a copy) where epochs whose EMG lies more than `below` decades under the
    median of the NREM epochs in `labels` (class indices, e.g. a first decoding) give a share
    of P(Wake) to REM: none at `below`, all of it ATONIA_SPAN further down. `usable`: epochs
    whose EMG may be read (a flat electrode is not atonia). Unchanged without Wake, NREM and
    REM, or with too little NREM."""
    found = wake_nrem_rem(classes)
    if found is None or len(probabilities) == 0:
        return probabilities
    w, n, r = found
    ok = np.ones(len(labels), bool) if usable is None else usable[:len(labels)]
    nrem = (labels == n) & ok
    if nrem.sum() < ATONIA_MIN_NREM * ok.sum() or not nrem.any():
        return probabilities
    depth = np.median(emg_level[nrem]) - emg_level[:len(labels)]
    share = np.where(ok, np.clip((depth - below) / ATONIA_SPAN, 0.0, 1.0), 0.0)
    out = probabilities.copy()
    moved = share * out[:, w]
    out[:, w] -= moved
    out[:, r] += moved
    return out
