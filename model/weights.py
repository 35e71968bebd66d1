"""Model files: safetensors weights with a JSON model card, and the architecture registry.

`ARCHITECTURES` maps each name to its network class (`model.interface.ScoringNetwork`):
the class says how it is configured, what it reads and how it is trained, so adding a
network is its file plus one line here.

`NAME.safetensors` holds the tensors and, in its metadata, the card; `NAME.json` beside it
holds the same card plus the sha256 of the weights file. Loading checks everything it can
(architecture known, config builds, tensor names and shapes, hashes) and raises ModelError
with what to do. No pickle anywhere: never torch.load.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from sleepscorer_model.interface import ScoringNetwork, check_network
from sleepscorer_model.mc2sleepnet import MC2SleepNet
from sleepscorer_model.preprocess import MODEL_RATE, PreprocessConfig
from sleepscorer_model.sdreamer import EpochSDreamer, SequenceSDreamer
from torch import nn

from sleepscorer.errors import ModelError
from sleepscorer.io.atomic import atomic_path, write_text_atomic
from sleepscorer.stages import BASE_EPOCH, MODEL_CLASSES_3, Stage, stage_names, stages_from_names

CARD_FORMAT = "sleepscorer-model/1"
CARD_KEY = "sleepscorer_card"


# The registry: name -> network class. One line per network.
ARCHITECTURES: dict[str, type[ScoringNetwork]] = {
    cls.arch_name: cls for cls in (SequenceSDreamer, EpochSDreamer, MC2SleepNet)
}
for _cls in ARCHITECTURES.values():
    check_network(_cls)


def build_model(arch: str, config: Any = None, **overrides: Any) -> nn.Module:
    """A freshly initialised network by architecture name (default config, then overrides)."""
    if arch not in ARCHITECTURES:
        raise ModelError(None, f"unknown architecture {arch!r}; choose one of {', '.join(ARCHITECTURES)}")
    cls = ARCHITECTURES[arch]
    config = config if config is not None else cls.default_config()
    if overrides:
        config = dataclasses.replace(config, **overrides)
    return cls(config)


def config_from_card(arch: str, values: dict) -> Any:
    """The network's config dataclass rebuilt from a card's `config` dict."""
    return ARCHITECTURES[arch].config_class(**values)


def default_weights_path() -> Path:
    from sleepscorer.resources import resource_path

    return resource_path("weights", "sdreamer-seq.safetensors")


@dataclass
class LoadedModel:
    """A network ready for inference together with its verified model card."""

    module: nn.Module
    card: dict
    path: Path | None = None
    parent: LoadedModel | None = None  # a fine-tuned model's base, when already in memory

    @property
    def name(self) -> str:
        return str(self.card.get("name") or self.card["architecture"])

    @property
    def architecture(self) -> str:
        return str(self.card["architecture"])

    @property
    def classes(self) -> tuple[Stage, ...]:
        return stages_from_names(self.card["classes"])

    @property
    def modalities(self) -> tuple[str, ...]:
        return tuple(self.card["modalities"])

    @classmethod
    def wrap(cls, module: nn.Module, classes: Sequence[Stage] = MODEL_CLASSES_3,
             arch: str | None = None) -> LoadedModel:
        """An in-memory network (e.g. just trained) with a minimal, unsaved card."""
        arch = arch or module.arch_name
        if arch not in ARCHITECTURES:
            raise ModelError(None, f"unknown architecture {arch!r}")
        card = {"name": arch, "architecture": arch, "config": dataclasses.asdict(module.cfg),
                "classes": stage_names(classes),
                "modalities": list(ARCHITECTURES[arch].modalities),
                "preprocessing": PreprocessConfig().to_dict(), "epoch_length": BASE_EPOCH}
        return cls(module, card)


def tensors_sha256(tensors: dict[str, torch.Tensor]) -> str:
    """Hash of tensor names, dtypes, shapes and bytes: identical weights, identical hash."""
    h = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def card_path(weights_path: Path) -> Path:
    return Path(weights_path).with_suffix(".json")


def save_model(model: nn.Module, path: str | Path, arch: str | None = None,
               classes: Sequence[Stage] = MODEL_CLASSES_3, name: str | None = None,
               training_data: dict | None = None, metrics: dict | None = None,
               parent_sha256: str | None = None, preprocessing: dict | None = None,
               extra: dict | None = None) -> dict:
    """Write NAME.safetensors (+ card in its metadata) and NAME.json; returns the card."""
    path = Path(path)
    arch = arch or model.arch_name
    if arch not in ARCHITECTURES:
        raise ModelError(path, f"unknown architecture {arch!r}; cannot save")
    cfg = model.cfg
    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    card = {
        "format": CARD_FORMAT,
        "name": name or arch,
        "architecture": arch,
        "config": dataclasses.asdict(cfg),
        "classes": stage_names(classes),
        "sampling_rate": int(model.sampling_rate),
        "epoch_length": BASE_EPOCH,
        "modalities": list(ARCHITECTURES[arch].modalities),
        "preprocessing": preprocessing or PreprocessConfig().to_dict(),
        "training_data": training_data or {},
        "metrics": metrics or {},
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "weights_sha256": tensors_sha256(tensors),
        "parent_sha256": parent_sha256,
        **(extra or {}),
    }
    return _write(tensors, card, path)


def with_reading(path: str | Path, out: str | Path, name: str | None = None, **reading: Any) -> dict:
    """Copy a model to `out` with its card's reading settings changed (`PreprocessConfig`
    fields such as `self_training=0.5`) and, if given, its name; the tensors byte for byte
    the same: how a release that changes only how the network is read is made. Returns the
    new card."""
    path, out = Path(path), Path(out)
    if out.resolve() == path.resolve():
        raise ModelError(out, "would overwrite the model it is made from; choose another file")
    card, tensors = _read_safetensors(path)
    unknown = set(reading) - {f.name for f in dataclasses.fields(PreprocessConfig)}
    if unknown:
        raise ModelError(out, f"not a reading setting: {', '.join(sorted(unknown))}")
    card = dict(card, name=name or card["name"],
                preprocessing={**card.get("preprocessing", {}), **reading},
                created=datetime.now(UTC).isoformat(timespec="seconds"))
    return _write(tensors, card, out)


def _write(tensors: dict[str, torch.Tensor], card: dict, path: Path) -> dict:
    """The weights with the card in their metadata, and the card beside them with the file's
    hash (what `_verify_sidecar` checks); returns that sidecar card."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata={CARD_KEY: json.dumps(card, sort_keys=True)})
    sidecar = dict(card, file_sha256=file_sha256(path))
    write_text_atomic(card_path(path), json.dumps(sidecar, indent=2, sort_keys=True) + "\n")
    return sidecar


def _read_safetensors(path: Path) -> tuple[dict, dict[str, torch.Tensor]]:
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            metadata = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (safe_open API)
    except Exception as exc:  # safetensors raises its own error types for corrupt headers
        raise ModelError(path, f"not a readable safetensors weights file ({exc}); "
                               "re-download or re-export the model") from exc
    if CARD_KEY not in metadata:
        raise ModelError(path, "weights file has no SleepScorer model card; "
                               "export it with SleepScorer (save_model) first")
    try:
        return json.loads(metadata[CARD_KEY]), tensors
    except json.JSONDecodeError as exc:
        raise ModelError(path, f"model card in the weights file is corrupt ({exc})") from exc


def _verify_sidecar(path: Path, card: dict) -> dict:
    sidecar_path = card_path(path)
    if not sidecar_path.exists():
        return card  # the card inside the weights file is enough
    try:
        sidecar = json.loads(sidecar_path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(sidecar_path, f"model card is not valid JSON ({exc}); "
                                       "delete it to use the card inside the weights file") from exc
    expected = sidecar.get("file_sha256")
    if expected and expected != file_sha256(path):
        raise ModelError(path, "weights file does not match its model card (sha256 differs); "
                               "the file was changed or is incomplete: re-download or re-export it")
    if {k: v for k, v in sidecar.items() if k != "file_sha256"} != card:
        raise ModelError(sidecar_path, "model card differs from the card inside the weights "
                                       "file; delete or restore the .json file")
    return sidecar


def check_card_grid(path: Path | None, card: dict, network: ScoringNetwork) -> None:
    """The card's epoch length, sampling rate and classes are what this code scores with
    (`sleepscorer.stages`, `model.preprocess.MODEL_RATE`); ModelError naming the field if not."""
    epoch = card.get("epoch_length", BASE_EPOCH)
    if not isinstance(epoch, int | float) or abs(float(epoch) - BASE_EPOCH) > 1e-9:
        raise ModelError(path, f"model card's epoch_length is {epoch!r} s; this version scores "
                               f"{BASE_EPOCH:g}-s epochs only: retrain or convert the model")
    rate = card.get("sampling_rate", MODEL_RATE)
    if not isinstance(rate, int | float) or float(rate) != MODEL_RATE:
        raise ModelError(path, f"model card's sampling_rate is {rate!r} Hz; this version feeds "
                               f"models {MODEL_RATE} Hz: retrain or convert the model")
    names = card.get("classes")
    try:
        classes = stages_from_names(names) if isinstance(names, list) else None
    except KeyError:
        classes = None
    if (not classes or len(set(classes)) != len(classes) or Stage.UNSCORED in classes):
        raise ModelError(path, f"model card's classes {names!r} are not distinct stage names "
                               f"({', '.join(s.name for s in Stage if s != Stage.UNSCORED)})")
    if len(classes) != network.n_classes:
        raise ModelError(path, f"model card lists {len(classes)} classes but its config has "
                               f"{network.n_classes}; the card was changed")
    if network.sampling_rate != MODEL_RATE or network.epoch_samples != MODEL_RATE * BASE_EPOCH:
        raise ModelError(path, f"the {network.arch_name} config reads {network.epoch_samples} "
                               f"samples at {network.sampling_rate} Hz per epoch; this version "
                               f"feeds {MODEL_RATE * BASE_EPOCH:g} at {MODEL_RATE} Hz")


def load_model(path: str | Path, device: str | torch.device = "cpu") -> LoadedModel:
    """Read and verify a model file; the network is returned in eval mode."""
    path = Path(path)
    if not path.exists():
        raise ModelError(path, "model file not found; check the path or pass --model FILE")
    weights = path.with_suffix(".safetensors")
    if path.suffix.lower() == ".json" and weights.exists():  # the card named, not the model
        raise ModelError(path, f"is a model's card, not the model; give {weights.name}, the "
                               "weights file beside it")
    card, tensors = _read_safetensors(path)
    card = _verify_sidecar(path, card)
    arch = card.get("architecture")
    if arch not in ARCHITECTURES:
        raise ModelError(path, f"unknown architecture {arch!r} in model card; this version "
                               f"knows {', '.join(ARCHITECTURES)}: update SleepScorer")
    try:
        config = config_from_card(arch, card["config"])
        model = build_model(arch, config)
        PreprocessConfig(**card.get("preprocessing", {}))
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(path, f"model card config does not build a {arch} model ({exc})") from exc
    check_card_grid(path, card, model)
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    found = {k: tuple(v.shape) for k, v in tensors.items()}
    if expected != found:
        bad = sorted(set(expected) ^ set(found)) or [k for k in expected if expected[k] != found[k]]
        raise ModelError(path, f"weights do not fit the model card's {arch} config "
                               f"(e.g. {', '.join(bad[:3])}); the card or weights were changed")
    if card.get("weights_sha256") != tensors_sha256(tensors):
        raise ModelError(path, "weights do not match the hash in their model card; "
                               "the file was changed: re-download or re-export it")
    model.load_state_dict(tensors)
    model.to(device).eval()
    return LoadedModel(model, card, path)


_CACHE: dict[tuple, LoadedModel] = {}
CACHE_SIZE = 4


def _file_identity(path: Path) -> tuple:
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ino)


def cached_load(path: str | Path, device: str | torch.device = "cpu") -> LoadedModel:
    """load_model with a small cache keyed by path and file identity (size, mtime, inode):
    a batch loads and hashes its weights once; a changed file is read again."""
    path = Path(path)
    try:
        key = (*_file_identity(path), str(device))
    except OSError:
        return load_model(path, device)  # load_model says what is wrong with the path
    if key not in _CACHE:
        if len(_CACHE) >= CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = load_model(path, device)
    return _CACHE[key]


def resolve_model(weights: None | str | Path | LoadedModel, device: str | torch.device = "cpu"
                  ) -> LoadedModel:
    """None -> bundled weights; a path -> load it (cached); a LoadedModel -> itself (on device)."""
    if isinstance(weights, LoadedModel):
        weights.module.to(device).eval()
        return weights
    if weights is None:
        path = default_weights_path()
        if not path.exists():
            raise ModelError(path, "no bundled weights in this build yet; "
                                   "pass a trained model file (--model FILE)")
        return cached_load(path, device)
    return cached_load(weights, device)
