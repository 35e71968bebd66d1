"""Per-animal floors on the per-state contrasts every real mouse shows.

Animals are drawn with independent log-normal parameters (`labs`), so a few draws would give
states no mouse has; `with_real_contrasts` moves such an animal's NREM slow-wave power and
EMG tone to the floors below before anything is rendered (`signals`). No files, no Qt.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy import signal
from sleepscorer_model.simulation.labs import AnimalParams
from sleepscorer_model.simulation.signals import SignalState, component_filters, state_row

# Real mice, every one of them: NREM has the most EEG power (slow waves), Wake the most EMG
# tone, REM the least. The floors are at the low end of what real recordings show.
MIN_NREM_WAKE_TOTAL = 1.8   # EEG 0.5-40 Hz power, NREM / Wake (real: 1.3-6)
MIN_NREM_WAKE_DELTA = 3.0   # EEG 0.5-4 Hz power, NREM / Wake (real: 2-8)
MIN_WAKE_NREM_EMG = 3.0     # EMG RMS, Wake / NREM (real: 2-10; the demo mouse 2.2, docs/realism.md)
MAX_REM_NREM_EMG = 0.6      # EMG tone, REM / NREM (real RMS: 0.3-1; twitches add)
_EEG_GRID = np.linspace(0.25, 45.0, 360)


def _component_power(a: AnimalParams, rate: float, lo: float, hi: float) -> dict[str, float]:
    """Power of each EEG component (at unit density) in [lo, hi) Hz, after the high-pass."""
    filters = component_filters(a, rate)
    hp = signal.butter(2, a.highpass_hz, "highpass", fs=rate, output="sos")
    _, h_hp = signal.sosfreqz(hp, worN=_EEG_GRID, fs=rate)
    band = (_EEG_GRID >= lo) & (_EEG_GRID < hi)
    df = _EEG_GRID[1] - _EEG_GRID[0]
    out = {}
    for name in ("background", "delta", "slow", "theta", "theta_high", "spindle", "fast"):
        _, h = signal.sosfreqz(filters[name], worN=_EEG_GRID, fs=rate)
        out[name] = float(np.sum(np.abs(h[band] * h_hp[band]) ** 2) * df)
    return out


def state_eeg_power(a: AnimalParams, rate: float, lo: float = 0.5, hi: float = 40.0) -> np.ndarray:
    """Expected EEG power in [lo, hi) Hz of each SignalState (spindles at their mean rate)."""
    unit = _component_power(a, rate, lo, hi)
    density = {"background": a.eeg_background, "delta": a.delta_density, "slow": a.slow_density,
               "theta": a.theta_density, "theta_high": a.theta_density, "fast": a.fast_density}
    power = np.zeros(len(SignalState))
    for name, d in density.items():
        power += (d * state_row(name, a)) ** 2 * unit[name]
    spindle_duty = a.spindles_per_min / 60.0 * 1.25 * 0.375  # mean duration x mean hann^2
    power[SignalState.NREM] += a.spindle_density ** 2 * spindle_duty * unit["spindle"]
    return power


def _wake_mean(x: np.ndarray, a: AnimalParams) -> float:
    q = a.quiet_wake_fraction
    return float((1 - q) * x[SignalState.ACTIVE_WAKE] + q * x[SignalState.QUIET_WAKE])


def with_real_contrasts(a: AnimalParams, rate: float = 512.0) -> AnimalParams:
    """`a` with NREM slow-wave power and Wake/REM EMG tone moved, if needed, to the floors above."""
    total = state_eeg_power(a, rate)
    delta = state_eeg_power(a, rate, 0.5, 4.0)
    need = max(MIN_NREM_WAKE_TOTAL * _wake_mean(total, a) / total[SignalState.NREM],
               MIN_NREM_WAKE_DELTA * _wake_mean(delta, a) / delta[SignalState.NREM], 1.0)
    if need > 1.0:  # raise the NREM-only components until both floors hold
        for _ in range(8):
            k = float(np.sqrt(need))
            a = replace(a, delta_density=a.delta_density * k, slow_density=a.slow_density * k)
            total = state_eeg_power(a, rate)
            delta = state_eeg_power(a, rate, 0.5, 4.0)
            need = max(MIN_NREM_WAKE_TOTAL * _wake_mean(total, a) / total[SignalState.NREM],
                       MIN_NREM_WAKE_DELTA * _wake_mean(delta, a) / delta[SignalState.NREM])
            if need <= 1.0:
                break
    # EMG per-second RMS, median per state: tone x (broadband + <10 Hz content) over a floor
    # of amplifier noise and mains hum that does not follow the state.
    q = a.quiet_wake_fraction
    wake_tone = (1 - q) * 1.0 + q * a.emg_quiet_wake
    band = max(1.0, min(400.0, 0.45 * rate) - min(60.0, 0.2 * rate))
    unit = a.emg_density ** 2 * band + a.emg_low_density ** 2 / 0.3
    floor = a.noise_floor ** 2 * rate / 2 + 0.5 * (0.5 * a.line_amplitude) ** 2 * 1.09

    def rms(tone: float) -> float:
        return float(np.sqrt(tone ** 2 * unit + floor))

    nrem = a.emg_nrem
    while rms(wake_tone) / rms(nrem) < MIN_WAKE_NREM_EMG and nrem > 0.03:
        nrem *= 0.9
    if rms(wake_tone) / rms(nrem) < MIN_WAKE_NREM_EMG:  # floor-bound: more tone
        return with_real_contrasts(replace(a, emg_density=a.emg_density * 2.0), rate)
    rem = min(a.emg_rem, MAX_REM_NREM_EMG * nrem)
    return replace(a, emg_nrem=float(nrem), emg_rem=float(rem))
