"""BIDS events: bouts are a hypnogram read onto the caller's epochs, never epochs of their
common divisor; an incomplete last epoch is left out, so time in state gains no seconds.
Both defects were found in a user trial (session 16)."""

import json

import numpy as np
import pytest

from sleepscorer.cli import main
from sleepscorer.io.label_tables import MSSV_STAGES
from sleepscorer.io.labels import read_bids_events, read_labels
from sleepscorer.stages import Stage

W, N, R, U = Stage.WAKE, Stage.NREM, Stage.REM, Stage.UNSCORED


def events(tmp_path, rows: str, name: str = "sub-1_task-sleep_events.tsv"):
    path = tmp_path / name
    path.write_text("onset\tduration\tstage\n" + rows)
    return path


def test_bouts_off_the_second_grid_are_read_onto_the_callers_epochs(tmp_path, capsys):
    """Bouts ending at 10.4 s and 30.4 s were read, silently, as 0.8-s epochs (the
    boundaries' common divisor). Now: 1-s epochs (the app's), or the epochs asked for, each
    the stage covering most of it, with a warning naming the file and the first boundary."""
    path = events(tmp_path, "0\t10.4\t1\n10.4\t20\t2\n30.4\t9.6\t3\n")
    text = path.read_bytes()
    one = read_bids_events(path)
    assert one.epoch_length == 1.0 and len(one) == 40
    assert list(one.stages[[9, 10, 29, 30, 39]]) == [W, N, N, R, R]  # 10-11 s: 0.6 s NREM
    assert len(one.warnings) == 1 and str(path) in one.warnings[0]
    assert "2 event boundaries are not on the 1-s epoch grid (the first at 10.4 s)" in one.warnings[0]
    four = read_labels(path, epoch_length=4.0)  # e.g. a 4-s session in the app
    assert four.epoch_length == 4.0 and list(four.stages) == [W, W, W, N, N, N, N, N, R, R]
    assert "not on the 4-s epoch grid (the first at 10.4 s)" in four.warnings[0]
    assert main(["convert-labels", str(path), str(tmp_path / "out.csv")]) == 0
    err = capsys.readouterr()
    assert "(the first at 10.4 s)" in err.err and "40 epochs of 1 s" in err.out
    assert path.read_bytes() == text  # the user's file untouched


def test_a_tie_goes_to_the_stage_that_comes_first(tmp_path):
    path = events(tmp_path, "0\t2.5\t1\n2.5\t1.5\t2\n4\t4\t3\n")
    hyp = read_labels(path)  # 2-3 s: half Wake, half NREM
    assert list(hyp.stages) == [W, W, W, N, R, R, R, R]
    gap = events(tmp_path, "0\t1.5\t1\n2.5\t1.5\t2\n", "gap_events.tsv")
    assert list(read_labels(gap).stages) == [W, W, U, N]  # 1-2 s and 2-3 s: half no event


def test_bouts_on_the_grid_keep_their_lengths_without_a_warning(tmp_path):
    path = events(tmp_path, "0\t8\t1\n8\t12\t2\n20\t4\t3\n")
    hyp = read_labels(path, epoch_length=4.0)
    assert list(hyp.stages) == [W, W, N, N, N, R] and hyp.warnings == []


def test_an_incomplete_last_epoch_is_left_out_and_not_counted(tmp_path, capsys):
    """MSSV's last row is 3 s (the recording ends mid-epoch): it was a whole 4-s epoch, so
    time in state gained 1 s. Now it is left out at 4 s (said), and read as 3 s at 1 s."""
    path = events(tmp_path, "0\t4\t2\n4\t4\t1\n8\t3\t3\n")
    hyp = read_bids_events(path)
    assert hyp.epoch_length == 4.0 and list(hyp.stages) == [N, W]
    assert hyp.warnings == [f"{path}: the last 3 s (from 8 s) are shorter than one 4-s epoch "
                            "and are left out"]
    assert list(read_labels(path).stages) == [N] * 4 + [W] * 4 + [R] * 3
    out = tmp_path / "stats.json"
    assert main(["stats", str(path), "--out", str(out)]) == 0
    stats = json.loads(out.read_text())
    assert stats["total_s"] == 8 and stats["time_s"]["REM"] == 0
    assert "the last 3 s" in capsys.readouterr().out


@pytest.mark.slow  # every MSSV file: about 5 s
def test_every_mssv_file_reads_one_4_s_epoch_per_whole_row(mssv_dir):
    """Each MSSV file is read as before (one 4-s epoch per row, in order) but for its last
    3-s row, and covers no more time than its events."""
    files = sorted(mssv_dir.glob("sub-*_events.tsv"))
    assert len(files) >= 100
    for path in files:
        table = np.array(path.read_text().split()[3:], dtype=float).reshape(-1, 3)
        hyp = read_bids_events(path)
        whole = table[:, 1] == 4
        assert hyp.epoch_length == 4.0 and whole[:-1].all() and not whole[-1], path
        expected = [MSSV_STAGES[int(code)] for code in table[:-1, 2]]
        assert np.array_equal(hyp.stages, np.array(expected, dtype=hyp.stages.dtype)), path
        assert len(hyp) * 4.0 <= table[-1, 0] + table[-1, 1], path


def trial_type_events(tmp_path, rows: str, name: str = "sub-1_task-sleep_events.tsv"):
    path = tmp_path / name
    path.write_text("onset\tduration\ttrial_type\n" + rows)
    return path


def test_trial_type_holds_stages_as_the_stage_column_does(tmp_path):
    """A QA pass: an events file with BIDS's own `trial_type` column was "sleep labels" to
    `info` but "not a label file" to every label command. It is read as `stage` is: names or
    MSSV codes."""
    names = trial_type_events(tmp_path, "0\t8\tWake\n8\t4\tNREM\n12\t4\tREM\n")
    codes = trial_type_events(tmp_path, "0\t4\t1\n4\t4\t1\n8\t4\t2\n12\t4\t3\n", "c_events.tsv")
    staged = events(tmp_path, "0\t4\t1\n4\t4\t1\n8\t4\t2\n12\t4\t3\n", "s_events.tsv")
    for path in (names, codes):
        hyp = read_labels(path, epoch_length=4.0)
        assert list(hyp.stages) == [W, W, N, R] and hyp.warnings == []
    assert np.array_equal(read_bids_events(codes).stages, read_bids_events(staged).stages)
    both = tmp_path / "both_events.tsv"  # `stage` wins over a trial_type saying what else
    both.write_text("onset\tduration\ttrial_type\tstage\n0\t4\tsleep\t2\n")
    assert list(read_labels(both, epoch_length=4.0).stages) == [N]


@pytest.mark.parametrize("rows, first_bad", [
    ("0\t4\tgo\n4\t4\tstop\n", "event row 1: trial_type 'go' is not a sleep stage"),
    ("0\t4\tWake\n4\t4\tlever\n8\t4\tstop\n", "event row 2: trial_type 'lever' is not a sleep"),
    ("0\t4\t1\n4\t4\t7\n8\t4\t9\n", "event row 2: trial_type '7' is not a sleep stage"),
    ("0\t4\tgo\n2\t4\tstop\n", "event row 1: trial_type 'go'"),  # a task's: named, not overlap
])
def test_a_trial_type_that_is_not_stages_is_named_with_its_first_bad_value(tmp_path, rows,
                                                                          first_bad):
    from sleepscorer.errors import LabelsError, RecordingError
    from sleepscorer.io import load_recording
    from sleepscorer.io.discover import passed_over

    path = trial_type_events(tmp_path, rows)
    with pytest.raises(LabelsError, match=f"^{path}: {first_bad}"):
        read_labels(path)
    # `info` and `score` say the same, not "holds sleep labels"; a batch calls it a table
    with pytest.raises(RecordingError, match="neither signals nor sleep labels: " + first_bad):
        load_recording(path, rate=512)
    assert passed_over(path) == "table"


def test_a_gap_between_events_is_warned_as_our_csv_warns(tmp_path, capsys):
    """A QA pass: events at 0 s and 12 s (4 s each) left 4-12 s Unscored without a word,
    where our CSV with the same gap warns. Same warning, same words."""
    from sleepscorer.io.labels import write_labels_csv

    path = events(tmp_path, "0\t4\t1\n12\t4\t2\n")
    hyp = read_bids_events(path)
    assert list(hyp.stages) == [W, U, U, N]
    assert hyp.warnings == [f"{path}: 2 epoch(s) have no row (the first is epoch 1, at 4 s); "
                            "they are Unscored"]
    ours = tmp_path / "ours.csv"
    write_labels_csv(hyp, ours)
    ours.write_text("\n".join(line for line in ours.read_text().splitlines()
                              if ",Unscored," not in line) + "\n")
    assert read_labels(ours, epoch_length=None).warnings == [
        w.replace(str(path), str(ours)) for w in hyp.warnings]
    one = read_labels(path)  # the same gap on 1-s epochs
    assert one.warnings == [f"{path}: 8 epoch(s) have no row (the first is epoch 4, at 4 s); "
                            "they are Unscored"]
    late = events(tmp_path, "8\t4\t1\n", "late_events.tsv")  # nothing before the first event
    assert "2 epoch(s) have no row (the first is epoch 0, at 0 s)" in read_bids_events(late).warnings[0]
    assert main(["convert-labels", str(path), str(tmp_path / "out.csv")]) == 0
    assert "2 epoch(s) have no row (the first is epoch 1, at 4 s)" in capsys.readouterr().err


def test_bouts_with_a_gap_warn_only_of_epochs_no_event_touches(tmp_path):
    """An epoch a bout covers in part is voted on (and said, as a boundary off the grid);
    only those no event touches have no row."""
    path = events(tmp_path, "0\t1.5\t1\n4.5\t1.5\t2\n")
    hyp = read_labels(path)
    assert list(hyp.stages) == [W, W, U, U, U, N]  # 4-5 s: a tie, the gap comes first
    assert f"{path}: 2 epoch(s) have no row (the first is epoch 2, at 2 s); they are " \
           "Unscored" in hyp.warnings
