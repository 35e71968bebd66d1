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


def test_f1_of_a_state_only_one_side_holds_is_undefined_not_zero():
    a = Hypnogram.from_arrays([W, W, N, N, N, N])
    b = Hypnogram.from_arrays([W, W, N, N, R, R])  # REM only in B: precision 0, recall undefined
    c = compare(a, b)
    assert np.isnan(c.f1[R]) and c.precision[R] == 0.0 and np.isnan(c.recall[R])
    assert "REM n/a (only in B: 2 epochs)" in format_comparison(c)
    back = compare(b, a)  # REM only in the reference: recall 0, precision undefined
    assert np.isnan(back.f1[R]) and back.recall[R] == 0.0 and np.isnan(back.precision[R])
    assert "REM n/a (only in A: 2 epochs)" in format_comparison(back)
    neither = compare(a, a, states=(W, N, R))
    assert np.isnan(neither.f1[R]) and "REM n/a (in neither)" in format_comparison(neither)
    assert c.as_dict()["f1"]["REM"] is None and c.as_dict()["recall"]["REM"] is None
    assert c.as_dict()["precision"]["REM"] == 0.0 and c.f1[W] == 1.0  # defined ones stay


def test_a_selection_maps_labelled_epochs_of_any_length_onto_the_compared_ones():
    from sleepscorer.core.compare import select_epochs
    from sleepscorer.hypnogram import Source

    corrections = Hypnogram.from_arrays(np.full(10, Stage.NREM, np.int8), 4.0, source=Source.MODEL)
    corrections.sources[2] = Source.EXPERT  # seconds 8-12
    sel = select_epochs(40, 1.0, 4, 20, corrections, "c.csv")  # 1-s epochs 4-19, less 8-11
    assert (sel.first, sel.last, sel.n_excluded) == (4, 19, 4)
    assert sel.describe() == "epochs 4-19 less 4 a person labelled in c.csv (12 of 40)"
    fine = Hypnogram.from_arrays(np.full(40, Stage.NREM, np.int8), 1.0, source=Source.MODEL)
    fine.sources[9] = Source.EXPERT  # second 9 lies in the 5-s epoch 1 (5-10 s)
    sel = select_epochs(8, 5.0, 2.5, None, fine)  # whole 5-s epochs from 2.5 s: 1-7
    assert (sel.first, sel.last, int(sel.mask.sum())) == (1, 7, 6) and not sel.mask[1]
    a = Hypnogram.from_arrays(np.repeat([Stage.WAKE, Stage.NREM], 20).astype(np.int8))
    b = Hypnogram.from_arrays(np.repeat([Stage.NREM, Stage.NREM], 20).astype(np.int8))
    c = compare(a, b, selection=select_epochs(40, 1.0, 20, None))
    assert c.n_compared == 20 and c.agreement == 1.0 and c.as_dict()["epochs"]["selected"] == 20
