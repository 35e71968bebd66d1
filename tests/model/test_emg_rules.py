"""The EMG rules (model.postprocess): an epoch whose EMG lies far below the recording's NREM
tone is not Wake (`atonia_to_rem`, card `preprocessing.atonia_rem`), and one whose EMG lies far
above it is not NREM (`tone_to_wake`, card `preprocessing.tone_wake`)."""

from dataclasses import replace

import numpy as np
from sleepscorer_model.inference import score
from sleepscorer_model.postprocess import ATONIA_SPAN, atonia_to_rem, tone_to_wake
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
    card's atonia rule finds most of that REM and costs Wake almost nothing. Self-training is
    off here: it finds much of that REM too (0.85 of it without the rule), and this is about
    the rule."""
    rec, hyp = simulate_recording(7200.0, rate=400.0, seed=7704, lab="lab_e", generator="alt")
    card = dict(shipped_model.card, preprocessing=dict(shipped_model.card["preprocessing"], atonia_rem=0.3,
                                                       self_training=None))
    plain = replace(shipped_model, card=dict(card, preprocessing=dict(card["preprocessing"], atonia_rem=None)))
    truth = hyp.stages
    results = {}
    for name, model in (("with", replace(shipped_model, card=card)), ("without", plain)):
        stages = score(rec, model, device="cpu").stages
        n = min(len(stages), len(truth))
        results[name] = {k: np.mean(stages[:n][truth[:n] == k] == k) for k in (Stage.WAKE, Stage.REM)}
    assert results["with"][Stage.REM] > results["without"][Stage.REM] + 0.2, results
    assert results["with"][Stage.WAKE] > results["without"][Stage.WAKE] - 0.01, results


def test_nrem_probability_moves_to_wake_with_tone_above_nrems_own_range():
    p = np.tile([[0.1, 0.8, 0.1]], (12, 1))
    labels = np.array([N] * 6 + [W] * 6)
    level = np.array([0.0, 0.05, -0.05, 0.0, 0.0, 0.0,  # NREM: median 0, width 0.1
                      0.3, 0.3, 0.3 + ATONIA_SPAN / 2, 0.3 + ATONIA_SPAN / 2, 2.0, 2.0])
    out = tone_to_wake(p, level, labels, MODEL_CLASSES_3, above=0.3)
    np.testing.assert_allclose(out[:8], p[:8])  # NREM's own tone, and just at the threshold
    np.testing.assert_allclose(out[9], [0.55, 0.4, 0.05])  # half way, held: half of NREM, REM
    np.testing.assert_allclose(out[11], [1.0, 0.0, 0.0])  # far above, held: all of them
    # a lab whose sleeping EMG wanders (10th-90th percentile about 1 decade wide) keeps that NREM
    wide = np.array([-0.5, -0.4, 0.0, 0.0, 0.4, 0.5, 0.6, 0.6, 0.8, 0.8, 0.9, 0.9])
    np.testing.assert_allclose(tone_to_wake(p, wide, labels, MODEL_CLASSES_3, 0.3), p)
    unusable = np.array([True] * 11 + [False])  # a noisy electrode is not tone
    kept = tone_to_wake(p, level, labels, MODEL_CLASSES_3, 0.3, unusable)
    np.testing.assert_allclose(kept[11], p[11])
    spike = np.zeros(12)
    spike[3] = 2.0  # one second of EMG inside NREM (a twitch) is not tone
    np.testing.assert_allclose(tone_to_wake(p, spike, labels, MODEL_CLASSES_3, 0.3), p)


def test_quiet_wake_the_network_calls_nrem_is_found_by_its_tone(shipped_model):
    """Through the app's scoring path, on a simulated animal of the alternative generator
    whose quiet wake the network calls NREM although its EMG lies 0.5 decades above NREM's
    (lab_d, 1000 Hz, seed 8708, measured: accuracy 0.808 without the rule, 0.834 with it;
    Wake recall 0.728 and 0.768, NREM 0.983 both): the tone rule gives back part of that Wake
    and costs NREM nothing."""
    rec, hyp = simulate_recording(7200.0, rate=1000.0, seed=8708, lab="lab_d", generator="alt")
    pre = shipped_model.card["preprocessing"]
    results = {}
    for name, value in (("with", 0.3), ("without", None)):
        card = dict(shipped_model.card, preprocessing=dict(pre, tone_wake=value))
        model = replace(shipped_model, card=card)
        stages = score(rec, model, device="cpu").stages
        n = min(len(stages), len(hyp.stages))
        truth = hyp.stages[:n]
        results[name] = {k: np.mean(stages[:n][truth == k] == k) for k in (Stage.WAKE, Stage.NREM)}
    assert results["with"][Stage.WAKE] > results["without"][Stage.WAKE] + 0.03, results
    assert results["with"][Stage.NREM] > results["without"][Stage.NREM] - 0.01, results


def test_the_emg_rules_can_be_turned_off_for_rem_without_atonia(shipped_model):
    """`score(emg_rules=False)` (CLI --no-emg-rules, the app's "REM may keep muscle tone") reads
    the recording as a card without the atonia and tone rules would, and the default uses them:
    a lab studying REM sleep behaviour disorder must be able to keep REM with tone."""
    rec, _ = simulate_recording(3600.0, rate=400.0, seed=7704, lab="lab_e", generator="alt")
    pre = shipped_model.card["preprocessing"]
    assert pre["atonia_rem"] is not None and pre["tone_wake"] is not None
    plain = replace(shipped_model, card=dict(shipped_model.card, preprocessing=dict(
        pre, atonia_rem=None, tone_wake=None)))
    off = score(rec, shipped_model, device="cpu", emg_rules=False).probabilities
    np.testing.assert_allclose(off, score(rec, plain, device="cpu").probabilities, atol=1e-6)
    on = score(rec, shipped_model, device="cpu").probabilities
    assert (on.argmax(1) != off.argmax(1)).sum() > 50  # its REM atonia moves labels by default
