"""Each channel keeps its own rate at load and is resampled once, from that rate, by the
model's front end: a 2 kHz EMG beside a 256 Hz EEG keeps its 150-250 Hz band (issue 17,
item 6). Resampling it to the EEG's 256 Hz first, as loading used to, removes that band."""

from pathlib import Path

import numpy as np
import pytest
import scipy.io
from scipy import signal
from sleepscorer_model.inference import score
from sleepscorer_model.preprocess import MODEL_RATE, EpochSource, resample_segment

from sleepscorer.io import load_recording, write_edf
from sleepscorer.io.assemble import RawChannel, assemble, resample
from sleepscorer.io.recording import Channel, ChannelKind, Recording
from tests.fuzz.builders import EdfSpec, Signal, eeg_emg_signals, write_edf_spec

EEG_RATE, EMG_RATE = 256.0, 2000.0
HIGH = (150.0, 250.0)  # the EMG band that a 256 Hz channel cannot hold
SECONDS = 120


def band_noise(n: int, rate: float, lo: float, hi: float, rms: float, seed: int) -> np.ndarray:
    """Gaussian noise band-passed to lo..hi Hz, scaled to `rms`."""
    sos = signal.butter(8, [lo, hi], "bandpass", fs=rate, output="sos")
    x = signal.sosfiltfilt(sos, np.random.default_rng(seed).standard_normal(n))
    return (x * rms / x.std()).astype(np.float32)


def band_power(x: np.ndarray, rate: float, lo: float, hi: float) -> float:
    """Power of `x` in lo..hi Hz (Welch, 1-s segments)."""
    freqs, psd = signal.welch(np.asarray(x, np.float64), fs=rate, nperseg=int(rate))
    keep = (freqs >= lo) & (freqs <= hi)
    return float(psd[keep].sum() * (freqs[1] - freqs[0]))


def mixed_channels(seconds: int = SECONDS, low_band: bool = True) -> list[RawChannel]:
    """A 256 Hz EEG (delta + theta + noise) and a 2 kHz EMG: 150-250 Hz (20 uV RMS), plus
    a 10-90 Hz part (5 uV RMS) with `low_band`."""
    t = np.arange(int(seconds * EEG_RATE)) / EEG_RATE
    rng = np.random.default_rng(1)
    eeg = (60 * np.sin(2 * np.pi * 2 * t) + 30 * np.sin(2 * np.pi * 7 * t)
           + 10 * rng.standard_normal(len(t))).astype(np.float32)
    n = int(seconds * EMG_RATE)
    emg = band_noise(n, EMG_RATE, *HIGH, rms=20.0, seed=2)
    if low_band:
        emg += band_noise(n, EMG_RATE, 10.0, 90.0, rms=5.0, seed=3)
    return [RawChannel("EEG1", ChannelKind.EEG, eeg, EEG_RATE, "uV"),
            RawChannel("EMG", ChannelKind.EMG, emg, EMG_RATE, "uV")]


@pytest.fixture(scope="module")
def mixed() -> Recording:
    return assemble(Path("mixed.edf"), mixed_channels())


def test_each_channel_keeps_its_rate_and_samples(mixed):
    raw = mixed_channels()
    assert [(c.name, c.rate, len(c.data)) for c in mixed.channels] == [
        ("EEG1", EEG_RATE, SECONDS * 256), ("EMG", EMG_RATE, SECONDS * 2000)]
    np.testing.assert_array_equal(mixed.emg.data, raw[1].data)  # the samples as recorded
    np.testing.assert_array_equal(mixed.eeg.data, raw[0].data)
    assert mixed.duration_s == SECONDS and mixed.n_epochs() == SECONDS
    assert mixed.rate == EEG_RATE and mixed.n_samples == SECONDS * 256
    assert not any("resampl" in w for w in mixed.warnings), mixed.warnings
    assert mixed.rates_text() == "EEG1 256 Hz, EMG 2000 Hz"


def test_emg_high_band_reaches_the_model_front_end(mixed):
    recorded = band_power(mixed.emg.data, EMG_RATE, *HIGH)
    model_in = resample_segment(mixed.emg.data, mixed.emg.rate, 0, SECONDS * MODEL_RATE)
    assert len(model_in) == SECONDS * MODEL_RATE
    kept = band_power(model_in, MODEL_RATE, *HIGH)
    # the old path: 2 kHz -> the EEG's 256 Hz at load, then 256 Hz -> 512 Hz for the model
    twice = resample(mixed.emg.data, EMG_RATE, EEG_RATE)
    old = resample_segment(twice, EEG_RATE, 0, SECONDS * MODEL_RATE)
    lost = band_power(old, MODEL_RATE, 128.0, 256.0)
    assert kept > 0.9 * recorded, (kept, recorded)
    assert lost < 0.01 * recorded, (lost, recorded)


def test_normalised_model_epochs_hold_the_high_band(mixed):
    """What the networks read (EpochSource: resampled once, normalised) keeps 150-250 Hz."""
    epochs = EpochSource(mixed).epochs("emg", 10, 40)
    spectrum = (np.abs(np.fft.rfft(epochs, axis=1)) ** 2).mean(axis=0)
    freqs = np.fft.rfftfreq(epochs.shape[1], 1 / MODEL_RATE)
    high = spectrum[(freqs >= HIGH[0]) & (freqs <= HIGH[1])].sum()
    assert high > 0.8 * spectrum[freqs >= 1].sum()


def test_bundled_model_scores_a_mixed_rate_recording(mixed):
    result = score(mixed, device="cpu")
    assert result.probabilities.shape == (SECONDS, len(result.classes))
    assert np.isfinite(result.probabilities).all()
    np.testing.assert_allclose(result.probabilities.sum(1), 1, atol=1e-4)


def test_different_lengths_are_compared_in_seconds():
    eeg, emg = mixed_channels(20, low_band=False)
    rec = assemble(Path("x.edf"), [eeg, RawChannel("EMG", ChannelKind.EMG, emg.data[:2000 * 17],
                                                   EMG_RATE, "uV")])
    assert rec.duration_s == 17 and rec.n_samples == 17 * 256 and rec.n_epochs() == 17
    assert any("EEG1 20 s, EMG 17 s" in w for w in rec.warnings), rec.warnings
    same = assemble(Path("y.edf"), mixed_channels(20, low_band=False))
    assert not any("different lengths" in w for w in same.warnings)


def test_edf_with_mixed_rates_round_trips_each_rate(tmp_path, mixed):
    path = tmp_path / "mixed.edf"
    write_edf(mixed, path)
    back = load_recording(path)
    assert [(c.name, c.rate, len(c.data)) for c in back.channels] == [
        (c.name, c.rate, len(c.data)) for c in mixed.channels]
    assert not any("resampl" in w for w in back.warnings), back.warnings
    for a, b in zip(back.channels, mixed.channels, strict=True):  # 16-bit quantisation only
        span = float(b.data.max() - b.data.min())
        assert np.abs(a.data - b.data).max() < span / 30000
    assert band_power(back.emg.data, EMG_RATE, *HIGH) > 0.99 * band_power(mixed.emg.data,
                                                                            EMG_RATE, *HIGH)


@pytest.mark.parametrize("bdf", [False, True])
def test_mixed_rate_file_reads_as_mne_reads_one_rate(tmp_path, bdf):
    """The direct record reader (mixed rates) scales samples exactly as mne does."""
    eeg, emg = eeg_emg_signals(10, 256, bdf=bdf)
    fast = Signal(emg.label, np.repeat(emg.digital, 8), 2048, emg.physical, emg.digital_range,
                  unit="mV")
    one = load_recording(write_edf_spec(tmp_path / "one.edf", EdfSpec([eeg, emg], 10, bdf=bdf)))
    two = load_recording(write_edf_spec(tmp_path / "two.edf", EdfSpec([eeg, fast], 10, bdf=bdf)))
    assert (two.eeg.rate, two.emg.rate, len(two.emg.data)) == (256, 2048, 10 * 2048)
    np.testing.assert_allclose(two.eeg.data, one.eeg.data, rtol=1e-6, atol=1e-3)
    np.testing.assert_allclose(two.emg.data[::8], one.emg.data * 1e3, rtol=1e-6, atol=1e-2)


def test_truncated_mixed_rate_file_reads_the_whole_records(tmp_path):
    eeg, emg = eeg_emg_signals(10, 256)
    fast = Signal(emg.label, np.repeat(emg.digital, 4), 1024, emg.physical, emg.digital_range)
    record_bytes = 2 * (256 + 1024)
    spec = EdfSpec([eeg, fast], 10, truncate_to=256 * 3 + 6 * record_bytes + 100)
    rec = load_recording(write_edf_spec(tmp_path / "cut.edf", spec))
    assert (len(rec.eeg.data), len(rec.emg.data), rec.duration_s) == (6 * 256, 6 * 1024, 6)
    assert any("ends after 6 of 10 data records" in w for w in rec.warnings)


def test_mat_file_with_its_own_emg_rate(tmp_path):
    eeg, emg = mixed_channels(20, low_band=False)
    path = tmp_path / "rec.mat"
    scipy.io.savemat(path, {"eeg": eeg.data, "emg": emg.data, "eeg_frequency": EEG_RATE,
                            "emg_frequency": EMG_RATE})
    rec = load_recording(path)
    assert (rec.eeg.rate, rec.emg.rate) == (EEG_RATE, EMG_RATE)
    np.testing.assert_array_equal(rec.emg.data, emg.data)


def test_state_rules_and_selftest_roundtrip_use_each_channel_rate(tmp_path, mixed):
    from sleepscorer.core.selftest import check_edf_roundtrip
    from sleepscorer.core.state_rules import epoch_features

    features = epoch_features(mixed)
    assert len(features.emg_rms) == SECONDS
    ok, text = check_edf_roundtrip(mixed, tmp_path, seconds=30)
    assert ok and "30 s" in text, text


def test_rates_text_of_one_rate():
    data = np.zeros(512, np.float32)
    rec = Recording([Channel("EEG", ChannelKind.EEG, data, 512.0),
                     Channel("EMG", ChannelKind.EMG, data, 512.0)], Path("x"))
    assert rec.rates_text() == "512 Hz"
