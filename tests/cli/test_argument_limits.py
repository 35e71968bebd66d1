"""Numbers a command cannot use are refused in one line before any work, never a traceback
and never a useless file (user trial: `train --epochs 0` wrote an untrained model, and
`--batch-size 0`, `--val-fraction 1` and `simulate --hours 0.0001` ended in tracebacks)."""

from __future__ import annotations

import pytest

from sleepscorer.cli import main


@pytest.mark.parametrize("extra, said", [
    (["--epochs", "0"], "argument --epochs: 0 must be at least 1"),
    (["--epochs", "-1"], "must be at least 1"),
    (["--batch-size", "0"], "must be at least 1"),
    (["--val-fraction", "1"], "must be at least 0 and below 1"),
    (["--val-fraction", "-0.5"], "must be at least 0 and below 1"),
])
def test_train_refuses_numbers_it_cannot_use(tmp_path, capsys, extra, said):
    with pytest.raises(SystemExit) as stop:
        main(["train", str(tmp_path), "-o", str(tmp_path / "m.safetensors"), *extra])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and said in err
    assert not list(tmp_path.iterdir())


def test_simulate_refuses_a_recording_under_a_second(tmp_path, capsys):
    out = tmp_path / "tiny"
    assert main(["simulate", "--hours", "0.0001", str(out)]) == 2
    assert "under one second" in capsys.readouterr().err
    assert not out.exists()  # no empty folder left behind


def test_score_refuses_an_empty_output_name(tmp_path, capsys):
    """`-o "$OUT"` with OUT unset wrote into the current folder."""
    with pytest.raises(SystemExit):
        main(["score", str(tmp_path), "-o", ""])
    assert "argument -o/--out: is empty" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["info", ""],
    ["stats", ""],
    ["stats", "lab.csv", "--out", ""],
    ["stats", "lab.csv", "--recording", " "],
    ["compare", "", "b.csv"],
    ["compare", "a.csv", "b.csv", "--out", ""],
    ["compare", "a.csv", "b.csv", "--exclude-labelled", ""],
    ["convert-labels", "", "out.csv"],
    ["convert-labels", "lab.csv", ""],
    ["score", "", "-o", "x.csv"],
    ["score", "rec.edf", "-o", "x.csv", "--model", ""],
    ["score", "rec.edf", "-o", "x.csv", "--calibrate", ""],
    ["train", "", "-o", "m.safetensors"],
    ["train", "rec.edf=", "-o", "m.safetensors"],
    ["train", "data", "-o", ""],
    ["export-corrections", "", "lab.csv", "--out", "corr"],
    ["export-corrections", "rec.edf", "lab.csv", "--out", "corr", "--base", ""],
    ["finetune", "", "--out", "m.safetensors"],
    ["simulate", ""],
    ["selftest", "--keep", ""],
    ["gui", ""],
])
def test_an_empty_path_is_refused_by_every_command(tmp_path, monkeypatch, capsys, argv):
    """QA: an empty path (`"$VAR"` unset) was read as the current folder: `score '' -o x.csv`
    scanned it, `stats ''` said ".: is a folder", and `stats lab.mat --out ''` printed its
    figures, wrote nothing and ended 0 without a word. Every path argument refuses it."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    errors = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: argument ")
    assert errors[0].endswith(": is empty; name a file (or folder)")
    assert not list(tmp_path.iterdir())  # nothing written, nothing made


def test_an_unknown_option_is_refused_with_the_commands_own_usage(capsys):
    """A trial: `simulate --hours 0.5 -o DIR` showed the top-level usage, which does not say
    that OUT_DIR is simulate's positional argument."""
    with pytest.raises(SystemExit) as stop:
        main(["simulate", "--hours", "0.5", "-o", "somewhere"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "usage: sleepscorer simulate" in err and "OUT_DIR" in err
    assert err.strip().splitlines()[-1] == "error: unrecognized arguments: -o"
