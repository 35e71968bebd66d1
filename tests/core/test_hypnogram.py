import numpy as np
import pytest

from sleepscorer.hypnogram import Hypnogram, Source
from sleepscorer.stages import MODEL_CLASSES_3, Stage


def test_undo_redo_unlimited():
    hyp = Hypnogram(500)
    for i in range(400):
        hyp.set_stage(i, i + 1, Stage(i % 3))
    for _ in range(400):
        assert hyp.undo() is not None
    assert not hyp.can_undo and (hyp.stages == Stage.UNSCORED).all()
    for _ in range(400):
        hyp.redo()
    assert [int(s) for s in hyp.stages[:6]] == [0, 1, 2, 0, 1, 2]
    assert (hyp.sources[:400] == Source.EXPERT).all()


def test_new_edit_clears_redo_and_listeners_hear_changes():
    hyp = Hypnogram(10)
    heard = []
    hyp.add_listener(lambda a, b: heard.append((a, b)))
    hyp.set_stage(2, 5, Stage.NREM)
    hyp.undo()
    hyp.set_stage(0, 1, Stage.REM)
    assert not hyp.can_redo and heard == [(2, 5), (2, 5), (0, 1)]


def test_history_listeners_hear_each_step_and_a_rewritten_history():
    hyp = Hypnogram(50)
    heard = []
    hyp.add_history_listener(lambda step, edit: heard.append((step, edit and edit.start)))
    hyp.set_stage(5, 8, Stage.REM)  # typed while the model scores
    hyp.apply_model(np.tile([0.8, 0.1, 0.1], (50, 1)), MODEL_CLASSES_3)  # first: no step
    hyp.undo()
    hyp.redo()
    assert heard == [("do", 5), ("do", 0), ("reset", None), ("undo", 5), ("redo", 5)]
    undo, redo = hyp.history()
    labels = hyp.stages.copy()
    hyp.set_history([])
    assert not hyp.can_undo and heard[-1] == ("reset", None)
    hyp.set_history(undo, redo)  # as kept elsewhere; the labels are not touched
    assert hyp.history() == (undo, redo) and np.array_equal(hyp.stages, labels)


def test_apply_model_keeps_expert_labels():
    hyp = Hypnogram(4)
    hyp.set_stage(1, 2, Stage.REM)
    probs = np.array([[0.9, 0.05, 0.05]] * 4, dtype=np.float32)
    hyp.apply_model(probs, MODEL_CLASSES_3)
    assert list(hyp.stages) == [Stage.WAKE, Stage.REM, Stage.WAKE, Stage.WAKE]
    assert list(hyp.sources) == [Source.MODEL, Source.EXPERT, Source.MODEL, Source.MODEL]
    assert np.isnan(hyp.confidence[1]) and hyp.confidence[0] == pytest.approx(0.9)
    hyp.apply_model(probs, MODEL_CLASSES_3, overwrite_person=True)
    assert hyp.stages[1] == Stage.WAKE


def test_labels_typed_during_the_first_scoring_undo_one_by_one():
    """Session 14's trial: labels typed while the first scoring ran, then Ctrl+Z, took back
    the whole scoring (297 of 300 epochs Unscored) instead of the last label."""
    hyp = Hypnogram(6)
    hyp.set_stage(1, 2, Stage.REM)
    hyp.set_stage(2, 3, Stage.NREM)
    hyp.apply_model(np.array([[0.9, 0.05, 0.05]] * 6, np.float32), MODEL_CLASSES_3)
    assert list(hyp.stages) == [Stage.WAKE, Stage.REM, Stage.NREM, Stage.WAKE, Stage.WAKE, Stage.WAKE]
    assert hyp.undo().description == "NREM for epoch 2"  # the last label, not the scoring
    assert hyp.stages[2] == Stage.WAKE and hyp.sources[2] == Source.MODEL  # the model's, as if first
    hyp.undo()
    assert (hyp.stages == Stage.WAKE).all() and (hyp.sources == Source.MODEL).all()
    assert not hyp.can_undo
    hyp.redo()
    hyp.redo()
    assert hyp.stages[1] == Stage.REM and hyp.stages[2] == Stage.NREM
    second = hyp.apply_model(np.array([[0.05, 0.9, 0.05]] * 6, np.float32), MODEL_CLASSES_3)
    assert second is not None and hyp.undo() is second  # a re-scoring stays undoable


@pytest.mark.parametrize("length", [2.0, 2.5, 4.0, 5.0, 10.0])
def test_to_epoch_length_majority(length):
    one_s = np.repeat([Stage.WAKE, Stage.NREM, Stage.REM, Stage.NREM], 20)  # 80 s
    hyp = Hypnogram.from_arrays(one_s, 1.0)
    coarse = hyp.to_epoch_length(length)
    assert coarse.epoch_length == length
    assert len(coarse) == int(80 // length)
    per_block = 20 / length
    expect = np.repeat([Stage.WAKE, Stage.NREM, Stage.REM, Stage.NREM], per_block)
    np.testing.assert_array_equal(coarse.stages, expect[: len(coarse)])
    if length != 2.5:
        back = coarse.to_epoch_length(1.0)
        assert len(back) == len(coarse) * length
        np.testing.assert_array_equal(back.stages, one_s[: len(back)])


def test_from_2_5_s_back_to_1_s():
    fine = Hypnogram.from_arrays([0, 1, 2, 1], 2.5).to_epoch_length(1.0)
    # 10 s -> 10 epochs of 1 s; a 1-s epoch straddling two 2.5-s epochs takes the earlier
    assert fine.stages.tolist() == [0, 0, 0, 1, 1, 2, 2, 2, 1, 1]


def test_a_window_half_labelled_by_a_person_with_the_model_agreeing_stays_theirs():
    """Session 14's trial: two person REM seconds and two model REM seconds exported at 4 s
    as `REM,model`, so the person's work came back as model labels. With the model agreeing
    on the rest, half is the person's; against it, half stays the model's."""
    hyp = Hypnogram.from_arrays([2, 2, 2, 2, 2, 2, 1, 1], 1.0,
                                sources=np.array([1, 1, 2, 2, 1, 1, 2, 2], np.int8))
    coarse = hyp.to_epoch_length(4.0)
    assert list(coarse.sources) == [Source.EXPERT, Source.MODEL]
    assert np.isnan(coarse.confidence[0])


def test_unscored_stays_unscored():
    hyp = Hypnogram.from_arrays([-1, -1, -1, 0, -1, -1, 0, 0, 1, 1], 1.0)
    coarse = hyp.to_epoch_length(5.0)
    assert list(coarse.stages) == [Stage.UNSCORED, Stage.WAKE]
    assert coarse.sources[0] == Source.NONE


def test_bouts_and_bout_at():
    hyp = Hypnogram.from_arrays([0, 0, 1, 1, 1, 2, 0], 1.0)
    assert hyp.bouts() == [(0, 2, Stage.WAKE), (2, 5, Stage.NREM), (5, 6, Stage.REM),
                           (6, 7, Stage.WAKE)]
    assert hyp.bout_at(3) == (2, 5)
    assert Hypnogram(0).bouts() == []


def test_confirm_turns_model_labels_into_expert():
    hyp = Hypnogram(3)
    hyp.apply_model(np.array([[0.1, 0.8, 0.1]] * 2, np.float32), MODEL_CLASSES_3)
    hyp.confirm(0, 3)
    assert list(hyp.sources) == [Source.EXPERT, Source.EXPERT, Source.NONE]
    assert np.isnan(hyp.confidence[:2]).all()


def test_replace_is_one_undoable_step_over_the_changed_span():
    hyp = Hypnogram.from_arrays([0, 0, 1, 1, 2, 2], 1.0)
    before = hyp.stages.copy()
    stages = np.array([0, 2, 2, 1, 2, 2], np.int8)
    sources = np.full(6, Source.IMPORTED, np.int8)
    edit = hyp.replace(0, stages, sources, np.full(6, np.nan, np.float32), "import labels")
    assert edit is not None and (edit.start, edit.stop) == (1, 3)  # only what differs
    assert list(hyp.stages) == [0, 2, 2, 1, 2, 2] and edit.description == "import labels"
    assert hyp.replace(0, stages, sources, np.full(6, np.nan, np.float32), "again") is None
    one = hyp.replace(2, np.array([1], np.int8), np.array([Source.EXPERT], np.int8),
                      np.array([np.nan], np.float32), "one epoch")
    assert (one.start, one.stop) == (2, 3)
    hyp.undo()
    hyp.undo()
    assert np.array_equal(hyp.stages, before) and not hyp.can_undo


def test_a_snapshot_is_a_copy_without_history_or_listeners():
    import numpy as np

    from sleepscorer.hypnogram import Hypnogram, Source
    from sleepscorer.stages import Stage

    hyp = Hypnogram(10)
    hyp.add_listener(lambda a, b: None)
    hyp.set_stage(0, 4, Stage.NREM)
    hyp.probabilities = np.full((10, 3), 1 / 3, np.float32)
    copy = hyp.snapshot()
    hyp.set_stage(0, 4, Stage.REM)
    assert (copy.stages[:4] == Stage.NREM).all() and (copy.sources[:4] == Source.EXPERT).all()
    assert not copy.can_undo and not copy._listeners
    assert copy.probabilities is not hyp.probabilities
