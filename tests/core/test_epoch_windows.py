"""sleepscorer.epoch_windows: the one rule that turns 1-s labels into longer epochs."""

import numpy as np
import pytest

from sleepscorer.hypnogram import Hypnogram, Source
from sleepscorer.io.labels import write_labels_csv
from sleepscorer.stages import MODEL_CLASSES_3, Stage

W, N, R = Stage.WAKE, Stage.NREM, Stage.REM


def _model(probabilities) -> Hypnogram:
    p = np.asarray(probabilities, np.float32)
    hyp = Hypnogram(len(p), 1.0)
    hyp.apply_model(p, MODEL_CLASSES_3)
    return hyp


def test_a_50_50_window_takes_the_mean_probability_not_the_mean_confidence(tmp_path):
    """The user trial's window: NREM, NREM, Wake, Wake, each ~0.997 sure. The majority vote
    with its tie-break wrote NREM at 0.997; the mean probabilities say Wake at ~0.50."""
    nrem, wake = [0.002, 0.997, 0.001], [0.9975, 0.002, 0.0005]
    out = _model([nrem, nrem, wake, wake]).to_epoch_length(4.0)
    assert Stage(out.stages[0]) is W and Source(out.sources[0]) is Source.MODEL
    assert out.confidence[0] == pytest.approx(0.49975, abs=1e-5)
    np.testing.assert_allclose(out.probabilities[0], [0.49975, 0.4995, 0.00075], atol=1e-6)
    path = tmp_path / "four.csv"
    write_labels_csv(out, path)
    lines = path.read_text().splitlines()
    assert lines[0] == "epoch,onset_s,duration_s,stage,confidence,source,p_Wake,p_NREM,p_REM"
    assert lines[1].startswith("0,0,4,Wake,0.4997")


def test_an_exact_tie_of_mean_probabilities_goes_to_the_class_listed_first():
    out = _model([[0, 1, 0], [0, 1, 0], [1, 0, 0], [1, 0, 0]]).to_epoch_length(4.0)
    assert Stage(out.stages[0]) is W and out.confidence[0] == pytest.approx(0.5)


def test_without_probabilities_the_confidence_is_the_share_sure_of_the_stage():
    hyp = Hypnogram.from_arrays([N, N, W, W], 1.0, source=Source.MODEL,
                                confidence=np.full(4, 0.997, np.float32))
    out = hyp.to_epoch_length(4.0)  # majority tie: the stage first in time
    assert Stage(out.stages[0]) is N and out.confidence[0] == pytest.approx(0.4985)
    assert out.probabilities is None


def test_a_persons_window_is_their_majority_and_a_tie_the_stage_first_in_time():
    hyp = _model([[0.9, 0.05, 0.05]] * 8)  # the model says Wake throughout
    hyp.set_stage(0, 2, R)
    hyp.set_stage(2, 4, N)  # all four: the person's, a tie -> REM (first)
    hyp.set_stage(4, 7, N)  # three of four: NREM, the person's
    out = hyp.to_epoch_length(4.0)
    assert [Stage(s) for s in out.stages] == [R, N]
    assert [Source(s) for s in out.sources] == [Source.EXPERT, Source.EXPERT]
    assert np.isnan(out.confidence).all()
    np.testing.assert_allclose(out.probabilities, [[0.9, 0.05, 0.05]] * 2, atol=1e-6)


def test_a_mixed_window_the_person_did_not_decide_is_the_models_mean():
    hyp = _model([[0.2, 0.7, 0.1]] * 3 + [[0.9, 0.05, 0.05]])
    hyp.set_stage(3, 4, R)  # one REM second of four: the model's window
    out = hyp.to_epoch_length(4.0)
    assert Stage(out.stages[0]) is N and Source(out.sources[0]) is Source.MODEL
    assert out.confidence[0] == pytest.approx((3 * 0.7 + 0.05) / 4)


def test_2_5_s_windows_weigh_the_seconds_they_share():
    out = _model([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 1, 0]]).to_epoch_length(2.5)
    np.testing.assert_allclose(out.probabilities, [[0.8, 0.2, 0], [0, 1, 0]], atol=1e-6)
    assert [Stage(s) for s in out.stages] == [W, N]


def test_a_last_window_the_labels_end_inside_takes_the_seconds_it_has():
    """`score --epoch-length 2.5` of a 7.5-s recording: the model reads 7 s, the third
    window holds seconds 5 and 6 and half of the unread 7th."""
    out = _model([[1, 0, 0]] * 5 + [[0, 0, 1]] * 2).to_epoch_length(2.5, 3)
    assert len(out) == 3 and [Stage(s) for s in out.stages] == [W, W, R]
    np.testing.assert_allclose(out.probabilities[2], [0, 0, 1], atol=1e-6)
