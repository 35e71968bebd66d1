"""Every registered network declares model.interface.ScoringNetwork, and the code uses only it."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np
import pytest
import torch
from sleepscorer_model.interface import RECIPES, ScoringNetwork, check_network
from sleepscorer_model.preprocess import MODEL_RATE
from sleepscorer_model.weights import ARCHITECTURES, build_model, config_from_card

from sleepscorer.stages import BASE_EPOCH


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_registered_network_declares_the_interface(arch):
    cls = ARCHITECTURES[arch]
    check_network(cls)
    assert cls.arch_name == arch and cls.training_recipe in RECIPES
    net = build_model(arch)
    assert isinstance(net, ScoringNetwork)
    assert net.sampling_rate == MODEL_RATE and net.epoch_samples == MODEL_RATE * BASE_EPOCH
    assert net.n_classes == net.cfg.n_classes and net.seq_len >= 1
    assert set(net.modalities) <= {"eeg", "emg"}
    # the card's config rebuilds the same network
    again = cls(config_from_card(arch, dataclasses.asdict(net.cfg)))
    assert {k: v.shape for k, v in again.state_dict().items()} == \
        {k: v.shape for k, v in net.state_dict().items()}


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_primary_output_scores(arch):
    net = build_model(arch, seq_len=4) if build_model(arch).seq_len > 1 else build_model(arch)
    k = net.seq_len
    shape = (2, k, net.epoch_samples) if k > 1 else (2, net.epoch_samples)
    with torch.no_grad():
        out = net.eval()(torch.randn(shape), torch.randn(shape))
    assert out[net.primary].shape[-1] == net.n_classes


def test_a_class_missing_a_declaration_is_refused():
    class Half(torch.nn.Module):
        arch_name = "half"

    with pytest.raises(TypeError, match="does not declare config_class"):
        check_network(Half)


# -- a new network: one class and one registry entry (docs/architecture.md) --------------
@dataclasses.dataclass
class LinearConfig:
    d_model: int = 8
    seq_len: int = 4
    epoch_samples: int = 512
    n_classes: int = 3


class LinearNet(torch.nn.Module):
    arch_name: ClassVar[str] = "linear-test"
    config_class: ClassVar[type] = LinearConfig
    modalities: ClassVar[tuple[str, ...]] = ("eeg", "emg")
    primary: ClassVar[str] = "mix"
    has_epoch_tokens: ClassVar[bool] = True
    training_recipe: ClassVar[str] = "supervised"

    def __init__(self, cfg: LinearConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = torch.nn.Linear(cfg.epoch_samples, cfg.d_model)
        self.head = torch.nn.Linear(2 * cfg.d_model, cfg.n_classes)

    @staticmethod
    def default_config() -> LinearConfig:
        return LinearConfig()

    seq_len = property(lambda self: self.cfg.seq_len)
    epoch_samples = property(lambda self: self.cfg.epoch_samples)
    sampling_rate = property(lambda self: self.cfg.epoch_samples)
    n_classes = property(lambda self: self.cfg.n_classes)

    def encode_epochs(self, eeg, emg, modality="both"):  # noqa: ANN001, ANN201
        zero = torch.zeros(len(eeg if eeg is not None else emg), self.cfg.d_model)
        return torch.stack([self.embed(eeg) if eeg is not None else zero,
                            self.embed(emg) if emg is not None else zero], 1)

    def forward_sequence(self, tokens, modality="both"):  # noqa: ANN001, ANN201
        return self.head(tokens.flatten(-2))

    def forward(self, eeg, emg):  # noqa: ANN001, ANN201
        b, k, t = eeg.shape
        tokens = self.encode_epochs(eeg.reshape(b * k, t), emg.reshape(b * k, t))
        return {"mix": self.forward_sequence(tokens.view(b, k, 2, -1))}


def test_a_new_network_is_one_class_and_one_registry_entry(tmp_path, monkeypatch):
    from sleepscorer_model.data import prepare_subject
    from sleepscorer_model.inference import score
    from sleepscorer_model.training import TrainConfig, fit_architecture
    from sleepscorer_model.weights import load_model, save_model

    from sleepscorer.hypnogram import Hypnogram
    from sleepscorer.stages import MODEL_CLASSES_3
    from tests.model.conftest import make_recording

    monkeypatch.setitem(ARCHITECTURES, LinearNet.arch_name, LinearNet)  # the one line
    check_network(LinearNet)
    stages = np.arange(32) // 4 % 3
    rec = make_recording(32, stages=stages)
    subject = prepare_subject(rec, Hypnogram.from_arrays(stages), MODEL_CLASSES_3, "m0")
    result = fit_architecture("linear-test", [subject], [subject],
                              TrainConfig(epochs=1, batch_size=4, device="cpu"))
    path = tmp_path / "linear.safetensors"
    card = save_model(result.model, path)
    assert card["architecture"] == "linear-test" and card["sampling_rate"] == 512
    loaded = load_model(path)
    assert isinstance(loaded.module, LinearNet)
    scored = score(rec, weights=loaded, device="cpu", lab_gate=False)
    assert scored.probabilities.shape == (32, 3)
    assert np.allclose(scored.probabilities.sum(1), 1, atol=1e-5)
    from sleepscorer_model.finetune import finetune

    from sleepscorer.errors import ModelError

    with pytest.raises(ModelError, match="fine-tuning needs a self-distilled network"):
        finetune(loaded, [subject])
