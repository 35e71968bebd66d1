"""Per-animal signal parameters and the named lab families they are drawn from.

An `AnimalParams` fixes everything `signals.synthesize` needs for one animal: gains,
spectral shape (1/f slope, delta/theta/spindle frequencies), EMG tone per state and its
baseline steps, noise floor, mains hum, artefact rates and optogenetic stimulation.
A `LabProfile` is a family: a typical animal plus how much animals of that lab vary
(`sample_animal`). `shifted_lab` makes a family no model has seen (for fine-tuning tests).

Spectral amplitudes are square roots of one-sided PSD at the component's peak (V/sqrt(Hz));
time-domain amplitudes are in volts. Must not synthesise signals or know about Qt.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

UV = 1e-6


@dataclass(frozen=True)
class AnimalParams:
    # EEG spectrum: background 1/f^beta (density at 10 Hz) and state components (at peak)
    eeg_background: float = 2.8e-6
    beta: float = 1.6
    background_knee_hz: float = 4.0    # the 1/f background is flat below this
    nrem_background: float = 0.95      # background density in NREM / active wake
    delta_density: float = 9e-6        # NREM delta at its peak
    delta_peak_hz: float = 2.5
    slow_density: float = 6e-6         # NREM slow oscillation (0.3-1.2 Hz)
    theta_density: float = 1.4e-5      # REM / active-wake theta at its peak
    theta_peak_hz: float = 7.5
    theta_width_hz: float = 1.2
    spindle_density: float = 4e-6
    spindle_hz: float = 12.5
    spindles_per_min: float = 6.0
    fast_density: float = 1.2e-6       # 15-45 Hz activity in wake
    highpass_hz: float = 0.3           # acquisition high-pass on the EEG
    noise_floor: float = 1.5e-7        # white amplifier noise, both channels
    # EMG: broadband tonic density in active wake; states relative to it
    emg_density: float = 1.2e-6
    emg_quiet_wake: float = 0.45
    emg_nrem: float = 0.3
    emg_rem: float = 0.12
    emg_tone_wobble: float = 0.12      # log-sd of slow (~8 s) EMG tone fluctuations
    emg_low_density: float = 6e-6      # < 10 Hz EMG content (movement, crosstalk) at 1 Hz
    emg_bursts_per_min: float = 8.0    # movement bursts in active wake
    emg_burst_gain: float = 4.0
    twitches_per_min_rem: float = 15.0
    twitches_per_min_nrem: float = 0.5
    emg_steps_per_hour: float = 0.0    # sudden sustained baseline changes after movements
    emg_step_sd: float = 0.25          # natural-log sd of each step
    # state structure
    quiet_wake_fraction: float = 0.3
    microarousals_per_hour_nrem: float = 6.0
    crossfade_s: float = 2.0
    # artefacts
    line_hz: float = 50.0
    line_amplitude: float = 2 * UV
    pops_per_hour: float = 0.5
    pop_amplitude: float = 150 * UV
    movement_artifact_amplitude: float = 20 * UV
    drift_amplitude: float = 10 * UV
    flat_per_hour: float = 0.0
    flat_mean_s: float = 60.0
    # optogenetic stimulation (0 trains per hour: none)
    stim_per_hour: float = 0.0
    stim_hz: float = 20.0
    stim_duration_s: float = 20.0
    stim_amplitude: float = 10 * UV
    stim_tau_s: float = 0.006
    stim_wake_after_s: float = 30.0
    # whole-channel gain (electrode impedance and placement, amplifier): real animals span ~10x
    eeg_gain: float = 1.0
    emg_gain: float = 1.0


# How each parameter varies between animals of one lab: ("log", sd) multiplies by
# exp(N(0, sd)); ("lin", sd) adds N(0, sd). Missing parameters do not vary.
VARIATION: dict[str, tuple[str, float]] = {
    "eeg_background": ("log", 0.25), "beta": ("lin", 0.15), "background_knee_hz": ("log", 0.25),
    "nrem_background": ("lin", 0.1), "delta_density": ("log", 0.3),
    "delta_peak_hz": ("lin", 0.3), "slow_density": ("log", 0.3), "theta_density": ("log", 0.3),
    "theta_peak_hz": ("lin", 0.35), "theta_width_hz": ("log", 0.2),
    "spindle_density": ("log", 0.3), "spindle_hz": ("lin", 0.6), "spindles_per_min": ("log", 0.3),
    "fast_density": ("log", 0.25), "noise_floor": ("log", 0.3), "emg_density": ("log", 0.4),
    "emg_quiet_wake": ("log", 0.2), "emg_nrem": ("log", 0.2), "emg_rem": ("log", 0.25), "emg_tone_wobble": ("log", 0.3),
    "emg_low_density": ("log", 0.3), "emg_bursts_per_min": ("log", 0.3),
    "emg_burst_gain": ("log", 0.2), "twitches_per_min_rem": ("log", 0.3),
    "quiet_wake_fraction": ("lin", 0.08), "microarousals_per_hour_nrem": ("log", 0.4),
    "crossfade_s": ("log", 0.3), "line_amplitude": ("log", 0.8), "pops_per_hour": ("log", 0.5),
    "movement_artifact_amplitude": ("log", 0.4), "drift_amplitude": ("log", 0.5),
    "stim_amplitude": ("log", 0.3), "eeg_gain": ("log", 0.6), "emg_gain": ("log", 0.6),
}

LIMITS: dict[str, tuple[float, float]] = {
    "beta": (0.6, 2.0), "background_knee_hz": (0.5, 12.0), "nrem_background": (0.75, 1.2), "delta_peak_hz": (1.0, 4.0), "theta_peak_hz": (5.5, 9.5),
    "spindle_hz": (9.5, 16.0), "quiet_wake_fraction": (0.0, 0.8), "crossfade_s": (1.0, 3.0),
    "emg_nrem": (0.05, 0.9), "emg_rem": (0.02, 0.6), "emg_quiet_wake": (0.1, 1.0),
}


@dataclass(frozen=True)
class LabProfile:
    """A family of animals: the typical one and how much individuals vary (x `variability`)."""

    name: str
    description: str
    typical: AnimalParams
    variability: float = 1.0

    def sample_animal(self, rng: np.random.Generator) -> AnimalParams:
        changes = {}
        for f in fields(AnimalParams):
            kind_sd = VARIATION.get(f.name)
            if kind_sd is None:
                continue
            kind, sd = kind_sd
            value = getattr(self.typical, f.name)
            z = rng.normal(0.0, sd * self.variability)
            value = value * float(np.exp(z)) if kind == "log" else value + z
            lo, hi = LIMITS.get(f.name, (-np.inf, np.inf))
            changes[f.name] = float(np.clip(value, lo, hi))
        return replace(self.typical, **changes)


_A = AnimalParams()

LABS: dict[str, LabProfile] = {
    "lab_a": LabProfile("lab_a", "textbook: large NREM delta and spindles, clear REM theta, "
                        "50 Hz hum, few artefacts", _A),
    "lab_b": LabProfile("lab_b", "60 Hz mains, steeper 1/f, slower theta, baseline drift and "
                        "electrode pops", replace(
                            _A, beta=1.9, theta_peak_hz=6.8, line_hz=60.0, line_amplitude=6 * UV,
                            pops_per_hour=4.0, drift_amplitude=40 * UV, eeg_background=3.5e-6,
                            delta_density=1.2e-5, spindles_per_min=3.0, highpass_hz=0.1)),
    "lab_c": LabProfile("lab_c", "tuned to the real Open Ephys mouse: low-amplitude EEG with weak "
                        "delta, strong 7-8 Hz wake theta, 1 Hz high-pass, Wake EMG ~4x NREM's "
                        "with baseline steps, 20-s 20 Hz optogenetic trains", replace(
                            _A, eeg_background=1.8e-6, beta=1.5, background_knee_hz=6.0,
                            delta_density=4.2e-6, delta_peak_hz=3.5, slow_density=1.0e-6,
                            theta_density=1.05e-5, theta_peak_hz=7.3, theta_width_hz=1.3,
                            spindle_density=2.2e-6, spindles_per_min=4.0, fast_density=0.9e-6,
                            highpass_hz=1.0, noise_floor=1.7e-7, emg_density=5.3e-7,
                            emg_quiet_wake=0.55, emg_nrem=0.3, emg_rem=0.12,
                            emg_low_density=4e-6, emg_bursts_per_min=3.0, emg_burst_gain=1.4,
                            emg_steps_per_hour=6.0, emg_step_sd=0.15, quiet_wake_fraction=0.45,
                            line_amplitude=0.3 * UV, pops_per_hour=0.2, drift_amplitude=2 * UV,
                            movement_artifact_amplitude=8 * UV, stim_per_hour=2.0,
                            stim_amplitude=32 * UV, stim_tau_s=0.007)),
    "lab_d": LabProfile("lab_d", "noisy: high noise floor, movement artefacts, disconnections "
                        "(flat-lined stretches), strong hum, variable animals", replace(
                            _A, noise_floor=6e-7, movement_artifact_amplitude=60 * UV,
                            line_amplitude=15 * UV, pops_per_hour=3.0, flat_per_hour=0.5,
                            drift_amplitude=30 * UV, emg_density=2e-6, emg_steps_per_hour=2.0),
                        variability=1.5),
    "lab_e": LabProfile("lab_e", "high EMG tone with a smaller Wake/sleep EMG contrast, fast theta, "
                        "spindle-rich NREM, sharp transitions", replace(
                            _A, emg_density=2.5e-6, emg_nrem=0.38, emg_rem=0.15,
                            emg_quiet_wake=0.6, theta_peak_hz=8.3, spindles_per_min=10.0,
                            spindle_density=6e-6, crossfade_s=1.0, eeg_background=2.2e-6,
                            stim_per_hour=0.5, line_hz=60.0)),
}

CALIBRATED_LAB = "lab_c"  # the family tuned to the real Open Ephys recording
TRAINING_LABS = tuple(LABS)


def shifted_lab(base: LabProfile | str = CALIBRATED_LAB, amount: float = 1.0) -> LabProfile:
    """A family outside every training lab: other gains, slope, rhythms, mains and EMG.

    `amount` scales the shift (0 = the base lab). Used to test fine-tuning on a lab the
    shipped model never saw.
    """
    base = get_lab(base) if isinstance(base, str) else base
    t = base.typical
    k = float(amount)
    shifted = replace(
        t, eeg_background=t.eeg_background * 2.0 ** k, beta=min(2.0, t.beta + 0.3 * k),
        delta_density=t.delta_density * 2.5 ** k, theta_peak_hz=t.theta_peak_hz - 0.9 * k,
        theta_density=t.theta_density * 0.7 ** k, spindle_hz=t.spindle_hz + 1.5 * k,
        emg_density=t.emg_density * 0.35 ** k, emg_nrem=min(0.9, t.emg_nrem * 1.4 ** k),
        noise_floor=t.noise_floor * 2.0 ** k, line_hz=60.0 if t.line_hz == 50.0 else 50.0,
        line_amplitude=t.line_amplitude * 3.0 ** k + 2 * UV * k)
    return LabProfile(f"{base.name}_shifted", f"{base.description}; shifted x{k:g}", shifted,
                      base.variability)


def get_lab(name: str) -> LabProfile:
    """A lab family by name: lab_a..lab_e, or NAME_shifted for its shifted family."""
    if name in LABS:
        return LABS[name]
    if name.endswith("_shifted") and name[: -len("_shifted")] in LABS:
        return shifted_lab(name[: -len("_shifted")])
    known = ", ".join([*LABS, *(f"{n}_shifted" for n in LABS)])
    raise KeyError(f"unknown lab {name!r}; known labs: {known}")
