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
