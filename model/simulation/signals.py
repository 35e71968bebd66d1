"""EEG/EMG synthesis for one animal from a per-second sequence of signal states.

Each EEG/EMG component is white noise shaped by a small IIR filter (1/f^beta background,
delta, slow oscillation, theta, spindles, fast activity; broadband and low-frequency EMG),
multiplied by an amplitude envelope that follows the states with smooth crossfades. The
recording is rendered in chunks with filter state carried over, so 24 h at 512 Hz takes
seconds and little memory. Artefacts (mains hum, electrode pops, movement transients,
drift, disconnections, optogenetic stimulation trains) are added on top.

Must not decide the state sequence (see `session`) or know about files or Qt.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from scipy import signal
from sleepscorer_model.simulation.labs import AnimalParams

CONTROL_RATE = 32  # samples per second of every amplitude envelope
CHUNK = 2**20  # samples rendered at a time


class SignalState(IntEnum):
    ACTIVE_WAKE = 0
    QUIET_WAKE = 1
    NREM = 2
    REM = 3
    MA = 4
    STIMULATED = 5  # woken by an optogenetic train: faster theta, more fast activity


# Relative density of each EEG component per state (AW, QW, NREM, REM, MA, STIMULATED),
# times the animal's; "theta_high" is theta 1.4 Hz faster than the animal's peak.
EEG_TABLE: dict[str, tuple[float, ...]] = {
    # The broadband background's NREM entry is the animal's `nrem_background` (about 0.95,
    # varying 0.75-1.2): real mice have more 16-40 Hz power awake than in NREM (the demo
    # mouse 1.5-2.5x) and gain their NREM power below 4 Hz (delta, slow oscillation).
    "background": (1.0, 0.95, 0.95, 0.85, 1.0, 1.15),
    "delta": (0.08, 0.2, 1.0, 0.1, 0.12, 0.1),
    "slow": (0.1, 0.2, 1.0, 0.1, 0.1, 0.1),
    "theta": (1.0, 0.55, 0.2, 1.15, 0.35, 0.3),
    "theta_high": (0.3, 0.0, 0.0, 0.1, 0.0, 0.95),
    "fast": (1.0, 0.7, 0.45, 0.75, 1.0, 1.7),
    # 50-150 Hz: cortical gamma and muscle crosstalk, high in Wake, lowest in NREM
    "gamma": (1.0, 0.6, 0.2, 0.6, 0.9, 1.3),
}
EEG_COMPONENTS = ("background", "delta", "slow", "theta", "theta_high", "spindle", "fast", "gamma")
EMG_WOBBLE_S = 8.0  # time constant of slow EMG tone fluctuations
EMG_COMPONENTS = ("emg", "emg_low")


@dataclass
class SimulatedSignals:
    eeg: np.ndarray           # float32 volts
    emg: np.ndarray           # float32 volts
    trigger: np.ndarray | None  # float32 volts, TTL pulses during stimulation, or None
    flat: np.ndarray          # bool per second: the electrodes were disconnected


# -- filters --------------------------------------------------------------------------------
def _power_law_sos(beta: float, rate: float, f_ref: float, f_lo: float) -> np.ndarray:
    """IIR whose power is flat below f_lo and falls as 1/f^beta (beta <= 2) above, |H(f_ref)| = 1."""
    h = float(np.clip(beta / 2, 0.05, 1.0))
    ratio = np.sqrt(10.0)
    poles = f_lo * ratio ** np.arange(12)
    poles = poles[poles * ratio**h < 0.4 * rate]
    zeros = poles * ratio**h
    z, p, k = signal.bilinear_zpk(-2 * np.pi * zeros, -2 * np.pi * poles, 1.0, rate)
    sos = signal.zpk2sos(z, p, k)
    return _normalise(sos, rate, f_ref)


def _normalise(sos: np.ndarray, rate: float, f_ref: float) -> np.ndarray:
    _, resp = signal.sosfreqz(sos, worN=[f_ref], fs=rate)
    sos = sos.copy()
    sos[0, :3] /= abs(resp[0])
    return sos


def _band(lo: float, hi: float, rate: float) -> np.ndarray:
    hi = min(hi, 0.45 * rate)
    return signal.butter(2, [lo, hi], "bandpass", fs=rate, output="sos")


def component_filters(a: AnimalParams, rate: float) -> dict[str, np.ndarray]:
    """One SOS filter per component, each with gain 1 at its peak (or reference) frequency."""
    theta_b, theta_a = signal.iirpeak(a.theta_peak_hz, a.theta_peak_hz / a.theta_width_hz, fs=rate)
    dp = a.delta_peak_hz
    return {
        "background": _power_law_sos(a.beta, rate, 10.0, a.background_knee_hz),
        "delta": _normalise(_band(max(0.4, dp / 2.2), dp * 1.7, rate), rate, dp),
        "slow": _band(0.3, 1.2, rate),
        "theta": signal.tf2sos(theta_b, theta_a),
        "theta_high": signal.tf2sos(*signal.iirpeak(a.theta_peak_hz + 1.4,
                                                    (a.theta_peak_hz + 1.4) / a.theta_width_hz,
                                                    fs=rate)),
        "spindle": _band(a.spindle_hz - 1.5, a.spindle_hz + 1.5, rate),
        "fast": _band(15.0, 45.0, rate),
        "gamma": _band(min(50.0, 0.2 * rate), 150.0, rate),
        "emg": _band(min(60.0, 0.2 * rate), 400.0, rate),
        "emg_low": _power_law_sos(2.0, rate, 1.0, f_lo=0.3),
    }


# -- per-state densities -------------------------------------------------------------------
def state_row(name: str, a: AnimalParams) -> np.ndarray:
    """EEG_TABLE's row for component `name`, with this animal's NREM background."""
    row = np.asarray(EEG_TABLE[name], dtype=float)
    if name == "background":
        row = row.copy()
        row[SignalState.NREM] = a.nrem_background
    return row



# -- envelopes at CONTROL_RATE -------------------------------------------------------------
def state_weights(states: np.ndarray, crossfade_s: float) -> np.ndarray:
    """(5, n*K+2) soft one-hot of the states, crossfaded over about `crossfade_s` seconds."""
    k = CONTROL_RATE
    ctrl = np.repeat(np.asarray(states, dtype=np.int64), k)
    ctrl = np.concatenate([ctrl, ctrl[-1:], ctrl[-1:]])
    width = max(1, int(round(crossfade_s * k / 2)))
    box = np.ones(width) / width
    out = np.zeros((len(SignalState), len(ctrl)))
    for s in SignalState:
        w = (ctrl == s).astype(float)
        pad = np.concatenate([np.full(width, w[0]), w, np.full(width, w[-1])])
        w = np.convolve(np.convolve(pad, box, "same"), box, "same")[width:-width]
        out[s] = w
    return out


def bursts(host: np.ndarray, per_min: float, dur_s: tuple[float, float],
           gain: tuple[float, float], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Hann-shaped bursts placed where `host` (0-1 weights) is high: (envelope, end indices)."""
    k = CONTROL_RATE
    n = len(host)
    env = np.zeros(n)
    count = rng.poisson(per_min / 60.0 * n / k)
    starts = rng.integers(0, n, size=count)
    keep = rng.random(count) < host[starts]
    durations = rng.uniform(*dur_s, size=count)
    gains = rng.uniform(*gain, size=count)
    ends = []
    for s0, d, g in zip(starts[keep], durations[keep], gains[keep], strict=True):
        m = max(2, int(d * k))
        stop = min(n, s0 + m)
        env[s0:stop] += g * np.hanning(m + 2)[1:-1][: stop - s0]
        ends.append(stop - 1)
    return env, np.asarray(ends, dtype=np.int64)


def emg_steps(burst_ends: np.ndarray, n: int, a: AnimalParams,
              rng: np.random.Generator) -> np.ndarray:
    """Multiplicative EMG baseline: sudden sustained changes right after some movements."""
    level = np.zeros(n)
    if a.emg_steps_per_hour <= 0 or len(burst_ends) == 0:
        return np.ones(n)
    expected = a.emg_steps_per_hour * n / CONTROL_RATE / 3600.0
    chosen = np.sort(burst_ends[rng.random(len(burst_ends)) < expected / len(burst_ends)])
    value = 0.0
    for at in chosen:
        value = float(np.clip(0.6 * value + rng.normal(0.0, a.emg_step_sd * 1.6), -1.0, 1.0))
        level[at:] = value
    return np.exp(level)


def envelopes(states: np.ndarray, a: AnimalParams, rng: np.random.Generator,
              background: Sequence[float] | None = None) -> dict[str, np.ndarray]:
    """Amplitude envelope (spectral density, V/sqrt(Hz)) of every component, plus `eeg_add`.
    `background`: the background's density per SignalState (default: EEG_TABLE's, with the
    animal's NREM level)."""
    w = state_weights(states, a.crossfade_s)
    env = {name: getattr(a, f"{name}_density") * (np.asarray(EEG_TABLE[name]) @ w)
           for name in ("delta", "slow", "theta", "fast")}
    env["theta_high"] = a.theta_density * (np.asarray(EEG_TABLE["theta_high"]) @ w)
    row = state_row("background", a) if background is None else np.asarray(background, dtype=float)
    env["background"] = a.eeg_background * (row @ w)
    env["gamma"] = 0.4 * a.fast_density * (np.asarray(EEG_TABLE["gamma"]) @ w)
    spindles, _ = bursts(w[SignalState.NREM], a.spindles_per_min, (0.5, 2.0), (0.6, 1.4), rng)
    env["spindle"] = a.spindle_density * np.minimum(spindles, 1.6)
    move, ends = bursts(w[SignalState.ACTIVE_WAKE], a.emg_bursts_per_min, (0.3, 3.0),
                        (0.5 * a.emg_burst_gain, 1.5 * a.emg_burst_gain), rng)
    rem_tw, _ = bursts(w[SignalState.REM], a.twitches_per_min_rem, (0.05, 0.25), (2.0, 8.0), rng)
    nrem_tw, _ = bursts(w[SignalState.NREM], a.twitches_per_min_nrem, (0.1, 0.5), (2.0, 6.0), rng)
    tone = np.array([1.0, a.emg_quiet_wake, a.emg_nrem, a.emg_rem, 1.0, 1.4]) @ w
    tone *= _wobble(w.shape[1], a.emg_tone_wobble, rng)
    activity = (tone * (1 + rem_tw + nrem_tw) + move + w[SignalState.MA] * a.emg_burst_gain * 0.3)
    activity *= emg_steps(ends, w.shape[1], a, rng)
    env["emg"] = a.emg_density * activity
    env["emg_low"] = a.emg_low_density * (0.4 * tone + 0.6 * activity)
    env["eeg_add"] = _movement_and_drift(move, ends, a, rng)
    return env


def _wobble(n: int, sd: float, rng: np.random.Generator) -> np.ndarray:
    """Slow log-normal fluctuation (time constant EMG_WOBBLE_S) with log-sd `sd`."""
    if sd <= 0:
        return np.ones(n)
    alpha = 1.0 / (EMG_WOBBLE_S * CONTROL_RATE)
    x = signal.lfilter([np.sqrt(2 * alpha)], [1.0, alpha - 1.0], rng.standard_normal(n))
    return np.exp(sd * x)


def _movement_and_drift(move: np.ndarray, ends: np.ndarray, a: AnimalParams,
                        rng: np.random.Generator) -> np.ndarray:
    """Slow additive EEG disturbances: transients at some movements, and baseline drift."""
    k = CONTROL_RATE
    n = len(move)
    sign = np.sign(rng.standard_normal(len(ends)))
    pulses = np.zeros(n)
    chosen = rng.random(len(ends)) < 0.3
    pulses[ends[chosen]] = sign[chosen] * rng.lognormal(0.0, 0.5, chosen.sum())
    kernel = np.hanning(k + 2)[1:-1]
    transient = np.convolve(pulses, kernel, "full")[:n] * a.movement_artifact_amplitude
    sos = signal.butter(1, 0.01, "lowpass", fs=k, output="sos")
    drift = signal.sosfilt(sos, rng.standard_normal(n))
    drift *= a.drift_amplitude / max(drift.std(), 1e-12)
    return transient + drift


# -- rendering ------------------------------------------------------------------------------
def render(n: int, rate: float, a: AnimalParams, env: dict[str, np.ndarray],
           rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """EEG and EMG (float32 volts) of n samples: shaped noise x upsampled envelopes."""
    filters = component_filters(a, rate)
    zi = {name: np.zeros((sos.shape[0], 2)) for name, sos in filters.items()}
    highpass = signal.butter(2, a.highpass_hz, "highpass", fs=rate, output="sos")
    hp_zi = np.zeros((1, 2))
    scale = np.sqrt(rate / 2.0)  # white noise of unit one-sided PSD
    eeg = np.empty(n, dtype=np.float32)
    emg = np.empty(n, dtype=np.float32)
    for s0 in range(0, n, CHUNK):
        m = min(CHUNK, n - s0)
        pos = np.arange(s0, s0 + m) * (CONTROL_RATE / rate)
        idx = pos.astype(np.int64)
        frac = pos - idx

        def up(e: np.ndarray, idx=idx, frac=frac) -> np.ndarray:
            return e[idx] + frac * (e[idx + 1] - e[idx])

        parts = {}
        for name, sos in filters.items():
            x = rng.standard_normal(m) * scale
            parts[name], zi[name] = signal.sosfilt(sos, x, zi=zi[name])
        acc = sum(up(env[c]) * parts[c] for c in EEG_COMPONENTS)
        acc, hp_zi = signal.sosfilt(highpass, acc, zi=hp_zi)
        acc += up(env["eeg_add"]) + rng.standard_normal(m) * (a.noise_floor * scale)
        eeg[s0:s0 + m] = acc
        emg[s0:s0 + m] = (sum(up(env[c]) * parts[c] for c in EMG_COMPONENTS)
                          + rng.standard_normal(m) * (a.noise_floor * scale))
    return eeg, emg


def add_line_noise(x: np.ndarray, rate: float, hz: float, amplitude: float,
                   rng: np.random.Generator) -> None:
    """Mains hum and its third harmonic, slowly waxing and waning, added in place."""
    if amplitude <= 0:
        return
    phase = rng.uniform(0, 2 * np.pi, 2)
    for s0 in range(0, len(x), CHUNK):
        t = np.arange(s0, min(len(x), s0 + CHUNK)) / rate
        wobble = 1.0 + 0.3 * np.sin(2 * np.pi * t / 613.0 + phase[1])
        hum = np.sin(2 * np.pi * hz * t + phase[0])
        if 3 * hz < 0.45 * rate:
            hum += 0.3 * np.sin(2 * np.pi * 3 * hz * t + 3 * phase[0])
        x[s0:s0 + len(t)] += (amplitude * wobble * hum).astype(np.float32)


def add_pops(x: np.ndarray, rate: float, per_hour: float, amplitude: float,
             rng: np.random.Generator) -> None:
    """Electrode pops: a sudden jump decaying over 50-400 ms, added in place."""
    count = rng.poisson(per_hour * len(x) / rate / 3600.0)
    for at in rng.integers(0, len(x), size=count):
        tau = rng.uniform(0.05, 0.4)
        m = min(len(x) - at, int(5 * tau * rate))
        jump = amplitude * rng.lognormal(0, 0.4) * rng.choice([-1.0, 1.0])
        x[at:at + m] += (jump * np.exp(-np.arange(m) / (tau * rate))).astype(np.float32)


def add_stimulation(eeg: np.ndarray, emg: np.ndarray, rate: float, onsets_s: Sequence[float],
                    a: AnimalParams) -> np.ndarray:
    """Optogenetic trains: light-pulse artefacts at stim_hz (rich in harmonics) in the EEG,
    faintly in the EMG; returns the TTL trigger channel (5-ms pulses, ~4.6 V)."""
    trigger = np.full(len(eeg), 0.07, dtype=np.float32)
    period = 1.0 / a.stim_hz
    pulse = max(0.005, 1.0 / rate)
    for onset in onsets_s:
        s0, s1 = int(onset * rate), min(len(eeg), int((onset + a.stim_duration_s) * rate))
        if s1 <= s0:
            continue
        phase_t = np.mod((np.arange(s0, s1) / rate) - onset, period)
        shape = np.exp(-phase_t / a.stim_tau_s)
        shape -= shape.mean()
        eeg[s0:s1] += (a.stim_amplitude * shape).astype(np.float32)
        emg[s0:s1] += (0.2 * a.stim_amplitude * shape).astype(np.float32)
        trigger[s0:s1] = np.where(phase_t < pulse, 4.59, 0.07)
    return trigger


def flatten(x: np.ndarray, rate: float, spans_s: Sequence[tuple[float, float]],
            rng: np.random.Generator) -> None:
    """Disconnection: the signal sits at a constant level with a trace of quantisation noise."""
    for a0, a1 in spans_s:
        s0, s1 = int(a0 * rate), min(len(x), int(a1 * rate))
        x[s0:s1] = x[s0] + rng.standard_normal(s1 - s0).astype(np.float32) * 5e-8


def synthesize(states: np.ndarray, rate: float, a: AnimalParams, rng: np.random.Generator,
               stim_onsets_s: Sequence[float] = (),
               flat_spans_s: Sequence[tuple[float, float]] = (),
               generator: Callable | None = None) -> SimulatedSignals:
    """EEG and EMG for per-second `states` (SignalState codes) at `rate` Hz."""
    if generator is not None:  # another way to render the same plan (model.simulation.alternative)
        eeg, emg = generator(np.asarray(states), rate, a, rng)
    else:
        n = int(round(len(states) * rate))
        env = envelopes(np.asarray(states), a, rng)
        eeg, emg = render(n, rate, a, env, rng)
        eeg *= np.float32(a.eeg_gain)
        emg *= np.float32(a.emg_gain)
    if a.line_hz < 0.45 * rate:
        add_line_noise(eeg, rate, a.line_hz, a.line_amplitude, rng)
        add_line_noise(emg, rate, a.line_hz, 0.5 * a.line_amplitude, rng)
    add_pops(eeg, rate, a.pops_per_hour, a.pop_amplitude, rng)
    trigger = add_stimulation(eeg, emg, rate, stim_onsets_s, a) if len(stim_onsets_s) else None
    flat = np.zeros(len(states), dtype=bool)
    if len(flat_spans_s):
        flatten(eeg, rate, flat_spans_s, rng)
        flatten(emg, rate, flat_spans_s, rng)
        for a0, a1 in flat_spans_s:
            flat[int(a0):int(np.ceil(a1))] = True
    return SimulatedSignals(eeg, emg, trigger, flat)
