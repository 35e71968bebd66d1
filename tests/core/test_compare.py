import numpy as np

from sleepscorer.core.compare import compare, disagreements, format_comparison
from sleepscorer.hypnogram import Hypnogram
from sleepscorer.stages import Stage

W, N, R, U = Stage.WAKE, Stage.NREM, Stage.REM, Stage.UNSCORED


def test_agreement_kappa_f1_and_confusion():
    a = Hypnogram.from_arrays([W, W, W, N, N, N, R, R, U, W])
    b = Hypnogram.from_arrays([W, W, N, N, N, N, R, W, W, U])
    c = compare(a, b)
    assert c.n_compared == 8 and c.n_left_out == 2
    assert c.states == (W, N, R)
    assert c.confusion.tolist() == [[2, 1, 0], [0, 3, 0], [1, 0, 1]]
    assert abs(c.agreement - 6 / 8) < 1e-12
    po, pe = 6 / 8, (3 * 3 + 3 * 4 + 2 * 1) / 64
    assert abs(c.kappa - (po - pe) / (1 - pe)) < 1e-12
    assert abs(c.f1[N] - 2 * 0.75 * 1.0 / 1.75) < 1e-12 and abs(c.f1[R] - 2 / 3) < 1e-12
    assert "Cohen's kappa" in format_comparison(c)
    assert disagreements(a, b).tolist() == [False, False, True, False, False, False, False,
                                            True, False, False]


def test_identical_scorings_and_coarser_epochs():
    stages = np.repeat([W, N, R, N], 10)
    a = Hypnogram.from_arrays(stages)
    c = compare(a, Hypnogram.from_arrays(stages))
    assert c.agreement == 1.0 and c.kappa == 1.0 and all(v == 1.0 for v in c.f1.values())
    coarse = Hypnogram.from_arrays(np.repeat([W, N, W, N], 2), epoch_length=5.0)
    c = compare(a, coarse)
    assert c.n_compared == 8 and c.confusion.sum() == 8
    mask = disagreements(a, coarse)
    assert len(mask) == 40 and mask[20:30].all() and not mask[:20].any()
