"""Hand-made per-epoch features for the tree baseline (sDREAMER paper, section V-C).

Statistical features (mean, max, min, std, skew) of the raw signal and its first
derivative, FFT band powers of EEG (delta 0.5-4, theta 6-9, alpha 9-12, sigma 10-15,
beta 15-30, gamma 30-100 Hz) with relative powers and ratios, and EMG RMS / high-band
power. Input is the normalised (n, 512) epochs from `model.preprocess`. Numpy only.
"""

from __future__ import annotations

import numpy as np

BANDS = {"delta": (0.5, 4), "theta": (6, 9), "alpha": (9, 12), "sigma": (10, 15),
         "beta": (15, 30), "gamma": (30, 100)}
_EPS = 1e-8


def _stats(x: np.ndarray, prefix: str) -> dict[str, np.ndarray]:
    mean = x.mean(1)
    std = x.std(1)
    centred = x - mean[:, None]
    skew = (centred**3).mean(1) / np.maximum(std, _EPS) ** 3
    return {f"{prefix}_mean": mean, f"{prefix}_max": x.max(1), f"{prefix}_min": x.min(1),
            f"{prefix}_std": std, f"{prefix}_skew": skew}


def band_powers(x: np.ndarray, rate: float) -> dict[str, np.ndarray]:
    spec = np.abs(np.fft.rfft(x * np.hanning(x.shape[1]), axis=1)) ** 2
    freqs = np.fft.rfftfreq(x.shape[1], 1 / rate)
    return {name: spec[:, (freqs >= lo) & (freqs < hi)].sum(1) for name, (lo, hi) in BANDS.items()}


def _features_chunk(eeg: np.ndarray, emg: np.ndarray | None, rate: float) -> dict[str, np.ndarray]:
    eeg = eeg.astype(np.float64)
    f = {**_stats(eeg, "eeg"), **_stats(np.diff(eeg, axis=1), "eeg_d1")}
    bands = band_powers(eeg, rate)
    total = sum(bands.values()) + _EPS
    for name, power in bands.items():
        f[f"eeg_{name}_log"] = np.log(power + _EPS)
        f[f"eeg_{name}_rel"] = power / total
    f["theta_delta"] = np.log((bands["theta"] + _EPS) / (bands["delta"] + _EPS))
    f["sigma_beta"] = np.log((bands["sigma"] + _EPS) / (bands["beta"] + _EPS))
    f["slow_fast"] = np.log((bands["delta"] + bands["theta"] + _EPS) / (bands["beta"] + bands["gamma"] + _EPS))
    if emg is not None:
        emg = emg.astype(np.float64)
        f.update(_stats(emg, "emg"))
        f.update(_stats(np.diff(emg, axis=1), "emg_d1"))
        f["emg_rms_log"] = np.log(np.sqrt((emg**2).mean(1)) + _EPS)
        f["emg_gamma_log"] = np.log(band_powers(emg, rate)["gamma"] + _EPS)
    return f


def feature_names(with_emg: bool = True) -> list[str]:
    x = np.random.default_rng(0).standard_normal((1, 512))
    return list(_features_chunk(x, x if with_emg else None, 512.0))


def epoch_features(eeg: np.ndarray, emg: np.ndarray | None, rate: float = 512.0,
                   chunk: int = 8192) -> np.ndarray:
    """(n, T) EEG [+ EMG] -> (n, n_features) float32, computed in chunks of epochs."""
    parts = []
    for a in range(0, len(eeg), chunk):
        f = _features_chunk(eeg[a:a + chunk], None if emg is None else emg[a:a + chunk], rate)
        parts.append(np.stack(list(f.values()), 1).astype(np.float32))
    n_feat = len(feature_names(emg is not None))
    return np.concatenate(parts) if parts else np.zeros((0, n_feat), np.float32)
