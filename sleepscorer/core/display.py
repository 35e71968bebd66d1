"""What the screen needs from long signals, computed fast and without Qt.

- `MinMaxPyramid`: min/max per block at several block sizes, built once per channel, so a
  view of any span of a 24 h 512 Hz signal is reduced to about two points per pixel in
  a few milliseconds (the envelope keeps every spike visible, like a peak downsampler).
- `spectrogram`: EEG log power 0-30 Hz in overlapping 4-s windows (Welch), computed in
  chunks, with colour levels from the whole recording.
- `robust_span`: a y range for the visible part of a trace that ignores rare artefacts.
- `TrackScale`: a trace track's y range, fixed for the recording and changed only by the user.
- `stage_rgba`: one RGBA colour per epoch for hypnogram strips (expert solid, model pale).

Must not import the GUI toolkit: the views feed these arrays to their plot items.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import fft as sp_fft

from sleepscorer.stages import STAGE_COLORS, Stage

BASE_BLOCK = 8  # samples per block at the finest pyramid level
LEVEL_FACTOR = 4  # each coarser level merges this many blocks
_CHUNK = 1 << 22  # samples read at once while building (bounded memory on memory maps)


@dataclass
class _Level:
    block: int  # samples per block
    mins: np.ndarray
    maxs: np.ndarray


class MinMaxPyramid:
    """Min/max envelopes of one signal at block sizes 8, 32, 128, ... samples."""

    def __init__(self, data: np.ndarray, rate: float, min_blocks: int = 2048):
        self.data = data
        self.rate = float(rate)
        self.levels: list[_Level] = []
        n_full = len(data) // BASE_BLOCK
        mins = np.empty(n_full, np.float32)
        maxs = np.empty(n_full, np.float32)
        step = (_CHUNK // BASE_BLOCK) * BASE_BLOCK
        for a in range(0, n_full * BASE_BLOCK, step):
            b = min(a + step, n_full * BASE_BLOCK)
            block = np.asarray(data[a:b], dtype=np.float32).reshape(-1, BASE_BLOCK)
            sl = slice(a // BASE_BLOCK, b // BASE_BLOCK)
            mins[sl], maxs[sl] = _columns_min_max(block, block)
        level = _Level(BASE_BLOCK, mins, maxs)
        self.levels.append(level)
        while len(level.mins) // LEVEL_FACTOR >= min_blocks:
            n = len(level.mins) // LEVEL_FACTOR
            level = _Level(level.block * LEVEL_FACTOR, *_columns_min_max(
                level.mins[: n * LEVEL_FACTOR].reshape(n, LEVEL_FACTOR),
                level.maxs[: n * LEVEL_FACTOR].reshape(n, LEVEL_FACTOR)))
            self.levels.append(level)
        self._ranges: dict[tuple[float, float], tuple[float, float]] = {}

    @property
    def n_samples(self) -> int:
        return len(self.data)

    def segment(self, t0: float, t1: float, n_pixels: int) -> tuple[np.ndarray, np.ndarray]:
        """(x seconds, y) to draw [t0, t1] on `n_pixels` columns: raw samples when zoomed in,
        otherwise an interleaved min/max envelope of about 2 points per pixel."""
        n_pixels = max(int(n_pixels), 16)
        i0 = max(0, int(np.floor(t0 * self.rate)) - 1)
        i1 = min(self.n_samples, int(np.ceil(t1 * self.rate)) + 2)
        if i1 <= i0:
            return np.empty(0), np.empty(0, np.float32)
        per_pixel = (i1 - i0) / n_pixels
        if per_pixel <= 2 * BASE_BLOCK / 2:  # few samples per pixel: draw them all
            y = np.asarray(self.data[i0:i1], dtype=np.float32)
            return np.arange(i0, i1) / self.rate, y
        level = self.levels[0]
        for candidate in self.levels:
            if candidate.block <= per_pixel:
                level = candidate
        b0, b1 = i0 // level.block, min(len(level.mins), -(-i1 // level.block))
        mins, maxs = level.mins[b0:b1], level.maxs[b0:b1]
        merge = max(1, int(per_pixel // level.block))
        if merge > 1:  # reduce further to about one block per pixel
            n = len(mins) // merge
            tail_min, tail_max = mins[n * merge:], maxs[n * merge:]
            mins = mins[: n * merge].reshape(n, merge).min(axis=1)
            maxs = maxs[: n * merge].reshape(n, merge).max(axis=1)
            if len(tail_min):
                mins = np.append(mins, tail_min.min())
                maxs = np.append(maxs, tail_max.max())
        block = level.block * merge
        starts = (b0 * level.block + np.arange(len(mins)) * block) / self.rate
        x = np.empty(2 * len(mins))
        x[0::2] = starts
        x[1::2] = starts + 0.5 * block / self.rate
        y = np.empty(2 * len(mins), np.float32)
        y[0::2] = mins
        y[1::2] = maxs
        return x, y

    def robust_range(self, low: float = 0.5, high: float = 99.5) -> tuple[float, float]:
        """A y range that fits most of the signal and ignores rare huge artefacts, from the
        whole recording; computed once per (low, high) and kept (the loader asks first, off
        the GUI thread)."""
        if (low, high) not in self._ranges:
            self._ranges[(low, high)] = self._robust_range(low, high)
        return self._ranges[(low, high)]

    def _robust_range(self, low: float, high: float) -> tuple[float, float]:
        level = self.levels[min(1, len(self.levels) - 1)]
        if len(level.mins) == 0:
            return -1.0, 1.0
        lo = float(np.nanpercentile(level.mins, low))
        hi = float(np.nanpercentile(level.maxs, high))
        if not np.isfinite(lo) or not np.isfinite(hi) or hi <= lo:
            return lo - 1.0 if np.isfinite(lo) else -1.0, lo + 1.0 if np.isfinite(lo) else 1.0
        pad = 0.05 * (hi - lo)
        return lo - pad, hi + pad


def robust_span(y: np.ndarray, percentile: float = 99.5, margin: float = 1.15,
                ) -> tuple[float, float] | None:
    """A y range for the samples (or min/max envelope) on screen: centred on the median, wide
    enough for the `percentile`-th absolute deviation plus a margin, so a rare artefact
    neither squashes the trace nor sets the scale. None when there is nothing finite."""
    y = np.asarray(y)
    y = y[np.isfinite(y)]
    if y.size == 0:
        return None
    centre = float(np.median(y))
    half = float(np.percentile(np.abs(y - centre), percentile)) * margin
    if not half > 0:
        half = max(abs(centre) * 0.1, 1e-6)
    return centre - half, centre + half


@dataclass
class TrackScale:
    """The y range of one trace track. It starts at the recording's robust range (`home`) and
    stays there whatever part is on screen, so atonia looks small beside waking tone and
    delta waves keep their size; only the person changes it (zoom, fit to what is shown, reset).
    """

    home: tuple[float, float]
    lo: float = 0.0
    hi: float = 0.0

    def __post_init__(self) -> None:
        if self.lo == self.hi:
            self.lo, self.hi = self.home

    @property
    def span(self) -> tuple[float, float]:
        return self.lo, self.hi

    @property
    def gain(self) -> float:
        """How much larger traces are drawn than at `home` (2.0: twice the amplitude)."""
        return (self.home[1] - self.home[0]) / (self.hi - self.lo)

    def zoom(self, gain: float) -> None:
        """Draw traces `gain` times larger (a smaller range around the same centre)."""
        centre, half = (self.lo + self.hi) / 2, (self.hi - self.lo) / 2 / gain
        if half > 0 and np.isfinite(half):
            self.lo, self.hi = centre - half, centre + half

    def fit(self, values: np.ndarray) -> None:
        """Fit the range to `values` (what is on screen); nothing finite: unchanged."""
        span = robust_span(values)
        if span is not None:
            self.lo, self.hi = span

    def reset(self) -> None:
        self.lo, self.hi = self.home


def _columns_min_max(lows: np.ndarray, highs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise min of `lows` and max of `highs` (n, k) for small k: k-1 elementwise passes
    over columns are several times faster than a reduction along a short axis."""
    mins, maxs = lows[:, 0].copy(), highs[:, 0].copy()
    for i in range(1, lows.shape[1]):
        np.minimum(mins, lows[:, i], out=mins)
        np.maximum(maxs, highs[:, i], out=maxs)
    return mins, maxs


@dataclass
class Spectrogram:
    """EEG power over time: `power[k, j]` (dB) in the 4-s window centred on `(k + 0.5) * step_s`
    at `freqs[j]`; `levels` are colour limits taken from the whole recording."""

    freqs: np.ndarray
    power: np.ndarray  # (n_columns, n_freqs) float32, dB
    step_s: float
    levels: tuple[float, float]


def spectrogram(data: np.ndarray, rate: float, fmax: float = 30.0, window_s: float = 4.0,
                step_s: float = 1.0, chunk_columns: int = 8192,
                progress: Callable[[int, int], None] | None = None) -> Spectrogram:
    """Welch spectrogram 0..fmax Hz as sleep researchers read it: log power of overlapping
    windows (`window_s` long, one every `step_s`), each the mean of three half-overlapping
    Hann segments of `window_s / 2`, so delta (0.5-4 Hz), theta (6-9 Hz) and narrow lines
    (a 20 Hz stimulation) show as bands.

    The signal is first block-averaged to about 4 * fmax samples per second (all we need
    below fmax), and everything runs in chunks, so a 24 h 512 Hz channel takes well under a
    second and bounded memory. Colour levels are robust percentiles of the whole image (no
    per-frequency normalisation): brighter means more power, everywhere.
    """
    factor = max(1, int(rate // (4 * fmax)))
    slow = _block_mean(data, factor)
    slow_rate = rate / factor
    seg = max(8, int(round(window_s / 2 * slow_rate)))
    n_columns = int(len(data) / rate // step_s)
    n_fft = seg
    freqs = np.fft.rfftfreq(n_fft, 1.0 / slow_rate)
    keep = (freqs > 0) & (freqs <= fmax)  # no DC row: the mean is removed per segment
    power = np.empty((n_columns, int(keep.sum())), np.float32)
    if n_columns == 0 or len(slow) < seg:
        return Spectrogram(freqs[keep], power[:0], step_s, (0.0, 1.0))
    window = np.hanning(seg).astype(np.float32)
    scale = np.float32(2.0 / (slow_rate * float((window ** 2).sum())))  # one-sided density
    hop = step_s * slow_rate
    windows = sliding_window_view(slow, seg)  # a view: row i is slow[i:i + seg]
    for a in range(0, n_columns, chunk_columns):
        b = min(n_columns, a + chunk_columns)
        # segment k is centred on column k's centre; column k averages segments k-1..k+1
        k = np.clip(np.arange(a - 1, b + 1), 0, n_columns - 1)
        starts = np.round((k + 0.5) * hop - seg / 2).astype(np.int64)
        block = windows[np.clip(starts, 0, len(slow) - seg)]  # copies the rows
        block -= block.mean(axis=1, keepdims=True)
        block *= window
        spec = np.abs(sp_fft.rfft(block, axis=1)[:, keep]) ** 2 * scale
        welch = (spec[:-2] + spec[1:-1] + spec[2:]) / 3.0
        power[a:b] = 10.0 * np.log10(welch + 1e-20)
        if progress is not None:
            progress(b, n_columns)
    return Spectrogram(freqs[keep], power, step_s, robust_levels(power, freqs[keep]))


def robust_levels(power: np.ndarray, freqs: np.ndarray, low: float = 2.0,
                  high: float = 99.5) -> tuple[float, float]:
    """Colour limits (dB) from percentiles of the whole image above 0.5 Hz (DC ignored)."""
    values = power[:, freqs >= 0.5]
    if values.size > 2_000_000:  # a regular subsample is as good and 10x faster
        values = values[:: -(-values.shape[0] * values.shape[1] // 2_000_000)]
    values = values[np.isfinite(values)]
    if values.size == 0:
        return 0.0, 1.0
    lo, hi = (float(v) for v in np.percentile(values, [low, high]))
    return (lo, hi) if hi > lo else (lo - 1.0, lo + 1.0)


def _block_mean(data: np.ndarray, factor: int) -> np.ndarray:
    """Mean of each `factor` samples (a cheap anti-alias low-pass), read in chunks."""
    n = len(data) // factor
    out = np.empty(n, np.float32)
    step = max(1, _CHUNK // factor)
    for a in range(0, n, step):
        b = min(n, a + step)
        block = np.asarray(data[a * factor: b * factor], dtype=np.float32)
        block = block.reshape(b - a, factor)
        acc = block[:, 0].copy()
        for i in range(1, factor):  # column passes beat a short-axis mean (see above)
            acc += block[:, i]
        out[a:b] = acc / factor
    return out


def _hex_rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def stage_palette(colours: dict[Stage, str] | None = None, pale: float = 0.55) -> np.ndarray:
    """(2, 8, 4) uint8 lookup: [solid|pale][stage code + 1] -> RGBA. Unscored is transparent."""
    colours = {**STAGE_COLORS, **(colours or {})}
    lut = np.zeros((2, 8, 4), np.uint8)
    for stage, colour in colours.items():
        rgb = np.array(_hex_rgb(colour), float)
        alpha = 0 if stage == Stage.UNSCORED else 255
        lut[0, int(stage) + 1] = (*rgb.astype(np.uint8), alpha)
        mixed = rgb + (255 - rgb) * pale
        lut[1, int(stage) + 1] = (*mixed.astype(np.uint8), alpha)
    return lut


def stage_rgba(stages: np.ndarray, person: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """(n, 4) uint8 colours: a person's labels solid, model labels pale."""
    return lut[np.where(person, 0, 1), stages.astype(np.int16) + 1]


def confidence_envelope(confidence: np.ndarray, epoch_length: float, t0: float, t1: float,
                        n_pixels: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x seconds, mean, min) of per-epoch confidence over [t0, t1] on `n_pixels` columns.

    Zoomed in (at most one epoch a pixel) every visible epoch is one point (mean = min);
    zoomed out, the epochs under each pixel become their mean and minimum, so a 24 h view
    is a readable band of ~n_pixels points rather than 86,400 overdrawn ones. NaN (a
    person's label, nothing scored) stays a gap: a pixel with no model epoch is NaN.
    """
    confidence = np.asarray(confidence, np.float32)
    n = len(confidence)
    n_pixels = max(int(n_pixels), 16)
    e0 = max(0, int(np.floor(t0 / epoch_length)) - 1)
    e1 = min(n, int(np.ceil(t1 / epoch_length)) + 1)
    if e1 <= e0:
        empty = np.empty(0)
        return empty, empty.astype(np.float32), empty.astype(np.float32)
    visible = confidence[e0:e1]
    per_pixel = (e1 - e0) / n_pixels
    if per_pixel <= 1:
        x = (np.arange(e0, e1) + 0.5) * epoch_length
        return x, visible, visible
    k = int(np.ceil(per_pixel))
    m = int(np.ceil(len(visible) / k))
    padded = np.full(m * k, np.nan, np.float32)
    padded[: len(visible)] = visible
    blocks = padded.reshape(m, k)
    finite = ~np.isnan(blocks)
    counts = finite.sum(axis=1)
    sums = np.where(finite, blocks, 0.0).sum(axis=1)
    mean = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan).astype(np.float32)
    low = np.where(counts > 0, np.where(finite, blocks, np.inf).min(axis=1),
                   np.nan).astype(np.float32)
    x = (e0 + (np.arange(m) + 0.5) * k) * epoch_length
    return x, mean, low
