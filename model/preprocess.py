"""Recording -> model input: 1-s epochs at 512 Hz, robustly normalised per subject.

Statistics come from the whole recording (a fixed, evenly spread subsample, so they are
cheap and identical however the recording is later cut into chunks); the signal itself is
resampled and normalised one chunk of epochs at a time, so a 24 h recording never exists
as full-size float64 copies. Must not read files or know about models.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from math import ceil

import numpy as np
from scipy.ndimage import minimum_filter1d, uniform_filter1d

from sleepscorer.io.assemble import resample_poly_exact
from sleepscorer.io.recording import Recording
from sleepscorer.stages import BASE_EPOCH

MODEL_RATE = 512
STATS_SAMPLES = 1 << 21  # points used for median / IQR (2 M, ~1 h at 512 Hz)
_IQR_TO_SIGMA = 1.349


@dataclass(frozen=True)
class PreprocessConfig:
    """How a recording becomes model input; saved in the model card with the weights."""

    rate: int = MODEL_RATE
    epoch_samples: int = 512
    clip: float = 20.0  # in robust standard deviations
    emg_norm: str = "global"  # "global" or "rolling" (divide by a rolling EMG baseline)
    emg_baseline_s: float = 1800.0  # rolling window for emg_norm="rolling"
    front_end: str = "raw"  # "raw": normalised samples; "spectral": model.spectral features
    scale_lo: float = 10.0  # spectral: per-recording percentile range each feature is scaled by
    scale_hi: float = 90.0
    # spectral: also give features that need no per-recording scaling (model.spectral.shape_features)
    shape_features: bool = False
    # 2: score with and without the shape features and average (a network trained with
    # TrainConfig.shape_dropout reads both ways: one network, two readings)
    shape_passes: int = 1
    # spectral: rescale by a reference drawn from the model's own labels with these Wake, NREM
    # and REM shares, `mixture_passes` times (model.spectral.mixture_reference); None: off
    mixture_shares: tuple[float, float, float] | None = None
    mixture_passes: int = 2
    # REM is an activated cortex with atonia: where the EEG pathway says Wake and the EMG
    # pathway says NREM, add this times P_EEG(Wake) x P_EMG(NREM) to P(REM) (model.reading)
    rem_conflict: float = 0.0
    # REM is sleep with atonia: an epoch whose EMG lies more than this many decades of power
    # below the recording's NREM level gives Wake's probability to REM (model.postprocess
    # .atonia_to_rem); None: off
    atonia_rem: float | None = None
    # sleep has little tone: an epoch whose EMG stays more than this many decades (or
    # TONE_SPREAD widths of NREM's own EMG, if more) above the recording's NREM level gives
    # NREM's and REM's probability to Wake (model.postprocess.tone_to_wake); None: off
    tone_wake: float | None = None
    # spectral, EEG+EMG: weigh the network's probabilities with a classifier of the recording's
    # own features taught by its confident epochs, with this weight (model.self_training); None: off
    self_training: float | None = None
    # spectral, EEG+EMG: besides the mixture scaling drawn from the first reading, try scalings
    # that presume these shares of Wake and keep the one whose labels the recording's own
    # features agree with best (model.reading._best_composition); None: off, as in the shipped
    # card (it failed on a crop of the real demo: docs/transfer.md, session 18)
    composition_candidates: tuple[float, ...] | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def array_dict(self) -> dict:
        """The settings that shape the arrays a recording becomes (a corrections export),
        without those of how a model then reads them."""
        return {k: v for k, v in asdict(self).items() if k not in READING_ONLY}


# how a model reads its input, not what the input is: corrections exported before a model
# gained one of these still fit it
READING_ONLY = ("shape_passes", "mixture_shares", "mixture_passes", "rem_conflict", "atonia_rem",
                "tone_wake", "self_training", "composition_candidates")


@dataclass(frozen=True)
class ChannelStats:
    """Robust centre and scale of one channel, plus an optional per-epoch baseline."""

    center: float
    scale: float
    baseline: np.ndarray | None = None  # per 1-s epoch divisor (rolling EMG normalisation)


def resample_ratio(rate: float, target: int = MODEL_RATE) -> tuple[int, int]:
    """Exact (up, down) for `rate` -> `target` (24414.0625 Hz, 250.3 Hz too): no drift."""
    from sleepscorer.io.assemble import rational_ratio

    return rational_ratio(rate, target)


def robust_stats(x: np.ndarray) -> tuple[float, float]:
    """Median and IQR-based sigma from an evenly spread subsample of at most 2 M points.

    Median/IQR ignore stimulation artefacts and large movement bursts that inflate mean/std.
    """
    step = max(1, len(x) // STATS_SAMPLES)
    sample = np.asarray(x[::step], dtype=np.float64)
    sample = sample[np.isfinite(sample)]
    if len(sample) == 0:
        return 0.0, 1.0
    q25, q50, q75 = np.percentile(sample, [25, 50, 75])
    scale = (q75 - q25) / _IQR_TO_SIGMA
    if not scale > 0:  # mostly flat: fall back to the standard deviation, then to 1
        scale = float(np.std(sample)) or 1.0
    return float(q50), float(scale)


def rolling_baseline(x: np.ndarray, rate: float, center: float, window_s: float,
                     chunk_epochs: int = 4096) -> np.ndarray:
    """Per-epoch EMG tone baseline that follows steps in electrode baseline.

    Per-epoch RMS, then a rolling low envelope (minimum of 10-s medians over window_s,
    smoothed): it tracks the quiet-sleep floor, so steps after movements are removed while
    the Wake vs sleep contrast within the window stays.
    """
    n = int(len(x) // rate)
    rms = np.empty(n, dtype=np.float64)
    for a in range(0, n, chunk_epochs):
        b = min(n, a + chunk_epochs)
        seg = np.asarray(x[int(round(a * rate)): int(round(b * rate))], dtype=np.float64) - center
        per = int(rate)  # whole samples per epoch that every segment holds
        rms[a:b] = np.sqrt(np.mean(seg[: (b - a) * per].reshape(b - a, per) ** 2, axis=1))
    if n == 0:
        return rms
    block = 10
    pad = (-n) % block
    blocks = np.median(np.pad(rms, (0, pad), mode="edge").reshape(-1, block), axis=1)
    width = max(1, int(window_s // block))
    low = minimum_filter1d(blocks, width, mode="nearest")
    low = uniform_filter1d(low, width, mode="nearest")
    base = np.repeat(low, block)[:n]
    floor = np.median(rms) * 1e-3 + 1e-12
    return np.maximum(base, floor) / max(np.median(base), floor)


def channel_stats(x: np.ndarray, rate: float, rolling: bool, cfg: PreprocessConfig) -> ChannelStats:
    center, scale = robust_stats(x)
    baseline = rolling_baseline(x, rate, center, cfg.emg_baseline_s) if rolling else None
    return ChannelStats(center, scale, baseline)


def resample_segment(x: np.ndarray, rate: float, start: int, stop: int,
                     target: int = MODEL_RATE) -> np.ndarray:
    """Samples [start, stop) of `x` resampled to `target` Hz, as float32.

    Works on a padded slice of the input (margins aligned to the polyphase period), so
    cutting a recording into chunks gives the same samples as resampling it whole.
    """
    up, down = resample_ratio(rate, target)
    if up == down:
        return np.array(x[start:stop], dtype=np.float32)  # a copy: never touch the recording
    pad_in = int(ceil(2 * rate + 20 * max(up, down) / up))  # > filter half-length
    q0 = max(0, start // up - ceil(pad_in / down))
    q1 = min(ceil(len(x) / down), ceil(stop / up) + ceil(pad_in / down))
    seg = np.asarray(x[q0 * down: q1 * down], dtype=np.float64)
    y = resample_poly_exact(seg, up, down)[start - q0 * up: stop - q0 * up]
    if len(y) < stop - start:  # a rounded ratio can end a sample short: repeat the last
        y = np.pad(y, (0, stop - start - len(y)), mode="edge" if len(y) else "constant")
    return y.astype(np.float32)


class EpochSource:
    """Yields normalised (n, epoch_samples) float32 EEG/EMG for any range of 1-s epochs."""

    def __init__(self, recording: Recording, cfg: PreprocessConfig | None = None,
                 use_eeg: bool = True, use_emg: bool = True):
        self.cfg = cfg or PreprocessConfig()
        self.recording = recording
        self.n_epochs = recording.n_epochs(BASE_EPOCH)
        self.channels = {}
        for name, use, ch in (("eeg", use_eeg, recording.eeg), ("emg", use_emg, recording.emg)):
            if use and ch is not None:
                rolling = name == "emg" and self.cfg.emg_norm == "rolling"
                self.channels[name] = (ch, channel_stats(ch.data, ch.rate, rolling, self.cfg))

    def epochs(self, name: str, start: int, stop: int) -> np.ndarray:
        """Epochs [start, stop) of channel `name` ("eeg"/"emg") as (n, T) float32."""
        ch, stats = self.channels[name]
        t = self.cfg.epoch_samples
        y = resample_segment(ch.data, ch.rate, start * t, stop * t, self.cfg.rate)
        y = y.reshape(stop - start, t)
        y -= np.float32(stats.center)
        y *= np.float32(1.0 / stats.scale)
        if stats.baseline is not None:
            y /= stats.baseline[start:stop, None].astype(np.float32)
        np.clip(y, -self.cfg.clip, self.cfg.clip, out=y)
        np.nan_to_num(y, copy=False)
        return y


def preprocess(recording: Recording, cfg: PreprocessConfig | None = None,
               chunk_epochs: int = 4096) -> tuple[np.ndarray, np.ndarray | None]:
    """Whole recording -> (n_epochs, 512) float32 EEG and EMG (None without an EMG channel)."""
    source = EpochSource(recording, cfg)
    n, t = source.n_epochs, source.cfg.epoch_samples
    out = {}
    for name in source.channels:
        arr = np.empty((n, t), dtype=np.float32)
        for a in range(0, n, chunk_epochs):
            b = min(n, a + chunk_epochs)
            arr[a:b] = source.epochs(name, a, b)
        out[name] = arr
    return out.get("eeg"), out.get("emg")
