import numpy as np
import torch
from sleepscorer_model.inference import score
from sleepscorer_model.mc2sleepnet import MC2Config, MC2SleepNet, info_nce, pretrain_loss
from sleepscorer_model.training import TrainConfig, fit_architecture
from sleepscorer_model.weights import build_model, load_model, save_model

from tests.model.test_training import subject

SMALL = dict(d_model=16, n_heads=2, ffn_dim=32, cnn_channels=8, seq_len=8, spec_layers=1,
             seq_layers=1, dropout=0.0)


def test_shapes_masking_and_losses():
    m = MC2SleepNet(MC2Config(**SMALL))
    eeg = torch.randn(2, 8, 512)
    out = m(eeg, None, cross_mask=True)
    assert out["mix"].shape == (2, 8, 3) and out["z_raw"].shape == (16, 16)
    assert m.encode_epochs(eeg[0]).shape == (8, 2, 16)
    terms = pretrain_loss(m, eeg, None, torch.tensor([[0, 1, 2, -1, 0, 1, 2, 0]] * 2))
    terms["loss"].backward()
    assert m.mask_token.grad is not None and m.raw.net[0].weight.grad is not None
    z = torch.randn(6, 16)
    assert info_nce(z, z, 0.1) < info_nce(z, torch.randn(6, 16), 0.1)


def test_pretrain_finetune_save_and_score(tmp_path):
    cfg = TrainConfig(epochs=2, batch_size=2, max_steps_per_epoch=2, device="cpu")
    result = fit_architecture("mc2sleepnet", [subject(24)], [subject(16, 1, "m2")], cfg, **SMALL)
    model = result.model
    assert all(p.requires_grad for p in model.parameters())
    save_model(model, tmp_path / "mc2.safetensors")
    loaded = load_model(tmp_path / "mc2.safetensors")
    from tests.model.conftest import make_recording

    res = score(make_recording(20), loaded, device="cpu")
    assert res.modality == "eeg" and res.probabilities.shape == (20, 3)
    assert np.isfinite(res.probabilities).all()
    assert build_model("mc2sleepnet").cfg.seq_len == 16
