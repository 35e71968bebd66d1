"""A second EEG/EMG generator with other choices, for measuring transfer, never for training.

Simulation-to-real is a change of generator, so a model must also score recordings made
another way. Same state plan and per-animal parameters as `signals`, but:
- waveforms: NREM slow waves are individual asymmetric waves (sharp down, slow up) placed
  at random, theta is a frequency-modulated oscillation with a second harmonic, spindles
  are waxing-waning sinusoids (`signals`: shaped noise for all of them);
- noise colour: the background is 1/f^(beta+0.3), flat only below 1 Hz (`signals`: 4 Hz),
  with its own per-state densities (`ALT_BACKGROUND`); NREM's slow-wave power comes from
  the waveforms;
- filters: 4th-order Butterworth acquisition band-pass and EMG band 20-300 Hz (`signals`:
  2nd-order);
- amplitude law: every component's envelope also drifts by its own slow log-normal
  fluctuation (sd 0.35, ~20 s), so state contrast varies within a recording.
Renders the whole recording at once (evaluation sizes, a few hours). No files, no Qt.
"""

from __future__ import annotations

import numpy as np
from scipy import signal
from sleepscorer_model.simulation.labs import AnimalParams
from sleepscorer_model.simulation.signals import (
    CONTROL_RATE,
    SignalState,
    _power_law_sos,
    envelopes,
)

# Background density per state (AW, QW, NREM, REM, MA, STIMULATED): lower in NREM, so Wake
# keeps more 16-40 Hz power than NREM, as in real mice.
ALT_BACKGROUND = (1.0, 0.95, 0.8, 0.85, 1.0, 1.1)


def _slow_fluctuation(n: int, rng: np.random.Generator, sd: float = 0.35, tau_s: float = 20.0
                      ) -> np.ndarray:
    alpha = 1.0 / (tau_s * CONTROL_RATE)
    x = signal.lfilter([np.sqrt(2 * alpha)], [1.0, alpha - 1.0], rng.standard_normal(n))
    return np.exp(sd * x)


def _up(env: np.ndarray, n: int, rate: float) -> np.ndarray:
    pos = np.arange(n) * (CONTROL_RATE / rate)
    idx = np.minimum(pos.astype(np.int64), len(env) - 2)
    frac = pos - idx
    return env[idx] + frac * (env[idx + 1] - env[idx])


def _span(at: int, length: int, n: int, rate: float) -> slice | None:
    """Samples of a wave of `length` samples starting at control step `at`, cut at the
    recording's end; None when it starts past the last sample (the control grid runs on)."""
    s0 = int(at * rate / CONTROL_RATE)
    s1 = min(n, s0 + length)
    return slice(s0, s1) if s1 > s0 else None


def _slow_waves(weight: np.ndarray, n: int, rate: float, a: AnimalParams,
                rng: np.random.Generator) -> np.ndarray:
    """Asymmetric single waves at ~1.2/s where `weight` (control rate, 0-1) is high."""
    out = np.zeros(n)
    count = rng.poisson(1.6 * len(weight) / CONTROL_RATE)
    at = rng.integers(0, len(weight), size=count)
    at = at[rng.random(count) < weight[at]]
    for c in at:
        dur = rng.uniform(0.25, 0.8) * 2.5 / max(a.delta_peak_hz, 1.0)
        m = max(4, int(dur * rate))
        t = np.linspace(0, 1, m)
        shape = -np.sin(np.pi * t ** 0.75)  # fast descent, slow return
        span = _span(c, m, n, rate)
        if span is None:
            continue
        out[span] += rng.lognormal(0, 0.3) * shape[: span.stop - span.start]
    return out


def _theta(n: int, rate: float, a: AnimalParams, rng: np.random.Generator) -> np.ndarray:
    f_ctrl = a.theta_peak_hz * _slow_fluctuation(int(n / rate * CONTROL_RATE) + 2, rng, 0.06, 3.0)
    f = _up(f_ctrl, n, rate)
    phase = 2 * np.pi * np.cumsum(f) / rate
    return np.sin(phase) + 0.3 * np.sin(2 * phase + 0.7)


def _spindles(weight: np.ndarray, n: int, rate: float, a: AnimalParams,
              rng: np.random.Generator) -> np.ndarray:
    out = np.zeros(n)
    count = rng.poisson(a.spindles_per_min / 60.0 * len(weight) / CONTROL_RATE)
    at = rng.integers(0, len(weight), size=count)
    for c in at[rng.random(len(at)) < weight[at]]:
        dur = rng.uniform(0.5, 2.0)
        m = int(dur * rate)
        t = np.arange(m) / rate
        span = _span(c, m, n, rate)
        if span is None:
            continue
        burst = np.exp(-0.5 * ((t - dur / 2) / (dur / 5)) ** 2) * np.sin(
            2 * np.pi * (a.spindle_hz + rng.normal(0, 0.5)) * t)
        out[span] += burst[: span.stop - span.start]
    return out


def synthesize_alternative(states: np.ndarray, rate: float, a: AnimalParams,
                           rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """EEG and EMG (float32 volts) for per-second `states`, the alternative way."""
    n = int(round(len(states) * rate))
    env = envelopes(np.asarray(states), a, rng, background=ALT_BACKGROUND)
    for name in ("background", "delta", "slow", "theta", "spindle", "fast", "gamma", "emg"):
        env[name] = env[name] * _slow_fluctuation(len(env[name]), rng)
    scale = np.sqrt(rate / 2.0)
    nyq = 0.45 * rate
    background = signal.sosfilt(_power_law_sos(min(2.0, a.beta + 0.3), rate, 10.0, 1.0),
                                rng.standard_normal(n) * scale)
    eeg = _up(env["background"], n, rate) * background
    # waveform amplitudes matched to the noise components' power at the same density
    delta_w = env["delta"] / max(a.delta_density, 1e-30)
    eeg += _up(env["delta"] + env["slow"], n, rate) * 9.0 * _slow_waves(delta_w / max(delta_w.max(), 1e-12), n, rate, a, rng)
    eeg += _up(env["theta"], n, rate) * 1.4 * _theta(n, rate, a, rng)
    spindle_w = np.zeros_like(env["delta"])
    spindle_w[:] = np.asarray(delta_w / max(delta_w.max(), 1e-12))
    eeg += a.spindle_density * 2.0 * _spindles(spindle_w, n, rate, a, rng)
    for name, lo, hi in (("fast", 15.0, 45.0), ("gamma", min(50.0, 0.2 * rate), 150.0)):
        sos = signal.butter(4, [lo, min(hi, nyq)], "bandpass", fs=rate, output="sos")
        eeg += _up(env[name], n, rate) * signal.sosfilt(sos, rng.standard_normal(n) * scale)
    acq = signal.butter(4, [max(0.5, a.highpass_hz), min(200.0, nyq)], "bandpass", fs=rate, output="sos")
    eeg = signal.sosfilt(acq, eeg) + _up(env["eeg_add"], n, rate)
    eeg += rng.standard_normal(n) * a.noise_floor * scale
    emg_sos = signal.butter(4, [min(20.0, 0.1 * rate), min(300.0, nyq)], "bandpass", fs=rate, output="sos")
    emg = _up(env["emg"], n, rate) * signal.sosfilt(emg_sos, rng.standard_normal(n) * scale) * 1.4
    low = signal.sosfilt(_power_law_sos(2.0, rate, 1.0, 0.3), rng.standard_normal(n) * scale)
    emg += _up(env["emg_low"], n, rate) * low + rng.standard_normal(n) * a.noise_floor * scale
    return (eeg * a.eeg_gain).astype(np.float32), (emg * a.emg_gain).astype(np.float32)


__all__ = ["SignalState", "synthesize_alternative"]
