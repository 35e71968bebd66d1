"""Longer epochs from shorter ones: the one rule for stages, confidence, provenance and the
model's per-state probabilities.

`sleepscorer score --epoch-length 4` (through `model.inference.combine_epochs`) and the app's
export at 4 s (through `Hypnogram.to_epoch_length`) both come here, so the two files agree
(a user trial found 9 of 898 4-s epochs with another stage, and a 50/50 window written as
0.997 confident). The rule (README, "The label CSV"):

- the model's probabilities of a window are the mean of its 1-s probabilities, weighted by
  how much of each second lies in the window;
- a window the model decides (see `coarsen`) takes the state of highest mean probability
  (an exact tie: the state the model lists first), and its confidence is that mean;
- a window a person decided keeps the person's majority stage (a tie: the stage that comes
  first in time) and has no confidence.

Bottom layer: numpy and `sleepscorer.stages` only; no Qt, no files.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sleepscorer.stages import Stage

# Source codes as `sleepscorer.hypnogram.Source` numbers them (that module imports this one)
NONE, MODEL, EXPERT, IMPORTED = 0, 1, 2, 3


def mean_probabilities(p: np.ndarray, ratio: float, n_out: int) -> np.ndarray:
    """(n, classes) probabilities of short epochs -> (n_out, classes) of epochs `ratio` times
    as long: the overlap-weighted mean; rows with a missing value (NaN) count for nothing, and
    a window of none is NaN. Finer epochs (ratio < 1) take the epoch holding their centre."""
    p = np.asarray(p, dtype=np.float32)
    if abs(ratio - 1.0) < 1e-9:
        return p[:n_out]
    n1 = len(p)
    if ratio < 1.0:
        centre = ((np.arange(n_out) + 0.5) * ratio).astype(int)
        return p[np.minimum(centre, n1 - 1)]
    known = np.isfinite(p).all(axis=1)
    values = np.where(known[:, None], p, 0.0)
    i = np.arange(n1, dtype=np.float64)
    k0 = np.floor(i / ratio + 1e-9).astype(int)
    w0 = np.minimum(i + 1, (k0 + 1) * ratio) - i
    acc = np.zeros((n_out + 2, p.shape[1]))
    wsum = np.zeros(n_out + 2)
    for k, w in ((k0, w0), (k0 + 1, 1.0 - w0)):
        k = np.minimum(k, n_out + 1)
        np.add.at(acc, k, (w * known)[:, None] * values)
        np.add.at(wsum, k, w * known)
    out = acc[:n_out] / np.maximum(wsum[:n_out, None], 1e-12)
    out[wsum[:n_out] <= 0] = np.nan
    return out.astype(np.float32)


def coarsen(stages: np.ndarray, sources: np.ndarray, confidence: np.ndarray, k: int,
            probabilities: np.ndarray | None = None, classes: Sequence[Stage] = ()
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Windows of `k` epochs -> (stages, sources, confidence), one per whole window.

    `probabilities`: the windows' mean probabilities (`mean_probabilities`, columns in the
    order of `classes`), or None when not known.
    A window is the person's where the person decided it: the person's epochs of its
    majority stage are more than half of it, or half with the model agreeing on the rest, or
    it holds no model epoch; then it is `expert` (or `imported`, if most of those epochs were
    imported), with the majority stage and no confidence. A mostly Unscored window stays
    Unscored. Every other window is the model's: the state of its highest mean probability,
    at that probability; where the probabilities are not known (a CSV without p_* columns),
    its majority stage, at the mean over the window of each second's confidence in that stage
    (a person's second counts 1, a second of another stage 0): a 50/50 window is not 0.997.
    """
    n = len(stages) // k
    blocks = np.asarray(stages[: n * k]).reshape(n, k).astype(np.int16)
    codes = np.array([s.value for s in Stage], dtype=np.int16)
    hits = np.stack([blocks == c for c in codes], axis=1)  # (n, codes, k)
    first = np.where(hits.any(axis=2), hits.argmax(axis=2), k)
    winner = codes[np.argmax(hits.sum(axis=2) * (k + 1) - first, axis=1)]  # ties: the earliest
    src = np.asarray(sources[: n * k]).reshape(n, k)
    agrees = blocks == winner[:, None]
    has_model = (src == MODEL).any(axis=1)
    decided = np.where(has_model[:, None], agrees, True)
    n_expert = (decided & (src == EXPERT)).sum(axis=1)
    n_imported = (decided & (src == IMPORTED)).sum(axis=1)
    n_person = n_expert + n_imported
    person = ~has_model | (2 * n_person > k) | ((2 * n_person == k) & agrees.all(axis=1))
    unscored = winner == Stage.UNSCORED
    out_sources = np.select([unscored, person & (n_expert >= n_imported), person],
                            [NONE, EXPERT, IMPORTED], MODEL).astype(np.int8)
    model = out_sources == MODEL
    # no probabilities: each second's confidence in the window's stage, a person's as 1
    conf = np.asarray(confidence[: n * k], dtype=np.float64).reshape(n, k)
    sure = np.where((src == EXPERT) | (src == IMPORTED), 1.0, np.nan_to_num(conf, nan=1.0))
    scored = np.maximum((blocks != Stage.UNSCORED).sum(axis=1), 1)
    out_conf = (np.where(agrees, sure, 0.0).sum(axis=1) / scored).astype(np.float32)
    out_stages = winner.astype(np.int8)
    if probabilities is not None and len(classes):
        probs = np.asarray(probabilities[:n])
        known = model & np.isfinite(probs).all(axis=1)
        class_codes = np.asarray([int(c) for c in classes], dtype=np.int8)
        best = np.argmax(np.nan_to_num(probs, nan=-1.0), axis=1)
        out_stages = np.where(known, class_codes[best], out_stages)
        out_conf = np.where(known, np.nan_to_num(probs, nan=-1.0).max(axis=1),
                            out_conf).astype(np.float32)
    out_conf = np.where(model, out_conf, np.nan).astype(np.float32)
    return out_stages, out_sources, out_conf
