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
