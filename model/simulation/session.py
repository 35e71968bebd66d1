"""One simulated recording session: state plan, signals, and the labelled `Recording`.

The plan starts from a 1-s Wake/NREM/REM sequence (an MSSV hypnogram or the semi-Markov
sampler), adds microarousals, optogenetic trains that wake the animal, the split of Wake
into active and quiet wake, and disconnections; `signals.synthesize` then renders it.
Must not read or write files or know about Qt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sleepscorer_model.simulation.alternative import synthesize_alternative
from sleepscorer_model.simulation.contrasts import with_real_contrasts
from sleepscorer_model.simulation.hypnograms import (
    MA_MAX_S,
    SemiMarkovModel,
    bouts,
    default_sampler,
    fill_unscorable,
    mark_microarousals,
    to_one_second,
)
from sleepscorer_model.simulation.labs import AnimalParams, LabProfile, get_lab
from sleepscorer_model.simulation.signals import SignalState, synthesize

from sleepscorer.hypnogram import Hypnogram, Source
from sleepscorer.io.recording import Channel, ChannelKind, Recording
from sleepscorer.stages import LABEL_DTYPE, Stage

# "default" trains; "alt" renders the same plan another way, to measure transfer only.
GENERATORS = {"default": None, "alt": synthesize_alternative}


@dataclass
class SimulatedSession:
    recording: Recording
    hypnogram: Hypnogram           # 1-s labels: Wake/NREM/REM (+MA), Artifact when flat-lined
    signal_states: np.ndarray      # SignalState per second (active vs quiet wake etc.)
    animal: AnimalParams
    lab: str
    stim_onsets_s: tuple[float, ...]


def base_stages(source: Hypnogram | np.ndarray | float, rng: np.random.Generator,
                sampler: SemiMarkovModel | None = None) -> np.ndarray:
    """1-s stage codes from a hypnogram (any whole-second epochs), an array, or a duration (s)."""
    if isinstance(source, Hypnogram):
        stages = fill_unscorable(np.where(source.stages == Stage.MA, Stage.WAKE, source.stages))
        ma = source.stages == Stage.MA
        if source.epoch_length != 1.0:
            return to_one_second(stages, source.epoch_length, rng)
        return np.where(ma, Stage.MA, stages).astype(LABEL_DTYPE)
    if np.ndim(source) == 0:
        n = int(round(float(source)))
        if n < 1:
            raise ValueError("a simulated recording needs at least 1 s")
        return (sampler or default_sampler()).sample(n, rng)
    stages = np.asarray(source, dtype=LABEL_DTYPE)
    return np.where(stages == Stage.MA, Stage.MA, fill_unscorable(stages)).astype(LABEL_DTYPE)


def insert_microarousals(stages: np.ndarray, per_hour_nrem: float,
                         rng: np.random.Generator) -> np.ndarray:
    """Short wakings marked MA: existing <=15 s Wake inside NREM plus new 2-15 s ones."""
    stages = mark_microarousals(stages)
    nrem_s = int((stages == Stage.NREM).sum())
    for at in rng.integers(0, len(stages), size=rng.poisson(per_hour_nrem * nrem_s / 3600)):
        length = int(rng.integers(2, int(MA_MAX_S) + 1))
        lo, hi = at - 5, at + length + 5
        if lo >= 0 and hi <= len(stages) and np.all(stages[lo:hi] == Stage.NREM):
            stages[at:at + length] = Stage.MA
    return stages


def plan_stimulation(n_s: int, a: AnimalParams, rng: np.random.Generator) -> list[float]:
    """Train onsets, Poisson in time, at least a train plus its waking apart."""
    count = rng.poisson(a.stim_per_hour * n_s / 3600.0)
    gap = 2 * (a.stim_duration_s + a.stim_wake_after_s)
    onsets: list[float] = []
    for t in np.sort(rng.uniform(10, max(11, n_s - a.stim_duration_s - 10), size=count)):
        if not onsets or t - onsets[-1] >= gap:
            onsets.append(float(np.round(t, 3)))
    return onsets


def wake_by_stimulation(stages: np.ndarray, onsets: Sequence[float], a: AnimalParams,
                        rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Wake from a second or two after each train's onset until a while after it ends.

    Returns the new stages and the mask of seconds the trains keep awake (active wake).
    """
    stages = stages.copy()
    forced = np.zeros(len(stages), dtype=bool)
    for onset in onsets:
        start = int(np.ceil(onset + rng.uniform(0.5, 2.5)))
        stop = int(onset + a.stim_duration_s + a.stim_wake_after_s * rng.uniform(0.5, 1.5))
        stages[start:stop] = Stage.WAKE
        forced[start:stop] = True
    return stages, forced


def signal_states(stages: np.ndarray, a: AnimalParams, rng: np.random.Generator,
                  forced_active: np.ndarray, stimulated: np.ndarray) -> np.ndarray:
    """Stage -> SignalState; Wake bouts are cut into active and quiet stretches (5-120 s);
    `forced_active` seconds are active wake, `stimulated` ones STIMULATED."""
    out = np.full(len(stages), SignalState.ACTIVE_WAKE, dtype=np.int8)
    out[stages == Stage.NREM] = SignalState.NREM
    out[stages == Stage.REM] = SignalState.REM
    out[stages == Stage.MA] = SignalState.MA
    starts, lengths, values = bouts(stages)
    for s0, length, v in zip(starts, lengths, values, strict=True):
        if v != Stage.WAKE:
            continue
        pos = s0
        while pos < s0 + length:
            piece = int(np.clip(rng.exponential(30.0), 5, 120))
            if rng.random() < a.quiet_wake_fraction:
                out[pos:min(pos + piece, s0 + length)] = SignalState.QUIET_WAKE
            pos += piece
    out[forced_active & (stages == Stage.WAKE)] = SignalState.ACTIVE_WAKE
    out[stimulated & (stages == Stage.WAKE)] = SignalState.STIMULATED
    return out


def plan_disconnections(n_s: int, a: AnimalParams, rng: np.random.Generator) -> list[tuple[float, float]]:
    spans = []
    for at in rng.uniform(0, n_s, size=rng.poisson(a.flat_per_hour * n_s / 3600.0)):
        spans.append((float(at), float(min(n_s, at + max(5.0, rng.exponential(a.flat_mean_s))))))
    return spans


def simulate_session(hypnogram_or_duration: Hypnogram | np.ndarray | float, rate: float = 512.0,
                     seed: int | np.random.SeedSequence = 0, animal: AnimalParams | None = None,
                     lab: str | LabProfile = "lab_a", stages: int = 3,
                     stim_onsets_s: Sequence[float] | None = None,
                     sampler: SemiMarkovModel | None = None,
                     generator: str = "default") -> SimulatedSession:
    """Everything about one simulated recording (see `simulate_recording`)."""
    if stages not in (3, 4):
        raise ValueError("stages must be 3 (Wake/NREM/REM) or 4 (with MA)")
    if not 32 <= rate <= 100_000:
        raise ValueError(f"sampling rate {rate} Hz is outside 32-100000 Hz")
    rng = np.random.default_rng(seed)
    family = get_lab(lab) if isinstance(lab, str) else lab
    a = with_real_contrasts(animal or family.sample_animal(rng), rate)
    labels = insert_microarousals(base_stages(hypnogram_or_duration, rng, sampler),
                                  a.microarousals_per_hour_nrem, rng)
    n_s = len(labels)
    onsets = list(stim_onsets_s) if stim_onsets_s is not None else plan_stimulation(n_s, a, rng)
    labels, forced = wake_by_stimulation(labels, onsets, a, rng)
    states = signal_states(labels, a, rng, forced, _train_seconds(n_s, onsets, a))
    spans = plan_disconnections(n_s, a, rng)
    if generator not in GENERATORS:
        raise ValueError(f"unknown generator {generator!r}; known: {', '.join(GENERATORS)}")
    sig = synthesize(states, rate, a, rng, onsets, spans, GENERATORS[generator])
    if stages == 3:
        labels = np.where(labels == Stage.MA, Stage.WAKE, labels)
    labels = np.where(sig.flat, Stage.ARTIFACT, labels).astype(LABEL_DTYPE)
    channels = [Channel("EEG1", ChannelKind.EEG, sig.eeg, float(rate), "V"),
                Channel("EMG", ChannelKind.EMG, sig.emg, float(rate), "V")]
    if sig.trigger is not None:
        channels.append(Channel("Trigger", ChannelKind.OTHER, sig.trigger, float(rate), "V"))
    name = f"simulated-{family.name}-seed{seed if isinstance(seed, int) else 'seq'}"
    recording = Recording(channels, Path(name))
    hyp = Hypnogram.from_arrays(labels, 1.0, source=Source.IMPORTED)
    return SimulatedSession(recording, hyp, states, a, family.name, tuple(onsets))


def _train_seconds(n_s: int, onsets: Sequence[float], a: AnimalParams) -> np.ndarray:
    mask = np.zeros(n_s, dtype=bool)
    for onset in onsets:
        mask[int(np.ceil(onset)):int(onset + a.stim_duration_s)] = True
    return mask


def simulate_recording(hypnogram_or_duration: Hypnogram | np.ndarray | float,
                       rate: float = 512.0, seed: int | np.random.SeedSequence = 0,
                       animal: AnimalParams | None = None, lab: str | LabProfile = "lab_a",
                       stages: int = 3, stim_onsets_s: Sequence[float] | None = None,
                       generator: str = "default") -> tuple[Recording, Hypnogram]:
    """A labelled synthetic EEG/EMG recording, identical for identical arguments.

    `hypnogram_or_duration`: a Hypnogram (e.g. an MSSV one at 4 s; boundaries are jittered
    to 1 s), an array of 1-s stage codes, or a duration in seconds (states drawn from the
    MSSV semi-Markov sampler). `animal` overrides the animal drawn from `lab`'s family.
    `stages=4` labels microarousals MA, `stages=3` labels them Wake. Returns the recording
    (EEG1, EMG and, when stimulated, Trigger; volts) and its 1-s hypnogram, where
    disconnected (flat-lined) seconds are Artifact.
    """
    s = simulate_session(hypnogram_or_duration, rate, seed, animal, lab, stages, stim_onsets_s,
                         generator=generator)
    return s.recording, s.hypnogram
