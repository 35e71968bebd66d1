"""The score and train subcommands end to end on a tiny EDF (they live in sleepscorer.cli)."""

import numpy as np
import pytest
from sleepscorer_model.weights import build_model, save_model

from sleepscorer.cli import main
from tests.model.conftest import TINY, make_recording


@pytest.fixture
def edf(tmp_path):
    from sleepscorer.io import write_edf

    path = tmp_path / "mouse1.edf"
    write_edf(make_recording(30), path)
    return path


def test_score_cli_writes_csv(tmp_path, edf, capsys):
    from sleepscorer.io.labels import read_labels

    model = tmp_path / "m.safetensors"
    save_model(build_model("sdreamer-seq", **TINY), model)
    out = tmp_path / "out.csv"
    assert main(["score", str(edf), "--out", str(out), "--model", str(model),
                 "--device", "cpu"]) == 0
    hyp = read_labels(out, epoch_length=None)
    assert len(hyp) == 30 and not np.isnan(hyp.confidence).any()
    assert "mouse1.edf" in capsys.readouterr().err
    folder = tmp_path / "many"
    assert main(["score", str(edf), str(edf), "--out", str(folder), "--model", str(model),
                 "--epoch-length", "2"]) == 0
    assert len(read_labels(folder / "mouse1_scored.csv", epoch_length=None)) == 15


def test_score_cli_without_bundled_weights_is_one_line_error(edf, tmp_path, capsys):
    from sleepscorer_model.weights import default_weights_path

    if default_weights_path().exists():
        pytest.skip("weights are bundled")
    assert main(["score", str(edf), "--out", str(tmp_path / "o.csv")]) == 2
    assert "no bundled weights" in capsys.readouterr().err


def test_train_cli_writes_model_that_scores(tmp_path, capsys):
    from sleepscorer.hypnogram import Hypnogram
    from sleepscorer.io import write_edf
    from sleepscorer.io.labels import write_labels_csv

    for i in range(2):
        stages = np.arange(32) // 4 % 3
        write_edf(make_recording(32, stages=stages, seed=i), tmp_path / f"m{i}.edf")
        write_labels_csv(Hypnogram.from_arrays(stages), tmp_path / f"m{i}_labels.csv")
    out = tmp_path / "trained.safetensors"
    assert main(["train", str(tmp_path), "--arch", "sdreamer-epoch", "--out", str(out),
                 "--epochs", "1", "--batch-size", "8", "--device", "cpu"]) == 0
    assert out.exists() and out.with_suffix(".json").exists()
    assert "validation macro-F1" in capsys.readouterr().err
    pair = f"{tmp_path / 'm0.edf'}={tmp_path / 'm0_labels.csv'}"
    assert main(["score", str(tmp_path / "m1.edf"), "--out", str(tmp_path / "s.csv"),
                 "--model", str(out)]) == 0
    assert main(["train", pair, "--out", str(tmp_path / "t2.safetensors"), "--epochs", "1",
                 "--arch", "sdreamer-epoch"]) == 0


def test_train_finds_the_label_files_simulate_writes(tmp_path):
    """`simulate` writes NAME.edf beside NAME.csv; `train FOLDER` must take that folder, and a
    recording by its content whatever its name (as `score` does)."""
    from sleepscorer.cli.train import find_pairs
    from sleepscorer.errors import SleepScorerError

    (tmp_path / "a.edf").write_bytes(b"")
    with pytest.raises(SleepScorerError, match="NAME_labels.csv, .*NAME.csv"):
        find_pairs([str(tmp_path)])
    (tmp_path / "a.csv").write_text("")
    (tmp_path / "a_scored.csv").write_text("")  # a model's output is not a label file for it
    assert find_pairs([str(tmp_path)]) == [(tmp_path / "a.edf", tmp_path / "a.csv")]
    (tmp_path / "b").write_bytes(b"0       " + b" " * 300)  # an EDF by its header, no suffix
    (tmp_path / "b_labels.csv").write_text("")
    (tmp_path / "c.txt").write_text("notes\n")  # a text file's labels are no pair
    (tmp_path / "c_labels.csv").write_text("")
    assert find_pairs([str(tmp_path)]) == [(tmp_path / "a.edf", tmp_path / "a.csv"),
                                           (tmp_path / "b", tmp_path / "b_labels.csv")]


def test_train_learns_from_a_persons_labels_only(tmp_path, capsys):
    """A user trial: `train REC=SCORED.csv` trained on the model's own output, silently."""
    from sleepscorer.hypnogram import Hypnogram, Source
    from sleepscorer.io import write_edf
    from sleepscorer.io.labels import write_labels_csv

    stages = np.arange(32) // 4 % 3
    write_edf(make_recording(32, stages=stages, seed=0), tmp_path / "m.edf")
    write_labels_csv(Hypnogram.from_arrays(stages, source=Source.MODEL), tmp_path / "scored.csv")
    out = tmp_path / "t.safetensors"
    args = ["--out", str(out), "--epochs", "1", "--arch", "sdreamer-epoch", "--device", "cpu"]
    assert main(["train", f"{tmp_path / 'm.edf'}={tmp_path / 'scored.csv'}", *args]) == 2
    assert "every label was set by the model" in capsys.readouterr().err and not out.exists()

    sources = np.where(np.arange(32) < 20, Source.EXPERT, Source.MODEL)
    write_labels_csv(Hypnogram.from_arrays(stages, sources=sources), tmp_path / "mixed.csv")
    assert main(["train", f"{tmp_path / 'm.edf'}={tmp_path / 'mixed.csv'}", *args]) == 0
    assert "(12 set by the model left out)" in capsys.readouterr().err
