"""Batch scoring: folders, --recursive, --jobs, and a bad file that must not stop the rest."""

import pytest
from sleepscorer_model.weights import build_model, save_model

from sleepscorer.cli import main
from tests.model.conftest import TINY, make_recording


@pytest.fixture
def batch(tmp_path):
    from sleepscorer.io import write_edf

    root = tmp_path / "study"
    (root / "day2").mkdir(parents=True)
    write_edf(make_recording(20, seed=1), root / "mouse1.edf")
    write_edf(make_recording(20, seed=2), root / "day2" / "mouse2.edf")
    (root / "broken.edf").write_bytes(b"not an EDF at all" * 30)
    model = tmp_path / "m.safetensors"
    save_model(build_model("sdreamer-seq", **TINY), model)
    return root, model


@pytest.mark.parametrize("jobs", [1, 2])
def test_recursive_batch_lists_failures_and_scores_the_rest(batch, tmp_path, capsys, jobs):
    root, model = batch
    out = tmp_path / f"out{jobs}"
    status = main(["score", str(root), "--recursive", "--jobs", str(jobs), "--out", str(out),
                   "--model", str(model), "--device", "cpu"])
    captured = capsys.readouterr()
    assert status == 1
    assert (out / "mouse1_scored.csv").exists()
    assert (out / "day2" / "mouse2_scored.csv").exists()
    assert "1 of 3 recording(s) failed" in captured.err
    assert "broken.edf: not an EDF/BDF file" in captured.err
    assert "Traceback" not in captured.err
    assert "mouse2.edf" in captured.out  # the summary table


def test_without_recursive_subfolders_are_skipped(batch, tmp_path, capsys):
    root, model = batch
    (root / "broken.edf").unlink()
    out = tmp_path / "flat"
    assert main(["score", str(root), "--out", str(out), "--model", str(model)]) == 0
    assert (out / "mouse1_scored.csv").exists() and not (out / "day2").exists()
    assert "note: not searched: 1 sub-folder (day2); --recursive (-r) scores" in \
        capsys.readouterr().err  # said, not silently passed over


def test_no_recordings_says_where_it_looked(tmp_path, capsys):
    (tmp_path / "day1").mkdir()
    assert main(["score", str(tmp_path), "-r", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "no recordings found in it or its sub-folders" in err and "--recursive" not in err


def test_empty_folder_is_a_clear_error(tmp_path, capsys):
    assert main(["score", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "no recordings found" in capsys.readouterr().err


def test_channel_roles_on_the_command_line(tmp_path, capsys):
    from sleepscorer.io import write_edf
    from sleepscorer.io.recording import Channel, Recording

    rec = make_recording(20, seed=3)
    unnamed = Recording([Channel(f"Channel{i + 1}", c.kind, c.data, c.rate, c.unit)
                         for i, c in enumerate(rec.channels)], rec.source)
    path = tmp_path / "unnamed.edf"
    write_edf(unnamed, path)
    model = tmp_path / "m.safetensors"
    save_model(build_model("sdreamer-seq", **TINY), model)
    out = tmp_path / "o.csv"
    assert main(["score", str(path), "--out", str(out), "--model", str(model)]) == 2
    err = capsys.readouterr().err
    assert "Channel1, Channel2" in err and "--eeg CHANNEL and --emg CHANNEL" in err
    assert not out.exists()
    assert main(["score", str(path), "--out", str(out), "--model", str(model),
                 "--eeg", "Channel1", "--emg", "Channel2"]) == 0
    assert out.exists()


def test_a_log_gets_whole_lines_and_a_bare_out_name_is_a_folder(batch, tmp_path, capsys):
    """Scoring into a log (stderr not a terminal): no carriage-return progress smears; and
    `-o scored` for one recording makes the folder `scored`, not a file called `scored`."""
    root, model = batch
    out = tmp_path / "scored"
    assert main(["score", str(root / "mouse1.edf"), "-o", str(out), "--model", str(model)]) == 0
    err = capsys.readouterr().err
    assert "\r" not in err and "%" not in err
    assert out.is_dir() and (out / "mouse1_scored.csv").is_file()
    assert err.splitlines()[0].startswith(f"{root / 'mouse1.edf'} -> {out / 'mouse1_scored.csv'}")
    assert main(["score", str(root), "--recursive", "-o", str(tmp_path / "all"), "--model", str(model)]) == 1
    err = capsys.readouterr().err
    assert "\r" not in err and "1/3 " in err and "3/3 " in err


def test_a_batch_applies_channel_names_only_where_they_exist(batch, tmp_path, capsys):
    """--eeg/--emg name the channels of the unnamed EDFs; a file with named channels in the
    same folder keeps its own names instead of failing."""
    from sleepscorer.io import write_edf
    from sleepscorer.io.recording import Channel, Recording

    root, model = batch
    (root / "broken.edf").unlink()
    rec = make_recording(20, seed=3)
    write_edf(Recording([Channel(f"Channel{i + 1}", c.kind, c.data, c.rate, c.unit)
                         for i, c in enumerate(rec.channels)], rec.source), root / "unnamed.edf")
    out = tmp_path / "mixed"
    assert main(["score", str(root), "-o", str(out), "--model", str(model), "--device", "cpu",
                 "--eeg", "Channel1", "--emg", "Channel2"]) == 0
    assert (out / "unnamed_scored.csv").is_file() and (out / "mouse1_scored.csv").is_file()
    assert "no channel named 'Channel1' or 'Channel2': scored by its own channel names" in (
        capsys.readouterr().err)


def test_several_recordings_into_one_csv_name_are_refused(batch, tmp_path, capsys):
    root, model = batch
    out = tmp_path / "many.csv"
    assert main(["score", str(root / "mouse1.edf"), str(root / "day2" / "mouse2.edf"),
                 "-o", str(out), "--model", str(model)]) == 2
    assert "names one label file, but 2 recordings" in capsys.readouterr().err
    assert not out.exists()


def test_a_batch_names_the_tables_it_does_not_score(batch, tmp_path, capsys):
    """A folder's table recordings were skipped without a word; a recording's own label file
    beside it is not mentioned."""
    root, model = batch
    (root / "broken.edf").unlink()
    (root / "mouse1.csv").write_text("epoch,stage\n0,Wake\n")  # mouse1.edf's labels
    (root / "mouse1_scored.csv").write_text("epoch,stage\n0,Wake\n")  # an earlier output
    (root / "accusleep_mouse3.csv").write_text("EEG,EMG\n1,2\n")
    assert main(["score", str(root), "--out", str(tmp_path / "o"), "--model", str(model)]) == 0
    err = capsys.readouterr().err
    assert "note: not scored: 1 signal table (accusleep_mouse3.csv); a batch scores " in err
    assert "name a signal table on its own with --rate to score it" in err


def test_a_batch_note_says_what_each_skipped_file_is(batch, tmp_path, capsys):
    """A user trial: 'note: 2 table file(s) not scored (e.g. bad/notes.txt)' called notes.txt
    a table."""
    root, model = batch
    (root / "broken.edf").unlink()
    (root / "notes.txt").write_text("mouse 1, cage 2\nall fine\n")
    (root / "README").write_text("study notes\n")
    (root / "x.csv").write_text("epoch,onset_s,stage\n0,0,Wake\n")
    (root / ".hidden.txt").write_text("x")
    (root / "sub-01_events.tsv").write_text("onset\tduration\tstage\n0\t1\t1\n")
    (root / "sub-01_events.json").write_text("{}")  # BIDS: the events' sidecar
    assert main(["score", str(root), "--out", str(tmp_path / "o"), "--model", str(model)]) == 0
    err = capsys.readouterr().err
    assert ("note: not scored: 2 label files (sub-01_events.tsv, x.csv), 1 BIDS sidecar "
            "(sub-01_events.json), 2 other files (README, notes.txt); a batch "
            "scores EDF, BDF, MATLAB and Parquet recordings (by their content, whatever their "
            "names) and Open Ephys folders\n") in err
    assert "table file" not in err


def test_a_batch_counts_an_accusleep_label_csv_as_a_label_file(batch, tmp_path, capsys):
    """A QA pass: an AccuSleep label CSV (one `brain_state` column) was listed under "other
    files" although `info` says it holds sleep labels."""
    root, model = batch
    (root / "broken.edf").unlink()
    (root / "acc.csv").write_text("brain_state\n" + "1\n3\n2\n" * 20)
    (root / "notes.txt").write_text("hi\n")
    assert main(["score", str(root), "--out", str(tmp_path / "o"), "--model", str(model)]) == 0
    err = capsys.readouterr().err
    assert "note: not scored: 1 label file (acc.csv), 1 other file (notes.txt); " in err


def test_links_that_lead_nowhere_are_named_and_the_rest_is_scored(batch, tmp_path, capsys):
    """A user trial: two links pointing at each other in a folder ended the batch in a
    traceback (nothing scored), and such a link named on its own was "file not found"."""
    root, model = batch
    (root / "broken.edf").unlink()
    (root / "l1.edf").symlink_to("l2.edf")
    (root / "l2.edf").symlink_to("l1.edf")
    (root / "gone.edf").symlink_to("moved-away.edf")
    assert main(["score", str(root), "--out", str(tmp_path / "o"), "--model", str(model)]) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and "3 broken links (gone.edf, l1.edf, l2.edf)" in err
    assert list((tmp_path / "o").glob("*_scored.csv"))  # the recordings beside them are scored
    assert main(["info", str(root / "l1.edf")]) == 2
    assert "symbolic link that leads back to itself" in capsys.readouterr().err
    assert main(["info", str(root / "gone.edf")]) == 2
    assert "link to moved-away.edf, which does not exist" in capsys.readouterr().err


def test_a_batch_scores_a_recording_by_its_content_whatever_its_name(batch, tmp_path, capsys):
    """A user trial: `score DIR -r` skipped an EDF named `mouse3` (or `mouse3.dat`), naming it
    'recording without its suffix', though the app opened it when dropped. It is scored, with
    the single-file path's warning; labels, videos, notes and the batch's own outputs (here
    written inside the folder scored) are still not taken, on a rerun too, and no input changes."""
    root, model = batch
    (root / "broken.edf").unlink()
    edf = (root / "mouse1.edf").read_bytes()
    (root / "day2" / "mouse3").write_bytes(edf)
    (root / "mouse4.dat").write_bytes(edf)
    (root / "mouse4_labels.csv").write_text("epoch,stage\n0,Wake\n")  # its labels: not listed
    (root / "cage.mp4").write_bytes(b"\0\0\0\x18ftypmp42" + b"\0" * 64)
    (root / "notes.txt").write_text("mouse 3 lost its headstage at 2 pm\n")
    inputs = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    single = tmp_path / "single.csv"
    assert main(["score", str(root / "day2" / "mouse3"), "-o", str(single), "--model", str(model)]) == 0
    said = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("warning:")]
    out = root / "scored"
    args = ["score", str(root), "-r", "-o", str(out), "--model", str(model), "--device", "cpu"]
    for _ in range(2):  # the rerun finds the same recordings, not the first run's outputs
        assert main(args) == 0
        captured = capsys.readouterr()
        written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()
                         and not p.name.endswith(".provenance.json"))  # which model: beside
        assert written == ["day2/mouse2_scored.csv", "day2/mouse3_scored.csv", "mouse1_scored.csv",
                           "mouse4_scored.csv"]
        assert "mouse3" in captured.out and "mouse4.dat" in captured.out
        assert said[0].startswith(f"warning: {root / 'day2' / 'mouse3'}: mouse3 holds an EDF "
                                  "recording although it has no suffix; read as EDF")
        assert said[0] in captured.err.splitlines()  # the single-file path's warning, word for word
        assert (f"warning: {root / 'mouse4.dat'}: mouse4.dat holds an EDF recording although "
                "named .dat; read as EDF") in captured.err
        note = [ln for ln in captured.err.splitlines() if ln.startswith("note:")]
        assert note == ["note: not scored: 2 other files (cage.mp4, notes.txt); a batch scores EDF, "
                        "BDF, MATLAB and Parquet recordings (by their content, whatever their "
                        "names) and Open Ephys folders"]
    assert all(p.read_bytes() == b for p, b in inputs.items())


def test_a_rerun_replaces_model_output_but_never_a_persons_labels(batch, tmp_path, capsys):
    """A user trial: rerunning a batch into its output folder replaced the CSV an expert had
    corrected (source=expert) with model rows, without a word. Model output is replaced (a
    batch can be run again); a file holding a person's labels stops the batch before any work."""
    root, model = batch
    (root / "broken.edf").unlink()
    out = tmp_path / "out"
    args = ["score", str(root), "--recursive", "--out", str(out), "--model", str(model)]
    assert main(args) == 0
    scored = out / "mouse1_scored.csv"
    assert main(args) == 0  # model output only: replaced
    lines = scored.read_text().splitlines()
    lines[3] = lines[3].replace(",model,", ",expert,")
    scored.write_text("\n".join(lines) + "\n")
    corrected = scored.read_bytes()
    capsys.readouterr()
    assert main(args) == 2  # every output is checked before any scoring starts
    err = capsys.readouterr().err
    assert "mouse1_scored.csv: exists and holds 1 label(s) set by a person" in err
    assert scored.read_bytes() == corrected


def test_outputs_never_replace_a_recording_or_someone_elses_labels(batch, tmp_path, capsys):
    """`score -o` onto an AccuSleep signal table, `stats -o` and `convert-labels` onto a label
    file without provenance, and `train -o` onto its own recording or labels replaced them."""
    root, model = batch
    rec = root / "mouse1.edf"
    table = tmp_path / "signals.csv"
    table.write_text("eeg,emg\n0.1,0.2\n0.3,0.4\n")
    truth = tmp_path / "truth.csv"
    truth.write_text("epoch,stage\n" + "".join(f"{i},NREM\n" for i in range(20)))
    before = {p: p.read_bytes() for p in (rec, table, truth)}
    runs = [["score", str(rec), "-o", str(table), "--model", str(model)],
            ["stats", str(truth), "-o", str(truth)],
            ["convert-labels", str(truth), str(truth.with_name("truth_copy.csv"))],
            ["convert-labels", str(truth.with_name("truth_copy.csv")), str(truth)],
            ["train", f"{rec}={truth}", "--epochs", "1", "-o", str(rec)],
            ["train", f"{rec}={truth}", "--epochs", "1", "-o", str(truth)]]
    statuses = [main(r) for r in runs]
    err = capsys.readouterr().err
    assert statuses == [2, 2, 0, 2, 2, 2]
    assert "signals.csv: exists and holds a recording (signal columns)" in err
    assert "truth.csv: exists and holds labels (of a layout that does not say who set them)" in err
    assert "give a name ending with .safetensors" in err and "Traceback" not in err
    assert all(p.read_bytes() == b for p, b in before.items())
    stats = tmp_path / "stats.csv"
    assert main(["stats", str(truth), "-o", str(stats)]) == 0
    assert main(["stats", str(truth), "-o", str(stats)]) == 0  # our own table: replaced


def test_ctrl_c_lists_what_the_stopped_batch_wrote(batch, tmp_path, capsys, monkeypatch):
    """A user trial: Ctrl+C printed only "error: interrupted", so which files in the folder
    came from the stopped run could not be told."""
    from sleepscorer.cli import batch as batch_module

    root, model = batch
    (root / "broken.edf").unlink()
    real = batch_module._score_in_worker
    calls = []

    def interrupted_on_the_second(*task):
        calls.append(task[0])
        if len(calls) == 2:
            raise KeyboardInterrupt  # what Ctrl+C delivers to the scoring loop
        return real(*task)

    monkeypatch.setattr(batch_module, "_score_in_worker", interrupted_on_the_second)
    out = tmp_path / "out"
    assert main(["score", str(root), "-r", "--out", str(out), "--model", str(model)]) == 130
    captured = capsys.readouterr()
    assert ("interrupted: 1 of 2 recording(s) were done before the stop (1 written, 0 failed; "
            "listed above); the other 1 were not scored") in captured.err
    written = sorted(p.name for p in out.rglob("*.csv"))
    assert len(written) == 1 and written[0] in captured.out


def test_a_batch_passes_over_a_mat_label_file_as_it_does_a_label_table(batch, tmp_path, capsys):
    """A user trial: `score DIR -r` took an AccuSleep/MiSleep label file (`sleep_scores` only,
    v5 or v7.3) by its .mat suffix and listed it among the failed recordings ("no EEG in this
    .mat file"). It is a label file: noted as such (a recording's own, named after it, is not
    listed); a .mat with an EMG but no EEG is still a failed recording. Named on its own, it is
    refused as labels."""
    import numpy as np
    import scipy.io

    from tests.fuzz.builders import write_mat73

    root, model = batch
    (root / "broken.edf").unlink()
    scipy.io.savemat(root / "accusleep.mat", {"sleep_scores": np.zeros(20)})
    write_mat73(root / "day2" / "misleep.mat", {"sleep_scores": np.zeros(20)})
    scipy.io.savemat(root / "mouse1_labels.mat", {"sleep_scores": np.zeros(20)})  # mouse1's
    scipy.io.savemat(root / "emgonly.mat", {"emg": np.zeros(2560), "sleep_scores": np.zeros(10)})
    out = tmp_path / "out"
    assert main(["score", str(root), "-r", "-o", str(out), "--model", str(model)]) == 1
    err = capsys.readouterr().err
    assert ("note: not scored: 2 label files (accusleep.mat, day2/misleep.mat); a batch "
            "scores ") in err
    assert "1 of 3 recording(s) failed" in err and "emgonly.mat: no EEG in this .mat" in err
    assert "accusleep.mat:" not in err and "misleep.mat:" not in err
    assert sorted(p.name for p in out.rglob("*.csv")) == ["mouse1_scored.csv", "mouse2_scored.csv"]
    assert main(["score", str(root / "accusleep.mat"), "-o", str(tmp_path / "x.csv"),
                 "--model", str(model)]) == 2
    assert (f"error: {root / 'accusleep.mat'}: this file holds sleep labels (sleep_scores), not "
            "signals; open the recording and import these labels onto it") in capsys.readouterr().err


def test_the_summary_has_a_column_for_every_state_any_row_has(capsys):
    """A user trial: a file 96 % Artifact (a lost electrode) read 1.5 / 2.3 / 0.0 %, its
    Artifact column missing because the first row had none."""
    from pathlib import Path

    from sleepscorer.cli.batch import Outcome, print_summary

    print_summary([Outcome(Path("a.mat"), Path("o/a.csv"), 600, {"Wake": 0.997, "NREM": 0.003,
                                                                   "REM": 0.0}, 1.0, ""),
                   Outcome(Path("b.edf"), Path("o/b.csv"), 600, {"Wake": 0.015, "NREM": 0.023,
                                                                   "REM": 0.0, "Artifact": 0.962},
                           0.5, "")])
    header, first, second = capsys.readouterr().out.splitlines()
    assert header.split()[2:7] == ["Wake", "NREM", "REM", "Artifact", "took"]
    assert second.split()[2:6] == ["1.5%", "2.3%", "0.0%", "96.2%"] and "0.0%" in first


def test_ctrl_c_on_one_recording_says_what_it_left(batch, tmp_path, capsys, monkeypatch):
    """A user trial: "error: interrupted" said neither that nothing was written nor that the
    earlier output was kept."""
    from sleepscorer.cli import score as score_module

    root, model = batch
    out = tmp_path / "m.csv"
    assert main(["score", str(root / "mouse1.edf"), "-o", str(out), "--model", str(model)]) == 0
    before = out.read_bytes()

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(score_module, "score_file", stopped)
    capsys.readouterr()
    assert main(["score", str(root / "mouse1.edf"), "-o", str(out), "--model", str(model)]) == 130
    assert f"interrupted: nothing was written; the earlier {out} is kept" in capsys.readouterr().err
    assert out.read_bytes() == before
