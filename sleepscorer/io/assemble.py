"""From what a reader found to a checked `Recording`: roles, rates, validation.

Readers return `RawChannel`s (any rates); `assemble` applies the user's roles, checks each
channel's rate, replaces NaN/inf by 0 (marked in `Channel.missing`), and notes problems that
do not stop scoring in `Recording.warnings` (no EMG, flat channels, different lengths). Every
channel keeps its own rate and samples: nothing is resampled here (the model's front end
resamples each channel once, from its own rate, see `model.preprocess.resample_segment`), so
a 2 kHz EMG keeps its high band and the display shows the samples as recorded. Unusable input
raises `RecordingError`. Must not know about file formats.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from pathlib import Path

import numpy as np

from sleepscorer.errors import RecordingError
from sleepscorer.io.recording import Channel, ChannelKind, Recording, chosen_roles, is_trigger
from sleepscorer.stages import mask_runs

MIN_DURATION_S = 1.0   # one (shortest) scoring epoch
FLAT_MIN_S = 30.0      # a flat stretch shorter than this is not reported
FLAT_WINDOW_S = 1.0
NOISE_FLOOR_UV = 6.0   # a connected rodent EEG/EMG is well above this amplifier noise
MOSTLY_MISSING = 0.5   # an epoch with at least this share of missing samples holds no signal
_UV_PER_UNIT = {"uV": 1.0, "µV": 1.0, "μV": 1.0, "mV": 1e3, "V": 1e6, "nV": 1e-3}


@dataclass
class RawChannel:
    name: str
    kind: ChannelKind
    data: np.ndarray
    rate: float
    unit: str = ""
    missing: np.ndarray | None = None  # samples the file did not hold (see Channel.missing)


def assemble(path: Path, raw: list[RawChannel], start_time: datetime | None = None,
             notes: list[str] | None = None, roles: dict[str, ChannelKind] | None = None,
             chosen: dict[str, ChannelKind] | None = None) -> Recording:
    """Checked `Recording` from raw channels; see the module docstring. `chosen`: the roles a
    person gave (a part of `roles`): those channels are the ones scored in their roles."""
    warnings = list(notes or [])
    if not raw:
        raise RecordingError(path, "the file holds no signals; export the EEG/EMG again")
    for ch in raw:
        if roles and ch.name in roles:
            ch.kind = ChannelKind(roles[ch.name])
    eeg = next((c for c in raw if c.kind is ChannelKind.EEG), None)
    if eeg is None and not any(c.kind is ChannelKind.OTHER for c in raw):
        names = ", ".join(f"{c.name} ({c.kind.value})" for c in raw)
        raise RecordingError(path, f"no EEG channel (found {names}); a recording needs an "
                                   "EEG channel: name it with --eeg CHANNEL (in the app: "
                                   "Scoring > Channels...)")
    channels = [_to_channel(path, c, warnings) for c in raw]
    lengths = {c.name: c.duration_s for c in channels}
    if max(lengths.values()) - min(lengths.values()) >= 1.0:
        listed = ", ".join(f"{n} {d:g} s" for n, d in lengths.items())
        warnings.append(f"channels have different lengths ({listed}); only the first "
                        f"{min(lengths.values()):g} s, which every channel covers, are used")
    recording = Recording(channels, Path(path), start_time, warnings, chosen_roles(chosen))
    if recording.duration_s < MIN_DURATION_S:
        raise RecordingError(path, f"the recording lasts {recording.duration_s:.3g} s, shorter "
                                   f"than one {MIN_DURATION_S:g}-s epoch; nothing to score")
    warnings += recording.role_notes()
    for ch in channels:
        flat = None if is_trigger(ch.name, ch.kind) else flat_note(ch)
        if flat:
            warnings.append(flat)
    return recording


def percent(fraction: float) -> str:
    """0.5 -> '50%', 1.0 -> '100%', 0.000123 -> '0.012%' (never '1e+02%')."""
    value = 100 * fraction
    if value >= 10:
        return f"{value:.0f}%"
    return f"{value:.2g}%" if value >= 0.01 else f"{value:.1e}%"


def _to_channel(path: Path, raw: RawChannel, warnings: list[str]) -> Channel:
    if not raw.rate or not math.isfinite(raw.rate) or raw.rate <= 0:
        raise RecordingError(path, f"channel {raw.name} has sampling rate {raw.rate}; the file "
                                   "header is damaged or the rate must be given")
    data, missing = raw.data, raw.missing
    if data.dtype != np.float32:
        data = data.astype(np.float32)
    # a float64 sum is finite exactly when every float32 sample is: no full-size temporary
    if not np.isfinite(np.add.reduce(data, dtype=np.float64)):
        bad = ~np.isfinite(data)
        n_bad = int(np.count_nonzero(bad))
        data = np.where(bad, np.float32(0), data)
        missing = bad if missing is None else missing | bad
        warnings.append(f"channel {raw.name}: {n_bad} NaN/inf samples "
                        f"({percent(n_bad / len(data))}) were set to 0")
    return Channel(raw.name, raw.kind, data, float(raw.rate), raw.unit, missing)


MAX_PHASES = 1 << 19  # largest up/down factor; beyond it the ratio is rounded (< 1e-11)


def rational_ratio(rate_in: float, rate_out: float) -> tuple[int, int]:
    """(up, down) with rate_in * up / down == rate_out: exact for rates written with a few
    decimals (24414.0625 Hz -> 512 Hz is 8192 / 390625, 250.3 Hz is 5120 / 2503), else the
    nearest fraction with factors below MAX_PHASES (a drift under 1 ms a day)."""
    if rate_in == rate_out:
        return 1, 1
    exact = Fraction(str(float(rate_out))) / Fraction(str(float(rate_in)))
    if max(exact.numerator, exact.denominator) <= MAX_PHASES:
        return exact.numerator, exact.denominator
    approx = exact.limit_denominator(max(1, int(MAX_PHASES / max(1.0, float(exact)))))
    return approx.numerator, approx.denominator


@functools.lru_cache(maxsize=4)
def _polyphase_filter(up: int, down: int) -> np.ndarray:
    """scipy's default resample_poly filter, designed once per ratio (large ratios are slow)."""
    from scipy.signal import firwin

    max_rate = max(up, down)
    return firwin(2 * 10 * max_rate + 1, 1.0 / max_rate, window=("kaiser", 5.0))


def resample_poly_exact(data: np.ndarray, up: int, down: int) -> np.ndarray:
    """scipy.signal.resample_poly(data, up, down) with the filter cached per ratio."""
    from scipy.signal import resample_poly

    if up == down:
        return np.asarray(data, dtype=np.float64)
    return resample_poly(data, up, down, window=_polyphase_filter(up, down))


def resample(data: np.ndarray, rate_in: float, rate_out: float) -> np.ndarray:
    """Polyphase resampling by the exact rational ratio rate_out / rate_in."""
    up, down = rational_ratio(rate_in, rate_out)
    out = resample_poly_exact(data, up, down)
    return np.ascontiguousarray(out, dtype=np.float32)


def flat_note(channel: Channel) -> str | None:
    """A warning when a channel is flat for long stretches (>= FLAT_MIN_S), else None.

    A 1-s window is flat when it is dead (spread ~0 next to the channel's loud windows) or,
    for channels in a known voltage unit, at the amplifier's noise floor: below
    NOISE_FLOOR_UV and, except for EMG, noise-like (no EEG low-frequency content).
    """
    flat = flat_windows(channel)
    if len(flat) == 0:
        return None
    n = len(flat)
    long_runs = [(a, b) for a, b in mask_runs(flat) if b - a >= FLAT_MIN_S / FLAT_WINDOW_S or b - a == n]
    if not long_runs:
        return None
    total = sum(b - a for a, b in long_runs) * FLAT_WINDOW_S
    first = long_runs[0][0] * FLAT_WINDOW_S
    if len(long_runs) == 1 and long_runs[0][1] == n:
        where = "for the whole recording" if first == 0 else f"from {first:g} s to the end"
        return (f"{_flat_prefix(channel.name)} {where} ({total:g} s of "
                f"{channel.duration_s:g} s): disconnected electrode? check the recording")
    return (f"{_flat_prefix(channel.name)} for {total:g} s in {len(long_runs)} stretch(es), "
            f"the first from {first:g} s: disconnected electrode? check the recording")


def _flat_prefix(name: str) -> str:
    return f"channel {name} is flat"


def flat_clause(notes: list[str], name: str) -> str | None:
    """'flat from 32 s to the end (568 s of 600 s)': what `flat_note` said of channel `name`
    among a recording's `notes`, for a chooser of channels; None when it said nothing."""
    prefix = _flat_prefix(name)
    found = next((n for n in notes if n.startswith(prefix + " ")), None)
    return None if found is None else "flat" + found[len(prefix):].split(": disconnected")[0]


def without_flat_notes(notes: list[str], names: set[str]) -> list[str]:
    """`notes` less `flat_note`'s lines for the channels `names`.

    Why: once scoring's signal-quality gate has reported those channels' flat spans (per
    epoch, and what it scored them), the reader's coarser line says the same problem twice.
    """
    return [n for n in notes if not any(n.startswith(_flat_prefix(name)) for name in names)]


def flat_windows(channel: Channel) -> np.ndarray:
    """Per FLAT_WINDOW_S window: is the channel flat there (dead, or, for an EEG, at the
    amplifier's noise floor)? Shared by the reader's warning and the scorer's signal-quality
    gate."""
    sd, rough = _window_stats(channel)
    if len(sd) == 0:
        return np.zeros(0, dtype=bool)
    flat = sd <= max(float(np.percentile(sd, 95)) * 1e-3, 1e-12)
    to_uv = _UV_PER_UNIT.get(channel.unit.strip())
    # the EMG is judged dead only: atonia in REM can sit near an amplifier's noise after
    # filtering, and calling it a lost electrode would hide the REM it shows
    if to_uv is not None and channel.kind is not ChannelKind.EMG:
        flat |= (sd * to_uv < NOISE_FLOOR_UV) & (rough > 0.7)
    # zeros standing in for missing samples are no electrode's fault
    return flat & ~missing_epochs(channel, len(flat))


def missing_epochs(channel: Channel, n: int) -> np.ndarray:
    """Per 1-s epoch (the first `n`): did the file lack at least MOSTLY_MISSING of its
    samples? Such an epoch is zeros, not signal, whatever its share of real samples says.
    Shared by the reader's flat warning and the scorer's signal-quality gate."""
    if channel.missing is None or n == 0:
        return np.zeros(n, dtype=bool)
    end = len(channel.missing)
    bounds = np.minimum(np.floor(np.arange(n + 1) * channel.rate).astype(np.int64), end)
    lengths = np.diff(bounds)
    starts = bounds[:-1][bounds[:-1] < end]
    counts = np.zeros(n, dtype=np.int64)
    if len(starts):
        counts[:len(starts)] = np.add.reduceat(channel.missing, starts, dtype=np.int64)
    counts[lengths == 0] = 0  # reduceat gives an empty epoch's next sample instead of none
    return (counts >= MOSTLY_MISSING * lengths) & (lengths > 0)


def _window_stats(channel: Channel, chunk: int = 600) -> tuple[np.ndarray, np.ndarray]:
    """Per-window standard deviation and roughness (SD of the first difference / SD)."""
    win = max(2, int(round(channel.rate * FLAT_WINDOW_S)))
    n = len(channel.data) // win
    sd = np.empty(n, np.float32)
    rough = np.empty(n, np.float32)
    for a in range(0, n, chunk):  # chunks keep temporaries small on 24 h recordings
        b = min(n, a + chunk)
        block = channel.data[a * win:b * win].reshape(b - a, win)
        sd[a:b] = block.std(axis=1)
        rough[a:b] = np.diff(block, axis=1).std(axis=1) / np.maximum(sd[a:b], 1e-30)
    return sd, rough
