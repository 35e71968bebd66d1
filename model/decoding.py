"""Sequence decoding: per-epoch probabilities smoothed by an HMM of real expert hypnograms.

Why: a network scores each 1-s epoch from a few seconds of context, so where the evidence is
weak its labels flicker (a 2-s "Wake" inside NREM, a 1-s REM after Wake). Experts do not
score like that: in the 130 MSSV hypnograms Wake bouts last about 2 min, NREM 1.7 min and
REM 1.1 min, Wake is never followed by REM, and microarousals are short Wake bouts inside
NREM. The HMM here carries exactly that: the stay probability of each state per second comes
from its mean MSSV bout length, the moves between states from MSSV's bout-to-bout
transitions (Wake -> REM forbidden unless asked), and the network's probabilities, raised to
`sharpness`, are the emissions. Forward-backward gives each epoch's posterior under this
model, so a confident microarousal survives (its evidence beats two transitions) and an
unsure flicker does not. REM that no NREM precedes is then removed by model.postprocess.

The forward and backward passes are prefix products of 3x3 matrices, computed by doubling
(log2 n batched matrix products), so 24 h of 1-s epochs decode in well under a second
without a Python loop per epoch. Must not import Qt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from sleepscorer_model.postprocess import RemRule, apply_rem_rule
from sleepscorer_model.simulation.hypnograms import SemiMarkovModel, default_sampler

from sleepscorer.stages import BASE_EPOCH, Stage


@dataclass(frozen=True)
class SequencePrior:
    """Decoding settings. The network's probabilities are raised to `sharpness` before
    decoding. 2.0 was chosen on the never-trained-on simulated sets (scripts/proxy_eval.py):
    accuracy is flat from 0.3 to 2.0 (0.942-0.948), but at 2.0 the decoded hypnograms have the
    true bout structure (alternative generator: 127 bouts, 42 of 3-15 s, against 109 and 35 in
    the labels; raw network 289 and 102) and keep 90 % of the true microarousals (0.5: 63 %)."""

    sharpness: float = 2.0
    allow_wake_to_rem: bool = False  # True for narcolepsy / cataplexy models


SEQUENCE_PRIOR = SequencePrior()  # what scoring decodes with unless told otherwise


def transition_matrix(classes: Sequence[Stage], prior: SequencePrior | None = None,
                      sampler: SemiMarkovModel | None = None, epoch_length: float = 1.0
                      ) -> np.ndarray:
    """(C, C) per-epoch transition probabilities between `classes` from the MSSV fit.

    Classes the hypnograms do not know (MA, Artifact) get the mean stay probability and an
    even share of the moves, so decoding stays neutral about them.
    """
    prior = prior or SequencePrior()
    sampler = sampler or default_sampler()
    index = {int(s): i for i, s in enumerate(sampler.states)}
    n = len(classes)
    mean_bout_s = np.array([
        (np.arange(1, len(c) + 1) * c).sum() / max(c.sum(), 1) * sampler.epoch_length
        for c in sampler.length_counts])
    leave = np.clip(epoch_length / mean_bout_s, 1e-6, 0.5)
    out = np.zeros((n, n))
    for i, a in enumerate(classes):
        if int(a) not in index:
            out[i] = float(leave.mean()) / max(n - 1, 1)
            out[i, i] = 1.0 - float(leave.mean())
            continue
        ia = index[int(a)]
        jumps = np.array([sampler.transitions[ia, index[int(b)]] if int(b) in index else 0.0
                          for b in classes])
        if not prior.allow_wake_to_rem and a == Stage.WAKE:
            jumps[[j for j, b in enumerate(classes) if b == Stage.REM]] = 0.0
        jumps[i] = 0.0
        jumps = jumps / jumps.sum() if jumps.sum() > 0 else np.full(n, 1.0 / max(n - 1, 1))
        out[i] = leave[ia] * jumps
        out[i, i] = 1.0 - leave[ia]
    return out


def _rows(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(v.sum(-1, keepdims=True), 1e-300)


def _forward_backward(steps: np.ndarray, first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """alpha_t ∝ first (steps_0 ... steps_{t-1}) and beta_t ∝ (steps_t ... steps_last) 1, each
    row scaled to sum 1 (scale is irrelevant here).

    Why blocks: a step-by-step Python loop costs seconds for a day of 1-s epochs and a
    doubling scan over whole matrices (17 passes) 0.6 s; blocks of about sqrt(n) steps are
    walked in step for all blocks at once, then joined by one short loop over the blocks."""
    m, c = steps.shape[0], steps.shape[1]
    size = max(1, int(np.ceil(np.sqrt(m))))
    n_blocks = -(-m // size)
    padded = np.broadcast_to(np.eye(c), (n_blocks * size, c, c)).copy()
    padded[:m] = steps
    blocks = padded.reshape(n_blocks, size, c, c)
    whole = np.broadcast_to(np.eye(c), (n_blocks, c, c)).copy()  # each block's product
    for j in range(size):
        whole = whole @ blocks[:, j]
        whole /= np.maximum(whole.sum(axis=(1, 2), keepdims=True), 1e-300)
    starts = np.empty((n_blocks, c))
    starts[0] = _rows(first)
    for b in range(1, n_blocks):
        starts[b] = _rows(starts[b - 1] @ whole[b - 1])
    ends = np.empty((n_blocks, c))
    ends[-1] = 1.0
    for b in range(n_blocks - 2, -1, -1):
        ends[b] = _rows(whole[b + 1] @ ends[b + 1])
    alpha = np.empty((n_blocks, size, c))
    beta = np.empty((n_blocks, size, c))
    v, w = starts, ends
    for j in range(size):
        v = _rows(np.einsum("bi,bij->bj", v, blocks[:, j]))
        alpha[:, j] = v
    for j in range(size - 1, -1, -1):
        w = _rows(np.einsum("bij,bj->bi", blocks[:, j], w))
        beta[:, j] = w
    return alpha.reshape(-1, c)[:m], beta.reshape(-1, c)[:m]


def smooth(probabilities: np.ndarray, classes: Sequence[Stage],
           prior: SequencePrior | None = None, epoch_length: float = 1.0) -> np.ndarray:
    """Posterior probability of each class at each epoch under the MSSV HMM (float32)."""
    prior = prior or SequencePrior()
    p = np.asarray(probabilities, dtype=np.float64)
    n, c = p.shape
    if n == 0:
        return p.astype(np.float32)
    a = transition_matrix(classes, prior, epoch_length=epoch_length)
    e = np.clip(p, 1e-6, 1.0) ** prior.sharpness
    e /= e.sum(1, keepdims=True)
    # forward: alpha_t ∝ e_0 (A diag e_1) ... (A diag e_t); backward: beta_t ∝ (A diag e_{t+1}) ... 1
    steps = a[None, :, :] * e[1:, None, :]
    alpha = np.empty((n, c))
    alpha[0] = e[0]
    if n > 1:
        alpha[1:], beta_tail = _forward_backward(steps, e[0])
    post = alpha.copy()
    if n > 1:
        post[:-1] *= beta_tail
    post /= np.maximum(post.sum(1, keepdims=True), 1e-300)
    return post.astype(np.float32)


def decode(p1: np.ndarray, classes: tuple[Stage, ...], sequence_prior: SequencePrior | None,
            rem_rule: RemRule | None, warnings: list[str]) -> np.ndarray:
    """The HMM first, then the REM rule on what it decoded; without the rule the HMM must
    allow Wake -> REM itself. Appends a warning when the rule changed anything."""
    if sequence_prior is not None:
        if rem_rule is None:
            sequence_prior = replace(sequence_prior, allow_wake_to_rem=True)
        p1 = smooth(p1, classes, sequence_prior, BASE_EPOCH)
    if rem_rule is not None:
        p1, changed = apply_rem_rule(p1, classes, BASE_EPOCH, rem_rule)
        if changed:
            warnings.append(f"{changed} s of REM with no NREM before it scored Wake (rodents "
                            "enter REM from NREM; narcolepsy models may allow REM straight from Wake)")
    return p1
