"""Physiology the network does not know: mice enter REM from NREM; REM has atonia, sleep low tone.

Normalising each recording by its own statistics (needed across amplifiers and electrodes)
has a blind spot: in a recording with no sleep at all, quiet wake with theta and the
recording's lowest EMG looks like REM. Sleep-onset REM straight from wake is not normal in
mice (it is the hallmark of narcolepsy/cataplexy models, for which this rule must be turned
off). So a REM bout is kept only when NREM comes before it; otherwise it is scored Wake.
Thresholds were chosen on the simulated validation animals, not on the test animals.

A network that reads a wake-like cortex can call a whole REM bout Wake even where the EMG lies
far below NREM's tone (simulated animals of another generator: 0.5 decades of power below). An
awake mouse keeps its tone, so `atonia_to_rem` gives such epochs' Wake probability to REM before
decoding; the REM rule above still removes REM that no NREM precedes. Sleep has low tone too:
`tone_to_wake` gives NREM's and REM's probability to Wake where the EMG stays well above the
file's NREM.
Must not import Qt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import minimum_filter

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


ATONIA_SPAN = 0.3  # decades over which the share moved grows from none to all (both EMG rules)
ATONIA_MIN_NREM = 0.05  # a recording with less NREM than this has no NREM level to compare with
TONE_SPREAD = 1.0  # tone_to_wake's threshold in widths (10th-90th percentile) of NREM's own EMG
TONE_HOLD = 3  # tone_to_wake needs the EMG high in an epoch and its neighbours (a running minimum):
# one second of EMG (a twitch) is not tone, nor is the second in which a waking's EMG starts to
# rise; read per second, the real demo got five 1-s Wake flickers inside NREM, and every Wake bout
# of a simulated 30-min animal rich in arousals grew by a second at each end (-1.1 points)


def _nrem_reference(probabilities: np.ndarray, emg_level: np.ndarray, labels: np.ndarray,
                    classes: Sequence[Stage], usable: np.ndarray | None
                    ) -> tuple[tuple[int, int, int], np.ndarray, np.ndarray] | None:
    """(Wake, NREM, REM indices, EMG levels of the NREM epochs in `labels` whose EMG may be
    read, that usable mask), or None without those classes or with too little NREM to stand
    for the recording's sleeping tone."""
    found = wake_nrem_rem(classes)
    if found is None or len(probabilities) == 0:
        return None
    ok = np.ones(len(labels), bool) if usable is None else usable[:len(labels)]
    nrem = (labels == found[1]) & ok
    if nrem.sum() < ATONIA_MIN_NREM * ok.sum() or not nrem.any():
        return None
    return found, emg_level[:len(labels)][nrem], ok


def _moved(probabilities: np.ndarray, share: np.ndarray, source: int, target: int) -> np.ndarray:
    out = probabilities.copy()
    moved = share * out[:, source]
    out[:, source] -= moved
    out[:, target] += moved
    return out


def atonia_to_rem(probabilities: np.ndarray, emg_level: np.ndarray, labels: np.ndarray,
                  classes: Sequence[Stage], below: float, usable: np.ndarray | None = None
                  ) -> np.ndarray:
    """Probabilities (a copy) where epochs whose EMG lies more than `below` decades under the
    median of the NREM epochs in `labels` (class indices, e.g. a first decoding) give a share
    of P(Wake) to REM: none at `below`, all of it ATONIA_SPAN further down. `usable`: epochs
    whose EMG may be read (a flat electrode is not atonia). Unchanged without Wake, NREM and
    REM, or with too little NREM."""
    reference = _nrem_reference(probabilities, emg_level, labels, classes, usable)
    if reference is None:
        return probabilities
    (w, _, r), levels, ok = reference
    depth = np.median(levels) - emg_level[:len(labels)]
    share = np.where(ok, np.clip((depth - below) / ATONIA_SPAN, 0.0, 1.0), 0.0)
    return _moved(probabilities, share, w, r)


def tone_to_wake(probabilities: np.ndarray, emg_level: np.ndarray, labels: np.ndarray,
                 classes: Sequence[Stage], above: float, usable: np.ndarray | None = None
                 ) -> np.ndarray:
    """Probabilities (a copy) where epochs whose EMG lies well above the tone of the NREM
    epochs in `labels` give a share of P(NREM) and of P(REM) to Wake: none at the threshold
    (the NREM median plus the larger of `above` decades and TONE_SPREAD widths of NREM's own
    EMG), all of it ATONIA_SPAN further up; the EMG must stay that high for TONE_HOLD epochs
    running.

    Why: a network reading a slow-wave cortex can call quiet wake NREM although the muscle
    holds tone that the file's sleep never has (simulated animals of another generator: whole
    wake bouts 0.5 decades above NREM, whose EMG spans 0.24); an expert calls those Wake. The
    threshold follows NREM's own spread so that a lab whose sleeping EMG wanders keeps its NREM.
    REM, whose EMG lies below NREM's in a normal mouse, cannot hold that tone either (models of
    REM without atonia turn the rule off). Unchanged without Wake, NREM and REM, or with too
    little NREM."""
    reference = _nrem_reference(probabilities, emg_level, labels, classes, usable)
    if reference is None:
        return probabilities
    (w, n, r), levels, ok = reference
    width = float(np.percentile(levels, 90) - np.percentile(levels, 10))
    held = minimum_filter(emg_level[:len(labels)], size=TONE_HOLD, mode="nearest")
    height = held - np.median(levels) - max(above, TONE_SPREAD * width)
    share = np.where(ok, np.clip(height / ATONIA_SPAN, 0.0, 1.0), 0.0)
    return _moved(_moved(probabilities, share, n, w), share, r, w)
