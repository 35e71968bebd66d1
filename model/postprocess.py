"""Physiology the network does not know: rodents enter REM from NREM.

Normalising each recording by its own statistics (needed across amplifiers and electrodes)
has a blind spot: in a recording with no sleep at all, quiet wake with theta and the
recording's lowest EMG looks like REM. Sleep-onset REM straight from wake is not normal in
mice (it is the hallmark of narcolepsy/cataplexy models, for which this rule must be turned
off). So a REM bout is kept only when NREM comes before it; otherwise it is scored Wake.
Thresholds were chosen on the simulated validation animals, not on the test animals.
Must not import Qt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from sleepscorer.stages import Stage, runs


@dataclass(frozen=True)
class RemRule:
    """A REM bout is kept when, walking back from its start past Wake stretches of at most
    `max_wake_gap_s` each and NREM stretches shorter than `min_nrem_s`, one reaches NREM of at
    least `min_nrem_s`, or a REM bout that was kept. The recording's start does not count."""

    max_wake_gap_s: float = 60.0
    min_nrem_s: float = 10.0


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


def apply_rem_rule(probabilities: np.ndarray, classes: Sequence[Stage], epoch_length: float = 1.0,
                   rule: RemRule | None = None) -> tuple[np.ndarray, int]:
    """Probabilities with each dropped REM epoch's REM probability given to Wake (a copy), and
    how many epochs changed. Unchanged when the model lacks Wake, NREM or REM."""
    index = {Stage(int(c)): i for i, c in enumerate(classes)}
    if not {Stage.WAKE, Stage.NREM, Stage.REM} <= index.keys() or len(probabilities) == 0:
        return probabilities, 0
    w, n, r = index[Stage.WAKE], index[Stage.NREM], index[Stage.REM]
    drop = rem_without_nrem(probabilities.argmax(1), w, n, r, epoch_length, rule)
    if not drop.any():
        return probabilities, 0
    out = probabilities.copy()
    out[drop, w] += out[drop, r]
    out[drop, r] = 0.0
    return out, int(drop.sum())


# -- sequence decoding ---------------------------------------------------------------------
@lru_cache(maxsize=4)
def mssv_transitions(epoch_length: float = 1.0) -> np.ndarray:
    """(3, 3) Wake/NREM/REM transition matrix per `epoch_length` s from the real MSSV
    hypnograms' semi-Markov statistics: leave a state at the rate its mean bout length gives,
    then go where the experts' bouts went."""
    from model.simulation.hypnograms import default_sampler

    sampler = default_sampler()
    t = np.zeros((3, 3))
    for i in range(3):
        counts = np.asarray(sampler.length_counts[i], dtype=float)
        mean_s = float((np.arange(1, len(counts) + 1) * counts).sum() / counts.sum()) * sampler.epoch_length
        leave = min(0.5, epoch_length / max(mean_s, epoch_length))
        t[i] = leave * np.asarray(sampler.transitions[i])
        t[i, i] = 1.0 - leave
    return t


def viterbi(probabilities: np.ndarray, transitions: np.ndarray, priors: np.ndarray) -> np.ndarray:
    """Most likely class path given per-epoch posteriors (turned into scaled likelihoods by
    dividing by `priors`) and a transition matrix."""
    n, c = probabilities.shape
    if n == 0:
        return np.zeros(0, dtype=int)
    log_e = np.log(np.clip(probabilities, 1e-6, None)) - np.log(np.clip(priors, 1e-6, None))
    log_t = np.log(np.clip(transitions, 1e-12, None))
    back = np.zeros((n, c), dtype=np.int8)
    score = log_e[0] + np.log(np.clip(priors, 1e-6, None))
    for i in range(1, n):
        cand = score[:, None] + log_t
        back[i] = cand.argmax(0)
        score = cand.max(0) + log_e[i]
    path = np.empty(n, dtype=int)
    path[-1] = int(score.argmax())
    for i in range(n - 1, 0, -1):
        path[i - 1] = back[i, path[i]]
    return path


def decode_sequence(probabilities: np.ndarray, classes: Sequence[Stage],
                    allow_rem_from_wake: bool = False) -> tuple[np.ndarray, int]:
    """Probabilities whose argmax follows the Viterbi path under MSSV transitions, and how
    many epochs changed. The winning class takes the epoch's top probability (their order
    is swapped), so confidences stay the model's. Wake->REM is forbidden unless allowed."""
    index = {Stage(int(c)): i for i, c in enumerate(classes)}
    if not {Stage.WAKE, Stage.NREM, Stage.REM} <= index.keys() or len(probabilities) == 0:
        return probabilities, 0
    cols = [index[Stage.WAKE], index[Stage.NREM], index[Stage.REM]]
    t = mssv_transitions(1.0).copy()
    if not allow_rem_from_wake:
        t[0, 1] += t[0, 2]
        t[0, 2] = 0.0
    p3 = probabilities[:, cols]
    priors = stationary(t)
    path = np.asarray(cols)[viterbi(p3 / np.clip(p3.sum(1, keepdims=True), 1e-12, None), t, priors)]
    current = probabilities.argmax(1)
    changed = np.flatnonzero(path != current)
    out = probabilities.copy()
    rows = changed
    top = out[rows, current[rows]].copy()  # swap: the path's class gets the top probability
    out[rows, current[rows]] = out[rows, path[rows]]
    out[rows, path[rows]] = top
    return out, len(changed)


def stationary(transitions: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eig(transitions.T)
    p = np.real(v[:, np.argmin(np.abs(w - 1))])
    return p / p.sum()
