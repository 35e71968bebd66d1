from pathlib import Path

import numpy as np
import pytest

from sleepscorer.cli import main
from sleepscorer.io import Channel, ChannelKind, Recording, write_edf


def _one_error_line(capsys, code, *fragments):
    out = capsys.readouterr()
    assert code == 2
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "Traceback" not in out.err
    for fragment in fragments:
        assert fragment in lines[0]


def test_info_prints_channels_duration_and_warnings(tmp_path, capsys):
    path = tmp_path / "m.edf"
    eeg = np.random.default_rng(0).standard_normal(3725 * 16).astype(np.float32)
    write_edf(Recording([Channel("EEG", ChannelKind.EEG, eeg, 16, "uV")], path), path)
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "1:02:05" in out and "EEG" in out and "16 Hz" in out and "EEG-only scoring" in out


def test_info_shows_a_trigger_recorded_in_volts_in_volts(tmp_path, capsys):
    """A user trial: an EDF trigger with physical dimension "V" is read into µV like every
    voltage (4.6 V -> 4.6e6), and info listed it as a "uV" channel."""
    import edfio

    rate, n = 128, 128 * 60
    t = np.arange(n) / rate
    noise = np.random.default_rng(0).normal(size=n)
    pulses = np.where((t % 10) < 0.05, 4.59, 0.07)  # 50-ms pulses: 7 samples in 1280
    path = tmp_path / "stim.edf"
    edfio.Edf([edfio.EdfSignal(50 * noise, rate, label="EEG1", physical_dimension="uV",
                               physical_range=(-500, 500)),
               edfio.EdfSignal(pulses, rate, label="Trigger", physical_dimension="V",
                               physical_range=(-5, 5))]).write(path)
    assert main(["info", str(path)]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()
             if line.startswith("  ")}
    assert lines["Trigger"].endswith(", peak 4.59 V") and "uV" not in lines["Trigger"]
    assert lines["EEG1"].endswith(" µV") and "128 Hz, 7680 samples" in lines["EEG1"]


def test_info_of_the_open_ephys_demo_names_each_channels_unit(openephys_dir, capsys):
    assert main(["info", str(openephys_dir)]) == 0
    out = capsys.readouterr().out
    assert "  Trigger          other  1000 Hz, 1741824 samples, peak 4.59 V\n" in out
    assert "  EEG              EEG    1000 Hz, 1741824 samples, peak 115 µV\n" in out


def test_info_table_rate(tmp_path, capsys):
    path = tmp_path / "t.csv"
    path.write_text("eeg,emg\n" + "1,2\n2,1\n" * 100)
    assert main(["info", str(path), "--rate", "100"]) == 0
    assert "0:00:02" in capsys.readouterr().out


@pytest.mark.parametrize("name,content,fragment", [
    ("x.wav", b"RIFF", "unknown file type"),
    ("t.csv", b"eeg,emg\n1,2\n", "pass it with --rate HZ"),
    ("bad.edf", b"0" * 100, "truncated EDF header"),
    ("junk.mat", b"\x00" * 200, "cannot read this .mat file"),
])
def test_info_errors_are_one_line(tmp_path, capsys, name, content, fragment):
    path = tmp_path / name
    path.write_bytes(content)
    _one_error_line(capsys, main(["info", str(path)]), str(path), fragment)


def test_convert_labels_accusleep_to_csv_and_events(tmp_path, capsys):
    src = tmp_path / "acc.csv"
    src.write_text("brain_state\n2\n2\n3\n3\n1\n1\n")
    out = tmp_path / "ours.csv"
    assert main(["convert-labels", str(src), str(out), "--file-epoch-length", "2"]) == 0
    # AccuSleep files carry no epoch length: --file-epoch-length gives it (--epoch-length is
    # the output's)
    assert out.read_text().splitlines()[1:4] == ["0,0,2,Wake,,imported", "1,2,2,Wake,,imported",
                                                  "2,4,2,NREM,,imported"]
    events = tmp_path / "sub-1_events.tsv"
    assert main(["convert-labels", str(out), str(events)]) == 0
    assert events.read_text().splitlines()[1] == "0\t2\t1\timported"


def test_convert_labels_pads_with_warning(tmp_path, capsys):
    src = tmp_path / "acc.csv"
    src.write_text("brain_state\n2\n")
    assert main(["convert-labels", str(src), str(tmp_path / "o.csv"), "--n-epochs", "3"]) == 0
    assert "warning:" in capsys.readouterr().err


def test_convert_labels_too_long_is_one_line_error(tmp_path, capsys):
    src = tmp_path / "acc.csv"
    src.write_text("brain_state\n" + "2\n" * 9)
    code = main(["convert-labels", str(src), str(tmp_path / "o.csv"), "--n-epochs", "3"])
    _one_error_line(capsys, code, str(src), "9 epochs", "only 3 epochs")
    assert not Path(tmp_path / "o.csv").exists()


def test_info_shows_a_model_card_with_its_parent_and_lab_gate(tmp_path, capsys):
    from sleepscorer_model.weights import build_model, load_model, save_model

    from tests.model.conftest import TINY

    base = tmp_path / "base.safetensors"
    save_model(build_model("sdreamer-seq", **TINY), base, name="base")
    parent_hash = load_model(base).card["weights_sha256"]
    gate = {"version": 1, "lab": [[0.0]], "training": [[1.0]], "scale": [1.0]}
    save_model(build_model("sdreamer-seq", **TINY), tmp_path / "lab.safetensors", name="lab",
               parent_sha256=parent_hash, extra={"lab_gate": gate})
    assert main(["info", str(tmp_path / "lab.safetensors")]) == 0
    out = capsys.readouterr().out
    assert "model:        lab" in out and "= base (" in out
    assert "lab gate: recordings unlike its 1 corrected recording(s)" in out
    assert "classes Wake, NREM, REM;" in out  # the names the app and compare use, not WAKE
    save_model(build_model("sdreamer-seq", **TINY), tmp_path / "open.safetensors", name="open",
               parent_sha256=parent_hash, extra={"lab_gate": None})
    assert main(["info", str(tmp_path / "open.safetensors")]) == 0
    assert "lab gate: none: this model scores every recording" in capsys.readouterr().out
    assert main(["info", str(base)]) == 0  # a model that never chose a gate says nothing of one
    assert "lab gate" not in capsys.readouterr().out


def test_a_recording_or_a_manifest_given_as_labels_is_named_as_such(tmp_path, capsys):
    """User trial: an EDF given as labels said "cannot decode as UTF-8", a corrections
    manifest "(columns: {)"."""
    from tests.two_eeg import write_two_eeg_edf

    edf, _ = write_two_eeg_edf(tmp_path / "rec.edf", 60)
    labels = tmp_path / "t.csv"
    labels.write_text("brain_state\n1\n2\n")
    manifest = tmp_path / "manifest.json"
    manifest.write_text('{\n "version": 1\n}\n')
    _one_error_line(capsys, main(["compare", str(labels), str(edf)]), str(edf),
                    "holds an EDF recording, not labels")
    _one_error_line(capsys, main(["compare", str(labels), str(manifest)]), str(manifest),
                    "is a JSON file, not a label table")
    code = main(["export-corrections", str(edf), str(edf), "--out", str(tmp_path / "corrX")])
    _one_error_line(capsys, code, str(edf), "holds an EDF recording, not labels")


def test_one_epoch_is_singular(tmp_path, capsys):
    """A user trial: converting one label to 3600-s epochs said "wrote 1 epochs of 3600 s"."""
    src = tmp_path / "acc.csv"
    src.write_text("brain_state\n2\n")
    out = tmp_path / "o.csv"
    assert main(["convert-labels", str(src), str(out), "--file-epoch-length", "3600"]) == 0
    assert f"wrote 1 epoch of 3600 s to {out}" in capsys.readouterr().out
    two = tmp_path / "o2.csv"
    assert main(["convert-labels", str(src), str(two), "--n-epochs", "2"]) == 0
    assert f"wrote 2 epochs of 1 s to {two}" in capsys.readouterr().out


def test_info_score_and_the_label_commands_agree_on_bids_trial_type(tmp_path, capsys):
    """A QA pass: `info` and `score` called an events file with BIDS's `trial_type` column
    "sleep labels" while `convert-labels`, `stats` and `compare` refused it as "not a label
    file". Stages in trial_type are now read; a task's events are named as no sleep labels
    by all of them."""
    sleep = tmp_path / "sub-1_events.tsv"
    sleep.write_text("onset\tduration\ttrial_type\n0\t4\tWake\n4\t4\tNREM\n8\t4\t3\n")
    for command in (["info", str(sleep)], ["score", str(sleep), "-o", str(tmp_path / "s.csv")]):
        _one_error_line(capsys, main(command), str(sleep), "holds sleep labels")
    out = tmp_path / "ours.csv"
    assert main(["convert-labels", str(sleep), str(out)]) == 0
    assert [r.split(",")[3] for r in out.read_text().splitlines()[1:]] == ["Wake", "NREM", "REM"]
    assert main(["stats", str(sleep)]) == 0
    assert main(["compare", str(sleep), str(out)]) == 0
    assert "agreement: 100.0%" in capsys.readouterr().out
    task = tmp_path / "sub-1_task-go_events.tsv"
    task.write_text("onset\tduration\ttrial_type\n0\t1\tgo\n0.5\t1\tstop\n")
    said = "event row 1: trial_type 'go' is not a sleep stage"
    for command in (["info", str(task)], ["score", str(task), "-o", str(tmp_path / "s.csv")]):
        _one_error_line(capsys, main(command), str(task), "neither signals nor sleep labels: "
                        + said)
    _one_error_line(capsys, main(["convert-labels", str(task), str(tmp_path / "t.csv")]),
                    f"{task}: {said}")
    _one_error_line(capsys, main(["stats", str(task)]), f"{task}: {said}")


@pytest.mark.parametrize("path", [".", "/", ".."])
def test_info_of_a_path_with_no_file_name_is_one_line(tmp_path, monkeypatch, capsys, path):
    """QA: `info .` and `info /` ended in a traceback (`Path('.').with_suffix`: "has an empty
    name"); they are folders without a recording, said as `info ..` says it."""
    monkeypatch.chdir(tmp_path)
    _one_error_line(capsys, main(["info", path]), f"error: {path}: ", "no .continuous files")


@pytest.mark.parametrize("rate", ["0", "-5", "nan", "inf", "abc"])
def test_info_refuses_a_rate_that_is_not_one_as_the_argument(tmp_path, capsys, rate):
    """QA: `info sig.csv --rate 0` blamed the file ("the file header is damaged or the rate
    must be given") for the user's --rate."""
    path = tmp_path / "t.csv"
    path.write_text("eeg,emg\n" + "1,2\n2,1\n" * 100)
    with pytest.raises(SystemExit) as stop:
        main(["info", str(path), "--rate", rate])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    errors = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: argument --rate: ")
    assert "t.csv" not in err and "damaged" not in err


def test_a_rate_given_for_a_file_with_its_own_is_said_to_be_unused(tmp_path, capsys):
    """QA: `--rate` was ignored without a word for an EDF, which stores its own rate."""
    path = tmp_path / "m.edf"
    eeg = np.random.default_rng(0).standard_normal(120 * 16).astype(np.float32)
    write_edf(Recording([Channel("EEG", ChannelKind.EEG, eeg, 16, "uV")], path), path)
    assert main(["info", str(path), "--rate", "100"]) == 0
    out = capsys.readouterr().out
    assert "16 Hz" in out
    assert ("  - --rate 100 is not used: this file stores its own sampling rate, and that is "
            "used (16 Hz)\n") in out
    table = tmp_path / "t.csv"  # a table's rate is the one given: nothing to say
    table.write_text("eeg,emg\n" + "1,2\n2,1\n" * 100)
    assert main(["info", str(table), "--rate", "100"]) == 0
    assert "is not used" not in capsys.readouterr().out


def test_a_label_like_table_in_an_unread_layout_is_not_promised_to_the_label_commands(
        tmp_path, capsys):
    """A trial: `info` called a table with a `label` column sleep labels that `stats` and
    `convert-labels` read, and both then refused it. Now every command says the same."""
    table = tmp_path / "l.csv"
    table.write_text("epoch,label\n0,Wake\n1,NREM\n")
    _one_error_line(capsys, main(["info", str(table)]), "l.csv", "looks like sleep labels",
                    "does not read", "BIDS events.tsv")
    _one_error_line(capsys, main(["convert-labels", str(table), str(tmp_path / "o.csv")]),
                    "not a label file this program knows")
    ours = tmp_path / "stats.csv"  # our own statistics table: its `state` column is no label
    ours.write_text("state,time_s,percent_of_scored\nWake,10,50\n")
    code = main(["info", str(ours), "--rate", "512"])
    assert code == 2 and "looks like sleep labels" not in capsys.readouterr().err


def test_events_without_rows_are_refused_not_written_as_an_empty_label_file(tmp_path, capsys):
    events = tmp_path / "sub-01_events.tsv"
    events.write_text("onset\tduration\ttrial_type\n")
    _one_error_line(capsys, main(["convert-labels", str(events), str(tmp_path / "o.csv")]),
                    "sub-01_events.tsv", "holds no labelled epochs")
    assert not (tmp_path / "o.csv").exists()
