"""A real-looking recording with two EEG channels, as the user trial's: EEG1 is noise, EEG2 the
simulator's real EEG, then the EMG; written by the project's own EDF writer or as a table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sleepscorer_model.simulation import simulate_recording

from sleepscorer.hypnogram import Hypnogram
from sleepscorer.io import write_edf
from sleepscorer.io.recording import Channel, ChannelKind, Recording

SECONDS = 600.0
RATE = 128.0


def two_eeg(seconds: float = SECONDS, seed: int = 3) -> tuple[Recording, Hypnogram]:
    """(EEG1 noise, EEG2 real, EMG) in uV and the truth."""
    rec, truth = simulate_recording(seconds, rate=RATE, seed=seed, lab="lab_a")
    real = {c.kind: (c.data * 1e6).astype(np.float32) for c in rec.channels}
    noise = np.random.default_rng(seed).normal(0, 60, len(real[ChannelKind.EEG]))
    channels = [Channel("EEG1", ChannelKind.EEG, noise.astype(np.float32), RATE, "uV"),
                Channel("EEG2", ChannelKind.EEG, real[ChannelKind.EEG], RATE, "uV"),
                Channel("EMG", ChannelKind.EMG, real[ChannelKind.EMG], RATE, "uV")]
    return Recording(channels, Path("twoeeg")), truth


def write_two_eeg_edf(path: Path, seconds: float = SECONDS) -> tuple[Path, Hypnogram]:
    rec, truth = two_eeg(seconds)
    write_edf(rec, path)
    return path, truth


def write_two_eeg_parquet(path: Path, seconds: float = SECONDS) -> tuple[Path, Hypnogram]:
    """Columns eeg1, eeg2, emg (a table does not store its rate: read it with RATE)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rec, truth = two_eeg(seconds)
    pq.write_table(pa.table({c.name.lower(): c.data for c in rec.channels}), path)
    return path, truth
