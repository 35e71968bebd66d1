"""What the screen needs from long signals, computed fast and without Qt.

- `MinMaxPyramid`: min/max per block at several block sizes, built once per channel, so a
  view of any span of a 24 h 512 Hz signal is reduced to about two points per pixel in
  a few milliseconds (the envelope keeps every spike visible, like a peak downsampler).
- `epoch_spectrogram`: EEG power 0-30 Hz per scoring epoch, computed in chunks.
- `stage_rgba`: one RGBA colour per epoch for hypnogram strips (expert solid, model pale).

Must not import Qt or pyqtgraph: the views feed these arrays to their items.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sleepscorer.core.stages import STAGE_COLORS, Stage

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
        """A y range that fits most of the signal and ignores rare huge artefacts."""
        level = self.levels[min(1, len(self.levels) - 1)]
        if len(level.mins) == 0:
            return -1.0, 1.0
        lo = float(np.nanpercentile(level.mins, low))
        hi = float(np.nanpercentile(level.maxs, high))
        if not np.isfinite(lo) or not np.isfinite(hi) or hi <= lo:
            return lo - 1.0 if np.isfinite(lo) else -1.0, lo + 1.0 if np.isfinite(lo) else 1.0
        pad = 0.05 * (hi - lo)
        return lo - pad, hi + pad


def _columns_min_max(lows: np.ndarray, highs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise min of `lows` and max of `highs` (n, k) for small k: k-1 elementwise passes
    over columns are several times faster than a reduction along a short axis."""
    mins, maxs = lows[:, 0].copy(), highs[:, 0].copy()
    for i in range(1, lows.shape[1]):
        np.minimum(mins, lows[:, i], out=mins)
        np.maximum(maxs, highs[:, i], out=maxs)
    return mins, maxs


def epoch_spectrogram(data: np.ndarray, rate: float, epoch_length: float, fmax: float = 30.0,
                      chunk_epochs: int = 4096,
                      progress: Callable[[int, int], None] | None = None,
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Log power (dB) of each epoch, 0..fmax Hz: returns (freqs, power (n_epochs, n_freqs)).

    Each epoch is Hann-windowed and Fourier transformed on its own, so column k of the image
    shows exactly what epoch k contained. Epochs shorter than 1 s are padded to 1 s.
    """
    per_epoch = int(round(epoch_length * rate))
    n_epochs = len(data) // per_epoch if per_epoch else 0
    n_fft = max(per_epoch, int(round(rate)))
    freqs = np.fft.rfftfreq(n_fft, 1.0 / rate)
    keep = freqs <= fmax
    power = np.empty((n_epochs, int(keep.sum())), np.float32)
    window = np.hanning(per_epoch).astype(np.float32)
    for a in range(0, n_epochs, chunk_epochs):
        b = min(n_epochs, a + chunk_epochs)
        block = np.asarray(data[a * per_epoch: b * per_epoch], dtype=np.float32)
        block = block.reshape(b - a, per_epoch)
        block = (block - block.mean(axis=1, keepdims=True)) * window
        spec = np.abs(np.fft.rfft(block, n=n_fft, axis=1)[:, keep]) ** 2
        power[a:b] = 10.0 * np.log10(spec + 1e-20)
        if progress is not None:
            progress(b, n_epochs)
    return freqs[keep], power


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
