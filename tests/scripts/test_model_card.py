"""scripts/model_card.py renders the model card from a tiny fake evaluation.json (quick)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "model_card.py"


@pytest.fixture(scope="module")
def model_card():  # noqa: ANN201
    spec = importlib.util.spec_from_file_location("model_card_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _metrics(acc: float) -> dict:
    return {"n_epochs": 100, "accuracy": acc, "macro_f1": acc - 0.1, "kappa": acc - 0.2,
            "f1_per_class": [0.9, 0.8, 0.5], "confusion": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}


def _fake_evaluation() -> dict:
    seq = {"both": _metrics(0.91), "eeg": _metrics(0.85), "emg": _metrics(0.80)}
    nosd = {"both": _metrics(0.90), "eeg": _metrics(0.40), "emg": _metrics(0.30)}
    return {
        "honesty": "All metrics are measured on SIMULATED data.",
        "generated": "2026-01-01T00:00:00+00:00",
        "splits": {"test": "SIMULATED held-out animals", "lab-test": "SIMULATED held-out lab"},
        "corpus_summary": {"train": {"animals": 24, "epochs": 1000, "class_counts": [500, 400, 100]}},
        "budget": {"cpu_seconds_per_model": 360, "torch_threads": 1},
        "inference": "deployed path",
        "models": {
            "seq-sd": {"label": "Sequence sDREAMER (SD)", "modalities": ["both", "eeg", "emg"],
                       "results": {"test": seq, "lab-test": seq},
                       "training": {"cpu_s": 361.2, "wall_s": 500, "epochs_run": 6,
                                    "steps_per_epoch": 150, "batch_size": 16, "best_epoch": 5,
                                    "val_best_simulated": {"val_macro_f1": 0.8}}},
            "seq-nosd": {"label": "Sequence sDREAMER (no SD)", "modalities": ["both", "eeg", "emg"],
                         "results": {"test": nosd}},  # lab-test missing: rendered without it
            "mc2": {"label": "MC2SleepNet", "modalities": ["eeg"],
                    "results": {"test": {"eeg": _metrics(0.7)}}},
            "trees": {"label": "LightGBM", "modalities": ["both"],
                      "results": {"test": {"both": _metrics(0.6)}},
                      "training": {"cpu_s": 20.0, "wall_s": 21.0, "rounds": 80}},
        },
    }


def test_renders_tables_and_statements(model_card) -> None:  # noqa: ANN001
    card = {"name": "sdreamer-seq (simulated corpus v1)", "architecture": "sdreamer-seq",
            "config": {"seq_len": 16, "epoch_layers": 2, "seq_layers": 3, "patch_size": 32},
            "classes": ["WAKE", "NREM", "REM"], "weights_sha256": "ab" * 32, "file_sha256": "cd" * 32,
            "training_data": {"train_minutes_cpu": 30.5, "train_config": {"epochs": 12, "alpha": 0.33}}}
    text = model_card.render(_fake_evaluation(), card)
    assert "simulated held-out animals" in text and "simulated held-out lab" in text
    assert model_card.DATA_STATEMENT in text
    assert "real MSSV expert hypnograms" in text and "calibration.md" in text
    assert "ab" * 32 in text  # the weights hash
    for caption in ("**Table I (simulated held-out animals).**", "**Table II (simulated held-out lab).**",
                    "**Table III"):
        assert caption in text
    assert "| Sequence sDREAMER (SD) | Sequence | EEG+EMG | 16 | 91.0 | 81.0 | 0.710 | 90.0 | 80.0 | 50.0 |" in text
    assert "| simulated held-out animals | Sequence sDREAMER (no SD) | – | – | 90.0 | 80.0 | 40.0 | 30.0 | 30.0 | 20.0 |" in text
    assert "| MC2SleepNet | EEG | 70.0 | 60.0 | 0.500 | – | – | – |" in text
    assert "MA / Artifact are not predicted" in text and "sleepscorer finetune" in text
    assert "SIMULATED" in text.split("## Evaluation")[0]  # the warning comes before the numbers


def test_main_without_shipped_card(model_card, tmp_path: Path) -> None:  # noqa: ANN001
    ev = tmp_path / "evaluation.json"
    ev.write_text(json.dumps(_fake_evaluation()))
    out = tmp_path / "card.md"
    assert model_card.main(["--evaluation", str(ev), "--card", str(tmp_path / "absent.json"),
                            "--out", str(out)]) == 0
    text = out.read_text()
    assert "were not available" in text and "Table I" in text
