"""Spectral front end: every 1-s epoch as robust-scaled log spectra of EEG and EMG.

Why not raw samples: a network fed raw waveforms learns the simulator's waveforms, which
no mouse shares. What transfers between animals, labs and generators is the shape of the
spectrum against the recording's own range, which is what experts read. So each epoch
becomes:
- EEG: log power of a 2-s Hann window centred on the epoch, 0.5-40 Hz in 0.5-Hz bins (80);
- EMG: log power of the epoch in 10-Hz bands from 10 to 90 Hz (8), and the 10-90 Hz log
  power of its four quarter-seconds (4: twitches and bursts). 10-90 Hz is what every rate
  from 200 Hz up carries.
Each feature is then scaled per recording by the midpoint and half-width of its
`scale_lo`-`scale_hi` percentile range. A fixed filter, electrode gain or 1/f slope is an
additive constant per log-power bin, so it cancels. The midpoint of a wide percentile range
moves less with how much of the file is Wake than a mean or median would, but it still moves: a
file that is 80 % Wake has its midpoint inside Wake. So a card with `mixture_shares` takes the
percentiles from a reference with fixed state shares, drawn from the model's own labels
(`mixture_reference`, `SpectralSource.rescaled`; model.reading.mixture_scaled).

With `shape_features` (model card `preprocessing.shape_features`) each epoch also carries
features that no per-recording scaling touches, so they mean the same in a file that is all
Wake as in one that is mostly sleep (percentile scaling cannot tell those apart: it maps the
quietest Wake of a wake-only file to where sleep sits in a normal one):
- EEG (16): log10 of each 2.5-Hz band's share of the 0.5-40 Hz power (spectral shape:
  slow waves vs theta vs beta), at a fixed scale;
- EMG (4): the spread of the four quarter-second powers (bursts and twitches), the 10-90 Hz
  power above its local 5-min floor (a baseline step after an electrode shift cancels), the
  same above its 31-s and its 5-min median (activations against their surroundings). The
EMG's spectral colour is left out: it differs more between simulators than between states.

Works chunk by chunk on the resampled signal (`model.preprocess.resample_segment`), so a
24 h recording never exists as a full-size float64 copy; statistics come from the whole
recording. No Qt, no files.
"""

from __future__ import annotations

import copy

import numpy as np
from sleepscorer_model.preprocess import PreprocessConfig, resample_segment

from sleepscorer.io.recording import Recording

RATE = 512  # the front end works at the model rate
EEG_BINS = np.arange(1, 81)  # 0.5-40 Hz in the 1024-point (2-s) spectrum
EMG_BANDS = [(lo, lo + 10) for lo in range(10, 90, 10)]
EEG_FEATURES = len(EEG_BINS)
EMG_FEATURES = len(EMG_BANDS) + 4
SHAPE_BANDS = 16  # 2.5-Hz bands of the 80 EEG bins
EEG_SHAPE_FEATURES = SHAPE_BANDS
EMG_SHAPE_FEATURES = 4
CLIP = 8.0
_EPS = 1e-20


def eeg_log_spectra(x: np.ndarray, n: int) -> np.ndarray:
    """(n, 80) log10 power, 0.5-40 Hz, of 2-s Hann windows centred on each 1-s epoch of x.

    `x` holds the n epochs plus 256 samples of context on each side (edge-padded by the
    caller at the recording's ends).
    """
    win = np.hanning(2 * RATE).astype(np.float32)
    frames = np.lib.stride_tricks.sliding_window_view(x, 2 * RATE)[::RATE][:n]
    frames = frames - frames.mean(1, keepdims=True)
    spec = np.abs(np.fft.rfft(frames * win, axis=1)[:, EEG_BINS]) ** 2
    return np.log10(spec + _EPS).astype(np.float32)


def emg_log_bands(x: np.ndarray, n: int) -> np.ndarray:
    """(n, 12) log10 power of each epoch in 10-Hz bands 10-90 Hz, then of its quarters."""
    ep = x[: n * RATE].reshape(n, RATE)
    ep = ep - ep.mean(1, keepdims=True)
    spec = np.abs(np.fft.rfft(ep * np.hanning(RATE).astype(np.float32), axis=1)) ** 2  # 1-Hz bins
    bands = [spec[:, lo:hi].sum(1) for lo, hi in EMG_BANDS]
    q = ep.reshape(n, 4, RATE // 4)
    q = q - q.mean(2, keepdims=True)
    qs = np.abs(np.fft.rfft(q * np.hanning(RATE // 4).astype(np.float32), axis=2)) ** 2  # 4-Hz bins
    quarters = qs[:, :, 3:23].sum(2)  # 12-92 Hz
    return np.log10(np.stack(bands + [quarters[:, i] for i in range(4)], 1) + _EPS).astype(np.float32)


def raw_features(recording: Recording, use_eeg: bool = True, use_emg: bool = True,
                 chunk_epochs: int = 4096) -> dict[str, np.ndarray]:
    """Unscaled log-spectral features of every whole 1-s epoch: {"eeg": (n, 80), "emg": (n, 12)}."""
    n = recording.n_epochs(1.0)
    out = {}
    for name, use, ch in (("eeg", use_eeg, recording.eeg), ("emg", use_emg, recording.emg)):
        if not use or ch is None:
            continue
        feats = np.empty((n, EEG_FEATURES if name == "eeg" else EMG_FEATURES), np.float32)
        for a in range(0, n, chunk_epochs):
            b = min(n, a + chunk_epochs)
            if name == "eeg":
                want0, want1 = a * RATE - RATE // 2, b * RATE + RATE // 2
                lo, hi = max(0, want0), min(n * RATE, want1)
                seg = resample_segment(ch.data, ch.rate, lo, hi, RATE)
                seg = np.pad(seg, (lo - want0, want1 - hi), mode="edge")
                feats[a:b] = eeg_log_spectra(seg, b - a)
            else:
                feats[a:b] = emg_log_bands(resample_segment(ch.data, ch.rate, a * RATE, b * RATE, RATE), b - a)
        np.nan_to_num(feats, copy=False, nan=np.log10(_EPS), posinf=0.0, neginf=np.log10(_EPS))
        out[name] = feats
    return out


def percentile_scale(f: np.ndarray, lo: float = 10.0, hi: float = 90.0,
                     reference: np.ndarray | None = None) -> np.ndarray:
    """Features scaled per column by the midpoint and half-width of the lo-hi percentiles of
    `reference` (default: the features themselves)."""
    reference = f if reference is None else reference
    step = max(1, len(reference) // 100_000)
    p_lo, p_hi = np.percentile(reference[::step], [lo, hi], axis=0)
    mid = (p_lo + p_hi) / 2
    half = np.maximum((p_hi - p_lo) / 2, 0.05)  # log10 units: a flat column stays near 0
    return np.clip((f - mid) / half, -CLIP, CLIP).astype(np.float32)


def _local_floor(x: np.ndarray, block: int = 30, blocks: int = 10) -> np.ndarray:
    """Per-epoch local floor: the median, over about `blocks` x `block` epochs around each
    epoch, of the 10th percentile of each `block`-epoch block (cheap on 24 h, robust to
    bursts)."""
    from scipy.ndimage import median_filter

    n = len(x)
    m = -(-n // block)
    padded = np.pad(x, (0, m * block - n), mode="edge").reshape(m, block)
    q = np.percentile(padded, 10, axis=1)
    q = median_filter(q, size=min(blocks, m) | 1, mode="nearest")
    return np.repeat(q, block)[:n]


def shape_features(raw: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Composition-free features from the unscaled log spectra (see the module docstring)."""
    from scipy.ndimage import median_filter

    out = {}
    if "eeg" in raw:
        p = 10.0 ** raw["eeg"].astype(np.float64)
        bands = p.reshape(len(p), SHAPE_BANDS, -1).sum(2)
        share = np.log10(bands / np.maximum(bands.sum(1, keepdims=True), _EPS) + 1e-6)
        out["eeg"] = np.clip((share + 1.2) / 0.6, -CLIP, CLIP).astype(np.float32)
    if "emg" in raw:
        f = raw["emg"].astype(np.float64)
        total = np.log10((10.0 ** f[:, : len(EMG_BANDS)]).sum(1) + _EPS)
        quarters = f[:, len(EMG_BANDS):]
        spread = quarters.max(1) - quarters.min(1)
        above_floor = total - _local_floor(total)
        above_median = total - median_filter(total, size=31, mode="nearest")
        above_5min = total - median_filter(total, size=301, mode="nearest")
        cols = [(spread - 0.4) / 0.3, (above_floor - 0.4) / 0.4, above_median / 0.3, above_5min / 0.4]
        out["emg"] = np.clip(np.stack(cols, 1), -CLIP, CLIP).astype(np.float32)
    return out


class SpectralSource:
    """Scaled features of every epoch, read by range like `model.preprocess.EpochSource`."""

    def __init__(self, recording: Recording, cfg: PreprocessConfig | None = None,
                 use_eeg: bool = True, use_emg: bool = True,
                 features: dict[str, np.ndarray] | None = None):
        self.cfg = cfg = cfg or PreprocessConfig()
        self.recording = recording
        self.n_epochs = recording.n_epochs(1.0)
        lo, hi = cfg.scale_lo, cfg.scale_hi
        raw = features if features is not None else raw_features(recording, use_eeg, use_emg)
        self.raw = raw = {name: f for name, f in raw.items() if (use_eeg if name == "eeg" else use_emg)}
        self.channels = {name: percentile_scale(f, lo, hi) for name, f in raw.items()}
        if cfg.shape_features:
            for name, extra in shape_features(raw).items():
                self.channels[name] = np.concatenate([self.channels[name], extra], 1)

    def rescaled(self, reference: np.ndarray) -> SpectralSource:
        """The same recording scaled by the percentiles of the `reference` epochs (see
        `mixture_reference`); the shape features, which no scaling touches, are kept."""
        out = copy.copy(self)
        out.channels = {}
        for name, f in self.raw.items():
            scaled = percentile_scale(f, self.cfg.scale_lo, self.cfg.scale_hi, f[reference])
            shape = self.channels[name][:, f.shape[1]:]
            out.channels[name] = np.concatenate([scaled, shape], 1) if shape.shape[1] else scaled
        return out

    def epochs(self, name: str, start: int, stop: int) -> np.ndarray:
        return self.channels[name][start:stop]

    def emg_level(self) -> np.ndarray | None:
        """Per epoch, the mean log10 power of the EMG's 10-Hz bands (10-90 Hz), unscaled:
        muscle tone against the recording's own levels. None without an EMG."""
        return self.raw["emg"][:, :len(EMG_BANDS)].mean(1) if "emg" in self.raw else None


def mixture_reference(labels: np.ndarray, shares: dict[int, float], min_share: float = 0.02,
                      size: int = 100_000, seed: int = 0) -> np.ndarray | None:
    """Epoch indices drawn so that each labelled state makes up its `shares` part, whatever
    the recording's own mix (mixture scaling, as AccuSleep's mixture z-scoring, with the
    model's first labels instead of an expert's).

    Why: percentiles of a file that is 80 % Wake sit inside Wake, so its drowsy Wake is
    scaled to where sleep sits in a balanced file. `labels` holds class indices (-1: not
    used); a state under `min_share` of the labelled epochs is left out and the others keep
    their proportions. None when no state is left.
    """
    used = labels[labels >= 0]
    if len(used) == 0:
        return None
    pools = {k: np.flatnonzero(labels == k) for k in shares}
    weights = {k: w for k, w in shares.items() if len(pools[k]) >= max(1, min_share * len(used))}
    total = sum(weights.values())
    if total <= 0:
        return None
    rng = np.random.default_rng(seed)
    n = min(size, max(len(used), 1000))
    return np.concatenate([rng.choice(pools[k], int(round(w / total * n)), replace=True)
                           for k, w in weights.items()])


def rescaled_by_crop(f: np.ndarray, rng: np.random.Generator, lo_frac: float = 0.15,
                     hi_frac: float = 0.5, p_lo: float = 10.0, p_hi: float = 90.0,
                     n_scaled: int | None = None) -> np.ndarray:
    """Percentile-scaled features re-scaled as if the statistics came from a random crop.

    Percentiles commute with the per-column affine scaling, so this equals scaling the raw
    features by a crop's statistics (up to the clip): it shows the network recordings that
    are mostly Wake or mostly sleep, without simulating them again.
    """
    n = len(f)
    length = max(60, int(n * rng.uniform(lo_frac, hi_frac)))
    start = int(rng.integers(0, max(1, n - length)))
    return _rescaled(f, np.arange(start, min(n, start + length)), p_lo, p_hi, n_scaled)


def rescaled_by_state_mix(f: np.ndarray, labels: np.ndarray, rng: np.random.Generator,
                          p_lo: float = 10.0, p_hi: float = 90.0, n_scaled: int | None = None
                          ) -> np.ndarray:
    """Like `rescaled_by_crop`, but the statistics come from a random mix of states: a third
    of the time almost one state (a file that is all Wake, or all sleep), otherwise a flat
    Dirichlet draw. Contiguous crops of a mixed hypnogram rarely reach those extremes."""
    states = [np.flatnonzero(labels == k) for k in np.unique(labels[labels >= 0])]
    if rng.random() < 1 / 3:
        weights = np.full(len(states), 0.05 / max(len(states) - 1, 1))
        weights[rng.integers(len(states))] = 0.95
    else:
        weights = rng.dirichlet(np.ones(len(states)))
    size = max(300, int(len(f) * rng.uniform(0.15, 0.5)))
    picks = [rng.choice(idx, min(len(idx), int(round(w * size))), replace=False)
             for idx, w in zip(states, weights, strict=True)]
    reference = np.sort(np.concatenate(picks))
    return _rescaled(f, reference if len(reference) >= 60 else np.arange(len(f)), p_lo, p_hi, n_scaled)


def rescaled_by_mixture(f: np.ndarray, labels: np.ndarray, shares: dict[int, float],
                        p_lo: float = 10.0, p_hi: float = 90.0, n_scaled: int | None = None
                        ) -> np.ndarray:
    """Percentile-scaled features re-scaled by a `mixture_reference` of their own labels: a
    training animal as mixture scaling shows it at inference, with an expert's labels."""
    reference = mixture_reference(np.asarray(labels), shares)
    return f.copy() if reference is None else _rescaled(f, reference, p_lo, p_hi, n_scaled)


def _rescaled(f: np.ndarray, reference: np.ndarray, p_lo: float, p_hi: float,
              n_scaled: int | None) -> np.ndarray:
    k = f.shape[1] if n_scaled is None else n_scaled  # shape features (after k) are not rescaled
    out = f.copy()
    out[:, :k] = percentile_scale(f[:, :k], p_lo, p_hi, reference=f[reference, :k])
    return out


class FeatureView:
    """Features already computed, read by range as a SpectralSource is: some of its epochs,
    or all of them with some columns changed."""

    def __init__(self, cfg: PreprocessConfig, channels: dict[str, np.ndarray], n_epochs: int):
        self.cfg = cfg
        self.channels = channels
        self.n_epochs = n_epochs

    def epochs(self, name: str, start: int, stop: int) -> np.ndarray:
        return self.channels[name][start:stop]


class WithoutShape(FeatureView):
    """A SpectralSource's features with the shape features zeroed: the second reading of a
    network trained with shape dropout (PreprocessConfig.shape_passes = 2)."""

    def __init__(self, source: SpectralSource):
        widths = {"eeg": EEG_FEATURES, "emg": EMG_FEATURES}
        channels = {}
        for name, f in source.channels.items():
            g = f.copy()
            g[:, widths[name]:] = 0.0
            channels[name] = g
        super().__init__(source.cfg, channels, source.n_epochs)
