from pathlib import Path

import numpy as np
from sleepscorer_model.preprocess import EpochSource, PreprocessConfig, preprocess, robust_stats

from sleepscorer.io.recording import Channel, ChannelKind, Recording
from tests.model.conftest import make_recording


def test_shapes_rates_and_clipping():
    for rate in (512.0, 1000.0, 256.0):
        eeg, emg = preprocess(make_recording(12, rate=rate))
        assert eeg.shape == emg.shape == (12, 512) and eeg.dtype == np.float32
        assert np.abs(eeg).max() <= 20
    eeg, emg = preprocess(make_recording(12, emg=False))
    assert emg is None


def test_robust_stats_ignore_a_stimulation_artefact():
    x = np.random.default_rng(0).standard_normal(100_000).astype(np.float32)
    x[:2000] = 1e4  # 2% of samples saturated
    center, scale = robust_stats(x)
    assert abs(center) < 0.1 and 0.9 < scale < 1.2


def test_rolling_emg_normalisation_removes_a_baseline_step():
    rng = np.random.default_rng(1)
    n = 4000
    emg = rng.standard_normal(n * 512).astype(np.float32)
    emg[n * 512 // 2:] *= 4  # electrode baseline steps up halfway
    eeg = rng.standard_normal(n * 512).astype(np.float32)
    rec = Recording([Channel("EEG", ChannelKind.EEG, eeg, 512.0),
                     Channel("EMG", ChannelKind.EMG, emg, 512.0)], Path("x"))
    src = EpochSource(rec, PreprocessConfig(emg_norm="rolling", emg_baseline_s=600))
    early, late = src.epochs("emg", 100, 200).std(), src.epochs("emg", 3800, 3900).std()
    assert 0.7 < late / early < 1.4
    glob = EpochSource(rec)
    assert glob.epochs("emg", 3800, 3900).std() / glob.epochs("emg", 100, 200).std() > 3


def test_preprocessing_never_modifies_the_recording():
    rec = make_recording(10)
    before = rec.eeg.data.copy(), rec.emg.data.copy()
    rec.eeg.data.setflags(write=False)  # like a read-only memory map
    preprocess(rec)
    np.testing.assert_array_equal(rec.eeg.data, before[0])
    np.testing.assert_array_equal(rec.emg.data, before[1])
