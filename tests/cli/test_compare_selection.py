"""`sleepscorer compare --from/--to/--exclude-labelled`: after fine-tuning on corrections, the
whole-file figure counts the training epochs; these options leave them out, and say so."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sleepscorer.cli import main
from sleepscorer.hypnogram import Hypnogram, Source
from sleepscorer.io.labels import write_labels_csv
from sleepscorer.stages import Stage

W, N, R = Stage.WAKE, Stage.NREM, Stage.REM


def _files(tmp_path):
    truth = np.repeat([W, N, R, N], 450)  # 1800 1-s epochs
    scored = truth.copy()
    scored[400:450] = N  # the model is wrong in the first half only (Wake as NREM)
    paths = []
    for name, stages, source in (("truth.csv", truth, Source.IMPORTED),
                                 ("scored.csv", scored, Source.MODEL)):
        write_labels_csv(Hypnogram.from_arrays(stages.astype(np.int8), source=source),
                         tmp_path / name)
        paths.append(str(tmp_path / name))
    return paths


def test_a_time_range_is_compared_and_named(tmp_path, capsys):
    truth, scored = _files(tmp_path)
    out_json = tmp_path / "c.json"
    assert main(["compare", truth, scored, "--from", "900", "--to", "1800",
                 "--out", str(out_json)]) == 0
    out = capsys.readouterr().out
    assert "compared: epochs 900-1799 (900 of 1800)" in out
    assert "agreement: 100.0%" in out
    data = json.loads(out_json.read_text())
    assert data["epochs_compared"] == 900 and data["epochs"]["first"] == 900
    assert data["epochs"]["last"] == 1799 and data["epochs_left_out"] == 0
    assert main(["compare", truth, scored]) == 0  # whole file: the wrong first half counts
    assert "agreement: 100.0%" not in capsys.readouterr().out


def test_epochs_a_person_labelled_are_left_out(tmp_path, capsys):
    truth, scored = _files(tmp_path)
    corrected = Hypnogram.from_arrays(np.repeat([W, N, R, N], 450).astype(np.int8),
                                      source=Source.MODEL)
    corrected.sources[:900] = Source.EXPERT  # a 4-s corrections file at 1 s would do as well
    write_labels_csv(corrected, tmp_path / "corrected.csv")
    assert main(["compare", truth, scored, "--exclude-labelled",
                 str(tmp_path / "corrected.csv")]) == 0
    out = capsys.readouterr().out
    assert "epochs 0-1799 less 900 a person labelled in corrected.csv (900 of 1800)" in out
    assert "agreement: 100.0%" in out


def test_bad_ranges_and_files_are_one_line(tmp_path, capsys):
    truth, scored = _files(tmp_path)
    assert main(["compare", truth, scored, "--from", "5000"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "beyond the 1800 s" in err and err.count("\n") == 1
    assert main(["compare", truth, scored, "--exclude-labelled", scored]) == 2  # model labels
    err = capsys.readouterr().err
    assert "scored.csv" in err and "holds no epoch a person labelled" in err


@pytest.mark.parametrize("extra, said", [
    (["--from", "-5", "--to", "10"], "argument --from: -5 must be a number of seconds, at least 0"),
    (["--from", "20", "--to", "10"], "argument --to: 10 must be above --from 20 (the range from "
                                     "20 s to 10 s is empty)"),
    (["--to", "0"], "argument --to: 0 must be a number of seconds above 0"),
    (["--from", "nan"], "argument --from: nan must be"),
])
def test_a_range_that_cannot_hold_an_epoch_is_the_arguments_fault(tmp_path, capsys, extra, said):
    """QA: `--from -5 --to 10` said "error: oe4.csv: the range -5-10 s is empty": the second
    file blamed for the arguments, and a range that reads badly. Refused before any file is
    read (while parsing, or for --to against --from, at the start of the command)."""
    truth, scored = _files(tmp_path)
    try:
        code = main(["compare", truth, scored, *extra])
    except SystemExit as stop:
        code = stop.code
    assert code == 2
    err = capsys.readouterr().err
    errors = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(f"error: {said}")
    assert "scored.csv" not in err and "Traceback" not in err
    assert main(["compare", truth, scored, "--from", "1.5", "--to", "1.9"]) == 2  # no whole epoch
    err = capsys.readouterr().err
    assert err == "error: no whole 1-s epoch lies in the range from 1.5 s to 1.9 s; widen it\n"


def test_the_apps_saved_session_names_the_labelled_epochs(tmp_path, capsys, monkeypatch):
    """A user trial: corrections made in the app live in its saved session, and
    --exclude-labelled wanted an exported CSV. Naming the recording reads the session, as
    the app opens it, and says so; a recording never corrected in the app is one clear line."""
    from sleepscorer.core import session_store
    from tests.flat_electrode import flat_eeg_edf

    monkeypatch.setattr(session_store, "user_data_dir", lambda *a, **k: str(tmp_path / "data"))
    stages = np.repeat([W, N], 60).astype(np.int8)
    wrong = stages.copy()
    wrong[:30] = N  # the model is wrong in the first 30 s only
    write_labels_csv(Hypnogram.from_arrays(stages, source=Source.IMPORTED), tmp_path / "truth.csv")
    write_labels_csv(Hypnogram.from_arrays(wrong, source=Source.MODEL), tmp_path / "scored.csv")
    edf = flat_eeg_edf(tmp_path / "mouse.edf", 200)
    hyp, opened = session_store.SessionStore().open(edf, lambda el: int(120 / el), 1.0)
    hyp.set_stage(0, 40, W)  # the person corrected the first 40 s in the app
    opened.session.save()
    args = ["compare", str(tmp_path / "truth.csv"), str(tmp_path / "scored.csv")]
    assert main([*args, "--exclude-labelled", str(edf)]) == 0
    out = capsys.readouterr().out
    assert "less 40 a person labelled in the app's saved session of mouse.edf (80 of 120)" in out
    assert "agreement: 100.0%" in out
    other = flat_eeg_edf(tmp_path / "other.edf", 100)
    assert main([*args, "--exclude-labelled", str(other)]) == 2
    err = capsys.readouterr().err
    assert "other.edf" in err and "no saved session in the app" in err and err.count("\n") == 1
