"""`sleepscorer score --no-emg-rules`: a lab studying REM without atonia turns the EMG rules off,
in one recording's path and in a batch's worker path alike."""

from pathlib import Path

import numpy as np
from sleepscorer_model.simulation import simulate_recording

from sleepscorer.cli import main
from sleepscorer.io import load_recording, write_edf
from sleepscorer.io.labels import read_labels
from sleepscorer.io.recording import Channel, Recording


def _stages(csv: Path, n: int) -> np.ndarray:
    return np.asarray(read_labels(csv, n_epochs=n, epoch_length=1.0).stages)


def test_no_emg_rules_reaches_scoring_alone_and_in_batches(tmp_path):
    # an animal whose REM atonia the rules find (tests/model/test_emg_rules.py), in uV as a lab's EDF
    rec, _ = simulate_recording(3600.0, rate=400.0, seed=7704, lab="lab_e", generator="alt")
    rec = Recording([Channel(c.name, c.kind, (c.data * 1e6).astype(np.float32), c.rate, "uV")
                     for c in rec.channels], rec.source)
    edf = tmp_path / "animal.edf"
    write_edf(rec, edf)
    n = load_recording(edf).n_epochs(1.0)
    assert main(["score", str(edf), "-o", str(tmp_path / "rules.csv"), "--device", "cpu"]) == 0
    assert main(["score", str(edf), "-o", str(tmp_path / "off.csv"), "--device", "cpu",
                 "--no-emg-rules"]) == 0
    rules, off = _stages(tmp_path / "rules.csv", n), _stages(tmp_path / "off.csv", n)
    assert (rules != off).sum() > 30  # the rules move this animal's labels by default
    batch = tmp_path / "batch"
    assert main(["score", str(edf), str(tmp_path / "rules.csv"), "-o", str(batch), "--device",
                 "cpu", "--no-emg-rules"]) == 1  # the label CSV is no recording: it fails alone
    np.testing.assert_array_equal(_stages(batch / "animal_scored.csv", n), off)


def test_the_console_line_says_which_options_are_off(tmp_path, capsys):
    """A user trial: with --no-emg-rules the line still read "(..., atonia and tone rules,
    ...)": the model's name, read as the settings in force."""
    from tests.model.conftest import make_recording

    rec = tmp_path / "m.edf"
    write_edf(make_recording(40), rec)
    assert main(["score", str(rec), "-o", str(tmp_path / "m.csv"), "--no-emg-rules",
                 "--no-smoothing"]) == 0
    line = capsys.readouterr().err.splitlines()[0]
    assert "model '" in line and "EEG + EMG" in line
    assert line.endswith("; EMG rules off; no smoothing)")
