"""Transparent rule-based segmentation of a recording into Wake / NREM / REM-candidate.

Per epoch (1 s by default): EMG tone relative to a LOCAL rolling baseline (a low percentile
over the surrounding minutes, so electrode-contact steps in the EMG baseline do not move
every threshold), EEG delta power (0.5-4 Hz) and the theta/delta ratio (6-9 Hz over
0.5-4 Hz) on a 4-s window centred on the epoch. The rules, in order:

1. EMG above a factor x the local baseline -> Wake (active). The factor splits the two
   clusters of log EMG/baseline (Otsu), bounded to `emg_factor_range`.
2. Otherwise, theta/delta below its threshold and delta above its floor -> NREM.
3. Otherwise, theta-dominated with low EMG -> REM candidate if it follows NREM (brief EMG
   twitches inside it allowed), else Wake (quiet wake right after waking looks the same;
   rodents enter REM from NREM).

Thresholds derived from the recording itself are returned with the result, so figures and
reports can show them. Stimulation epochs come from a trigger channel. This is for
calibrating the simulator and for figures, not a replacement for the model.
Must not import Qt or plotting.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage, signal

from sleepscorer.core.stimulation import find_trigger, stimulation_epochs
from sleepscorer.io.recording import Channel, Recording
from sleepscorer.stages import LABEL_DTYPE, Stage, mask_runs

DELTA_BAND = (0.5, 4.0)
THETA_BAND = (6.0, 9.0)
EMG_BAND = (25.0, 200.0)


@dataclass(frozen=True)
class RuleSettings:
    epoch_length: float = 1.0
    window_s: float = 4.0                 # EEG spectrum window centred on each epoch
    baseline_window_s: float = 300.0      # local EMG baseline window
    baseline_percentile: float = 10.0
    emg_factor_range: tuple[float, float] = (1.3, 3.0)  # bounds of the EMG Wake factor
    theta_delta_quantile: float = 0.6     # theta/delta threshold: this quantile of low-EMG epochs
    delta_floor_quantile: float = 0.15    # NREM needs delta above this quantile of low-EMG epochs
    min_rem_s: float = 6.0                # shorter REM-candidate runs are not REM
    stim_pad_s: float = 1.0               # epochs this close to a trigger pulse are stimulated


@dataclass
class EpochFeatures:
    delta: np.ndarray        # EEG power 0.5-4 Hz (V^2)
    theta: np.ndarray        # EEG power 6-9 Hz (V^2)
    emg_rms: np.ndarray      # EMG RMS in 25-200 Hz (V)
    emg_baseline: np.ndarray  # local rolling baseline of emg_rms (V)

    @property
    def theta_delta(self) -> np.ndarray:
        return self.theta / np.maximum(self.delta, 1e-30)

    @property
    def emg_relative(self) -> np.ndarray:
        return self.emg_rms / np.maximum(self.emg_baseline, 1e-30)


@dataclass
class RuleScoring:
    stages: np.ndarray              # Stage codes per epoch: WAKE, NREM, REM (candidate)
    features: EpochFeatures
    stimulation: np.ndarray         # bool per epoch: a stimulation train was on
    thresholds: dict[str, float] = field(default_factory=dict)
    epoch_length: float = 1.0


_UNIT_SCALE = {"v": 1.0, "mv": 1e-3, "uv": 1e-6, "µv": 1e-6, "μv": 1e-6, "nv": 1e-9}


def volts(channel: Channel) -> np.ndarray:
    """The channel's samples in volts (its unit V, mV, uV or nV; unknown units left as is)."""
    return np.asarray(channel.data) * _UNIT_SCALE.get(channel.unit.strip().lower(), 1.0)


def epoch_spectra(data: np.ndarray, rate: float, epoch_length: float = 1.0, window_s: float = 4.0,
                  fmax: float = 45.0, chunk: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Hann-windowed power spectrum (one-sided PSD, V^2/Hz) of a window centred on each epoch."""
    step = int(round(rate * epoch_length))
    win = int(round(rate * window_s))
    n_epochs = len(data) // step
    pad = (win - step) // 2
    x = np.pad(np.asarray(data, dtype=np.float64), (pad, win), mode="reflect")
    freqs = np.fft.rfftfreq(win, 1.0 / rate)
    keep = freqs <= fmax
    taper = np.hanning(win)
    norm = 2.0 / (rate * (taper**2).sum())
    out = np.empty((n_epochs, int(keep.sum())))
    view = np.lib.stride_tricks.sliding_window_view(x, win)[::step]
    for e0 in range(0, n_epochs, chunk):
        seg = view[e0:min(n_epochs, e0 + chunk)]
        seg = (seg - seg.mean(axis=1, keepdims=True)) * taper
        out[e0:e0 + len(seg)] = (np.abs(np.fft.rfft(seg, axis=1)[:, keep]) ** 2) * norm
    return freqs[keep], out


def emg_rms(data: np.ndarray, rate: float, epoch_length: float = 1.0) -> np.ndarray:
    """RMS of the 25-200 Hz band (capped below Nyquist) per epoch."""
    hi = min(EMG_BAND[1], 0.45 * rate)
    sos = signal.butter(4, [min(EMG_BAND[0], hi / 2), hi], "bandpass", fs=rate, output="sos")
    step = int(round(rate * epoch_length))
    n = len(data) // step
    filtered = signal.sosfilt(sos, np.asarray(data, dtype=np.float64))[: n * step]
    return np.sqrt((filtered.reshape(n, step) ** 2).mean(axis=1))


def epoch_features(rec: Recording, settings: RuleSettings = RuleSettings()) -> EpochFeatures:
    if rec.eeg is None or rec.emg is None:
        raise ValueError("rule-based segmentation needs one EEG and one EMG channel")
    freqs, psd = epoch_spectra(volts(rec.eeg), rec.eeg.rate, settings.epoch_length, settings.window_s, 10.0)
    df = freqs[1] - freqs[0]
    band = lambda lo, hi: psd[:, (freqs >= lo) & (freqs <= hi)].sum(axis=1) * df  # noqa: E731
    rms = emg_rms(volts(rec.emg), rec.emg.rate, settings.epoch_length)
    n = min(len(rms), len(psd))
    size = max(3, int(settings.baseline_window_s / settings.epoch_length))
    baseline = ndimage.percentile_filter(rms[:n], settings.baseline_percentile, size=size,
                                         mode="nearest")
    return EpochFeatures(band(*DELTA_BAND)[:n], band(*THETA_BAND)[:n], rms[:n], baseline)


def _quantile(x: np.ndarray, mask: np.ndarray, q: float) -> float:
    return float(np.quantile(x[mask] if mask.sum() >= 10 else x, q))


def otsu_threshold(x: np.ndarray, bins: int = 128) -> float:
    """The value splitting `x` into two groups with the largest between-group variance."""
    counts, edges = np.histogram(x[np.isfinite(x)], bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(counts)
    w1 = w0[-1] - w0
    m0 = np.cumsum(counts * centres) / np.maximum(w0, 1)
    m1 = ((counts * centres).sum() - np.cumsum(counts * centres)) / np.maximum(w1, 1)
    return float(edges[1:][np.argmax(w0 * w1 * (m0 - m1) ** 2)])


def classify(f: EpochFeatures, settings: RuleSettings = RuleSettings(),
             exclude: np.ndarray | None = None) -> tuple[np.ndarray, dict[str, float]]:
    """Stage codes per epoch by the rules in the module docstring, and the thresholds used."""
    log_rel = np.log10(f.emg_relative)
    lo, hi = np.log10(settings.emg_factor_range)
    emg_thr = float(np.clip(otsu_threshold(np.clip(log_rel, lo - 0.3, hi + 0.3)), lo, hi))
    active = log_rel > emg_thr
    usable = ~active if exclude is None else ~active & ~exclude
    log_td = np.log10(f.theta_delta)
    log_delta = np.log10(np.maximum(f.delta, 1e-30))
    td_thr = _quantile(log_td, usable, settings.theta_delta_quantile)
    delta_thr = _quantile(log_delta, usable, settings.delta_floor_quantile)
    log_td = ndimage.uniform_filter1d(log_td, 3, mode="nearest")
    stages = np.full(len(log_td), Stage.WAKE, dtype=LABEL_DTYPE)
    stages[~active & (log_td < td_thr) & (log_delta > delta_thr)] = Stage.NREM
    stages = ndimage.median_filter(stages, 3, mode="nearest").astype(LABEL_DTYPE)
    quiet_theta = ~active & (log_td >= td_thr) & (stages == Stage.WAKE)
    _rem_after_nrem(stages, quiet_theta, int(np.ceil(settings.min_rem_s / settings.epoch_length)))
    thresholds = {"emg_wake_factor": float(10**emg_thr), "log10_theta_delta": td_thr,
                  "log10_delta_floor": delta_thr}
    return stages, thresholds


def _rem_after_nrem(stages: np.ndarray, candidate: np.ndarray, min_len: int,
                    blip: int = 2) -> None:
    """Runs of `candidate` (Wake blips of <= `blip` epochs bridged, e.g. twitches) lasting
    >= min_len that start right after NREM become REM."""
    bridged = ndimage.binary_closing(candidate, np.ones(blip + 1, bool)) | candidate
    bridged &= (stages == Stage.WAKE)
    for start, stop in mask_runs(bridged):
        if stop - start >= min_len and start > 0 and stages[start - 1] == Stage.NREM:
            stages[start:stop] = Stage.REM


def segment(rec: Recording, settings: RuleSettings = RuleSettings(),
            trigger: Channel | None = None) -> RuleScoring:
    """Wake / NREM / REM-candidate per epoch and stimulation epochs (from `trigger`, or a
    channel named like one). Stimulation epochs are scored too but flagged."""
    f = epoch_features(rec, settings)
    trigger = trigger or find_trigger(rec)
    n = len(f.delta)
    stim = (stimulation_epochs(trigger, n, settings.epoch_length, settings.stim_pad_s)
            if trigger is not None else np.zeros(n, dtype=bool))
    stages, thresholds = classify(f, settings, stim)
    return RuleScoring(stages, f, stim, thresholds, settings.epoch_length)
