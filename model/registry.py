"""Where models live: the bundled model, the user's fine-tuned models, and finding a parent.

Must not import Qt.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sleepscorer_model.weights import LoadedModel, load_model

from sleepscorer.errors import ModelError


def user_models_dir() -> Path:
    """Fine-tuned models of this user: <user data dir>/SleepScorer/models."""
    import platformdirs

    # appauthor=False: the same root as the app's corrections folder on every platform
    return Path(platformdirs.user_data_dir("SleepScorer", appauthor=False)) / "models"


@dataclass(frozen=True)
class ModelEntry:
    path: Path
    card: dict
    bundled: bool

    @property
    def name(self) -> str:
        return str(self.card.get("name") or self.path.stem)


def list_models(folder: Path | None = None) -> list[ModelEntry]:
    """The bundled model (when present) and every readable model in the user models folder."""
    from sleepscorer_model.weights import default_weights_path  # looked up late: tests swap it

    entries = []
    bundled = default_weights_path()
    candidates = [(bundled, True)] if bundled.exists() else []
    folder = user_models_dir() if folder is None else Path(folder)
    if folder.is_dir():
        candidates += [(p, False) for p in sorted(folder.glob("*.safetensors"))]
    for path, is_bundled in candidates:
        try:
            entries.append(ModelEntry(path, load_model(path).card, is_bundled))
        except ModelError:
            continue  # a broken file is not offered; `sleepscorer info` explains it
    return entries


def find_parent(model: LoadedModel) -> LoadedModel | None:
    """The model `model` was fine-tuned from, looked up by weights hash beside it, among the
    bundled and the user's models; None when it has no parent or the parent is gone."""
    from sleepscorer_model.weights import default_weights_path

    want = model.card.get("parent_sha256")
    if not want:
        return None
    folders = [Path(model.path).parent] if model.path is not None else []
    folders.append(user_models_dir())
    seen = set()
    for path in [default_weights_path(), *(p for f in folders if f.is_dir()
                                           for p in sorted(f.glob("*.safetensors")))]:
        if path in seen or not path.exists() or (model.path and path == Path(model.path)):
            continue
        seen.add(path)
        try:
            candidate = load_model(path)
        except ModelError:
            continue
        if candidate.card.get("weights_sha256") == want:
            return candidate
    return None
