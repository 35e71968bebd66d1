"""The atonia rule (model.postprocess.atonia_to_rem, card `preprocessing.atonia_rem`): an epoch
whose EMG lies far below the recording's NREM tone is not Wake."""

from dataclasses import replace

import numpy as np
from sleepscorer_model.inference import score
from sleepscorer_model.postprocess import ATONIA_SPAN, atonia_to_rem
from sleepscorer_model.simulation import simulate_recording

from sleepscorer.stages import MODEL_CLASSES_3, Stage

W, N, R = 0, 1, 2


def test_wake_probability_moves_to_rem_with_the_depth_of_atonia():
    p = np.tile([[0.8, 0.1, 0.1]], (6, 1))
    labels = np.array([N, N, N, W, W, W])
    level = np.array([0.0, 0.0, 0.0, -0.3, -0.3 - ATONIA_SPAN / 2, -1.0])  # NREM median 0
    out = atonia_to_rem(p, level, labels, MODEL_CLASSES_3, below=0.3)
    np.testing.assert_allclose(out[:3], p[:3])  # at NREM's tone: nothing moves
    np.testing.assert_allclose(out[3], p[3])  # just at the threshold: nothing yet
    np.testing.assert_allclose(out[4], [0.4, 0.1, 0.5])  # half way: half of P(Wake)
    np.testing.assert_allclose(out[5], [0.0, 0.1, 0.9])  # deep atonia: all of it
    assert np.allclose(out.sum(1), 1.0) and out is not p
    flat = np.array([True] * 5 + [False])  # a flat electrode is not atonia
    np.testing.assert_allclose(atonia_to_rem(p, level, labels, MODEL_CLASSES_3, 0.3, flat)[5], p[5])
    no_sleep = np.full(6, W)  # no NREM level to compare with
    np.testing.assert_allclose(atonia_to_rem(p, level, no_sleep, MODEL_CLASSES_3, 0.3), p)


def test_rem_the_network_calls_wake_is_found_by_its_atonia(shipped_model):
    """Through the app's scoring path, on a simulated animal of the alternative generator
    whose REM the network calls Wake although its EMG lies 0.5 decades below NREM's
    (lab_e, 400 Hz, seed 7704: REM F1 0.69 without the rule, 0.91 with it, measured): the
    card's atonia rule finds most of that REM and costs Wake almost nothing."""
    rec, hyp = simulate_recording(7200.0, rate=400.0, seed=7704, lab="lab_e", generator="alt")
    card = dict(shipped_model.card, preprocessing=dict(shipped_model.card["preprocessing"], atonia_rem=0.3))
    plain = replace(shipped_model, card=dict(card, preprocessing=dict(card["preprocessing"], atonia_rem=None)))
    truth = hyp.stages
    results = {}
    for name, model in (("with", replace(shipped_model, card=card)), ("without", plain)):
        stages = score(rec, model, device="cpu").stages
        n = min(len(stages), len(truth))
        results[name] = {k: np.mean(stages[:n][truth[:n] == k] == k) for k in (Stage.WAKE, Stage.REM)}
    assert results["with"][Stage.REM] > results["without"][Stage.REM] + 0.2, results
    assert results["with"][Stage.WAKE] > results["without"][Stage.WAKE] - 0.01, results
