"""Session 16b's user trial of `convert-labels` on 4-s AccuSleep labels of a 1-h recording:
its hint named `--epoch-length 4`, which set the OUTPUT's epochs, so `--n-epochs 3600` then
counted 4-s epochs and a 4-h file was written for a 1-h recording; and without any epoch
option it said nothing while `stats` warned."""

import shlex

import numpy as np

from sleepscorer.cli import main
from sleepscorer.stages import Stage
from tests.flat_electrode import flat_eeg_edf, note_column

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



def test_convert_labels_keeps_the_note_column(tmp_path, capsys):
    """A user trial: convert-labels dropped the `note` column (flat or clipped electrode) of a
    scored CSV. One to one it is kept word for word; at 4 or 2.5 s it is what `score
    --epoch-length` writes (model.quality.carry_notes); a window a person decided names the
    problem alone; a person's own words are carried joined; events.tsv says it drops them."""
    from sleepscorer_model.weights import build_model, save_model

    from tests.model.conftest import TINY

    model = tmp_path / "m.safetensors"
    save_model(build_model("sdreamer-seq", **TINY), model)
    edf = flat_eeg_edf(tmp_path / "lost.edf", 41)  # not on a 4-s or 2.5-s edge
    for el in ("1", "4", "2.5"):
        assert main(["score", str(edf), "-o", str(tmp_path / f"s{el}.csv"), "--model",
                     str(model), "--epoch-length", el]) == 0
    s1 = tmp_path / "s1.csv"
    assert note_column(s1)[40:42] == ["", "EEG flat: Artifact"]
    assert main(["convert-labels", str(s1), str(tmp_path / "c1.csv")]) == 0
    assert (tmp_path / "c1.csv").read_text() == s1.read_text()
    for el in ("4", "2.5"):
        out = tmp_path / f"c{el}.csv"
        assert main(["convert-labels", str(s1), str(out), "--epoch-length", el]) == 0
        assert note_column(out) == note_column(tmp_path / f"s{el}.csv")
    # 40-44 s, flat from 41 s, took Wake from its sound second: no verdict; 44-48 s is Artifact
    assert note_column(tmp_path / "c4.csv")[10:12] == ["EEG flat", "EEG flat: Artifact"]
    capsys.readouterr()

    lines = s1.read_text().splitlines()  # a person labels 44-47 s NREM, as the app writes it
    for k in range(44, 48):
        cells = lines[1 + k].split(",")
        cells[3:6], cells[-1] = ["NREM", "", "expert"], "EEG flat"
        lines[1 + k] = ",".join(cells)
    person = tmp_path / "person.csv"
    person.write_text("\n".join(lines) + "\n")
    assert main(["convert-labels", str(person), str(tmp_path / "p4.csv"), "--epoch-length",
                 "4"]) == 0
    p4 = note_column(tmp_path / "p4.csv")
    assert p4[11] == "EEG flat" and p4[12] == "EEG flat: Artifact"
    lines[1 + 5] = lines[1 + 5].rsplit(",", 1)[0] + ",mouse groomed"
    person.write_text("\n".join(lines) + "\n")
    assert main(["convert-labels", str(person), str(tmp_path / "w4.csv"), "--epoch-length",
                 "4"]) == 0
    w4 = note_column(tmp_path / "w4.csv")
    assert w4[1] == "mouse groomed" and w4[11] == "EEG flat"
    assert w4[10] == "EEG flat: Artifact"  # the input's notes, word for word
    capsys.readouterr()
    assert main(["convert-labels", str(s1), str(tmp_path / "s_events.tsv")]) == 0
    assert (f"warning: {s1}: its note column (bad-signal epochs) is not written: BIDS events "
            "have no notes; write a .csv to keep it") in capsys.readouterr().err
