"""Every registered network declares model.interface.ScoringNetwork, and the code uses only it."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from model.interface import RECIPES, ScoringNetwork, check_network
from model.preprocess import MODEL_RATE
from model.weights import ARCHITECTURES, build_model, config_from_card
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
