import pytest
import torch
from sleepscorer_model.sdreamer import EpochSDreamer, SDreamerConfig, SequenceSDreamer

from tests.model.conftest import TINY


def tiny(cls, **kw):
    cfg = cls.default_config()
    return cls(SDreamerConfig(**{**cfg.__dict__, **TINY, **kw}))


def test_epoch_model_shapes_every_pathway_and_modality():
    m = tiny(EpochSDreamer, seq_len=1)
    eeg, emg = torch.randn(3, 512), torch.randn(3, 512)
    out = m(eeg, emg)
    assert set(out) == {"eeg", "emg", "mix"}
    assert all(v.shape == (3, 3) for v in out.values())
    assert m.predict(eeg, None, "eeg").shape == (3, 3)
    assert m.predict(None, emg, "emg").shape == (3, 3)
    assert torch.allclose(m.predict(eeg, emg, "both"), out["mix"])
    # eq. 6: the mix expert only in the last of the 4 epoch layers
    assert [("mix" in layer.experts) for layer in m.mome.layers] == [False, False, False, True]


def test_sequence_model_shapes_and_two_stage_api_match_forward():
    m = tiny(SequenceSDreamer).eval()
    eeg, emg = torch.randn(2, 8, 512), torch.randn(2, 8, 512)
    out = m(eeg, emg)
    assert all(v.shape == (2, 8, 3) for v in out.values())
    for modality, pathway in (("both", "mix"), ("eeg", "eeg"), ("emg", "emg")):
        tokens = m.encode_epochs(eeg.reshape(16, 512), emg.reshape(16, 512), modality)
        assert tokens.shape == (16, 2 if modality == "both" else 1, 16)
        logits = m.forward_sequence(tokens.view(2, 8, -1, 16), modality)
        assert torch.allclose(logits, out[pathway], atol=1e-5)
    assert [("mix" in layer.experts) for layer in m.seq_mome.layers] == [False, False, True]
    assert not any("mix" in layer.experts for layer in m.epoch_mome.layers)
    # shorter windows than K (recordings shorter than one window)
    assert m.forward_sequence(tokens.view(2, 8, -1, 16)[:, :5], "emg").shape == (2, 5, 3)


@pytest.mark.parametrize("cls", [EpochSDreamer, SequenceSDreamer])
def test_every_expert_and_head_receives_gradients(cls):
    m = tiny(cls) if cls is SequenceSDreamer else tiny(cls, seq_len=1)
    shape = (2, 8, 512) if cls is SequenceSDreamer else (2, 512)
    out = m(torch.randn(shape), torch.randn(shape))
    sum(v.square().mean() for v in out.values()).backward()
    missing = [n for n, p in m.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert missing == []


def test_config_rejects_bad_sizes():
    with pytest.raises(ValueError):
        SDreamerConfig(d_model=30, n_heads=4)
    with pytest.raises(ValueError):
        SDreamerConfig(patch_size=100)
