"""Labels are placed by time (epoch / onset_s), never by row order; bad rows are clear errors;
exports at a coarser epoch keep provenance honest (README, "The label CSV")."""

import numpy as np
import pytest

from sleepscorer.cli import main
from sleepscorer.errors import LabelsError
from sleepscorer.hypnogram import Hypnogram, Source
from sleepscorer.io.labels import read_labels, write_labels_csv
from sleepscorer.stages import Stage

HEAD = "epoch,onset_s,duration_s,stage,confidence,source\n"


def write(tmp_path, body: str, name: str = "l.csv", head: str = HEAD):
    path = tmp_path / name
    path.write_text(head + body)
    return path


def test_rows_out_of_order_are_placed_by_onset(tmp_path):
    path = write(tmp_path, "2,2,1,REM,,expert\n0,0,1,Wake,,expert\n1,1,1,NREM,,expert\n")
    hyp = read_labels(path, epoch_length=None)
    assert [Stage(s) for s in hyp.stages] == [Stage.WAKE, Stage.NREM, Stage.REM]
    assert any("not in time order" in w for w in hyp.warnings)


def test_missing_rows_leave_a_gap_not_a_shift(tmp_path):
    path = write(tmp_path, "0,0,1,Wake,,expert\n3,3,1,REM,,expert\n")
    hyp = read_labels(path, epoch_length=None)
    assert [Stage(s) for s in hyp.stages] == [Stage.WAKE, Stage.UNSCORED, Stage.UNSCORED, Stage.REM]
    assert any("2 epoch(s) have no row" in w for w in hyp.warnings)


def test_placement_by_epoch_without_onset(tmp_path):
    path = write(tmp_path, "1,NREM\n0,Wake\n", head="epoch,stage\n")
    hyp = read_labels(path, epoch_length=None)
    assert [Stage(s) for s in hyp.stages] == [Stage.WAKE, Stage.NREM]


@pytest.mark.parametrize("body, match", [
    ("0,0,1,Wake,,expert\n0,0,1,REM,,expert\n", "rows 1 and 2 are both epoch 0"),
    ("0,0,1,Wake,,expert\n1,0,1,REM,,expert\n", "row 2: epoch 1 but onset_s 0"),
    ("0,0,0,Wake,,expert\n", "row 1: duration_s 0 must be a positive"),
    ("0,0,-1,Wake,,expert\n", "row 1: duration_s -1 must be a positive"),
    ("0,0,,Wake,,expert\n", "row 1: duration_s empty must be a positive"),
    ("0,0,1,Wake,,expert\n1,1,2,Wake,,expert\n", "row 2: duration_s 2 differs"),
    ("0,0,1,Wake,7.5,model\n", "row 1: confidence 7.5 is outside 0..1"),
    ("0,0,1,Wake,-3,model\n", "row 1: confidence -3 is outside 0..1"),
    ("0,0.5,1,Wake,,expert\n", "row 1: onset_s 0.5 is not the start"),
    ("-1,,1,Wake,,expert\n", "row 1: epoch -1 is not an epoch number"),
    ("1000000000000,,1,Wake,,expert\n", "days into the recording"),
    # a QA pass: inf and nan onsets were placed by their epoch without a word, a nan
    # duration was "empty", and a cut-off row was not named
    ("0,0,1,Wake,,expert\n1,inf,1,NREM,,expert\n", "row 2: onset_s inf is not the start"),
    ("0,0,1,Wake,,expert\n1,nan,1,NREM,,expert\n", "row 2: onset_s nan is not the start"),
    ("0,0,1,Wake,,expert\n1,-inf,1,NREM,,expert\n", "row 2: onset_s -inf is not the start"),
    ("0,0,1,Wake,,expert\n1,1,nan,NREM,,expert\n", "row 2: duration_s nan must be a positive"),
    ("0,0,1,Wake,,expert\n1,1,inf,NREM,,expert\n", "row 2: duration_s inf must be a positive"),
    ("0,0,1,Wake,,expert\n1,1\n", "row 2 has no 'duration_s' value"),
    ("0,0,1,Wake,,expert\n1,1,1\n", "row 2 has no 'stage' value"),
    ("nan,,1,Wake,,expert\n", "row 1: epoch nan is not an epoch number"),
])
def test_bad_rows_are_errors_naming_the_row(tmp_path, body, match):
    with pytest.raises(LabelsError, match=match):
        read_labels(write(tmp_path, body), epoch_length=None)


def test_convert_labels_rejects_bad_durations_instead_of_writing_them(tmp_path, capsys):
    src = write(tmp_path, "0,0,0,Wake,,expert\n")
    assert main(["convert-labels", str(src), str(tmp_path / "out.csv")]) == 2
    assert not (tmp_path / "out.csv").exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {src}: row 1")


def test_an_empty_onset_leaves_the_row_to_its_epoch(tmp_path):
    """README: a row is placed by onset_s, or by epoch when there is none: an empty onset_s
    (or BIDS's n/a) is none, unlike nan or inf, which are refused above."""
    path = write(tmp_path, "0,0,1,Wake,,expert\n1,,1,NREM,,expert\n2,n/a,1,REM,,expert\n")
    hyp = read_labels(path, epoch_length=None)
    assert [Stage(s) for s in hyp.stages] == [Stage.WAKE, Stage.NREM, Stage.REM]


def test_bad_onsets_and_cut_rows_reach_the_user_as_one_line_naming_the_row(tmp_path, capsys):
    for name, body, says in [("inf.csv", "0,0,1,Wake,,expert\n1,inf,1,NREM,,expert\n",
                              "row 2: onset_s inf"),
                             ("cut.csv", "0,0,1,Wake,,expert\n1,1\n", "row 2 has no")]:
        src = write(tmp_path, body, name)
        assert main(["convert-labels", str(src), str(tmp_path / f"out_{name}")]) == 2
        assert not (tmp_path / f"out_{name}").exists()
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith(f"error: {src}: {says}")


def test_bids_events_far_onset_is_an_error_not_an_allocation(tmp_path):
    path = tmp_path / "sub-1_events.tsv"
    path.write_text("onset\tduration\tstage\n0\t4\t1\n1e12\t4\t2\n")
    with pytest.raises(LabelsError, match="days"):
        read_labels(path)


def test_bids_events_overlap_is_an_error(tmp_path):
    path = tmp_path / "sub-1_events.tsv"
    path.write_text("onset\tduration\tstage\n0\t4\t1\n2\t4\t2\n")
    with pytest.raises(LabelsError, match="overlap"):
        read_labels(path)


def test_sleep_scores_as_text_is_a_clear_error(tmp_path):
    import scipy.io

    path = tmp_path / "l.mat"
    scipy.io.savemat(path, {"sleep_scores": "wake wake"})
    with pytest.raises(LabelsError, match="'sleep_scores' is text"):
        read_labels(path)


@pytest.mark.parametrize("scores, match", [
    (np.zeros((0, 0)), r"l\.mat: 'sleep_scores' is empty: the file holds no epochs"),
    (np.zeros((3, 4)), r"l\.mat: 'sleep_scores' is a 3x4 matrix, not a vector"),
])
def test_an_empty_or_matrix_sleep_scores_is_refused_naming_the_file(tmp_path, capsys, scores,
                                                                     match):
    """A QA pass: an empty `sleep_scores` was converted to an empty CSV (rc 0) that every
    other command refused, and a 3x4 one was flattened into 12 epochs."""
    import scipy.io

    path = tmp_path / "l.mat"
    scipy.io.savemat(path, {"sleep_scores": scores})
    with pytest.raises(LabelsError, match=match):
        read_labels(path)
    out = tmp_path / "out.csv"
    assert main(["convert-labels", str(path), str(out)]) == 2
    assert not out.exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {path}: 'sleep_scores' ")


@pytest.mark.parametrize("shape", [(5,), (1, 5), (5, 1)])
def test_a_sleep_scores_row_or_column_is_read(tmp_path, shape):
    import scipy.io

    path = tmp_path / "l.mat"
    scipy.io.savemat(path, {"sleep_scores": np.array([0, 1, 2, 3, 1.0]).reshape(shape)})
    assert [Stage(s) for s in read_labels(path).stages] == [
        Stage.WAKE, Stage.NREM, Stage.REM, Stage.MA, Stage.NREM]


def test_an_accusleep_file_without_labels_is_refused(tmp_path):
    """The same empty CSV came out of an AccuSleep file with its header alone."""
    path = tmp_path / "acc.csv"
    path.write_text("brain_state\n")
    with pytest.raises(LabelsError, match=r"acc\.csv: holds no epochs"):
        read_labels(path)


def _mixed(model_stage, n_model, expert_stage, n_expert, k=10):
    stages = [model_stage] * n_model + [expert_stage] * n_expert
    sources = [Source.MODEL] * n_model + [Source.EXPERT] * n_expert
    hyp = Hypnogram.from_arrays(stages, 1.0, sources=np.array(sources, np.int8))
    hyp.confidence[:n_model] = 0.9
    return hyp


def test_model_majority_stays_model_at_a_coarser_epoch():
    """The issue's case: nine model Wake seconds and one expert REM second."""
    out = _mixed(Stage.WAKE, 9, Stage.REM, 1).to_epoch_length(10.0)
    assert Stage(out.stages[0]) is Stage.WAKE and Source(out.sources[0]) is Source.MODEL
    # no probabilities known: 9 s sure of Wake at 0.9, one second of REM at 0 (epoch_windows)
    assert out.confidence[0] == pytest.approx(0.81)


def test_expert_majority_is_expert():
    out = _mixed(Stage.WAKE, 4, Stage.REM, 6).to_epoch_length(10.0)
    assert Stage(out.stages[0]) is Stage.REM and Source(out.sources[0]) is Source.EXPERT
    assert np.isnan(out.confidence[0])


def test_expert_plurality_that_does_not_decide_is_model():
    # 4 expert Wake, 3 model Wake, 3 model REM: the model's epochs could have outvoted the expert
    stages = [Stage.WAKE] * 4 + [Stage.WAKE] * 3 + [Stage.REM] * 3
    sources = [Source.EXPERT] * 4 + [Source.MODEL] * 6
    hyp = Hypnogram.from_arrays(stages, 1.0, sources=np.array(sources, np.int8))
    out = hyp.to_epoch_length(10.0)
    assert Source(out.sources[0]) is Source.MODEL


def test_all_person_window_stays_the_persons_even_on_a_tie():
    stages = [Stage.WAKE] * 2 + [Stage.REM] * 2
    hyp = Hypnogram.from_arrays(stages, 1.0, sources=np.full(4, Source.EXPERT, np.int8))
    out = hyp.to_epoch_length(4.0)
    assert Source(out.sources[0]) is Source.EXPERT


def test_convert_labels_at_10_s_keeps_model_provenance(tmp_path):
    hyp = _mixed(Stage.WAKE, 9, Stage.REM, 1)
    src = tmp_path / "in.csv"
    write_labels_csv(hyp, src)
    out = tmp_path / "out.csv"
    assert main(["convert-labels", str(src), str(out), "--epoch-length", "10"]) == 0
    row = out.read_text().splitlines()[1].split(",")
    assert row[3] == "Wake" and row[5] == "model"


def test_export_at_2_5_s_keeps_model_provenance(tmp_path):
    hyp = _mixed(Stage.WAKE, 4, Stage.REM, 1)  # 5 s -> two 2.5-s windows
    path = tmp_path / "o.csv"
    write_labels_csv(hyp, path, epoch_length=2.5)
    rows = [r.split(",") for r in path.read_text().splitlines()[1:]]
    assert [r[5] for r in rows] == ["model", "model"]
