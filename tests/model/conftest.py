"""Small synthetic recordings and tiny models for the model tests (fast on 2 CPU cores)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from sleepscorer.io.recording import Channel, ChannelKind, Recording

TINY = dict(d_model=16, n_heads=2, ffn_dim=32, patch_size=64, seq_len=8, dropout=0.0)


def make_recording(n_epochs: int = 40, rate: float = 512.0, emg: bool = True,
                   seed: int = 0, stages: np.ndarray | None = None) -> Recording:
    """Noise whose EEG slow power and EMG amplitude depend on the stage of each second."""
    rng = np.random.default_rng(seed)
    n = int(n_epochs * rate)
    t = np.arange(n) / rate
    if stages is None:
        stages = np.repeat(np.arange(n_epochs) // 5 % 3, 1)
    per_sample = np.repeat(stages, int(rate))[:n]
    eeg = rng.standard_normal(n) + np.where(per_sample == 1, 3.0, 0.0) * np.sin(2 * np.pi * 2 * t)
    eeg += np.where(per_sample == 2, 2.0, 0.0) * np.sin(2 * np.pi * 7 * t)
    channels = [Channel("EEG1", ChannelKind.EEG, eeg.astype(np.float32), rate)]
    if emg:
        amp = np.where(per_sample == 0, 3.0, 0.5)
        channels.append(Channel("EMG", ChannelKind.EMG,
                                (amp * rng.standard_normal(n)).astype(np.float32), rate))
    return Recording(channels, Path("synthetic"))


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def shipped_model():
    """The bundled sDREAMER weights, loaded once (skips where they are not bundled)."""
    from sleepscorer_model.weights import default_weights_path, load_model

    if not default_weights_path().exists():
        pytest.skip("no bundled weights")
    return load_model(default_weights_path())
