"""Outputs never destroy: not an input, not a device/FIFO/folder, checked before any work;
batch outputs that would collide get distinct names; the summary says what was written."""

import hashlib
import os
import re
from pathlib import Path

import pytest
from sleepscorer_model.weights import build_model, save_model

from sleepscorer.cli import main
from sleepscorer.errors import SleepScorerError
from sleepscorer.io import write_edf
from sleepscorer.io.outputs import check_output_file, check_output_folder, distinct_names
from tests.model.conftest import TINY, make_recording


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "m.safetensors"
    save_model(build_model("sdreamer-seq", **TINY), path)
    return path


@pytest.fixture
def rec(tmp_path) -> Path:
    path = tmp_path / "rec.edf"
    write_edf(make_recording(20, seed=1), path)
    return path


def score(rec: Path, out: str | Path, model: Path, *extra: str) -> int:
    return main(["score", str(rec), "--out", str(out), "--model", str(model), "--device", "cpu",
                 *extra])


def test_score_refuses_to_overwrite_its_input(rec, tiny_model, capsys):
    before = digest(rec)
    assert score(rec, rec, tiny_model) == 2
    err = capsys.readouterr().err
    assert "is the input" in err and "Traceback" not in err
    assert digest(rec) == before


def test_score_refuses_an_input_reached_through_a_symlink_or_hard_link(rec, tiny_model, capsys):
    before = digest(rec)
    (rec.parent / "link.csv").symlink_to(rec)
    os.link(rec, rec.parent / "hard.csv")
    assert score(rec, rec.parent / "link.csv", tiny_model) == 2
    assert score(rec, rec.parent / "hard.csv", tiny_model) == 2
    assert capsys.readouterr().err.count("is the input") == 2
    assert digest(rec) == before


def test_devices_and_fifos_are_never_replaced(rec, tiny_model, tmp_path, capsys):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    assert score(rec, "/dev/null", tiny_model) == 2
    assert score(rec, fifo, tiny_model) == 2
    assert Path("/dev/null").is_char_device() and fifo.is_fifo()
    assert capsys.readouterr().err.count("not a regular file") == 2


def test_convert_labels_refuses_its_input_and_an_existing_folder(tmp_path, capsys):
    labels = tmp_path / "a.csv"
    labels.write_text("epoch,onset_s,duration_s,stage\n0,0,1,Wake\n1,1,1,NREM\n")
    before = digest(labels)
    assert main(["convert-labels", str(labels), str(labels)]) == 2
    assert main(["convert-labels", str(labels), str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is the input" in err and "is an existing folder" in err
    assert digest(labels) == before


def test_a_refused_output_leaves_its_folder_untouched(tmp_path, capsys):
    """A label name that would replace a recording is refused without a trace: no probe file
    comes and goes in the recording's folder (its modification time stays)."""
    data = tmp_path / "data"
    data.mkdir()
    labels = tmp_path / "a.csv"
    labels.write_text("epoch,onset_s,duration_s,stage\n0,0,1,Wake\n1,1,1,NREM\n")
    recording = data / "mouse1.edf"
    recording.write_bytes(b"0" * 256)
    os.utime(data, (1_000_000_000, 1_000_000_000))
    assert main(["convert-labels", str(labels), str(recording)]) == 2
    assert "holds a recording" in capsys.readouterr().err
    assert data.stat().st_mtime == 1_000_000_000 and sorted(data.iterdir()) == [recording]


def test_a_full_disk_is_one_line_naming_the_file(tmp_path, capsys, monkeypatch):
    """A disk that fills after the checks (a long batch) ends in one line, not a traceback,
    and the old output is still whole."""
    import errno
    import tempfile

    labels = tmp_path / "a.csv"
    labels.write_text("epoch,onset_s,duration_s,stage\n0,0,1,Wake\n1,1,1,NREM\n")
    out = tmp_path / "b.csv"
    old = "epoch,stage,source\n0,Wake,model\n"  # an earlier output of ours
    out.write_text(old)

    def full(*_args, dir=None, **_kw):  # noqa: A002 - mkstemp's own keyword
        raise OSError(errno.ENOSPC, "No space left on device", str(dir))
    monkeypatch.setattr(tempfile, "mkstemp", full)
    assert main(["convert-labels", str(labels), str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "No space left on device" in err[0] and str(tmp_path) in err[0]
    assert out.read_text() == old


def test_finetune_names_what_it_writes_and_refuses_other_suffixes(tmp_path, capsys):
    """Session 14's trial: `finetune --out manifest.json` trained, then printed 'wrote
    manifest.json' while writing manifest.json.safetensors and manifest.json.json beside the
    corrections' manifest."""
    missing = str(tmp_path / "no-such-corrections")
    for name in ("manifest.json", "labels.csv"):
        assert main(["finetune", missing, "--out", str(tmp_path / name)]) == 2
        err = capsys.readouterr().err
        assert "give a name ending with .safetensors" in err and "corrections folder" not in err
    (tmp_path / "file").write_text("x")
    assert main(["export-corrections", "r.edf", "l.csv", "--out", str(tmp_path / "file")]) == 2
    assert "--out is the corrections folder" in capsys.readouterr().err


def test_a_read_only_file_system_is_named_as_such(tmp_path, monkeypatch):
    """os.access answers a read-only mount as 'permission denied'; the mount is asked first."""
    from sleepscorer.io import outputs

    monkeypatch.setattr(outputs, "_unwritable", lambda _folder: "it is on a read-only file system")
    with pytest.raises(SleepScorerError, match="read-only file system"):
        check_output_file(tmp_path / "a.csv")


def test_unwritable_output_is_an_error_before_any_work(rec, tiny_model, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert score(rec, blocker / "sub" / "out.csv", tiny_model) == 2
    err = capsys.readouterr().err
    assert "cannot be made" in err and "scoring" not in err  # refused before scoring


def test_finetune_checks_its_output_before_training(tmp_path, capsys):
    (tmp_path / "m.safetensors").mkdir()
    (tmp_path / "file").write_text("x")
    missing = str(tmp_path / "no-such-corrections")
    assert main(["finetune", missing, "--out", str(tmp_path / "m.safetensors")]) == 2
    assert main(["finetune", missing, "--out", str(tmp_path / "file" / "x.safetensors")]) == 2
    err = capsys.readouterr().err
    assert "is an existing folder" in err and "is not a folder" in err
    assert "corrections folder" not in err  # the output was refused before anything else


def test_single_output_into_an_existing_folder(rec, tiny_model, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert score(rec, ".", tiny_model) == 0
    assert (tmp_path / "rec_scored.csv").exists()


def test_batch_collisions_get_distinct_names(tmp_path, tiny_model, capsys):
    for d in ("d1", "d2"):
        (tmp_path / d).mkdir()
        write_edf(make_recording(20, seed=len(d)), tmp_path / d / "rec.edf")
    out = tmp_path / "o"
    status = main(["score", str(tmp_path / "d1" / "rec.edf"), str(tmp_path / "d2" / "rec.edf"),
                   "--out", str(out), "--model", str(tiny_model), "--device", "cpu"])
    captured = capsys.readouterr()
    assert status == 0
    written = sorted(p.name for p in out.glob("*.csv"))
    assert written == ["d1_rec_scored.csv", "d2_rec_scored.csv"]
    assert sorted(p.name for p in out.glob("*.provenance.json")) == [
        "d1_rec_scored.provenance.json", "d2_rec_scored.provenance.json"]  # which model wrote each
    for name in written:  # the summary names each file written, paths never cut
        assert str(out / name) in captured.out
    assert str(tmp_path / "d1" / "rec.edf") in captured.out


def test_batch_same_stem_other_format_in_one_folder(tmp_path, tiny_model, capsys):
    import scipy.io

    root = tmp_path / "study"
    root.mkdir()
    rec = make_recording(20, seed=4)
    write_edf(rec, root / "rec.edf")
    scipy.io.savemat(root / "rec.mat", {"eeg": rec.eeg.data, "emg": rec.emg.data,
                                        "eeg_frequency": rec.rate})
    out = tmp_path / "o"
    assert main(["score", str(root), "--out", str(out), "--model", str(tiny_model),
                 "--device", "cpu"]) == 0
    assert sorted(p.name for p in out.glob("*.csv")) == ["rec_edf_scored.csv", "rec_mat_scored.csv"]


def test_output_checks_directly(tmp_path):
    a = tmp_path / "a.edf"
    a.write_bytes(b"x")
    with pytest.raises(SleepScorerError, match="is the input"):
        check_output_file(a, [a])
    with pytest.raises(SleepScorerError, match="folder"):
        check_output_file(tmp_path, [])
    with pytest.raises(SleepScorerError, match="not a folder"):
        check_output_folder(a, [])
    assert check_output_file(tmp_path / "new" / "x.csv", [a]) == tmp_path / "new" / "x.csv"
    assert not (tmp_path / "new").exists()  # checking creates nothing


def test_distinct_names_are_distinct_and_stable():
    names = distinct_names([Path("/s/d1/rec.edf"), Path("/s/d2/rec.edf"), Path("/s/x.edf")],
                           "_scored.csv")
    assert names == ["d1_rec_scored.csv", "d2_rec_scored.csv", "x_scored.csv"]
    names = distinct_names([Path("/s/REC.edf"), Path("/s/rec.edf")], ".csv")
    assert len({n.lower() for n in names}) == 2


def test_results_go_into_a_folder_that_is_made_and_long_names_are_one_line(tmp_path, capsys):
    """A user trial: `stats -o newdir/s.json` and `compare -o newdir/c.json` ended in a
    FileNotFoundError traceback (score and convert-labels made the folder), and a 300-character
    output name in an `OSError: File name too long` traceback."""
    a = tmp_path / "a.csv"
    a.write_text("epoch,stage\n0,Wake\n1,NREM\n2,NREM\n")
    assert main(["stats", str(a), "-o", str(tmp_path / "new1" / "s.json")]) == 0
    assert main(["compare", str(a), str(a), "-o", str(tmp_path / "new2" / "c.json")]) == 0
    assert (tmp_path / "new1" / "s.json").is_file() and (tmp_path / "new2" / "c.json").is_file()
    long = tmp_path / ("a" * 300 + ".csv")
    assert main(["convert-labels", str(a), str(long)]) == 2
    assert main(["stats", str(a), "-o", str(tmp_path / ("b" * 300 + ".json"))]) == 2
    err = capsys.readouterr().err
    assert err.count("the file name is 304 bytes long; file systems allow at most 255") == 1
    assert "305 bytes long" in err and "Traceback" not in err


def test_batch_names_fit_a_file_system():
    names = distinct_names([Path("/d1/" + "r" * 248 + ".edf"), Path("/d2/" + "r" * 248 + ".edf")],
                           "_scored.csv")
    assert len(set(names)) == 2 and all(len(n.encode()) <= 255 for n in names)
    assert all(n.endswith("_scored.csv") for n in names)


def test_score_does_not_offer_bids_names_it_cannot_write(tmp_path, capsys):
    """A user trial: `score -o x_events.tsv` was refused with a message saying names ending
    with events.tsv are allowed; only convert-labels writes BIDS events."""
    rec = tmp_path / "m.edf"
    write_edf(make_recording(10, seed=1), rec)
    labels = tmp_path / "a.csv"
    labels.write_text("epoch,stage\n0,Wake\n1,NREM\n")
    assert main(["score", str(rec), "-o", str(tmp_path / "x_events.tsv")]) == 2
    assert main(["convert-labels", str(labels), str(tmp_path / "x.tsv")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].endswith("the name must end with .csv; nothing was written")
    assert "(or with events.tsv for BIDS events)" in err[1]


def test_a_persons_labels_are_found_in_any_layout_the_label_reader_reads(tmp_path):
    """The held-work check split rows on commas only, so a semicolon CSV (which the label
    reader reads) with a person's labels was taken for model output and replaced."""
    semicolons = tmp_path / "corrected.csv"
    semicolons.write_text("epoch;stage;source\n0;Wake;model\n1;NREM;expert\n")
    quoted = tmp_path / "quoted.csv"
    quoted.write_text('epoch,stage,source\n0,"Wake","model"\n1,"NREM","imported"\n')
    model_only = tmp_path / "model.csv"
    model_only.write_text("epoch;stage;source\n0;Wake;model\n1;NREM;model\n")
    for path in (semicolons, quoted):
        with pytest.raises(SleepScorerError, match=r"holds 1 label\(s\) set by a person"):
            check_output_file(path)
    assert check_output_file(model_only) == model_only


def test_files_sleepscorer_did_not_write_are_never_replaced(tmp_path, capsys):
    """A user trial: `score -o notes.csv`, `stats -o mice.csv` and `convert-labels` replaced
    a lab's own spreadsheets ("replacing the earlier output there"), and `compare -o` or a
    model card's name any JSON: a table without label columns was taken for our results."""
    import json

    sheet = tmp_path / "mice.csv"
    sheet.write_text("mouse,weight\nm1,24.1\n")
    notes = tmp_path / "notes.json"
    notes.write_text('{"my": "notes"}')
    other = tmp_path / "protocol.docx"
    other.write_bytes(b"PK\x03\x04 a document")
    staged = tmp_path / "sub-01_events.json"  # someone's sidecar whose stage is no object
    staged.write_text('{"stage": "N2 is coded 2"}')
    for path, said in ((sheet, "a table SleepScorer did not write (columns mouse, weight)"),
                       (notes, "a file SleepScorer did not write"),
                       (other, "a file SleepScorer did not write"),
                       (staged, "a file SleepScorer did not write")):
        before = digest(path)
        with pytest.raises(SleepScorerError, match=re.escape(said)):
            check_output_file(path)
        assert digest(path) == before
    labels = tmp_path / "sim.csv"
    labels.write_text("epoch,stage,source\n0,Wake,model\n1,NREM,model\n")
    assert main(["stats", str(labels), "-o", str(sheet)]) == 2
    assert "did not write" in capsys.readouterr().err and "weight" in sheet.read_text()
    # what SleepScorer wrote is written again: its statistics, comparisons, cards, an empty file
    stats = tmp_path / "stats.csv"
    assert main(["stats", str(labels), "-o", str(stats)]) == 0
    assert main(["stats", str(labels), "-o", str(stats)]) == 0
    compared = tmp_path / "cmp.json"
    assert main(["compare", str(labels), str(labels), "-o", str(compared)]) == 0
    assert main(["compare", str(labels), str(labels), "-o", str(compared)]) == 0
    card = tmp_path / "m.json"
    card.write_text(json.dumps({"format": "sleepscorer-model/1", "name": "x"}))
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    for path in (stats, compared, card, empty):
        assert check_output_file(path) == path
    from sleepscorer.io.outputs import check_model_output

    with pytest.raises(SleepScorerError, match="did not write"):  # train's card, NAME.json
        check_model_output(tmp_path / "notes.safetensors")
