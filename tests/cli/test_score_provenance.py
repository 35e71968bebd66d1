"""`score` records which model wrote each CSV (a record beside it) and says when it replaces
its own earlier output: scoring again into the same -o with another model left no trace."""

import hashlib
import json

import pytest
from sleepscorer_model.weights import build_model, load_model, save_model

from sleepscorer.cli import main
from sleepscorer.io.labels import read_labels
from tests.model.conftest import TINY, make_recording


@pytest.fixture
def study(tmp_path):
    from sleepscorer.io import write_edf

    root = tmp_path / "study"
    root.mkdir()
    write_edf(make_recording(20, seed=1), root / "mouse1.edf")
    models = []
    for name in ("first", "second"):
        save_model(build_model("sdreamer-seq", **TINY), tmp_path / f"{name}.safetensors",
                   name=name)
        models.append(tmp_path / f"{name}.safetensors")
    return root, models


def test_a_second_model_into_the_same_out_is_recorded_and_said(study, tmp_path, capsys):
    root, (first, second) = study
    out = tmp_path / "o" / "mouse1.csv"
    record = tmp_path / "o" / "mouse1.provenance.json"
    base = ["score", str(root / "mouse1.edf"), "-o", str(out), "--device", "cpu", "--model"]
    assert main([*base, str(first)]) == 0
    err = capsys.readouterr().err
    assert f"wrote {out} (its model is recorded in mouse1.provenance.json)" in err
    assert json.loads(record.read_text())["model"] == "first"
    assert main([*base, str(second)]) == 0
    assert f"wrote {out}, replacing the earlier output there" in capsys.readouterr().err
    data = json.loads(record.read_text())
    assert data["model"] == "second" and data["model_file"] == str(second.absolute())
    assert data["weights_sha256"] == load_model(second).card["weights_sha256"]
    assert data["reading"] == load_model(second).card["preprocessing"]  # same tensors, other reading: told apart
    assert data["labels_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert data["recording"] == str((root / "mouse1.edf").absolute())
    assert len(read_labels(out)) == 20  # the CSV itself is unchanged in layout
    assert out.read_text().splitlines()[0].startswith("epoch,onset_s,")


def test_a_batch_rerun_says_what_it_replaced_and_someone_elses_json_is_kept(study, tmp_path,
                                                                           capsys):
    root, (first, _) = study
    out = tmp_path / "o"
    args = ["score", str(root), "-o", str(out), "--model", str(first), "--device", "cpu"]
    assert main(args) == 0
    assert "replaced" not in capsys.readouterr().err
    assert (out / "mouse1_scored.provenance.json").exists()
    assert main(args) == 0
    assert f"replaced 1 earlier output file(s): {out / 'mouse1_scored.csv'}" in \
        capsys.readouterr().err
    theirs = tmp_path / "x.provenance.json"
    theirs.write_text('{"mine": true}\n')
    code = main(["score", str(root / "mouse1.edf"), "-o", str(tmp_path / "x.csv"),
                 "--model", str(first), "--device", "cpu"])
    err = capsys.readouterr().err
    assert code == 2 and "is not a SleepScorer scoring record" in err
    assert not (tmp_path / "x.csv").exists() and theirs.read_text() == '{"mine": true}\n'
