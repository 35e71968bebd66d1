"""Session 16b's user trial: labels kept who set them through BIDS events, and an export
said what it left out. Each test runs the real command on a real EDF."""

import json

import numpy as np
import pytest
from sleepscorer_model.weights import build_model, save_model

from sleepscorer.cli import main
from sleepscorer.hypnogram import Hypnogram, Source
from sleepscorer.io import write_edf
from sleepscorer.io.labels import read_labels, write_labels_csv
from sleepscorer.stages import Stage
from tests.model.conftest import TINY, make_recording

W, N, R, MA = Stage.WAKE, Stage.NREM, Stage.REM, Stage.MA


@pytest.fixture
def base(tmp_path):
    save_model(build_model("sdreamer-seq", **TINY), tmp_path / "base.safetensors")
    return str(tmp_path / "base.safetensors")


def scored(n=60):
    """A model's scoring with a person's correction of epochs 20-29 (NREM, as the model's
    neighbouring run: the two runs of one stage must not merge into one setter)."""
    stages = np.array([W] * 10 + [N] * 30 + [R] * 20, np.int8)
    sources = np.full(n, Source.MODEL, np.int8)
    sources[20:30] = Source.EXPERT
    hyp = Hypnogram.from_arrays(stages, sources=sources)
    hyp.confidence[:] = 0.9
    return hyp


def test_events_tsv_keeps_who_set_each_label(tmp_path, base, capsys):
    """`convert-labels scored.csv events.tsv` dropped the source column: every model label
    read back as a person's, and `export-corrections` took 3600 of them as training targets
    while the CSV itself was refused."""
    rec = tmp_path / "m1.edf"
    write_edf(make_recording(60), rec)
    csv, events, back = tmp_path / "scored.csv", tmp_path / "m1_events.tsv", tmp_path / "back.csv"
    write_labels_csv(scored(), csv)
    assert main(["convert-labels", str(csv), str(events)]) == 0
    lines = events.read_text().splitlines()
    assert lines[0] == "onset\tduration\tstage\tsource"
    assert lines[1] == "0\t1\t1\tmodel" and lines[21] == "20\t1\t2\texpert"
    assert main(["convert-labels", str(events), str(back)]) == 0
    rows = [r.split(",") for r in back.read_text().splitlines()[1:]]
    assert [r[5] for r in rows] == [Source(s).label for s in scored().sources]
    args = ["export-corrections", str(rec), str(events), "--out", str(tmp_path / "c"),
            "--base", base]
    assert main(args) == 0
    assert ": added m1.edf: 10 labelled epochs (Wake 0, NREM 10, REM 0)" in capsys.readouterr().out
    model_only = tmp_path / "model_events.tsv"
    model_only.write_text("\n".join(ln.replace("expert", "model") for ln in lines) + "\n")
    assert main([*args[:2], str(model_only), *args[3:]]) == 2
    assert "no epoch has a label set by a person" in capsys.readouterr().err


def test_bouts_of_one_stage_keep_their_setters_and_files_without_a_source_are_a_persons(
        tmp_path):
    bouts = tmp_path / "bouts_events.tsv"
    bouts.write_text("onset\tduration\tstage\tsource\n0\t4.5\t2\tmodel\n4.5\t3.5\t2\texpert\n"
                     "8\t4\t3\tn/a\n")
    hyp = read_labels(bouts)
    assert list(hyp.stages) == [N] * 8 + [R] * 4
    # epoch 4 (4-5 s) is half the model's NREM: never made a person's label
    assert list(hyp.sources) == [Source.MODEL] * 5 + [Source.EXPERT] * 3 + [Source.NONE] * 4
    mssv = tmp_path / "mssv_events.tsv"
    mssv.write_text("onset\tduration\tstage\n0\t4\t1\n4\t4\t2\n")
    assert (read_labels(mssv).sources == Source.IMPORTED).all()


def test_export_says_which_person_labels_the_model_cannot_learn(tmp_path, base, capsys):
    """63 MA epochs were left out of "3537 labelled epochs" without a word."""
    rec, labels = tmp_path / "m1.edf", tmp_path / "m1.csv"
    write_edf(make_recording(60), rec)
    stages = np.array([W] * 20 + [MA] * 3 + [N] * 37, np.int8)
    write_labels_csv(Hypnogram.from_arrays(stages, source=Source.IMPORTED), labels)
    assert main(["export-corrections", str(rec), str(labels), "--out", str(tmp_path / "c"),
                 "--base", base]) == 0
    out = capsys.readouterr().out
    assert ": added m1.edf: 57 labelled epochs" in out
    assert "note: 3 MA epoch(s) left out: the model scores Wake/NREM/REM only" in out
    manifest = json.loads((tmp_path / "c" / "manifest.json").read_text())
    assert manifest["recordings"][0]["left_out"] == {"MA": 3}
