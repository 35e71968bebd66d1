"""Training data: (Recording, Hypnogram) pairs -> per-epoch arrays -> windows of K epochs.

Labels become class indices of the model's classes; Unscored, Artifact (unless a class)
and any stage the model lacks become -1 and are left out of the loss. Splits are by
subject, never by epoch, so no animal is in both training and validation.
Must not read files (the CLI does) or import Qt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from sleepscorer_model.frontend import epoch_arrays
from sleepscorer_model.losses import TEACHER
from sleepscorer_model.preprocess import PreprocessConfig
from torch.utils.data import Dataset

from sleepscorer.errors import ModelError
from sleepscorer.hypnogram import Hypnogram
from sleepscorer.io.recording import Recording
from sleepscorer.stages import MODEL_CLASSES_3, Stage


@dataclass
class SubjectData:
    """One recording ready for training: (n, F) float32 epochs (samples or spectral
    features, see model.preprocess.make_source) and (n,) class indices."""

    subject: str
    eeg: np.ndarray
    emg: np.ndarray | None
    labels: np.ndarray  # int64, -1 = ignored
    # where it came from, for a fine-tuned model's card (a corrections run: the recording's
    # file, signal hash, corrections folder); None for a corpus animal
    origin: dict | None = None

    def __len__(self) -> int:
        return len(self.labels)

    def slice(self, start: int, stop: int, suffix: str = "") -> SubjectData:
        emg = None if self.emg is None else self.emg[start:stop]
        return SubjectData(self.subject + suffix, self.eeg[start:stop], emg, self.labels[start:stop],
                           self.origin)


def stages_to_classes(stages: np.ndarray, classes: Sequence[Stage] = MODEL_CLASSES_3) -> np.ndarray:
    out = np.full(len(stages), -1, dtype=np.int64)
    for index, stage in enumerate(classes):
        out[np.asarray(stages) == int(stage)] = index
    return out


def prepare_subject(recording: Recording, hypnogram: Hypnogram,
                    classes: Sequence[Stage] = MODEL_CLASSES_3, subject: str | None = None,
                    cfg: PreprocessConfig | None = None, need_emg: bool = True) -> SubjectData:
    """Preprocess one recording and align its labels to its 1-s epochs."""
    if need_emg and recording.emg is None:
        raise ModelError(recording.source, "training this model needs an EMG channel; "
                                           "set the channel roles or train an EEG-only model")
    eeg, emg = epoch_arrays(recording, cfg)
    hyp = hypnogram if abs(hypnogram.epoch_length - 1.0) < 1e-9 else hypnogram.to_epoch_length(1.0)
    labels = np.full(len(eeg), -1, dtype=np.int64)
    n = min(len(labels), len(hyp))
    labels[:n] = stages_to_classes(hyp.stages[:n], classes)
    return SubjectData(subject or recording.source.stem, eeg, emg, labels)


def split_subjects(ids: Sequence[str], val_fraction: float = 0.2, test_fraction: float = 0.0,
                   seed: int = 0) -> tuple[list[str], list[str], list[str]]:
    """Shuffle subject ids (deterministically by seed) into train / validation / test."""
    unique = sorted(set(ids))
    order = [unique[i] for i in np.random.default_rng(seed).permutation(len(unique))]
    n = len(order)
    n_test = int(round(test_fraction * n))
    n_val = int(round(val_fraction * n))
    if val_fraction > 0 and n - n_test >= 2:
        n_val = max(1, n_val)
    n_val = min(n_val, max(0, n - n_test - 1))
    test, val, train = order[:n_test], order[n_test:n_test + n_val], order[n_test + n_val:]
    return sorted(train), sorted(val), sorted(test)


class SequenceDataset(Dataset):
    """Windows of `seq_len` consecutive epochs (stride `stride`) with at least one label.

    Items are (eeg, emg, labels): (K, T), (K, T), (K,); with seq_len 1, (T), (T), ().
    A missing EMG is given as zeros (for EEG-only models).
    """

    def __init__(self, subjects: Sequence[SubjectData], seq_len: int = 16, stride: int | None = None):
        self.subjects = list(subjects)
        self.seq_len = seq_len
        stride = stride or max(1, seq_len // 2)
        index = []
        for s, data in enumerate(self.subjects):
            n = len(data)
            if n < seq_len:
                continue
            starts = np.unique(np.r_[np.arange(0, n - seq_len + 1, stride), n - seq_len])
            # a window is kept when it has a target: a label, or a teacher's output (-2)
            targets = (data.labels >= 0) | (data.labels == TEACHER)
            scored = np.convolve(targets, np.ones(seq_len), "valid")[starts] > 0
            index.extend((s, int(a)) for a in starts[scored])
        self.index = index

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        s, a = self.index[i]
        data = self.subjects[s]
        sl = slice(a, a + self.seq_len)
        # copies: the arrays may be read-only memory maps of a cached corpus
        eeg = torch.tensor(data.eeg[sl])
        emg = torch.zeros_like(eeg) if data.emg is None else torch.tensor(data.emg[sl])
        y = torch.tensor(data.labels[sl])
        if self.seq_len == 1:
            return eeg[0], emg[0], y[0]
        return eeg, emg, y

    def class_counts(self, n_classes: int) -> np.ndarray:
        labels = np.concatenate([d.labels for d in self.subjects]) if self.subjects else np.array([])
        return np.bincount(labels[labels >= 0].astype(int), minlength=n_classes)


def class_weights(subjects: Sequence[SubjectData], n_classes: int, power: float = 0.5) -> list[float]:
    """Weights frequency**-power, mean 1 over the classes present; absent classes get 1.

    Rare classes (REM) count more; power 1 would be full inverse-frequency weighting.
    """
    labels = np.concatenate([s.labels for s in subjects]) if subjects else np.zeros(0, int)
    counts = np.bincount(labels[labels >= 0], minlength=n_classes).astype(float)
    present = counts > 0
    w = np.ones(n_classes)
    w[present] = counts[present] ** -power
    w[present] /= w[present].mean()
    return w.tolist()

