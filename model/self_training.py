"""Per-recording self-training: the network's confident epochs teach a small classifier of
this recording's own spectral features, which then has a say on every epoch.

Why: what separates Wake, NREM and REM inside one mouse (delta against theta, muscle tone) is
plain in that mouse's own feature space, but where each state sits there depends on the
animal, the electrode and the lab. A network trained on other animals places most epochs
confidently and hesitates on the rest; a linear discriminant fitted to the confident ones
learns this animal's own boundaries and settles the hesitant ones the way its clear epochs
say. It needs no label from a person, and no training beyond a few matrix products
(about 1 s on 24 h).

Judged on 16 simulated animals made after its rule was written (docs/transfer.md, release 12):
alternative generator 0.948 -> 0.970, REM F1 0.91 -> 0.94, no animal down more than 0.5 points.
EEG-only reading is left alone: without the EMG the recording's own features mix Wake with NREM
and it lost 4 points.

The features are those of the tree reference (model.features), taken from the spectral front
end's unscaled spectra so nothing is computed twice: log EEG power in eight bands, the same as
shares of their sum, the EMG's log 10-90 Hz power; each scaled by its 10th-90th percentile
range, then their mean over the `CONTEXT` epochs either side appended.
"""

from __future__ import annotations

import numpy as np

BANDS = ((0.5, 2), (2, 4), (4, 6), (6, 9), (9, 12), (12, 16), (16, 25), (25, 40))
EEG_BIN_HZ = 0.5  # model.spectral: bins 1..80 of a 2-s spectrum, 0.5-40 Hz
EMG_BANDS = 8  # model.spectral: the first 8 EMG columns are 10-Hz bands from 10 to 90 Hz
SEED_CONFIDENCE = 0.8  # the network's epochs at or above this teach the recording's classifier
MIN_SEEDS = 20  # a state with fewer seeds is left to the network alone
CONTEXT = 2
SHRINK = 0.1  # covariance shrinkage towards its mean variance: a short file stays well posed
_FLOOR = 1e-6


def recording_features(raw: dict[str, np.ndarray]) -> np.ndarray:
    """(n, 34) features from `SpectralSource.raw` ({"eeg": (n, 80) log10 power, "emg": (n, 12)})."""
    freqs = EEG_BIN_HZ * np.arange(1, raw["eeg"].shape[1] + 1)
    power = np.power(np.float32(10.0), raw["eeg"], dtype=np.float32)
    bands = np.stack([power[:, (freqs >= lo) & (freqs < hi)].sum(1, dtype=np.float64)
                      for lo, hi in BANDS], 1) + 1e-20
    cols = [np.log10(bands), bands / bands.sum(1, keepdims=True)]
    if "emg" in raw:
        emg = 10.0 ** raw["emg"][:, :EMG_BANDS].astype(np.float64)
        cols.append(np.log10(emg.sum(1, keepdims=True) + 1e-20))
    f = np.concatenate(cols, 1)
    lo, hi = np.percentile(f, [10, 90], axis=0)
    f = (f - (lo + hi) / 2) / np.where(hi - lo > 1e-9, hi - lo, 1.0)
    return np.concatenate([f, _neighbourhood_mean(f, CONTEXT)], 1)


def _neighbourhood_mean(f: np.ndarray, k: int) -> np.ndarray:
    padded = np.pad(f, ((k, k), (0, 0)), mode="edge")
    c = np.concatenate([np.zeros((1, f.shape[1])), np.cumsum(padded, 0)])
    return (c[2 * k + 1:] - c[:-2 * k - 1]) / (2 * k + 1)


def discriminant_probabilities(x: np.ndarray, seeds: np.ndarray, n_classes: int,
                               seed_priors: bool = False) -> np.ndarray | None:
    """Class probabilities of every row of `x` under a linear discriminant (shared shrunk
    covariance; equal priors, or with `seed_priors` each state's share of the seeds) fitted to
    the rows whose `seeds` entry is a class index (-1: not a seed). None when fewer than two
    states have `MIN_SEEDS` seeds."""
    present = [k for k in range(n_classes) if (seeds == k).sum() >= MIN_SEEDS]
    if len(present) < 2:
        return None
    means = {k: x[seeds == k].mean(0) for k in present}
    centred = np.concatenate([x[seeds == k] - means[k] for k in present])
    cov = np.cov(centred.T)
    cov = (1 - SHRINK) * cov + SHRINK * np.eye(len(cov)) * np.trace(cov) / len(cov)
    inv = np.linalg.inv(cov)
    logit = np.full((len(x), n_classes), -np.inf)
    for k in present:  # a shared covariance: the quadratic term is common, so the logit is linear
        w = inv @ means[k]
        logit[:, k] = x @ w - 0.5 * means[k] @ w
        if seed_priors:
            logit[:, k] += np.log(np.mean(seeds[seeds >= 0] == k))
    logit -= logit.max(1, keepdims=True)
    q = np.exp(logit)
    return q / q.sum(1, keepdims=True)


def confident_labels(probabilities: np.ndarray) -> np.ndarray:
    """Each epoch's class where `probabilities` gives it at least `SEED_CONFIDENCE`, else -1."""
    return np.where(probabilities.max(1) >= SEED_CONFIDENCE, probabilities.argmax(1), -1)


def own_agreement(features: np.ndarray, probabilities: np.ndarray) -> float | None:
    """How well a discriminant of the recording's own `features` (`recording_features`),
    taught by the epochs that `probabilities` gives at least `SEED_CONFIDENCE`, agrees with
    `probabilities`' labels on every epoch; None when they seed fewer than two states.

    Why: labels that put the recording's states where its features separate them are the
    ones its own discriminant reproduces; a scaling that makes quiet Wake look like NREM
    splits one cloud of epochs in two, and the discriminant disagrees along the cut.
    """
    if len(probabilities) < 2 * MIN_SEEDS:
        return None
    q = discriminant_probabilities(features, confident_labels(probabilities),
                                   probabilities.shape[1], seed_priors=True)
    return None if q is None else float(np.mean(q.argmax(1) == probabilities.argmax(1)))


def self_trained(p: np.ndarray, raw: dict[str, np.ndarray], weight: float,
                 usable: np.ndarray | None = None, person: np.ndarray | None = None,
                 decoded: np.ndarray | None = None) -> np.ndarray:
    """`p` (n, C) weighed with the recording's own classifier: p^(1-w) q^w, renormalised.

    Seeds are the usable epochs given at least `SEED_CONFIDENCE` by `decoded` (the
    probabilities after the sequence decoding, default `p`), and a person's labels (`person`:
    class index or -1) where there are any, which win over the model's. Decoded seeds matter:
    the network alone gave 52 Wake epochs of a simulated animal confident REM, a REM that no
    hypnogram allows, and the REM they taught took 200 more Wake epochs with it.
    Unusable epochs keep `p`. Unchanged where the seeds hold fewer than two states."""
    if weight <= 0 or "eeg" not in raw or len(p) < 2 * MIN_SEEDS:
        return p
    x = recording_features(raw)
    seeds = confident_labels(p if decoded is None else decoded)
    if person is not None:
        seeds = np.where(person >= 0, person, seeds)
    if usable is not None:
        seeds = np.where(usable, seeds, -1)
    q = discriminant_probabilities(x, seeds, p.shape[1])
    if q is None:
        return p
    mixed = np.exp((1 - weight) * np.log(p + _FLOOR) + weight * np.log(q + _FLOOR))
    mixed /= mixed.sum(1, keepdims=True)
    if usable is not None:
        mixed[~usable] = p[~usable]
    return mixed.astype(p.dtype, copy=False)
