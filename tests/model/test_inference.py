import numpy as np
import pytest
import torch
from sleepscorer_model.inference import combine_epochs, score, to_hypnogram
from sleepscorer_model.reading import window_starts
from sleepscorer_model.weights import LoadedModel, build_model, load_model, save_model

from sleepscorer.errors import Cancelled, ModelError
from sleepscorer.hypnogram import Source
from tests.model.conftest import TINY, make_recording


@pytest.fixture
def seq_model(tmp_path):
    path = tmp_path / "m.safetensors"
    save_model(build_model("sdreamer-seq", **TINY), path)
    return load_model(path)


def test_windows_cover_every_epoch_centrally():
    starts, s = window_starts(100, 16)
    assert s == 8 and len(starts) == 13
    owner = np.arange(100) // s
    pos = np.arange(100) - starts[owner]
    assert pos.min() >= 0 and pos.max() < 16
    assert ((pos >= 4) & (pos < 12))[8:92].all()  # central half away from the edges


@pytest.mark.parametrize("rate", [512.0, 500.0])
def test_chunked_equals_whole(seq_model, rate):
    rec = make_recording(61, rate=rate)
    whole = score(rec, seq_model, device="cpu")
    chunked = score(rec, seq_model, device="cpu", chunk_epochs=12, batch_size=5)
    assert whole.probabilities.shape == (61, 3)
    assert whole.probabilities.dtype == np.float32
    np.testing.assert_allclose(whole.probabilities, chunked.probabilities, atol=1e-5)
    np.testing.assert_allclose(whole.probabilities.sum(1), 1, atol=1e-5)
    assert whole.device_used == "cpu" and whole.model_name == "sdreamer-seq"


def test_modalities_and_eeg_only_recording(seq_model):
    rec = make_recording(20)
    results = {m: score(rec, seq_model, modality=m, device="cpu") for m in ("both", "eeg", "emg")}
    assert not np.allclose(results["both"].probabilities, results["eeg"].probabilities)
    eeg_only = score(make_recording(20, emg=False), seq_model, device="cpu")
    assert eeg_only.modality == "eeg" and eeg_only.warnings
    np.testing.assert_allclose(eeg_only.probabilities, results["eeg"].probabilities, atol=1e-5)
    with pytest.raises(ModelError, match="EMG"):
        score(make_recording(20, emg=False), seq_model, modality="emg", device="cpu")


def test_short_recording_and_epoch_model():
    rec = make_recording(5)  # shorter than one window (K = 8)
    m = LoadedModel.wrap(build_model("sdreamer-seq", **TINY).eval())
    assert score(rec, m, device="cpu").probabilities.shape == (5, 3)
    e = LoadedModel.wrap(build_model("sdreamer-epoch", **TINY).eval())
    whole = score(make_recording(30), e, device="cpu")
    chunked = score(make_recording(30), e, device="cpu", chunk_epochs=7)
    np.testing.assert_allclose(whole.probabilities, chunked.probabilities, atol=1e-5)


def test_progress_cancel_and_longer_epochs(seq_model):
    rec = make_recording(40)
    calls = []
    score(rec, seq_model, device="cpu", chunk_epochs=8, progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (40, 40) and len(calls) > 1
    with pytest.raises(Cancelled):
        score(rec, seq_model, device="cpu", cancel=lambda: True)
    four = score(rec, seq_model, device="cpu", epoch_length=4.0)
    one = score(rec, seq_model, device="cpu")
    np.testing.assert_allclose(four.probabilities, one.probabilities.reshape(10, 4, 3).mean(1),
                               atol=1e-6)
    hyp = to_hypnogram(four)
    assert len(hyp) == 10 and hyp.epoch_length == 4.0 and (hyp.sources == Source.MODEL).all()


def test_half_second_epochs_say_what_the_partial_last_second_gets(seq_model):
    rec = make_recording(40)
    cut = type(rec)([type(c)(c.name, c.kind, c.data[:int(10.5 * c.rate)], c.rate, c.unit)
                     for c in rec.channels], rec.source)
    half = score(cut, seq_model, device="cpu", epoch_length=0.5)
    assert len(half.probabilities) == 21
    np.testing.assert_array_equal(half.probabilities[20], half.probabilities[19])
    assert any("last 0.5 s" in w for w in half.warnings)
    assert not any("last" in w for w in score(rec, seq_model, device="cpu", epoch_length=0.5).warnings)


def test_combine_epochs_fractional():
    p = np.eye(3, dtype=np.float32)[[0, 0, 1, 1, 2]]
    out = combine_epochs(p, 2.5, 2)
    np.testing.assert_allclose(out[0], [0.8, 0.2, 0], atol=1e-6)
    np.testing.assert_allclose(out[1], [0, 0.6, 0.4], atol=1e-6)
    assert combine_epochs(p, 0.5, 10).shape == (10, 3)


def test_cuda_unavailable_is_a_clear_error(seq_model):
    if torch.cuda.is_available():
        pytest.skip("has a GPU")
    with pytest.raises(ModelError, match="CUDA"):
        score(make_recording(10), seq_model, device="cuda")


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_matches_cpu(seq_model):
    rec = make_recording(40)
    cpu = score(rec, seq_model, device="cpu")
    gpu = score(rec, seq_model, device="cuda")
    assert gpu.device_used.startswith("cuda")
    assert (cpu.stages == gpu.stages).mean() > 0.9
    np.testing.assert_allclose(cpu.probabilities, gpu.probabilities, atol=0.05)


def test_epochs_that_do_not_fit_say_so(seq_model):
    """A user trial: 7-s epochs dropped the recording's last 5 s, and 0.5-s epochs looked
    finer than the model's 1 s, both without a word."""
    rec = make_recording(40)
    seven = score(rec, seq_model, device="cpu", epoch_length=7.0)
    assert len(seven.probabilities) == 5
    assert "the last 5 s are shorter than one 7-s epoch and are not in the output" in seven.warnings
    from sleepscorer.io.recording import Channel, Recording

    longer = Recording([Channel(c.name, c.kind, np.concatenate([c.data, c.data[:int(0.82 * c.rate)]]),
                                c.rate) for c in rec.channels], rec.source)  # 40.82 s
    assert "the last 5.82 s are shorter than one 7-s epoch and are not in the output" in \
        score(longer, seq_model, device="cpu", epoch_length=7.0).warnings  # all of the tail
    half = score(rec, seq_model, device="cpu", epoch_length=0.5).warnings
    assert any(w.startswith("0.5-s epochs repeat the label of the model's 1-s epoch") for w in half)
    assert not any("shorter than one" in w for w in score(rec, seq_model, device="cpu",
                                                           epoch_length=4.0).warnings)
