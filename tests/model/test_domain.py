"""The lab gate: fingerprints, routing to the parent model, card round trip."""

import json

import numpy as np
import pytest
from sleepscorer_model.domain import LabGate, profile, spread_epochs, token_encoder
from sleepscorer_model.inference import score, source_profile
from sleepscorer_model.preprocess import EpochSource, preprocess
from sleepscorer_model.weights import LoadedModel, build_model

from tests.model.conftest import TINY, make_recording


def test_profile_ignores_amplifier_gain_and_marks_missing_emg():
    rec = make_recording(60)
    eeg, emg = preprocess(rec)
    louder = make_recording(60)
    for ch in louder.channels:
        ch.data *= 7.0
    assert np.allclose(profile(*preprocess(louder)), profile(eeg, emg), atol=1e-3)
    eeg_only = profile(eeg, None)
    assert np.isnan(eeg_only).sum() == 9 and np.isfinite(eeg_only[:-9]).all()


def test_spread_epochs_covers_a_long_recording_evenly():
    idx = spread_epochs(86_400)
    assert 1400 <= len(idx) <= 1500 and idx[0] == 0 and idx[-1] == 86_399
    assert (spread_epochs(100) == np.arange(100)).all()


def test_source_profile_matches_profile_of_the_preprocessed_arrays():
    rec = make_recording(3000)
    assert np.allclose(source_profile(EpochSource(rec)), profile(*preprocess(rec)), atol=1e-4)


def test_gate_card_round_trip_through_json_keeps_missing_channels():
    gate = LabGate.fit([np.r_[1.0, 2.0, np.nan]], [np.r_[0.0, 0.0, 0.0], np.r_[0.5, 1.0, 0.2]])
    back = LabGate.from_card(json.loads(json.dumps(gate.to_card())))
    assert np.isnan(back.lab[0, 2]) and np.allclose(back.training, gate.training, atol=1e-4)
    assert back.matches(np.r_[1.0, 2.0, 5.0]) and not back.matches(np.r_[0.1, 0.1, 0.1])
    assert LabGate.from_card(None) is None and LabGate.from_card({"version": 99}) is None


def test_profile_adds_the_parent_models_tokens_and_marks_a_missing_channel():
    enc = token_encoder(_model("parent").module)
    eeg, emg = preprocess(make_recording(60))
    full, eeg_only = profile(eeg, emg, enc), profile(eeg, None, enc)
    assert len(full) == 51 + 4 * enc.dim and np.isfinite(full).all()
    assert np.isnan(eeg_only[-2 * enc.dim:]).all() and np.isfinite(eeg_only[51:51 + 2 * enc.dim]).all()


def _model(name: str, gate: dict | None = None, parent: LoadedModel | None = None) -> LoadedModel:
    wrapped = LoadedModel.wrap(build_model("sdreamer-seq", **TINY))
    card = dict(wrapped.card, name=name, lab_gate=gate)
    return LoadedModel(wrapped.module, card, parent=parent)


@pytest.mark.parametrize("like_lab", [True, False])
def test_a_gated_model_scores_its_lab_and_sends_other_recordings_to_its_parent(like_lab):
    lab_rec, other_rec = make_recording(200, seed=1), make_recording(200, seed=2, emg=True)
    for ch in other_rec.channels:  # another lab: a strong 60 Hz mains line on every channel
        ch.data += 20.0 * np.sin(2 * np.pi * 60 * np.arange(len(ch.data)) / ch.rate)
    parent = _model("parent")
    enc = token_encoder(parent.module)
    gate = LabGate.fit([profile(*preprocess(lab_rec), enc)], [profile(*preprocess(other_rec), enc)])
    tuned = _model("tuned", gate.to_card(), parent)
    result = score(lab_rec if like_lab else other_rec, tuned, device="cpu")
    assert result.model_name == ("tuned" if like_lab else "parent")
    assert any("parent model 'parent'" in w for w in result.warnings) != like_lab


def test_lab_gate_can_be_ignored_at_scoring_time():
    lab_rec, other_rec = make_recording(200, seed=1), make_recording(200, seed=2)
    for ch in other_rec.channels:
        ch.data += 20.0 * np.sin(2 * np.pi * 60 * np.arange(len(ch.data)) / ch.rate)
    parent = _model("parent")
    enc = token_encoder(parent.module)
    gate = LabGate.fit([profile(*preprocess(lab_rec), enc)], [profile(*preprocess(other_rec), enc)])
    tuned = _model("tuned", gate.to_card(), parent)
    result = score(other_rec, tuned, device="cpu", lab_gate=False)
    assert result.model_name == "tuned" and not result.warnings


def test_a_spectral_models_fingerprint_is_its_feature_percentiles(shipped_model):
    """Release 8 found the gate fingerprint of spectral models took an FFT of the feature
    vector (v2), and fresh animals of the corrected lab were sent to the parent (0 of 8).
    v3 describes the features themselves; a v2 gate stored in an older card is still read
    and compared with the v2 fingerprint it was fitted on."""
    from sleepscorer_model.preprocess import PreprocessConfig
    from sleepscorer_model.spectral import SpectralSource

    cfg = PreprocessConfig(**shipped_model.card["preprocessing"])
    source = SpectralSource(make_recording(600), cfg)
    eeg, emg = source.channels["eeg"], source.channels["emg"]
    enc = token_encoder(shipped_model.module)
    v3, v2 = profile(eeg, emg, enc), profile(eeg, emg, enc, version=2)
    n_eeg, n_emg = eeg.shape[1], emg.shape[1]
    assert len(v3) == 3 * (n_eeg + n_emg) + 4 * enc.dim and np.isfinite(v3).all()
    assert np.allclose(v3[:3 * n_eeg], np.percentile(eeg[spread_epochs(len(eeg))], (20, 50, 80), axis=0).ravel())
    assert len(v2) == 51 + 4 * enc.dim
    assert len(profile(eeg, None, enc)) == len(v3)  # a missing channel keeps the layout
    old = {"version": 2, "lab": [[0.0] * 3], "training": [[1.0] * 3], "scale": [1.0] * 3}
    assert LabGate.from_card(old).version == 2 and LabGate.from_card(old).to_card()["version"] == 2
