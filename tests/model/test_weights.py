import json

import pytest
import torch
from safetensors.torch import load_file, save_file
from sleepscorer_model.weights import (
    ARCHITECTURES,
    LoadedModel,
    build_model,
    card_path,
    default_weights_path,
    load_model,
    resolve_model,
    save_model,
)

from sleepscorer.errors import ModelError
from sleepscorer.stages import Stage
from tests.model.conftest import TINY


@pytest.fixture
def saved(tmp_path):
    model = build_model("sdreamer-seq", **TINY)
    path = tmp_path / "tiny.safetensors"
    card = save_model(model, path, training_data={"subjects": 2}, metrics={"macro_f1": 0.5})
    return model, path, card


def test_save_load_gives_identical_outputs_and_full_card(saved):
    model, path, card = saved
    loaded = load_model(path)
    x = torch.randn(2, 8, 512)
    with torch.no_grad():
        a, b = model.eval()(x, x), loaded.module(x, x)
    assert all(torch.equal(a[k], b[k]) for k in a)
    sidecar = json.loads(card_path(path).read_text())
    for key in ("architecture", "config", "classes", "sampling_rate", "epoch_length", "modalities",
                "training_data", "metrics", "created", "weights_sha256", "parent_sha256",
                "file_sha256", "preprocessing"):
        assert key in sidecar
    assert loaded.classes == (Stage.WAKE, Stage.NREM, Stage.REM)
    assert loaded.card["config"]["d_model"] == 16


def test_refuses_tampered_weights(saved):
    _, path, _ = saved
    tensors = load_file(str(path))
    from safetensors import safe_open
    with safe_open(str(path), "pt") as f:
        meta = f.metadata()
    name = next(iter(tensors))
    tensors[name] = tensors[name] + 1
    save_file(tensors, str(path), metadata=meta)
    with pytest.raises(ModelError, match="sha256|hash"):
        load_model(path)
    card_path(path).unlink()  # without the sidecar the tensor hash still catches it
    with pytest.raises(ModelError, match="hash"):
        load_model(path)


@pytest.mark.parametrize("change, match", [
    ({"architecture": "resnet"}, "unknown architecture"),
    ({"config": {"d_model": 32}}, "do not fit|does not build"),
    ({"config": {"bogus": 1}}, "does not build"),
    # the card's time grid and classes must be what this code scores with
    ({"epoch_length": 2.5}, r"epoch_length is 2\.5 s; this version scores 1-s epochs"),
    ({"sampling_rate": 256}, "sampling_rate is 256 Hz; this version feeds models 512 Hz"),
    ({"classes": ["WAKE", "NREM", "DREAM"]}, "not distinct stage names"),
    ({"classes": ["WAKE", "WAKE", "REM"]}, "not distinct stage names"),
    ({"classes": ["WAKE", "NREM", "REM", "MA"]}, "lists 4 classes but its config has 3"),
])
def test_refuses_mismatched_card(saved, change, match):
    _, path, card = saved
    tensors = load_file(str(path))
    new = {k: v for k, v in card.items() if k != "file_sha256"}
    for k, v in change.items():
        new[k] = {**new[k], **v} if isinstance(v, dict) else v
    save_file(tensors, str(path), metadata={"sleepscorer_card": json.dumps(new)})
    card_path(path).unlink()
    with pytest.raises(ModelError, match=match):
        load_model(path)


def test_sidecar_must_agree(saved):
    _, path, card = saved
    card_path(path).write_text(json.dumps({**card, "classes": ["WAKE", "REM", "NREM"]}))
    with pytest.raises(ModelError, match="differs"):
        load_model(path)


def test_not_safetensors_and_missing(tmp_path):
    bad = tmp_path / "x.safetensors"
    bad.write_bytes(b"\x80\x04pickle?")
    with pytest.raises(ModelError, match="safetensors"):
        load_model(bad)
    with pytest.raises(ModelError, match="not found"):
        load_model(tmp_path / "none.safetensors")


def test_registry_and_bundled_weights():
    assert set(ARCHITECTURES) >= {"sdreamer-seq", "sdreamer-epoch", "mc2sleepnet"}
    assert default_weights_path().name == "sdreamer-seq.safetensors"
    if not default_weights_path().exists():
        with pytest.raises(ModelError, match="no bundled weights"):
            resolve_model(None)
    m = build_model("sdreamer-epoch", **TINY)
    assert LoadedModel.wrap(m).architecture == "sdreamer-epoch"


def test_weights_are_loaded_once_per_file_identity(tmp_path, monkeypatch):
    from sleepscorer_model import weights as w

    path = tmp_path / "m.safetensors"
    w.save_model(w.build_model("sdreamer-seq", d_model=16, n_heads=2, ffn_dim=32, seq_len=4), path,
                 arch="sdreamer-seq")
    calls = []
    real = w.load_model
    monkeypatch.setattr(w, "load_model", lambda p, d="cpu": calls.append(p) or real(p, d))
    w._CACHE.clear()
    first = w.resolve_model(path)
    assert w.resolve_model(str(path)) is first and len(calls) == 1
    w.save_model(w.build_model("sdreamer-seq", d_model=16, n_heads=2, ffn_dim=32, seq_len=4), path,
                 arch="sdreamer-seq")  # a new file at the same path is read again
    assert w.resolve_model(path) is not first and len(calls) == 2
