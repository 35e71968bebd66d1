"""Per-recording self-training (model.self_training): the recording's own confident epochs
settle its hesitant ones; it never overrides a person, never touches unusable signal, and
leaves a file whose seeds hold one state alone."""

from __future__ import annotations

import numpy as np
import pytest
from safetensors import safe_open
from sleepscorer_model.inference import score
from sleepscorer_model.self_training import recording_features, self_trained
from sleepscorer_model.weights import load_model, with_reading

from sleepscorer.errors import ModelError

from .conftest import make_recording


def two_state_spectra(n: int = 600, seed: int = 0) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Unscaled front-end spectra of a mouse alternating 60-s bouts of Wake (little delta,
    high tone) and NREM (strong delta, low tone); returns (raw, truth)."""
    rng = np.random.default_rng(seed)
    truth = (np.arange(n) // 60) % 2
    freqs = 0.5 * np.arange(1, 81)
    eeg = -np.log10(freqs)[None, :] + 0.15 * rng.standard_normal((n, 80))
    eeg[truth == 1] += np.where(freqs < 4, 1.0, 0.0)
    emg = 0.15 * rng.standard_normal((n, 12)) + np.where(truth == 0, 0.8, 0.0)[:, None]
    return {"eeg": eeg.astype(np.float32), "emg": emg.astype(np.float32)}, truth


def network_guess(truth: np.ndarray, hesitant: np.ndarray) -> np.ndarray:
    """Confident and right (0.9) except on `hesitant` epochs, where it leans wrong (0.45/0.55)."""
    p = np.full((len(truth), 3), 0.05)
    p[np.arange(len(truth)), truth] = 0.9
    p[hesitant] = 0.0
    p[hesitant, truth[hesitant]] = 0.45
    p[hesitant, 1 - truth[hesitant]] = 0.55
    return p / p.sum(1, keepdims=True)


def test_hesitant_epochs_follow_the_recordings_own_clear_epochs():
    raw, truth = two_state_spectra()
    hesitant = np.arange(5, 600, 7)
    p = network_guess(truth, hesitant)
    assert (p.argmax(1)[hesitant] != truth[hesitant]).all()
    out = self_trained(p, raw, 0.5)
    assert (out.argmax(1)[hesitant] == truth[hesitant]).mean() > 0.9
    assert (out.argmax(1) == truth).mean() > 0.98
    assert np.allclose(out.sum(1), 1, atol=1e-5)


def test_a_file_of_one_state_is_left_to_the_network():
    raw, truth = two_state_spectra()
    p = network_guess(np.zeros_like(truth), np.arange(0, 600, 9))
    assert np.array_equal(self_trained(p, raw, 0.5), p)


def test_a_persons_labels_teach_it_and_unusable_epochs_keep_the_network():
    raw, truth = two_state_spectra()
    p = np.full((600, 3), 1 / 3)  # the network is sure of nothing: only the person teaches
    assert np.array_equal(self_trained(p, raw, 0.5), p)
    person = np.where(np.arange(600) % 10 == 0, truth, -1)
    usable = np.ones(600, bool)
    usable[:60] = False
    out = self_trained(p, raw, 0.5, usable=usable, person=person)
    assert np.array_equal(out[:60], p[:60])
    assert (out.argmax(1)[60:] == truth[60:]).mean() > 0.95


def test_features_are_the_tree_references_from_the_front_ends_spectra():
    raw, _ = two_state_spectra(100)
    x = recording_features(raw)
    assert x.shape == (100, 34) and np.isfinite(x).all()
    assert recording_features({"eeg": raw["eeg"]}).shape == (100, 32)


@pytest.fixture(scope="module")
def self_training_model(tmp_path_factory, shipped_model):
    out = tmp_path_factory.mktemp("st") / "st.safetensors"
    with_reading(shipped_model.path, out, self_training=0.5)
    return load_model(out)


def test_with_reading_keeps_the_tensors_and_never_overwrites(shipped_model, self_training_model,
                                                             tmp_path):
    assert self_training_model.card["preprocessing"]["self_training"] == 0.5
    assert self_training_model.card["weights_sha256"] == shipped_model.card["weights_sha256"]
    with safe_open(str(self_training_model.path), "pt") as a, safe_open(str(shipped_model.path), "pt") as b:
        assert all(a.get_tensor(k).equal(b.get_tensor(k)) for k in b.keys())  # noqa: SIM118
    with pytest.raises(ModelError, match="overwrite"):
        with_reading(shipped_model.path, shipped_model.path, self_training=0.5)
    with pytest.raises(ModelError, match="not a reading setting"):
        with_reading(shipped_model.path, tmp_path / "x.safetensors", self_trainng=0.5)


def test_eeg_only_scoring_is_not_self_trained(shipped_model, self_training_model):
    rec = make_recording(n_epochs=300, stages=np.repeat(np.arange(10) % 3, 30))
    plain = score(rec, shipped_model, device="cpu", modality="eeg")
    trained = score(rec, self_training_model, device="cpu", modality="eeg")
    assert np.array_equal(plain.probabilities, trained.probabilities)
    both = score(rec, self_training_model, device="cpu", modality="both")
    assert both.probabilities.shape == plain.probabilities.shape



def test_seeds_come_from_the_decoded_labels_when_given():
    raw, truth = two_state_spectra()
    p = network_guess(truth, np.arange(5, 600, 7))
    wrong = np.arange(0, 600, 3)[truth[np.arange(0, 600, 3)] == 0][:60]  # Wake given confident NREM
    p[wrong] = [0.05, 0.9, 0.05]
    decoded = np.eye(3)[truth] * 0.9 + 0.1 / 3  # what a sequence decoding made of it
    taught_wrong = self_trained(p, raw, 0.5).argmax(1)
    taught_right = self_trained(p, raw, 0.5, decoded=decoded).argmax(1)
    assert (taught_right == truth).mean() > (taught_wrong == truth).mean()
    assert (taught_right == truth).mean() > 0.95


def test_labels_that_cut_one_state_in_two_agree_less_with_the_recordings_own_features():
    """The criterion that chooses the mixture scaling (model.reading._best_composition): a
    scaling that calls the quieter half of Wake NREM splits one cloud of epochs, and the
    recording's discriminant disagrees along the cut."""
    from sleepscorer_model.self_training import own_agreement

    raw, truth = two_state_spectra()
    right = np.eye(3)[truth] * 0.9 + 0.05
    tone = raw["emg"][:, :8].mean(1)
    quiet_wake = (truth == 0) & (tone < np.median(tone[truth == 0]))
    cut = np.eye(3)[np.where(quiet_wake, 1, truth)] * 0.9 + 0.05
    x = recording_features(raw)
    assert own_agreement(x, right) > 0.98
    assert own_agreement(x, cut) < own_agreement(x, right) - 0.02
    assert own_agreement(x, np.eye(3)[np.zeros(600, int)]) is None  # one state: no verdict


def test_a_file_almost_all_one_state_is_not_marked_down_for_its_imbalance():
    """Judged with equal priors, a right labelling of a file 95 % Wake lost to one that cut
    its Wake in two (simulated 1.5-h animals 95-96 % Wake fell to 0.31 and 0.26 that way):
    the criterion takes each state's share of the seeds as its prior."""
    from sleepscorer_model.self_training import (
        SEED_CONFIDENCE,
        discriminant_probabilities,
        own_agreement,
    )

    rng = np.random.default_rng(0)
    truth = np.zeros(600, int)
    truth[100:130] = 1  # 5 % NREM
    active = ((np.arange(600) // 40) % 2 == 0) & (truth == 0)  # active and quiet Wake
    freqs = 0.5 * np.arange(1, 81)
    eeg = -np.log10(freqs)[None, :] + 1.5 * rng.standard_normal((600, 80))
    eeg[truth == 1] += np.where(freqs < 4, 0.5, 0.0)
    emg = 1.5 * rng.standard_normal((600, 12)) + (0.5 * (truth == 0) + 0.6 * active)[:, None]
    raw = {"eeg": eeg.astype(np.float32), "emg": emg.astype(np.float32)}
    right = np.eye(3)[truth] * 0.9 + 0.05
    cut = np.eye(3)[np.where((truth == 0) & ~active, 1, truth)] * 0.9 + 0.05
    seeds = right.argmax(1)
    x = recording_features(raw)
    equal = discriminant_probabilities(x, seeds, 3)
    assert SEED_CONFIDENCE <= 0.9 and np.mean(equal.argmax(1) == truth) < 0.92  # equal priors
    assert own_agreement(x, right) > 0.97
    assert own_agreement(x, cut) < own_agreement(x, right) - 0.1
