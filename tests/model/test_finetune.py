import json
import re
from dataclasses import replace

import numpy as np
import pytest
import torch
from sleepscorer_model.card_text import metrics_text
from sleepscorer_model.corrections import export_corrections, summarise
from sleepscorer_model.data import SequenceDataset, SubjectData, class_weights, prepare_subject
from sleepscorer_model.domain import LabGate, profile, token_encoder
from sleepscorer_model.finetune import (
    FinetuneConfig,
    finetune,
    save_finetuned,
    split_blocks,
)
from sleepscorer_model.finetune_run import (
    MIN_VALIDATION_EPOCHS,
    CorrectionSplit,
    decide,
    validation_warnings,
)
from sleepscorer_model.forgetting import interpolate, replay_data
from sleepscorer_model.losses import TEACHER
from sleepscorer_model.metrics import evaluate, over_reference
from sleepscorer_model.registry import find_parent, list_models
from sleepscorer_model.training import predict_dataset
from sleepscorer_model.weights import (
    LoadedModel,
    build_model,
    file_sha256,
    load_model,
    save_model,
    tensors_sha256,
)

from sleepscorer.cli import main
from sleepscorer.errors import Cancelled, ModelError
from sleepscorer.hypnogram import Hypnogram
from tests.model.conftest import TINY, make_recording

N = 160  # epochs: 5 blocks of 32 labelled epochs, the 5th is validation
FAST = dict(epochs=2, val_block=32, lr=3e-3, freeze_encoder=False, device="cpu", replay=0,
            gate_animals=2, gate_minutes=2.0, anchor_minutes=4.0)


@pytest.fixture
def base_path(tmp_path):
    path = tmp_path / "base.safetensors"
    save_model(build_model("sdreamer-seq", **TINY), path)
    return path


@pytest.fixture
def corrections():
    stages = np.arange(N) // 8 % 3
    rec = make_recording(N, stages=stages)
    return [prepare_subject(rec, Hypnogram.from_arrays(stages), subject="m1")]


def accuracy(model, data):
    y, p = predict_dataset(model, SequenceDataset(data, 8, 8), torch.device("cpu"))
    return evaluate(y, p, 3)["accuracy"]


def test_split_blocks_keeps_validation_labels_out_of_training():
    labels = np.arange(200) % 3
    data = [SubjectData("s", np.zeros((200, 4), np.float32), None, labels)]
    train, val = split_blocks(data, every=5, block=20, context=4)
    assert len(val) == 2  # blocks 5 and 10
    assert (train[0].labels[80:100] == -1).all() and (train[0].labels[:80] >= 0).all()
    assert (val[0].labels >= 0).sum() == 20 and len(val[0]) == 28


def test_class_weights_are_inverse_sqrt_frequency():
    data = [SubjectData("s", np.zeros((500, 4), np.float32), None,
                        np.r_[np.zeros(400), np.ones(100)].astype(np.int64))]
    w = class_weights(data, 3)
    assert w[1] / w[0] == pytest.approx(2.0) and w[2] == 1.0


def test_soft_replay_marks_every_epoch_for_the_teacher(base_path):
    replay = replay_data(load_model(base_path), minutes=0.4, animals=2)
    assert len(replay) == 8 and all((r.labels == TEACHER).all() for r in replay)
    assert len({r.subject for r in replay}) == 8


def test_saved_model_keeps_its_lab_gate_and_finds_its_parent(base_path, corrections, tmp_path):
    result = finetune(base_path, corrections, FinetuneConfig(**dict(FAST, lab_gate=True)))
    result.accepted = True
    save_finetuned(result, tmp_path / "ft.safetensors")
    tuned = load_model(tmp_path / "ft.safetensors")
    gate = LabGate.from_card(tuned.card["lab_gate"])
    assert gate.lab.shape[0] == 1 and gate.training.shape[0] == 8  # 4 labs x 2 animals
    assert find_parent(tuned).path == base_path
    encoder = token_encoder(load_model(base_path).module)
    assert gate.matches(profile(corrections[0].eeg, corrections[0].emg, encoder))


def test_no_gate_when_the_network_alone_forgets_nothing(base_path, corrections):
    unchanged = finetune(base_path, corrections, FinetuneConfig(**dict(FAST, lr=0.0)))
    forgetting = unchanged.card["finetune"]["interpolation"]["network_forgetting_per_lab"]
    assert set(forgetting) == {"lab_a", "lab_c", "lab_d", "lab_e"}
    assert max(forgetting.values()) == 0 and unchanged.card["lab_gate"] is None


def test_replay_is_labelled_by_the_base_model(base_path):
    base = load_model(base_path)
    replay = replay_data(base, minutes=0.2, soft=False)
    assert len(replay) == 4 and all(len(r) == 12 for r in replay)
    for r in replay:
        with torch.no_grad():
            logits = base.module(torch.from_numpy(r.eeg[4:12])[None], torch.from_numpy(r.emg[4:12])[None])
        np.testing.assert_array_equal(r.labels[4:12], logits["mix"][0].argmax(-1).numpy())


def test_finetune_improves_its_own_training_accuracy(base_path, corrections):
    base = load_model(base_path)
    before = accuracy(base.module, corrections)
    result = finetune(base, corrections, FinetuneConfig(**dict(FAST, epochs=3, l2sp=0.0)))
    assert accuracy(result.candidate, corrections) > before
    assert result.model is (result.candidate if result.accepted else result.base) is not None
    assert result.card["parent_sha256"] == base.card["weights_sha256"]
    assert result.card["training_data"]["labelled_epochs"] == N
    # the fine-tuned network carries its own hash from the moment it exists
    assert result.card["weights_sha256"] == tensors_sha256(result.candidate.state_dict())
    assert result.card["weights_sha256"] != base.card["weights_sha256"]


def _forced(result, accepted: bool):  # noqa: ANN001, ANN202
    """The same fine-tuning run with its keep/discard decision fixed, so both paths are
    tested every time (the decision itself is tested above)."""
    if not accepted:
        return replace(result, accepted=False, reason="forced: not better", model=result.base)
    own = {k: v for k, v in result.base.card.items() if k != "file_sha256"}
    return replace(result, accepted=True, reason="forced: better",
                   model=LoadedModel(result.candidate, {**own, **result.card}, parent=result.base))


def test_base_file_is_never_modified(base_path, corrections, tmp_path):
    digest = file_sha256(base_path), file_sha256(base_path.with_suffix(".json"))
    result = finetune(base_path, corrections, FinetuneConfig(**FAST))
    accepted, rejected = _forced(result, True), _forced(result, False)
    card = save_finetuned(accepted, tmp_path / "ft.safetensors")
    saved = load_model(tmp_path / "ft.safetensors")
    assert saved.card["parent_sha256"] == card["parent_sha256"] == result.base.card["weights_sha256"]
    assert saved.card["weights_sha256"] == result.card["weights_sha256"]  # the in-memory hash
    assert "validation_before" in card["metrics"] and card["training_data"]["minutes"] > 0
    with pytest.raises(ModelError, match="never overwritten"):
        save_finetuned(accepted, base_path)
    with pytest.raises(ModelError, match="not saved: forced: not better"):
        save_finetuned(rejected, tmp_path / "other.safetensors")
    assert not (tmp_path / "other.safetensors").exists()
    assert (file_sha256(base_path), file_sha256(base_path.with_suffix(".json"))) == digest


def test_cancel_leaves_no_model_and_no_temp_file(base_path, corrections, tmp_path):
    calls = []
    with pytest.raises(Cancelled):
        finetune(base_path, corrections, FinetuneConfig(**FAST),
                 progress=calls.append, cancel=lambda: len(calls) > 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base.json", "base.safetensors"]


def test_failed_save_leaves_nothing(base_path, corrections, tmp_path, monkeypatch):
    result = finetune(base_path, corrections, FinetuneConfig(**FAST))
    result.accepted = True

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("sleepscorer_model.finetune.save_model", broken)
    with pytest.raises(OSError):
        save_finetuned(result, tmp_path / "out" / "ft.safetensors")
    assert list((tmp_path / "out").iterdir()) == []


def test_too_few_corrections_keep_the_base(base_path, corrections):
    small = [corrections[0].slice(0, 30)]
    result = finetune(base_path, small, FinetuneConfig(**FAST))
    assert not result.accepted and "too few corrections" in result.reason
    assert result.candidate is None and result.history == []  # refused before any training
    assert result.model is result.base
    with pytest.raises(ModelError, match="not saved"):
        save_finetuned(result, "unused.safetensors")


def test_list_models_shows_bundled_and_user_models(base_path, tmp_path, monkeypatch):
    monkeypatch.setattr("sleepscorer_model.weights.default_weights_path", lambda: base_path)
    user = tmp_path / "user"
    save_model(build_model("sdreamer-seq", **TINY), user / "mine.safetensors", name="mine")
    (user / "broken.safetensors").write_bytes(b"nope")
    entries = list_models(user)
    assert [(e.name, e.bundled) for e in entries] == [("sdreamer-seq", True), ("mine", False)]


def test_cli_finetune_exit_codes(base_path, tmp_path, capsys, monkeypatch):
    rec = make_recording(N, stages=np.arange(N) // 8 % 3)
    export_corrections(rec, Hypnogram.from_arrays(np.arange(N) // 8 % 3), tmp_path / "c",
                       load_model(base_path).card)
    out = tmp_path / "ft.safetensors"
    args = ["finetune", str(tmp_path / "c"), "--base", str(base_path), "--out", str(out),
            "--epochs", "1", "--no-freeze-encoder", "--device", "cpu"]
    import sleepscorer_model.finetune as ft

    real = ft.finetune
    runs = []
    for accepted, code in ((False, 1), (True, 0)):  # the decision is fixed: both codes, always
        monkeypatch.setattr(ft, "finetune", lambda *a, accepted=accepted, **k: runs.append(1)
                            or _forced(real(*a, **k), accepted))
        assert main(args) == code
        assert out.exists() == accepted
        assert "validation" in capsys.readouterr().out
    assert len(runs) == 2
    monkeypatch.setattr(ft, "finetune", real)
    fresh = [str(tmp_path / "ft2.safetensors") if a == str(out) else a for a in args]
    assert main([*fresh[:1], str(tmp_path / "nowhere"), *fresh[2:]]) == 2  # ft: never replaced
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "nowhere" in err[0]


def test_interpolation_runs_from_base_to_fine_tuned():
    torch.manual_seed(0)
    base, tuned = build_model("sdreamer-seq", **TINY), build_model("sdreamer-seq", **TINY)
    for mix, want in ((0.0, base), (1.0, tuned)):
        got = interpolate(base, tuned, mix).state_dict()
        for name, value in want.state_dict().items():
            assert torch.allclose(got[name], value), (mix, name)
    half = interpolate(base, tuned, 0.5).state_dict()
    name = next(k for k, v in base.state_dict().items() if v.is_floating_point())
    assert torch.allclose(half[name], (base.state_dict()[name] + tuned.state_dict()[name]) / 2)


def _no_rem_validation():
    """The reported case: 256 held-out epochs, 19 Wake and 237 NREM, no REM. The base scores
    3 NREM epochs REM; the fine-tuned model scores no REM but misses 3 Wake epochs."""
    y = np.array([0] * 19 + [1] * 237)
    base, tuned = y.copy(), y.copy()
    base[30:33] = 2
    tuned[:3] = 1
    return y, base, tuned


def test_validation_macro_f1_is_over_the_classes_in_the_validation_labels():
    y, base, tuned = _no_rem_validation()
    # averaged over predicted classes too, REM counts 0 for the base and not at all for the
    # fine-tuned model: 0.665 vs 0.954, though the base is the better of the two
    assert evaluate(y, base, 3)["macro_f1"] == pytest.approx(0.665, abs=1e-3)
    assert evaluate(y, tuned, 3)["macro_f1"] > 0.95
    b, a = (evaluate(y, p, 3, macro_over="reference") for p in (base, tuned))
    assert b["macro_f1"] == pytest.approx(np.mean(b["f1_per_class"][:2]))  # Wake and NREM
    assert a["macro_f1"] == pytest.approx(np.mean(a["f1_per_class"][:2]))
    assert b["macro_f1"] > a["macro_f1"]
    assert over_reference(evaluate(y, base, 3)) == b
    # REM in neither truth nor prediction has no F1 (null in the card, as compare's n/a); the
    # base's 3 stray REM epochs are a real 0
    assert a["f1_per_class"][2] is None and b["f1_per_class"][2] == 0.0


def test_acceptance_compares_both_models_over_the_same_classes():
    y, base, tuned = _no_rem_validation()
    accepted, reason = decide(evaluate(y, base, 3), evaluate(y, tuned, 3))
    assert not accepted and "macro-F1 0.954 vs base 0.997" in reason
    accepted, reason = decide(evaluate(y, tuned, 3), evaluate(y, base, 3))
    assert accepted and reason == "validation macro-F1 0.954 -> 0.997"
    accepted, reason = decide(evaluate(y, base, 3), evaluate(y, base, 3))
    assert not accepted and "macro-F1 0.997 vs base 0.997" in reason  # a tie keeps the base


CLASSES = ["WAKE", "NREM", "REM"]


def _split(labels, block):  # noqa: ANN001, ANN202
    data = [SubjectData("m1-run000", np.zeros((len(labels), 4), np.float32), None, labels)]
    train, val = split_blocks(data, every=5, block=block, context=4)
    return CorrectionSplit(train, val, SequenceDataset(val, 8, 8), summarise(data, CLASSES))


def test_warnings_name_unchecked_classes_and_a_small_validation_part():
    notes = validation_warnings(_split(np.arange(400) // 8 % 2, 16), CLASSES)  # no REM
    assert len(notes) == 2
    assert notes[0].startswith("the corrections hold no REM: the fine-tuned model's REM is "
                               "not checked")
    assert notes[1].startswith(f"only 80 labelled epochs are held out for validation (under "
                               f"{MIN_VALIDATION_EPOCHS}")
    labels = np.arange(400) // 8 % 2
    labels[:8] = 2  # REM only in a training block
    notes = validation_warnings(_split(labels, 16), CLASSES)
    assert notes[0].startswith("the held-out part of the corrections holds no REM")
    assert validation_warnings(_split(np.arange(1600) // 8 % 3, 64), CLASSES) == []  # 320 held


def test_cli_finetune_without_rem_warns_and_shows_rem_as_not_applicable(
        base_path, tmp_path, capsys, monkeypatch):
    stages = np.arange(N) // 8 % 2  # Wake and NREM only
    export_corrections(make_recording(N, stages=stages), Hypnogram.from_arrays(stages),
                       tmp_path / "c", load_model(base_path).card)
    import sleepscorer_model.finetune as ft

    real, results = ft.finetune, []
    monkeypatch.setattr(ft, "finetune", lambda base, data, cfg, **k: results.append(
        real(base, data, FinetuneConfig(**FAST), **k)) or results[-1])
    args = ["finetune", str(tmp_path / "c"), "--base", str(base_path), "--out",
            str(tmp_path / "ft.safetensors"), "--device", "cpu"]
    assert main(args) in (0, 1)
    out, err = capsys.readouterr()
    result = results[0]
    assert "warning: the corrections hold no REM: the fine-tuned model's REM is not checked" in err
    assert "warning: only 32 labelled epochs are held out" in err
    assert result.warnings == result.card["finetune"]["warnings"] and len(result.warnings) == 2
    assert re.search(r"F1 REM +n/a +n/a +\(none in the held-out corrections\)", out)
    assert "macro-F1 over Wake, NREM for both models" in out
    for m in (result.metrics_before, result.metrics_after):  # the same classes for both
        assert m["macro_f1"] == pytest.approx(np.mean(m["f1_per_class"][:2]))
        rem_predicted = sum(row[2] for row in m["confusion"])
        assert (m["f1_per_class"][2] is None) == (rem_predicted == 0)  # null, never a 0.0
    stored = json.loads(json.dumps(result.card))["metrics"]["validation_after"]
    assert stored["f1_per_class"][2] == result.metrics_after["f1_per_class"][2]
    assert "REM F1" in metrics_text({"classes": CLASSES, "metrics": {"v": stored}})
    for r in result.history:  # early stopping too
        assert r["val_macro_f1"] == pytest.approx(np.mean(r["val_f1_per_class"][:2]))


def test_validation_counts_each_epoch_once(corrections):
    """A subject's last window overlaps the one before it; its epochs were scored twice, so
    the held-out count (240) and the metrics' n_epochs (256) disagreed."""
    from sleepscorer_model.training import _first_readings

    data = SequenceDataset([corrections[0].slice(0, 150)], 8, 8)  # 150: the last window overlaps
    y, _ = predict_dataset(build_model("sdreamer-seq", **TINY), data, torch.device("cpu"))
    assert len(y) == sum(len(s) for s in data.subjects)
    assert _first_readings([(0, 0), (0, 8), (0, 5), (1, 0)], 8).sum(1).tolist() == [8, 8, 0, 8]
