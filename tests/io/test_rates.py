"""Any rate scores: integer and non-integer rates (TDT's 24414.0625 Hz, 250.3 Hz, 30 kHz) are
resampled to the model's 512 Hz by the exact rational ratio, with the right epoch count."""

from pathlib import Path

import numpy as np
import pytest
from sleepscorer_model.inference import score
from sleepscorer_model.preprocess import EpochSource, resample_ratio, resample_segment
from sleepscorer_model.weights import build_model, save_model

from sleepscorer.io.assemble import RawChannel, assemble, rational_ratio, resample
from sleepscorer.io.recording import ChannelKind
from tests.model.conftest import TINY

RATES = [24414.0625, 250.3, 30000.0, 100.0, 1017.25]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "m.safetensors"
    save_model(build_model("sdreamer-seq", **TINY), path)
    return path


def synthetic(rate: float, seconds: float, hz: float = 7.0):
    n = int(seconds * rate) + 3  # a partial epoch at the end
    t = np.arange(n) / rate
    eeg = (50 * np.sin(2 * np.pi * hz * t)).astype(np.float32)
    emg = np.random.default_rng(0).normal(0, 5, n).astype(np.float32)
    return assemble(Path("synthetic.edf"),
                    [RawChannel("EEG", ChannelKind.EEG, eeg, rate, "uV"),
                     RawChannel("EMG", ChannelKind.EMG, emg, rate, "uV")])


@pytest.mark.parametrize("rate", RATES)
def test_scoring_at_any_rate(rate, tiny_model):
    rec = synthetic(rate, 40)
    result = score(rec, tiny_model, device="cpu")
    assert result.probabilities.shape == (40, 3)
    assert np.isfinite(result.probabilities).all()
    assert score(rec, tiny_model, device="cpu", epoch_length=4.0).probabilities.shape == (10, 3)


@pytest.mark.parametrize("rate", [24414.0625, 250.3, 30000.0])
def test_resampled_signal_keeps_time(rate):
    """The 512-Hz model input is the same sine at the same times: no drift, no stretch."""
    rec = synthetic(rate, 40, hz=5.0)
    x = resample_segment(rec.eeg.data, rate, 30 * 512, 40 * 512)
    t = np.arange(30 * 512, 40 * 512) / 512
    expected = 50 * np.sin(2 * np.pi * 5.0 * t)
    assert len(x) == 10 * 512
    assert np.abs(x[:-256] - expected[:-256]).max() < 1.0  # < 2 % of the amplitude


def test_chunked_epochs_equal_whole():
    rec = synthetic(24414.0625, 30)
    source = EpochSource(rec)
    whole = source.epochs("eeg", 0, 30)
    parts = np.concatenate([source.epochs("eeg", a, min(30, a + 7)) for a in range(0, 30, 7)])
    np.testing.assert_allclose(parts, whole, atol=1e-5)


def test_exact_ratios():
    assert resample_ratio(24414.0625) == (8192, 390625)
    assert resample_ratio(250.3) == (5120, 2503)
    assert resample_ratio(30000.0) == (32, 1875)
    up, down = rational_ratio(512.000001, 512)  # beyond exact: a bounded, tiny-error fraction
    assert max(up, down) <= 1 << 19 and abs(512.000001 * up / down - 512) < 1e-6


def test_channels_at_different_non_integer_rates_line_up():
    data = np.sin(2 * np.pi * 3 * np.arange(int(20 * 250.3)) / 250.3).astype(np.float32)
    out = resample(data, 250.3, 512.0)
    assert abs(len(out) - 20 * 512) <= 1


def test_an_eeg_too_slow_to_score_is_refused_and_a_slow_one_warned(tmp_path):
    """`--rate 1` on a table used to run for minutes on 'epochs' of one sample each."""
    import numpy as np
    import pytest
    from sleepscorer_model.inference import score

    from sleepscorer.errors import ModelError
    from sleepscorer.io import load_recording

    table = tmp_path / "rec.csv"
    rows = np.random.default_rng(0).normal(size=(3000, 2))
    np.savetxt(table, rows, delimiter=",", header="EEG,EMG", comments="")
    too_slow = load_recording(table, rate=10)  # still readable: info and the app show it
    assert any("sampled at 10 Hz; sleep scoring needs at least 32" in w for w in too_slow.warnings)
    with pytest.raises(ModelError, match="sampled at 10 Hz; sleep scoring needs at least 32"):
        score(too_slow, device="cpu")
    slow = load_recording(table, rate=64)
    assert any("EMG channel EMG is sampled at 64 Hz, so it holds nothing above 32 Hz" in w
               for w in slow.warnings)
    assert not [w for w in load_recording(table, rate=128).warnings if "sampled at" in w]
    from sleepscorer.io.recording import Channel, ChannelKind, Recording

    other = ChannelKind.OTHER  # roles chosen afterwards (the app's dialog, a batch)
    unnamed = Recording([Channel(name, other, rows[:, i].astype(np.float32), 64.0)
                         for i, name in enumerate("ab")], table)
    chosen = unnamed.with_roles({"a": "EEG", "b": "EMG"})
    assert any("EEG channel a is sampled at 64 Hz" in w for w in chosen.warnings)
