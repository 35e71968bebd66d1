"""HMM decoding with real expert hypnograms' bout lengths and transitions (model.decoding)."""

from __future__ import annotations

import numpy as np
import pytest
from sleepscorer_model.decoding import SequencePrior, smooth, transition_matrix

from sleepscorer.stages import MODEL_CLASSES_3, MODEL_CLASSES_4, Stage, runs

W, N, R = 0, 1, 2


def brute_force(p: np.ndarray, a: np.ndarray, sharpness: float) -> np.ndarray:
    e = np.clip(p, 1e-6, 1.0) ** sharpness  # as smooth() does
    e /= e.sum(1, keepdims=True)
    alpha = np.zeros_like(e)
    alpha[0] = e[0] / e[0].sum()
    for t in range(1, len(e)):
        alpha[t] = (alpha[t - 1] @ a) * e[t]
        alpha[t] /= alpha[t].sum()
    beta = np.ones_like(e)
    for t in range(len(e) - 2, -1, -1):
        beta[t] = a @ (e[t + 1] * beta[t + 1])
        beta[t] /= beta[t].sum()
    post = alpha * beta
    return post / post.sum(1, keepdims=True)


@pytest.mark.parametrize("n", [1, 2, 3, 17, 1000, 1031])
def test_blocked_decoding_equals_the_textbook_recursion(n):
    p = np.random.default_rng(n).dirichlet([0.5, 0.5, 0.5], size=n)
    a = transition_matrix(MODEL_CLASSES_3)
    assert np.allclose(smooth(p, MODEL_CLASSES_3), brute_force(p, a, SequencePrior().sharpness), atol=1e-5)


def test_transitions_follow_mssv_and_forbid_wake_to_rem():
    a = transition_matrix(MODEL_CLASSES_3)
    assert np.allclose(a.sum(1), 1.0)
    assert a[W, R] == 0.0 and a[N, R] > 0 and a[R, W] > 0
    mean_bout_s = 1.0 / (1.0 - np.diag(a))
    assert 60 < mean_bout_s[W] < 300 and 60 < mean_bout_s[N] < 300 and 30 < mean_bout_s[R] < 200
    assert transition_matrix(MODEL_CLASSES_3, SequencePrior(allow_wake_to_rem=True))[W, R] > 0
    four = transition_matrix(MODEL_CLASSES_4)  # MA is not in the hypnograms: neutral, still stochastic
    assert np.allclose(four.sum(1), 1.0) and (four >= 0).all()


def probabilities(spans: list[tuple[int, int, float]]) -> np.ndarray:
    """Rows favouring `stage` with probability `p` for `length` epochs, rest shared evenly."""
    rows = []
    for stage, length, p in spans:
        row = np.full(3, (1 - p) / 2)
        row[stage] = p
        rows.append(np.repeat(row[None], length, 0))
    return np.concatenate(rows)


def test_an_unsure_flicker_goes_and_a_clear_microarousal_stays():
    unsure = probabilities([(N, 120, 0.9), (W, 2, 0.55), (N, 120, 0.9)])
    assert (smooth(unsure, MODEL_CLASSES_3).argmax(1) == N).all()
    clear = probabilities([(N, 120, 0.9), (W, 8, 0.97), (N, 120, 0.9)])
    out = smooth(clear, MODEL_CLASSES_3).argmax(1)
    assert (out[121:127] == W).all() and (out[:115] == N).all() and (out[-115:] == N).all()


def test_rem_straight_from_wake_is_not_decoded_unless_allowed():
    """The HMM forbids the Wake -> REM step (it may bridge it with a second of NREM, which
    the REM rule then rejects: `score` applies both, see the last test)."""
    p = probabilities([(W, 200, 0.9), (R, 60, 0.6), (N, 100, 0.9)])
    out = smooth(p, MODEL_CLASSES_3).argmax(1)
    assert not ((out[:-1] == W) & (out[1:] == R)).any()
    allowed = smooth(p, MODEL_CLASSES_3, SequencePrior(allow_wake_to_rem=True)).argmax(1)
    assert (allowed[210:250] == R).all()


def test_decoded_bouts_are_longer_and_scoring_uses_them(shipped_model):
    from sleepscorer_model.data import stages_to_classes
    from sleepscorer_model.inference import score
    from sleepscorer_model.simulation import simulate_recording

    rec, hyp = simulate_recording(1800.0, rate=512.0, seed=31, lab="lab_d")
    raw = score(rec, shipped_model, device="cpu", sequence_prior=None)
    decoded = score(rec, shipped_model, device="cpu")
    # self-training (release 12) smooths the network's own reading too (its features carry 5-s
    # means), so on this animal both have its 33 bouts; the decoding must never add any
    assert len(runs(decoded.stages)[0]) <= len(runs(raw.stages)[0])
    truth = stages_to_classes(hyp.stages)
    n = min(len(truth), len(decoded.stages))
    acc = {k: float((stages_to_classes(r.stages[:n]) == truth[:n]).mean())
           for k, r in (("raw", raw), ("decoded", decoded))}
    assert acc["decoded"] >= acc["raw"] - 0.01, acc
    wake_then_rem = (decoded.stages[:-1] == Stage.WAKE) & (decoded.stages[1:] == Stage.REM)
    assert not wake_then_rem.any()
