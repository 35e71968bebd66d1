"""Session 17's user trial of the fine-tuning loop from the command line: score, correct,
export-corrections, finetune, score again. What it found, each with the test that catches it."""

import numpy as np
import pytest
from sleepscorer_model.corrections import export_corrections
from sleepscorer_model.finetune import FinetuneConfig
from sleepscorer_model.weights import build_model, default_weights_path, file_sha256, save_model

from sleepscorer.cli import main
from sleepscorer.hypnogram import Hypnogram
from tests.model.conftest import TINY, make_recording
from tests.model.test_finetune import FAST, N


@pytest.fixture
def corrected(tmp_path):
    """A tiny base model and a corrections folder of one recording, mouse7.edf."""
    base = tmp_path / "base.safetensors"
    card = save_model(build_model("sdreamer-seq", **TINY), base)
    rec = make_recording(N, stages=np.arange(N) // 8 % 3)
    rec.source = tmp_path / "mouse7.edf"
    entry = export_corrections(rec, Hypnogram.from_arrays(np.arange(N) // 8 % 3),
                               tmp_path / "corr", card)
    return base, tmp_path / "corr", entry


@pytest.fixture
def fast(monkeypatch):
    """`finetune` with the test suite's small settings, its result always kept."""
    import sleepscorer_model.finetune as ft

    from tests.model.test_finetune import _forced

    real = ft.finetune
    monkeypatch.setattr(ft, "finetune", lambda base, data, cfg, **k: _forced(
        real(base, data, FinetuneConfig(**FAST), **k), True))


def test_the_card_names_the_recordings_and_a_second_run_never_replaces_the_first(
        corrected, fast, tmp_path, capsys):
    """The card said only 'corr/rec001' (an id the next export replaces); a second
    `finetune --out` with the same name replaced the first run's model without a word; a log
    got every training step on one line joined by \\r."""
    base, corr, entry = corrected
    out = tmp_path / "lab.safetensors"
    args = ["finetune", str(corr), "--base", str(base), "--out", str(out), "--device", "cpu"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "\r" not in err and " step " not in err and "pass 1: loss " in err  # whole lines
    from sleepscorer_model.weights import load_model

    card = load_model(out).card
    (source,) = card["training_data"]["sources"]
    assert source["recording"] == str(tmp_path / "mouse7.edf")
    assert source["signal_sha256"] == entry["signal_sha256"] and source["labelled_epochs"] == N
    assert source["corrections"] == str(corr.resolve()) and source["exported"] == entry["created"]
    assert main(["info", str(out)]) == 0
    assert ("fine-tuned on 160 labelled epochs from 1 recording(s): mouse7.edf"
            in capsys.readouterr().out)

    first = file_sha256(out), file_sha256(out.with_suffix(".json"))
    assert main(args) == 2  # refused before any training
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {out}: exists and holds a model (fine-tuned on 160 labelled epochs, "
                   f"created {card['created'][:16].replace('T', ' ')}); a model is never "
                   "replaced: give another name (or move that file away first)"]
    assert (file_sha256(out), file_sha256(out.with_suffix(".json"))) == first


def test_the_bundled_model_is_an_input_when_no_base_is_named(corrected, tmp_path, capsys):
    """`finetune corr --out <the bundled weights>` passed the output check: the bundled base
    was not among the inputs, though the help says the base file is never changed."""
    _, corr, _ = corrected
    bundled = default_weights_path()
    before = file_sha256(bundled)
    assert main(["finetune", str(corr), "--out", str(bundled)]) == 2
    assert (f"error: {bundled}: is the input {bundled}; writing it would destroy the input"
            in capsys.readouterr().err)
    assert file_sha256(bundled) == before


def test_ctrl_c_says_that_nothing_was_written(corrected, tmp_path, capsys, monkeypatch):
    """Ctrl+C printed "error: interrupted" after the live progress line, on the same line."""
    import sleepscorer_model.finetune as ft

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    base, corr, _ = corrected
    monkeypatch.setattr(ft, "finetune", interrupted)
    out = tmp_path / "lab.safetensors"
    assert main(["finetune", str(corr), "--base", str(base), "--out", str(out)]) == 130
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"interrupted: fine-tuning stopped; nothing was written to {out}")
    assert not out.exists() and not out.with_suffix(".json").exists()


def test_a_models_card_named_instead_of_the_model(corrected, tmp_path, capsys):
    """`score --model lab.json` (the card beside the weights) said "not a readable safetensors
    weights file (Error while deserializing header: header too large)", and `info lab.json`
    called it an unknown recording type."""
    from sleepscorer.io import write_edf

    base, _, _ = corrected
    card = base.with_suffix(".json")
    edf = tmp_path / "mouse8.edf"
    write_edf(make_recording(20, seed=3), edf)
    assert main(["score", str(edf), "-o", str(tmp_path / "s.csv"), "--model", str(card)]) == 2
    assert capsys.readouterr().err == (f"error: {card}: is a model's card, not the model; give "
                                       "base.safetensors, the weights file beside it\n")
    assert main(["info", str(card)]) == 0
    assert f"file:         {base}" in capsys.readouterr().out
