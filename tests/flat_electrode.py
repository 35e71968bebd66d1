"""A two-minute EDF whose EEG electrode is lost (flat) part way, and the `note` column of a
label CSV: what the CLI's and the app's bad-signal notes are tested on."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np


def flat_eeg_edf(path: Path, seconds: float, rate: int = 256) -> Path:
    """Two minutes of EEG and EMG; the EEG is flat from `seconds` on."""
    import edfio

    n = int(rate * 120)
    t = np.arange(n) / rate
    eeg = 50 * np.sin(2 * np.pi * 2 * t) + 10 * np.random.default_rng(1).normal(size=n)
    eeg[int(rate * seconds):] = 0.0
    emg = 20 * np.random.default_rng(2).normal(size=n)
    edfio.Edf([edfio.EdfSignal(x, rate, label=name, physical_dimension="uV",
                               physical_range=(-500, 500))
               for name, x in (("EEG1", eeg), ("EMG1", emg))]).write(path)
    return path


def note_column(path: Path) -> list[str | None]:
    with open(path, newline="") as fh:
        return [row.get("note") for row in csv.DictReader(fh)]
