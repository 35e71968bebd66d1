"""The REM conflict prior (PreprocessConfig.rem_conflict, model.reading): where the EEG pathway
says Wake and the EMG pathway says NREM, REM gains lam x P_EEG(Wake) x P_EMG(NREM)."""

from dataclasses import replace

import numpy as np
import torch
from sleepscorer_model.frontend import make_source
from sleepscorer_model.preprocess import PreprocessConfig
from sleepscorer_model.reading import network_probabilities

from sleepscorer.stages import Stage
from tests.model.conftest import make_recording


def _with(loaded, lam):
    card = dict(loaded.card, preprocessing=dict(loaded.card["preprocessing"], rem_conflict=lam))
    return replace(loaded, card=card), PreprocessConfig(**card["preprocessing"])


def test_the_prior_moves_exactly_the_conflict_into_rem(shipped_model):
    """Read with and without the prior on the same features: the difference is the formula,
    with each pathway read from the same epoch tokens as the fused reading."""
    rec = make_recording(120, stages=np.arange(120) // 20 % 3)
    plain, cfg0 = _with(shipped_model, 0.0)
    prior, cfg1 = _with(shipped_model, 0.7)
    cfg0, cfg1 = (replace(c, mixture_shares=None, shape_passes=1) for c in (cfg0, cfg1))
    source = make_source(rec, cfg0)
    dev = torch.device("cpu")
    with torch.inference_mode():
        p0 = network_probabilities(plain, source, cfg0, "both", dev)
        p1 = network_probabilities(prior, source, cfg1, "both", dev)
        p_eeg = network_probabilities(plain, source, cfg0, "eeg", dev)
        p_emg = network_probabilities(plain, source, cfg0, "emg", dev)
    w, n, r = (shipped_model.classes.index(s) for s in (Stage.WAKE, Stage.NREM, Stage.REM))
    expected = p0.copy()
    expected[:, r] += 0.7 * p_eeg[:, w] * p_emg[:, n]
    expected /= expected.sum(1, keepdims=True)
    np.testing.assert_allclose(p1, expected, atol=1e-5)
    assert np.allclose(p1.sum(1), 1.0, atol=1e-5)


def test_single_modality_readings_and_cards_without_it_are_unchanged(shipped_model):
    rec = make_recording(60)
    plain, cfg0 = _with(shipped_model, 0.0)
    prior, cfg1 = _with(shipped_model, 0.7)
    source = make_source(rec, cfg0)
    with torch.inference_mode():
        for modality in ("eeg", "emg"):
            a = network_probabilities(plain, source, cfg0, modality, torch.device("cpu"))
            b = network_probabilities(prior, source, cfg1, modality, torch.device("cpu"))
            np.testing.assert_array_equal(a, b)
    assert "rem_conflict" not in PreprocessConfig(rem_conflict=0.5).array_dict()  # corrections still fit
