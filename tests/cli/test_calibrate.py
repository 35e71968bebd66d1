"""`sleepscorer score --calibrate LABELS`: a person's labels of one recording choose its scaling."""

from pathlib import Path

from sleepscorer.cli import main


def _simulated(tmp_path: Path) -> tuple[Path, Path]:
    assert main(["simulate", "--hours", "0.25", "--rate", "250", "--seed", "3", "--lab", "lab_a",
                 str(tmp_path)]) == 0
    edf = next(tmp_path.glob("*.edf"))
    first = tmp_path / "first6min.csv"
    rows = edf.with_suffix(".csv").read_text().splitlines()
    first.write_text("\n".join(rows[:361]) + "\n")  # header + the first 6 min, as a person had them
    return edf, first


def test_calibrated_scoring_says_so_and_refuses_what_it_cannot_do(tmp_path, capsys):
    edf, first = _simulated(tmp_path)
    capsys.readouterr()
    assert main(["score", str(edf), "-o", str(tmp_path / "out.csv"), "--device", "cpu",
                 "--calibrate", str(first)]) == 0
    err = capsys.readouterr().err
    assert "scaled by your 360 labelled epochs" in err
    assert (tmp_path / "out.csv").exists()
    # too few labels (one state): scored as without them, and said so
    few = tmp_path / "first1min.csv"
    few.write_text("\n".join(first.read_text().splitlines()[:61]) + "\n")
    assert main(["score", str(edf), "-o", str(tmp_path / "few.csv"), "--device", "cpu",
                 "--calibrate", str(few)]) == 0
    assert "too few to scale by" in capsys.readouterr().err
    # several recordings: one label file cannot calibrate them all
    assert main(["score", str(edf), str(edf), "-o", str(tmp_path / "many"), "--calibrate", str(first)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--calibrate labels one recording" in err[0]
    # the label file is an input: never an output
    before = first.read_bytes()
    assert main(["score", str(edf), "-o", str(first), "--calibrate", str(first)]) == 2
    assert first.read_bytes() == before


def _accusleep_4s(edf: Path, path: Path) -> Path:
    """AccuSleep-style labels of the simulated recording at 4-s epochs (no epoch length in it)."""
    codes = {"REM": 1, "Wake": 2, "NREM": 3}
    stages = [r.split(",")[3] for r in edf.with_suffix(".csv").read_text().splitlines()[1:]]
    path.write_text("brain_state\n" + "".join(f"{codes[s]}\n" for s in stages[::4]))
    return path


def test_calibrate_reads_4_s_labels_at_4_s_or_asks(tmp_path, capsys):
    """900 4-s AccuSleep labels of a 1-h file were used as its first 900 s, without a word."""
    edf, _ = _simulated(tmp_path)  # 15 min: 225 labels of 4 s
    acc = _accusleep_4s(edf, tmp_path / "acc4.csv")
    capsys.readouterr()
    assert main(["score", str(edf), "-o", str(tmp_path / "a.csv"), "--device", "cpu",
                 "--calibrate", str(acc)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "acc4.csv" in err[0] and "--calibrate-epoch-length 4" in err[0]
    assert not (tmp_path / "a.csv").exists()
    assert main(["score", str(edf), "-o", str(tmp_path / "b.csv"), "--device", "cpu",
                 "--calibrate", str(acc), "--calibrate-epoch-length", "4"]) == 0
    assert "scaled by your 900 labelled epochs" in capsys.readouterr().err


def test_calibrate_labels_too_long_say_their_own_epochs(tmp_path, capsys):
    import numpy as np

    from sleepscorer.hypnogram import Hypnogram
    from sleepscorer.io.labels import write_labels_csv

    edf, _ = _simulated(tmp_path)  # 900 s
    long4 = tmp_path / "long4.csv"
    write_labels_csv(Hypnogram.from_arrays(np.ones(300, np.int8), 4.0), long4)  # 1200 s
    capsys.readouterr()
    assert main(["score", str(edf), "-o", str(tmp_path / "c.csv"), "--device", "cpu",
                 "--calibrate", str(long4)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "the labels cover 300 epochs of 4 s (1200 s)" in err[0], err
    assert "only 225 epochs of 4 s (900 s)" in err[0]
