"""`sleepscorer stats` and `sleepscorer compare` on label files (no torch, no Qt)."""

from __future__ import annotations

import json

import numpy as np

from sleepscorer.cli import main
from sleepscorer.core.statistics import compute_statistics, statistics_dict
from sleepscorer.hypnogram import Hypnogram
from sleepscorer.io.labels import read_labels, write_labels_csv
from sleepscorer.stages import Stage

W, N, R = Stage.WAKE, Stage.NREM, Stage.REM


def labels(tmp_path, name, stages):
    path = tmp_path / name
    write_labels_csv(Hypnogram.from_arrays(np.asarray(stages, np.int8)), path)
    return path


def test_stats_prints_and_writes_the_panels_numbers(tmp_path, capsys):
    stages = np.repeat([W, N, R, W, N], [300, 200, 60, 100, 140])
    path = labels(tmp_path, "a.csv", stages)
    assert main(["stats", str(path), "--out", str(tmp_path / "s.json"),
                 "--start-time", "2024-03-01T06:55"]) == 0
    out = capsys.readouterr().out
    assert "a.csv" in out and "sleep latency 5.0 min" in out and "REM latency" in out
    assert "  dark (19-07 h): Wake 5.0 min\n" in out and "  light (07-19 h): Wake 1.7 min," in out
    data = json.loads((tmp_path / "s.json").read_text())
    from datetime import datetime

    same = statistics_dict(compute_statistics(read_labels(path),
                                              start_time=datetime(2024, 3, 1, 6, 55)))
    assert data == json.loads(json.dumps(same))  # one function: the app's numbers
    assert data["light_s"]["Wake"] + data["dark_s"]["Wake"] == data["time_s"]["Wake"]
    assert main(["stats", str(path), "--out", str(tmp_path / "s.csv")]) == 0
    assert (tmp_path / "s.csv").read_text().startswith("state,time_s")


def test_stats_of_several_files_and_bad_output(tmp_path, capsys):
    a = labels(tmp_path, "a.csv", np.repeat([W, N], 100))
    b = labels(tmp_path, "b.csv", np.repeat([N, R], 100))
    assert main(["stats", str(a), str(b), "--out", str(tmp_path / "all.csv")]) == 0
    rows = (tmp_path / "all.csv").read_text().splitlines()
    assert rows[0].startswith("file,state") and sum(str(b) in r for r in rows) >= 3
    assert main(["stats", str(a), "--out", str(tmp_path / "s.txt")]) == 2
    assert "must end with .csv or .json" in capsys.readouterr().err


def test_compare_reports_agreement_kappa_f1_confusion(tmp_path, capsys):
    a = labels(tmp_path, "expert.csv", np.repeat([W, N, R, N], 50))
    other = np.repeat([W, N, R, N], 50)
    other[60:70] = W
    b = labels(tmp_path, "model.csv", other)
    assert main(["compare", str(a), str(b), "--out", str(tmp_path / "c.json")]) == 0
    out = capsys.readouterr().out
    assert "agreement: 95.0%" in out and "Cohen's kappa" in out and "F1" in out
    data = json.loads((tmp_path / "c.json").read_text())
    assert data["confusion"]["NREM"]["Wake"] == 10 and data["epochs_compared"] == 200
    four = tmp_path / "model4.csv"  # a 4-s file: compared at 4 s, and said so
    write_labels_csv(Hypnogram.from_arrays(other[::4], 4.0), four)
    assert main(["compare", str(a), str(four)]) == 0
    assert "epochs compared: 50 of 4 s" in capsys.readouterr().out



def test_stats_per_hour_bins_say_what_they_are_aligned_to(tmp_path, capsys):
    path = labels(tmp_path, "day.csv", np.repeat([W, N, R, W, N], [1800, 2400, 600, 1200, 1200]))
    out = tmp_path / "s.csv"
    assert main(["stats", str(path), "--start-time", "2024-03-01T18:30", "-o", str(out)]) == 0
    assert "  per hour (in --out): 2 bins from the recording start\n" in capsys.readouterr().out
    assert "per hour,bins aligned to recording start\n" in out.read_text()
    out.unlink()
    assert main(["stats", str(path), "--start-time", "2024-03-01T18:30", "--clock-hours",
                 "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "  per hour (in --out): 3 bins on clock hours (first 30.0 min, last 30.0 min)\n" \
        in printed
    rows = out.read_text().split("per hour,bins aligned to clock hours\n")[1].splitlines()
    assert rows[:4] == ["hour_from_recording_start,clock_time,length_s,Wake_s,NREM_s,REM_s,"
                        "MA_s,Artifact_s", "0,2024-03-01 18:30,1800,1800,0,0,0,0",
                        "0.5,2024-03-01 19:00,3600,600,2400,600,0,0",
                        "1.5,2024-03-01 20:00,1800,600,1200,0,0,0"]
    assert main(["stats", str(path), "--clock-hours"]) == 2  # no start time: one line
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {path}: --clock-hours needs the recording's start time, and it is "
                   "not known; give --start-time (e.g. 2024-03-01T08:00)"]


def test_stats_clock_hours_from_the_recordings_start_time(openephys_dir, tmp_path, capsys):
    """The demo starts at 12:25:40 and lasts 29 min: one partial bin before 13:00."""
    path = labels(tmp_path, "demo.csv", np.repeat([W, N], [900, 841]))
    out = tmp_path / "s.json"
    assert main(["stats", str(path), "--recording", str(openephys_dir), "--clock-hours",
                 "-o", str(out)]) == 0
    assert "per hour (in --out): 1 bin on clock hours (29.0 min)" in capsys.readouterr().out
    data = json.loads(out.read_text())
    assert data["per_hour_aligned_to"] == "clock hours"
    assert data["per_hour_s"] == [{"hour": "2019-11-01 12:25:40", "start_s": 0.0,
                                   "length_s": 1741.0, "Wake": 900.0, "NREM": 841.0,
                                   "REM": 0.0, "MA": 0.0, "Artifact": 0.0}]


def test_compare_says_n_a_for_a_state_one_file_never_holds(tmp_path, capsys):
    stages = np.repeat([W, N, W, N], [60, 60, 40, 40])
    a = labels(tmp_path, "A.csv", stages)
    with_rem = stages.copy()
    with_rem[100:112] = R  # B scores REM, A none
    b = labels(tmp_path, "B.csv", with_rem)
    out_json = tmp_path / "c.json"
    assert main(["compare", str(a), str(b), "--out", str(out_json)]) == 0
    out = capsys.readouterr().out
    assert "per-state F1: Wake 1.000, NREM 0.936, REM n/a (only in B.csv: 12 epochs)\n" in out
    text = out_json.read_text()
    assert "NaN" not in text  # strict JSON: null where a figure is undefined
    data = json.loads(text)
    assert data["f1"]["REM"] is None and data["recall"]["REM"] is None
    assert data["precision"]["REM"] == 0.0 and data["f1"]["Wake"] == 1.0


def test_stats_out_never_lands_on_the_recording_or_a_label_file(tmp_path, capsys):
    a = labels(tmp_path, "a.csv", np.repeat([W, N], 100))
    recording = tmp_path / "mouse.csv"  # a table recording: a .csv like the output
    recording.write_text("time,EEG,EMG\n")
    before = recording.read_bytes(), a.read_bytes()
    assert main(["stats", str(a), "--recording", str(recording), "--out", str(recording)]) == 2
    assert main(["stats", str(a), "--out", str(a)]) == 2
    err = capsys.readouterr().err
    assert err.count("writing it would destroy the input") == 2 and "Traceback" not in err
    assert (recording.read_bytes(), a.read_bytes()) == before


def test_compare_warns_when_the_files_cover_different_durations(tmp_path, capsys):
    a = labels(tmp_path, "long.csv", np.repeat([W, N], 500))
    b = labels(tmp_path, "short.csv", np.repeat([W, N], 150))
    assert main(["compare", str(a), str(b)]) == 0
    err = capsys.readouterr().err
    assert "long.csv covers 1000 s and short.csv 300 s" in err
    c = labels(tmp_path, "same.csv", np.repeat([W, N], 500))
    assert main(["compare", str(a), str(c)]) == 0
    assert "warning" not in capsys.readouterr().err


def test_compare_refuses_a_bad_out_before_printing_figures(tmp_path, capsys):
    a = labels(tmp_path, "a.csv", np.repeat([W, N], 100))
    assert main(["compare", str(a), str(a), "--out", str(tmp_path / "c.txt")]) == 2
    assert "agreement" not in capsys.readouterr().out


def test_a_closed_pipe_ends_a_command_quietly(tmp_path, monkeypatch):
    import os

    a = labels(tmp_path, "a.csv", np.repeat([W, N], 100))
    read, write = os.pipe()
    os.close(read)  # the reader (`| head`) has gone
    pipe = os.fdopen(write, "w", buffering=1)
    monkeypatch.setattr("sys.stdout", pipe)
    assert main(["compare", str(a), str(a)]) == 141


def test_label_outputs_never_take_a_recordings_name(tmp_path, capsys):
    """A tab-completed `convert-labels mouse1.csv mouse1.edf` replaced the recording with
    CSV text (and `.mat` / plain `.tsv` got CSV text too): refused, the file untouched."""
    source = labels(tmp_path, "mouse1.csv", [W, N, N, R, W])
    for name in ("mouse1.edf", "x.mat", "plain.tsv"):
        victim = tmp_path / name
        victim.write_bytes(b"0       recording bytes")
        assert main(["convert-labels", str(source), str(victim)]) != 0
        assert victim.read_bytes() == b"0       recording bytes"
        assert "holds a recording" in capsys.readouterr().err
    assert main(["convert-labels", str(source), str(tmp_path / "sub-01_events.tsv")]) == 0
    assert main(["convert-labels", str(source), str(tmp_path / "copy.CSV")]) == 0


def test_a_mistyped_command_is_not_opened_as_a_recording(capsys):
    assert main(["labels"]) == 2
    err = capsys.readouterr().err
    assert "'labels' is neither a command (did you mean convert-labels?)" in err
    assert "xvfb-run" not in err  # it was taken as a recording for the app to open


def test_epoch_lengths_of_files_that_do_not_record_them(tmp_path, capsys):
    """Session 14's trial: 4-s AccuSleep labels compared with the 1-s truth agreed 54 %
    (kappa -0.06) with no hint; `--epoch-length` meant for such files re-binned files that
    record theirs (a 1-s hypnogram's bouts merged by `stats --epoch-length 4`); `stats` of an
    AccuSleep file assumed 1-s epochs without a word."""
    truth = np.repeat([W, N, R, W, N], [300, 200, 60, 100, 140])
    ours = labels(tmp_path, "truth.csv", truth)
    accu = tmp_path / "accu4.csv"
    code = {W: "2", N: "3", R: "1"}
    accu.write_text("brain_state\n" + "\n".join(code[Stage(s)] for s in truth[::4]) + "\n")

    assert main(["compare", str(ours), str(accu)]) == 0
    err = capsys.readouterr().err
    assert "accu4.csv does not record its epoch length" in err and "--file-epoch-length 4" in err
    assert main(["compare", str(ours), str(accu), "--epoch-length", "4"]) == 0
    captured = capsys.readouterr()
    assert "agreement: 100.0%" in captured.out and captured.err == ""

    assert main(["stats", str(ours)]) == 0
    plain = capsys.readouterr().out
    assert main(["stats", str(ours), "--epoch-length", "4"]) == 0
    unused = "  warning: --file-epoch-length 4 is not used: it is for files that do not record"
    out = capsys.readouterr().out
    assert out.startswith(plain) and out[len(plain):].startswith(unused)  # same figures, said
    assert main(["stats", str(accu)]) == 0
    assert "accu4.csv does not record its epoch length: read as one label per 1 s" in \
        capsys.readouterr().out


def test_compare_says_what_it_assumed_and_what_it_did_not_use(tmp_path, capsys):
    """A user trial: `compare --epoch-length 4` on files that record 1 s, an AccuSleep file
    read at 1 s, and a file compared with itself were all silent."""
    ours = tmp_path / "ours.csv"
    ours.write_text("epoch,onset_s,duration_s,stage,source\n0,0,1,Wake,model\n1,1,1,NREM,model\n"
                    "2,2,1,NREM,model\n")
    accusleep = tmp_path / "acc.csv"
    accusleep.write_text("brain_state\n2\n3\n3\n")
    assert main(["compare", str(ours), str(ours), "--epoch-length", "4"]) == 0
    err = capsys.readouterr().err
    assert "--file-epoch-length 4 is not used: it is for files that do not record" in err
    assert err.count("is not used") == 1 and "compared with itself" in err
    assert main(["compare", str(ours), str(accusleep)]) == 0
    err = capsys.readouterr().err
    assert "acc.csv does not record its epoch length: read as one label per 1 s" in err


def test_compare_out_names_a_and_b(tmp_path, capsys):
    """QA: `compare A B --out` wrote a JSON that named neither file, so which one the rows of
    its confusion matrix are could not be told. Named as the app's export names them; by the
    paths given when the two file names are the same."""
    a = labels(tmp_path, "expert.csv", np.repeat([W, N, R, N], 50))
    b = labels(tmp_path, "model.csv", np.repeat([W, N, N, N], 50))
    out = tmp_path / "c.json"
    assert main(["compare", str(a), str(b), "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert (data["a"], data["b"]) == ("expert.csv", "model.csv")
    assert data["confusion"]["REM"]["NREM"] == 50  # rows: A's states
    (tmp_path / "d1").mkdir()
    (tmp_path / "d2").mkdir()
    same_a = labels(tmp_path, "d1/labels.csv", np.repeat([W, N], 100))
    same_b = labels(tmp_path, "d2/labels.csv", np.repeat([W, N], 100))
    assert main(["compare", str(same_a), str(same_b), "--out", str(tmp_path / "s.json")]) == 0
    data = json.loads((tmp_path / "s.json").read_text())
    assert (data["a"], data["b"]) == (str(same_a), str(same_b))
    capsys.readouterr()


def test_stats_and_compare_out_replace_only_their_own_earlier_output(tmp_path, capsys):
    """QA: `stats X --out Y.csv` and `compare X Y --out Z.provenance.json` replaced, without a
    word, a label file that `score` wrote and its scoring record: output a rerun of `score` may
    replace, but never a table. A result replaces only an earlier result of its kind, and
    says so."""
    from sleepscorer.hypnogram import Source
    from sleepscorer.io.provenance import record_path, write_record

    a = labels(tmp_path, "a.csv", np.repeat([W, N], 100))
    b = labels(tmp_path, "b.csv", np.repeat([W, N, R], [100, 90, 10]))
    scored = tmp_path / "scored.csv"
    write_labels_csv(Hypnogram.from_arrays(np.repeat([W, N], 100).astype(np.int8),
                                           source=Source.MODEL), scored)
    record = write_record(scored, {"model": "test"})
    notes = tmp_path / "notes.json"
    notes.write_text('{"mouse": 1}')
    kept = {p: p.read_bytes() for p in (scored, record, notes)}
    refusals = [
        (["stats", str(a), "--out", str(scored)], "labels scored by a model"),
        (["stats", str(a), "--out", str(record)], "a scoring record"),
        (["compare", str(a), str(b), "--out", str(record)], "a scoring record"),
        (["compare", str(a), str(b), "--out", str(notes)], "a file SleepScorer did not write"),
    ]
    for argv, held in refusals:
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: {argv[-1]}: exists and holds {held}")
        assert err.count("\n") == 1 and "choose another output path" in err
    assert {p: p.read_bytes() for p in kept} == kept
    assert record_path(scored) == record

    stats_out, cmp_out = tmp_path / "s.json", tmp_path / "c.json"
    for argv, out in ((["stats", str(a), "--out", str(stats_out)], stats_out),
                      (["compare", str(a), str(b), "--out", str(cmp_out)], cmp_out)):
        assert main(argv) == 0
        assert capsys.readouterr().out.endswith(f"wrote {out}\n")
        assert main(argv) == 0  # its own earlier output: replaced, and said
        assert capsys.readouterr().out.endswith(f"wrote {out}, replacing the earlier output "
                                                "there\n")
    assert main(["stats", str(a), "--out", str(cmp_out)]) == 2  # another kind of result
    assert "holds a comparison" in capsys.readouterr().err
    assert main(["compare", str(a), str(b), "--out", str(stats_out)]) == 2
    assert "holds statistics" in capsys.readouterr().err
    assert main(["stats", str(a), str(b), "--out", str(tmp_path / "all.csv")]) == 0
    assert main(["stats", str(a), "--out", str(tmp_path / "all.csv")]) == 0  # statistics both
    assert "replacing the earlier output there" in capsys.readouterr().out
