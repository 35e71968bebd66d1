"""Does a recording look like the lab a fine-tuned model was fitted to? (the lab gate)

A model fine-tuned on one lab's corrections is better on that lab's recordings and can be
worse on other labs' (their signals may sit where the lab's labels now point elsewhere).
So a fine-tuned model keeps a small fingerprint of the recordings it was fitted to, and of
the training-lab recordings it was kept close to, and scoring uses it only on recordings
nearer the first than the second; others go to its parent model, with a note saying so.

The fingerprint of a recording ("profile") is, for log power in a few EEG and EMG bands of
the model's own normalised 1-s epochs, the 20th, 50th and 80th percentiles over epochs:
the shape of the spectrum, the mains frequency and the spread of states, all invariant to
amplifier gain; plus the mean and spread over epochs of the parent model's per-epoch EEG and
EMG tokens (what the network itself sees). On simulated unseen labs the tokens, with the
10 % margin of `LabGate.matches`, raised the share of a lab's fresh animals let through from
9 to 13 of 24, letting none of 96 training-lab animals through (docs/lab-gate.md).
Must not read files or import Qt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

PROFILE_VERSION = 3  # 2: band percentiles + parent-model token statistics; 3: spectral
# inputs are described by their own feature percentiles (v2 took an FFT of the features)
READABLE_VERSIONS = (2, 3)
EEG_BANDS = ((1, 2), (2, 4), (4, 6), (6, 9), (9, 12), (12, 16), (16, 25), (25, 40), (40, 48),
             (48, 52), (52, 58), (58, 62), (62, 90), (90, 200))
EMG_BANDS = ((10, 40), (40, 100), (100, 250))
PERCENTILES = (20, 50, 80)
MAX_EPOCHS = 1500  # an evenly spread subsample is plenty for percentiles
RUN = 10  # ... taken as runs of consecutive epochs (cheap to read from a long recording)
MIN_SCALE = 1e-3  # features that never vary still may differ by this much
MARGIN = 0.9  # a recording must be at least 10 % nearer the lab than any training animal


def _band_log_power(x: np.ndarray, bands: Sequence[tuple[int, int]]) -> np.ndarray:
    """(n, T) epochs at 1 Hz resolution (T samples = 1 s) -> (n, len(bands)) log10 power."""
    spec = np.abs(np.fft.rfft(x * np.hanning(x.shape[1]), axis=1)) ** 2
    cols = [spec[:, lo:min(hi, spec.shape[1])].mean(1) for lo, hi in bands]
    return np.log10(np.stack(cols, 1) + 1e-12)


def run_starts(n: int, count: int = MAX_EPOCHS, run: int = RUN) -> np.ndarray:
    """First epochs of runs of `run` epochs, evenly spread, about `count` epochs in all."""
    if n <= count:
        return np.arange(0, n, run)
    return np.unique(np.linspace(0, n - run, count // run).astype(int))


def spread_epochs(n: int, count: int = MAX_EPOCHS, run: int = RUN) -> np.ndarray:
    """Indices of about `count` epochs in runs of `run`, evenly spread over n epochs."""
    if n <= count:
        return np.arange(n)
    return np.unique((run_starts(n, count, run)[:, None] + np.arange(run)).ravel())


class TokenEncoder:
    """Per-epoch [CLS] tokens of a sequence sDREAMER, one modality at a time."""

    def __init__(self, module):  # noqa: ANN001
        self.module = module
        self.dim = int(module.cfg.d_model)
        self.spectral = bool(getattr(module.cfg, "eeg_features", None))  # features, not samples

    def __call__(self, x: np.ndarray, modality: str) -> np.ndarray:
        import torch

        module = self.module
        was_training = module.training
        module.eval()
        with torch.inference_mode():
            device = next(module.parameters()).device
            t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(device)
            args = (t, None) if modality == "eeg" else (None, t)
            out = module.encode_epochs(*args, modality)[:, 0].float().cpu().numpy()
        module.train(was_training)
        return out


def token_encoder(module) -> TokenEncoder | None:  # noqa: ANN001
    """The encoder for `profile`, or None for networks without per-epoch tokens."""
    return TokenEncoder(module) if module.has_epoch_tokens else None


def profile(eeg: np.ndarray | None, emg: np.ndarray | None,
            encoder: TokenEncoder | None = None, version: int = PROFILE_VERSION) -> np.ndarray:
    """Fingerprint of normalised (n, T) EEG/EMG epochs, or of a spectral model's (n, F)
    features; NaN where a channel is missing. `version` is the gate's, so a gate stored by
    an earlier release is compared with the fingerprint it was fitted on."""
    spectral = encoder is not None and encoder.spectral and version >= 3
    parts = []
    for x, bands, name in ((eeg, EEG_BANDS, "eeg"), (emg, EMG_BANDS, "emg")):
        if x is None or len(x) == 0:
            width = int(getattr(encoder.module.cfg, f"{name}_features")) if spectral else len(bands)
            parts.append(np.full(width * len(PERCENTILES), np.nan))
            continue
        x = np.asarray(x, dtype=np.float64)
        x = x[spread_epochs(len(x))]
        described = x if spectral else _band_log_power(x, bands)
        parts.append(np.percentile(described, PERCENTILES, axis=0).ravel())
    if encoder is not None:
        for x, modality in ((eeg, "eeg"), (emg, "emg")):
            if x is None or len(x) == 0:
                parts.append(np.full(2 * encoder.dim, np.nan))
                continue
            z = encoder(np.asarray(x)[spread_epochs(len(x))], modality)
            parts.append(np.r_[z.mean(0), z.std(0)])
    return np.concatenate(parts)


@dataclass(frozen=True)
class LabGate:
    """Profiles of the lab's recordings and of the training-lab recordings, and the scale."""

    lab: np.ndarray  # (m, F)
    training: np.ndarray  # (k, F)
    scale: np.ndarray  # (F,)
    version: int = PROFILE_VERSION  # of the profiles it holds

    @classmethod
    def fit(cls, lab: Sequence[np.ndarray], training: Sequence[np.ndarray]) -> LabGate:
        lab_arr, train_arr = np.asarray(lab, float), np.asarray(training, float)
        both = np.vstack([lab_arr, train_arr])
        with np.errstate(all="ignore"):
            scale = np.nanstd(both, axis=0)
        scale = np.where(np.isfinite(scale), np.maximum(scale, MIN_SCALE), 1.0)
        return cls(lab_arr, train_arr, scale)

    def distances(self, p: np.ndarray) -> tuple[float, float]:
        """(nearest lab recording, nearest training recording), RMS over shared features."""
        def nearest(rows: np.ndarray) -> float:
            z = (rows - p) / self.scale
            with np.errstate(all="ignore"):
                d = np.sqrt(np.nanmean(z**2, axis=1))
            d = d[np.isfinite(d)]
            return float(d.min()) if len(d) else float("inf")
        return nearest(self.lab), nearest(self.training)

    def matches(self, p: np.ndarray) -> bool:
        """Clearly nearer the lab: a foreign recording let through costs far more (the
        fine-tuned network can lose over 10 points on a training lab) than a lab recording
        sent to the parent (which only forgoes the gain)."""
        d_lab, d_train = self.distances(p)
        return d_lab <= MARGIN * d_train

    def to_card(self) -> dict:
        def rows(a: np.ndarray) -> list:  # NaN (a channel missing) -> null: JSON has no NaN
            return [[None if not np.isfinite(v) else round(float(v), 4) for v in r] for r in a]
        return {"version": self.version, "lab": rows(self.lab),
                "training": rows(self.training), "scale": rows(self.scale[None])[0]}

    @classmethod
    def from_card(cls, card: dict | None) -> LabGate | None:
        """The gate a model card holds, or None (none stored, or a profile version unknown here)."""
        if not card or card.get("version") not in READABLE_VERSIONS:
            return None
        arr = {k: np.asarray(card[k], dtype=float) for k in ("lab", "training", "scale")}
        if arr["lab"].ndim != 2 or arr["training"].ndim != 2 or not len(arr["lab"]):
            return None
        return cls(arr["lab"], arr["training"], arr["scale"], int(card["version"]))
