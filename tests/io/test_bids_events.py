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
