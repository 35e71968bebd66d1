"""Session 16b's user trial of `convert-labels` on 4-s AccuSleep labels of a 1-h recording:
its hint named `--epoch-length 4`, which set the OUTPUT's epochs, so `--n-epochs 3600` then
counted 4-s epochs and a 4-h file was written for a 1-h recording; and without any epoch
option it said nothing while `stats` warned."""

import shlex

import numpy as np

from sleepscorer.cli import main
from sleepscorer.stages import Stage

W, N, R = Stage.WAKE, Stage.NREM, Stage.REM


def accu4(tmp_path):
    """One label per 4 s of a 1-h recording (900 rows), in AccuSleep's codes."""
    truth = np.repeat([W, N, R, W, N], [800, 1600, 400, 300, 500])
    path = tmp_path / "accu4.csv"
    code = {W: "2", N: "3", R: "1"}
    path.write_text("brain_state\n" + "\n".join(code[Stage(s)] for s in truth[::4]) + "\n")
    return path, truth


def test_the_hint_is_a_command_that_covers_the_recording(tmp_path, capsys, monkeypatch):
    src, truth = accu4(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["convert-labels", src.name, "a.csv", "--n-epochs", "3600"]) == 0
    err = capsys.readouterr().err
    hint = [ln for ln in err.splitlines() if "run: " in ln]
    assert hint == ["warning: if its epochs are 4 s, run: sleepscorer convert-labels accu4.csv "
                    "a_4s.csv --file-epoch-length 4 --duration 3600"]
    command = shlex.split(hint[0].split("run: ")[1])
    assert main(command[1:]) == 0  # a new file: a.csv holds a person's labels, never replaced
    out = capsys.readouterr()
    assert "wrote 900 epochs of 4 s to a_4s.csv" in out.out and out.err == ""
    assert main(["convert-labels", src.name, "b.csv", "--file-epoch-length", "4",
                 "--duration", "3600", "--epoch-length", "1"]) == 0
    assert "wrote 3600 epochs of 1 s" in capsys.readouterr().out
    rows = (tmp_path / "b.csv").read_text().splitlines()[1:]
    assert [r.split(",")[3] for r in rows] == [Stage(s).label for s in truth]


def test_convert_labels_and_stats_say_the_same_of_an_untimed_file(tmp_path, capsys):
    src, _ = accu4(tmp_path)
    assert main(["convert-labels", str(src), str(tmp_path / "c.csv")]) == 0
    convert = capsys.readouterr().err
    assert main(["stats", str(src)]) == 0
    stats = capsys.readouterr().out
    said = f"{src} does not record its epoch length: read as one label per 1 s; give "
    assert said + "--file-epoch-length (or --duration) if its epochs are longer" in convert
    assert said + "--file-epoch-length (or --recording) if its epochs are longer" in stats
    assert main(["convert-labels", str(src), str(tmp_path / "d.csv"),
                 "--file-epoch-length", "4"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["stats", str(src), "--file-epoch-length", "4"]) == 0
    assert "does not record" not in capsys.readouterr().out
