import numpy as np
import pytest
import scipy.io

from sleepscorer.errors import LabelsError
from sleepscorer.hypnogram import Hypnogram, Source
from sleepscorer.io.labels import (
    read_bids_events,
    read_labels,
    write_bids_events,
    write_labels_csv,
)
from sleepscorer.stages import MODEL_CLASSES_3, Stage


def _scored(n=20):
    hyp = Hypnogram(n, 1.0)
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(3), size=n).astype(np.float32)
    hyp.apply_model(probs, MODEL_CLASSES_3)
    hyp.set_stage(0, 3, Stage.REM)
    hyp.set_stage(n - 2, n, Stage.UNSCORED)
    return hyp


def test_csv_header_and_round_trip(tmp_path):
    hyp = _scored()
    path = tmp_path / "labels.csv"
    write_labels_csv(hyp, path)
    lines = path.read_text().splitlines()
    assert lines[0] == "epoch,onset_s,duration_s,stage,confidence,source,p_Wake,p_NREM,p_REM"
    assert lines[1].startswith("0,0,1,REM,,expert,")
    assert lines[4].split(",")[5] == "model" and lines[4].split(",")[4] != ""
    assert lines[-1].startswith("19,19,1,Unscored,,none")
    back = read_labels(path)
    np.testing.assert_array_equal(back.stages, hyp.stages)
    np.testing.assert_array_equal(back.sources, hyp.sources)
    np.testing.assert_allclose(back.confidence, hyp.confidence, rtol=1e-6)
    np.testing.assert_allclose(back.probabilities, hyp.probabilities, rtol=1e-6)
    assert back.classes == MODEL_CLASSES_3 and back.warnings == []
    assert not list(tmp_path.glob("*.tmp"))


def test_csv_without_probabilities_and_coarser(tmp_path):
    hyp = Hypnogram.from_arrays([0, 0, 1, 1, 1, 1, 2, 2], 1.0)
    path = tmp_path / "labels.csv"
    write_labels_csv(hyp, path, epoch_length=2.0, probabilities=False)
    assert path.read_text().splitlines()[0] == "epoch,onset_s,duration_s,stage,confidence,source"
    back = read_labels(path, epoch_length=None)
    assert back.epoch_length == 2.0
    assert [Stage(s) for s in back.stages] == [Stage.WAKE, Stage.NREM, Stage.NREM, Stage.REM]


def test_accusleep_default_and_custom_mapping(tmp_path):
    path = tmp_path / "acc.csv"
    path.write_text("brain_state\n1\n2\n3\n2\n9\n")
    hyp = read_labels(path, epoch_length=2.5)
    assert hyp.epoch_length == 2.5
    assert list(hyp.stages) == [Stage.REM, Stage.WAKE, Stage.NREM, Stage.WAKE, Stage.UNSCORED]
    assert "9 (1x)" in hyp.warnings[0]
    hyp = read_labels(path, epoch_length=2.5, accusleep_stages={1: Stage.WAKE, 2: Stage.NREM,
                                                                  3: Stage.REM})
    assert list(hyp.stages[:3]) == [Stage.WAKE, Stage.NREM, Stage.REM]
    assert (hyp.sources[:4] == Source.IMPORTED).all()


def test_bids_events_come_with_a_sidecar_that_names_the_codes_and_never_replace_a_datasets(tmp_path):
    import json

    hyp = Hypnogram.from_arrays([0, 1, 2, 4], 4.0)
    events = tmp_path / "sub-1_events.tsv"
    assert write_bids_events(hyp, events) == []
    sidecar = json.loads((tmp_path / "sub-1_events.json").read_text())
    assert sidecar["stage"]["Levels"] == {"1": "Wake", "2": "NREM", "3": "REM", "4": "Artifact"}
    assert set(sidecar["source"]["Levels"]) == {"model", "expert", "imported"}
    assert sidecar["onset"]["Units"] == "s"
    assert write_bids_events(hyp, events) == []  # our own sidecar: written again
    own = tmp_path / "sub-2_events.json"
    own.write_text('{"stage": {"Levels": {"W": "wake"}}}')  # a dataset's own
    notes = write_bids_events(hyp, tmp_path / "sub-2_events.tsv")
    assert notes == [f"{own}: not written, it exists and holds a file SleepScorer did not write; "
                     "the events have no sidecar of ours (their stage codes: 1 Wake, 2 NREM, 3 REM, "
                     "4 Artifact)"]
    assert own.read_text() == '{"stage": {"Levels": {"W": "wake"}}}'
    assert (tmp_path / "sub-2_events.tsv").read_text().startswith("onset\tduration\tstage")


def test_bids_events_round_trip_and_ma_as_wake(tmp_path):
    hyp = Hypnogram.from_arrays([0, 1, 2, 3, 4, -1, 1], 4.0)
    path = tmp_path / "sub-1_events.tsv"
    assert write_bids_events(hyp, path) == ["1 MA epoch(s) written as Wake: the MSSV stage codes "
                                            "of BIDS events have no microarousal (our CSV keeps MA)"]
    lines = path.read_text().splitlines()
    assert lines[0] == "onset\tduration\tstage\tsource"  # who set each label: see test_provenance_trial
    assert [ln.rsplit("\t", 1)[0] for ln in lines[1:]] == [
        "0\t4\t1", "4\t4\t2", "8\t4\t3", "12\t4\t1", "16\t4\t4", "24\t4\t2"]
    back = read_bids_events(path)
    assert back.epoch_length == 4.0
    assert list(back.stages) == [0, 1, 2, 0, 4, -1, 1]
    one_s = read_labels(path)  # onto 1-s epochs
    assert len(one_s) == 28 and list(one_s.stages[:5]) == [0, 0, 0, 0, 1]


def test_mat_sleep_scores(tmp_path):
    path = tmp_path / "scores.mat"
    scipy.io.savemat(path, {"sleep_scores": np.array([[0, 1, 2, 3, 1]], dtype=float)})
    hyp = read_labels(path)
    assert list(hyp.stages) == [Stage.WAKE, Stage.NREM, Stage.REM, Stage.MA, Stage.NREM]


def test_shorter_labels_padded_with_warning(tmp_path):
    path = tmp_path / "acc.csv"
    path.write_text("brain_state\n2\n2\n3\n")
    hyp = read_labels(path, n_epochs=6)
    assert len(hyp) == 6 and list(hyp.stages[3:]) == [Stage.UNSCORED] * 3
    assert "cover 3 of 6 epochs" in hyp.warnings[0]


def test_one_epoch_of_slack_is_dropped(tmp_path):
    path = tmp_path / "acc.csv"
    path.write_text("brain_state\n2\n2\n3\n")
    hyp = read_labels(path, n_epochs=2)
    assert len(hyp) == 2 and "one epoch more" in hyp.warnings[0]


def test_longer_labels_are_an_error(tmp_path):
    path = tmp_path / "acc.csv"
    path.write_text("brain_state\n" + "2\n" * 10)
    with pytest.raises(LabelsError, match=r"acc\.csv: the labels cover 10 epochs .* only 5 epochs"):
        read_labels(path, n_epochs=5)


def test_unknown_label_format(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(LabelsError, match=r"x\.csv: not a label file .*columns: a, b"):
        read_labels(path)


def test_unknown_stage_name(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("epoch,onset_s,duration_s,stage,confidence,source\n0,0,1,Dozing,,expert\n")
    with pytest.raises(LabelsError, match="unknown stage 'Dozing'"):
        read_labels(path)


def test_missing_label_file(tmp_path):
    with pytest.raises(LabelsError, match="label file not found"):
        read_labels(tmp_path / "nope.csv")


@pytest.mark.parametrize("name", ["sub-001_task-sleep_run-1_events.tsv",
                                  "sub-015_task-sleep_run-2_events.tsv",
                                  "sub-050_task-sleep_run-1_events.tsv"])
def test_mssv_round_trip_through_our_csv(mssv_dir, tmp_path, name):
    hyp = read_bids_events(mssv_dir / name)
    assert hyp.epoch_length == 4.0
    rows = (mssv_dir / name).read_text().splitlines()[1:]
    assert len(hyp) == len(rows) - 1  # the last row, 3 s, is an incomplete epoch: left out
    assert set(np.unique(hyp.stages)) <= {0, 1, 2, 4}
    out = tmp_path / "labels.csv"
    write_labels_csv(hyp, out)
    back = read_labels(out, epoch_length=None)
    np.testing.assert_array_equal(back.stages, hyp.stages)
    events = tmp_path / "x_events.tsv"
    write_bids_events(back, events)
    assert events.read_text().splitlines()[1:4] == [r.replace(".0", "") + "\timported"
                                                    for r in rows[:3]]


def test_bout_per_row_events_keep_every_boundary(tmp_path):
    """BIDS's usual bout-per-row form: the commonest duration (here 4 s) was taken as the
    epoch length, and 1-s boundaries were snapped onto it with no word (98.7 % agreement
    with the truth)."""
    path = tmp_path / "bouts_events.tsv"
    path.write_text("onset\tduration\tstage\n0\t4\t1\n4\t13\t2\n17\t4\t3\n21\t9\t1\n30\t4\t2\n")
    hyp = read_bids_events(path)
    assert hyp.epoch_length == 1.0 and hyp.warnings == []
    assert list(hyp.stages[15:23]) == [1, 1, 2, 2, 2, 2, 0, 0]
    off = tmp_path / "off_events.tsv"  # boundaries off the grid: each epoch by majority, said
    off.write_text("onset\tduration\tstage\n0\t4.3\t1\n4.3\t5.2\t2\n9.5\t4\t1\n")
    hyp = read_bids_events(off)
    assert hyp.epoch_length == 1.0 and "2 event boundaries are not on the 1-s epoch grid (the " \
                                      "first at 4.3 s)" in hyp.warnings[0]
    half = tmp_path / "half_events.tsv"  # on a half-second grid: still 1-s epochs, not 0.5-s
    half.write_text("onset\tduration\tstage\n0\t2.5\t1\n2.5\t4\t2\n6.5\t2.5\t1\n")
    assert read_bids_events(half).epoch_length == 1.0


def test_coarse_bouts_and_30_s_epochs_go_onto_whole_seconds(tmp_path):
    """Bouts on a 60-s grid were refused ("60-s labels onto 1-s epochs ... no simple common
    divisor"): long epochs could not be split finer than tenfold."""
    path = tmp_path / "bouts60_events.tsv"
    path.write_text("onset\tduration\tstage\n0\t60\t2\n60\t60\t1\n120\t7080\t2\n")
    hyp = read_labels(path)
    assert hyp.epoch_length == 1.0 and len(hyp) == 7200
    assert list(hyp.stages[[0, 59, 60, 119, 120]]) == [1, 1, 0, 0, 1]
    thirty = tmp_path / "thirty.csv"
    write_labels_csv(Hypnogram.from_arrays([0, 1, 2], 30.0), thirty)
    assert list(read_labels(thirty).stages[[0, 29, 30, 89]]) == [0, 0, 1, 2]
