"""Selection, navigation (N, U, D) and the edit loop of core/review.Review, without Qt."""

from __future__ import annotations

import numpy as np
import pytest

from sleepscorer.core.review import Review
from sleepscorer.hypnogram import Hypnogram, Source
from sleepscorer.stages import Stage


def model_scored(n: int = 100, low: tuple[tuple[int, int], ...] = ((10, 14), (40, 41), (70, 75))
                 ) -> Hypnogram:
    """Model-scored NREM everywhere, 0.9 confident except the `low` runs (0.3)."""
    classes = (Stage.WAKE, Stage.NREM, Stage.REM)
    probs = np.tile(np.array([0.05, 0.9, 0.05], np.float32), (n, 1))
    for a, b in low:
        probs[a:b] = (0.35, 0.3, 0.35)
    hyp = Hypnogram(n)
    hyp.apply_model(probs, classes)
    return hyp


@pytest.fixture
def review():
    r = Review(model_scored(), low_confidence=0.6)
    r.events = []
    r.on_select = lambda a, b: r.events.append(("select", a, b))
    r.on_centre = lambda t: r.events.append(("centre", t))
    r.on_reveal = lambda t0, t1: r.events.append(("reveal", t0, t1))
    r.on_message = lambda text: r.events.append(("message", text))
    return r


def test_runs_without_callbacks():
    """tests/test_layers.py keeps Qt out of core; with no callbacks set nothing is told."""
    r = Review(Hypnogram(3))
    r.select(1)
    r.next_unscored()
    assert (r.start, r.stop) == (0, 3)


def test_select_clamps_and_orders(review):
    review.select(120, 90)
    assert (review.start, review.stop) == (90, 100)
    review.select(-5)
    assert (review.start, review.stop) == (0, 1)
    assert review.events == [("select", 90, 100), ("select", 0, 1)]


def test_click_shift_click_and_drag(review):
    review.click(12.5)
    review.click(5.2, extend=True)
    assert (review.start, review.stop, review.anchor) == (5, 13, 12)
    review.drag(30.0, 33.9)
    assert (review.start, review.stop, review.anchor) == (30, 34, 30)


def test_step_extends_from_the_anchor_and_centres(review):
    review.go_to(50.0)
    review.step(+1)
    assert (review.start, review.stop) == (51, 52) and review.events[-1] == ("centre", 51.5)
    review.step(+3, extend=True)
    assert (review.start, review.stop, review.anchor) == (51, 55, 51)
    review.step(-5, extend=True)
    assert (review.start, review.stop) == (49, 52)  # from the far edge, 54 - 5
    assert review.page(+1, view=(44.5, 54.5)) == (54.5, 64.5)  # by the view, not the selection
    assert (review.start, review.stop, review.anchor) == (55, 56, 55)  # its first whole epoch
    assert review.page(-1, view=(3.0, 13.0)) == (0.0, 10.0)  # clamped at the start
    assert (review.start, review.stop) == (0, 1)


def test_next_low_confidence_stops_once_per_run_and_wraps(review):
    assert review.low_confidence_runs() == 3
    stops = []
    for _ in range(4):
        review.next_low_confidence()
        stops.append((review.start, review.stop))
    assert stops == [(10, 14), (40, 41), (70, 75), (10, 14)]
    assert review.events[-1] == ("message", "model epochs below 60% confidence: epochs 10-13 "
                                            "(run 1 of 3)")
    review.next_low_confidence(backward=True)
    assert (review.start, review.stop) == (70, 75)


def test_a_person_label_is_not_low_confidence(review):
    review.select(40)
    review.label(Stage.WAKE)
    assert review.low_confidence_runs() == 2


def test_next_unscored_and_an_empty_mask(review):
    review.next_unscored()
    assert review.events[-1] == ("message", "no unscored epochs")
    hyp = Hypnogram(20)
    hyp.set_stage(0, 5, Stage.NREM)
    hyp.set_stage(8, 20, Stage.REM)
    r = Review(hyp)
    r.next_unscored()
    assert (r.start, r.stop) == (5, 8)


def test_next_in_any_mask(review):
    mask = np.zeros(100, bool)
    mask[[3, 4, 60]] = True
    review.next_in(mask, "disagreements")
    assert (review.start, review.stop) == (3, 5)
    review.next_in(mask, "disagreements")
    assert (review.start, review.stop) == (60, 61)
    assert review.events[-1] == ("message", "disagreements: epoch 60 (run 2 of 2)")


def test_label_advances_and_reveals_without_moving_the_view(review):
    review.select(20)
    review.label(Stage.REM)
    hyp = review.hypnogram
    assert hyp.stages[20] == Stage.REM and hyp.sources[20] == Source.EXPERT
    assert (review.start, review.stop) == (21, 22)
    assert review.events[-1] == ("reveal", 21.0, 22.0)
    assert not any(e[0] == "centre" for e in review.events)
    review.select(30, 35)  # a range is labelled in place
    review.label(Stage.WAKE)
    assert (review.start, review.stop) == (30, 35)
    assert (hyp.stages[30:35] == Stage.WAKE).all()


def test_label_of_the_last_epoch_stays(review):
    review.select(99)
    review.label(Stage.REM)
    assert (review.start, review.stop) == (99, 100)


def test_confirm_undo_redo_select_what_changed(review):
    hyp = review.hypnogram
    review.select(10, 14)
    review.confirm()
    assert (hyp.sources[10:14] == Source.EXPERT).all()
    assert review.events[-1] == ("message", "confirmed epochs 10-13")
    review.confirm()
    assert review.events[-1] == ("message", "nothing to confirm in the selection")
    review.select(0)
    review.undo()
    assert (review.start, review.stop) == (10, 14) and (hyp.sources[10:14] == Source.MODEL).all()
    review.select(0)
    review.redo()
    assert (review.start, review.stop) == (10, 14) and (hyp.sources[10:14] == Source.EXPERT).all()
    review.redo()
    assert review.events[-1] == ("message", "nothing to redo")


def test_import_labels_is_one_edit_of_imported_labels(review):
    other = Hypnogram(100)
    other.set_stage(5, 9, Stage.REM)
    edit = review.import_labels(other)
    hyp = review.hypnogram
    assert (hyp.stages[5:9] == Stage.REM).all() and (hyp.sources[5:9] == Source.IMPORTED).all()
    assert (hyp.sources[9:] == Source.MODEL).all()
    assert edit is not None and np.isnan(hyp.confidence[5:9]).all()
    review.undo()
    assert (hyp.sources == Source.MODEL).all()


def test_imported_model_labels_stay_model_labels_and_never_cover_a_persons(review):
    """An exported scoring (our CSV says source=model) dropped back on the window became a
    person's labels: fine-tuning then trained on the model's own output."""
    from sleepscorer.core.review import import_parts

    hyp = review.hypnogram
    hyp.set_stage(0, 4, Stage.NREM)  # an expert's corrections (set_stage: a person's edit)
    other = Hypnogram.from_arrays(np.full(len(hyp), Stage.REM, np.int8), source=Source.MODEL)
    other.confidence[:] = 0.7
    other.set_stage(50, 52, Stage.WAKE)  # and two epochs a person set in the imported file
    person, model = import_parts(hyp, other)
    assert person.sum() == 2 and model.sum() == len(hyp) - 6
    review.import_labels(other)
    assert (hyp.stages[:4] == Stage.NREM).all() and (hyp.sources[:4] == Source.EXPERT).all()
    assert (hyp.stages[4:50] == Stage.REM).all() and (hyp.sources[4:50] == Source.MODEL).all()
    assert np.allclose(hyp.confidence[4:50], 0.7)
    assert (hyp.sources[50:52] == Source.IMPORTED).all()


def test_a_first_scoring_is_not_an_undo_step():
    """A Ctrl+Z too many (after a failed import) emptied every label: the first automatic
    scoring, which replaced nothing, was on the undo stack. A re-scoring still is."""
    hyp = Hypnogram(20)
    probs = np.eye(3, dtype=np.float32)[np.arange(20) % 3]
    hyp.apply_model(probs, (Stage.WAKE, Stage.NREM, Stage.REM))
    assert not hyp.can_undo and (hyp.sources == Source.MODEL).all()
    hyp.apply_model(probs[::-1].copy(), (Stage.WAKE, Stage.NREM, Stage.REM))
    assert hyp.can_undo


def test_go_to_past_the_end_says_so(review):
    """Session 14's review trial: Ctrl+G to 2:00:00 on a 5-min file landed on the last epoch
    without a word."""
    end = review.n_epochs * review.epoch_length
    review.go_to(end + 100.0)
    assert (review.start, review.stop) == (review.n_epochs - 1, review.n_epochs)
    assert review.events[-1] == ("message", f"{end + 100.0:g} s is past the end of the recording "
                                            f"({end:g} s): went to its last epoch")
    review.go_to(3.0)
    assert review.events[-1][0] == "centre"  # an ordinary go-to says nothing


def test_undoing_an_import_does_not_select_the_whole_recording():
    """A user trial: undoing an import of a 30-min file selected epochs 0-1799, and the next
    key (`1`) made all 1800 of them expert Wake at once."""
    r = Review(model_scored(1800), low_confidence=0.6)
    messages = []
    r.on_message = messages.append
    other = Hypnogram.from_arrays(np.full(1800, Stage.NREM))  # a person's labels, all NREM
    r.hypnogram.set_stage(895, 901, Stage.REM)  # your own few labels first
    r.import_labels(other)
    r.undo()
    assert (r.start, r.stop) == (0, 1)  # the first changed epoch, not the whole file
    assert messages[-1] == ("undone: import labels (1800 epochs changed, epochs 0-1799; the "
                            "first is selected)")
    r.undo()  # a small edit is still selected whole, so the view follows it
    assert (r.start, r.stop) == (895, 901) and messages[-1] == "undone: REM for epochs 895-900"
