"""The tree reference: LightGBM on robust-scaled spectral features with context.

Not a network, so it does not share sDREAMER's interface; it is the yardstick: a model of
this kind, trained only on simulated mice, scores real mice 0.91-0.97 against experts
(measured outside the project), so a network that disagrees with it on a real recording
is checked there first. Saved as JSON: a card plus LightGBM's own text dump of the trees
(no pickle), with the dump's sha256 checked on loading.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import lightgbm as lgb
import numpy as np
from sleepscorer_model.features import CONTEXT, feature_names, tree_features
from sleepscorer_model.features import RATE as MODEL_RATE
from sleepscorer_model.metrics import evaluate

from sleepscorer.errors import ModelError
from sleepscorer.io.atomic import write_text_atomic
from sleepscorer.io.recording import Recording
from sleepscorer.stages import BASE_EPOCH, MODEL_CLASSES_3, Stage, stages_from_names

ARCH = "lightgbm-spectral"
DEFAULT_PARAMS = {"objective": "multiclass", "learning_rate": 0.1, "num_leaves": 31,
                  "min_data_in_leaf": 50, "feature_fraction": 0.8, "bagging_fraction": 0.8,
                  "bagging_freq": 1, "verbose": -1, "num_threads": 2, "seed": 0}


def balanced_weights(y: np.ndarray, n_classes: int) -> np.ndarray:
    counts = np.bincount(y, minlength=n_classes).astype(float)
    w = len(y) / (n_classes * np.maximum(counts, 1))
    return w[y]


class TreesModel:
    """LightGBM on `model.features.tree_features`; `with_emg` decides the feature set."""

    def __init__(self, classes: Sequence[Stage] = MODEL_CLASSES_3, with_emg: bool = True,
                 params: dict | None = None, booster: lgb.Booster | None = None,
                 context: int = CONTEXT):
        self.classes = tuple(Stage(int(c)) for c in classes)
        self.with_emg = with_emg
        self.context = context
        self.params = {**DEFAULT_PARAMS, **(params or {}), "num_class": len(self.classes)}
        self.booster = booster
        self.metrics: dict = {}

    def features(self, recording: Recording) -> np.ndarray:
        if self.with_emg and recording.emg is None:
            raise ModelError(recording.source, "this tree model needs an EMG channel")
        return tree_features(recording, self.with_emg, self.context)

    def fit(self, x: Sequence[np.ndarray], y: Sequence[np.ndarray], rounds: int = 300,
            val: tuple[Sequence[np.ndarray], Sequence[np.ndarray]] | None = None) -> TreesModel:
        """Train on per-recording feature matrices and class indices (-1: left out)."""
        xs, ys = np.concatenate(x), np.concatenate(y)
        keep = ys >= 0
        xs, ys = xs[keep], ys[keep]
        data = lgb.Dataset(xs, ys, weight=balanced_weights(ys, len(self.classes)),
                           feature_name=feature_names(self.with_emg, self.context))
        self.booster = lgb.train(self.params, data, rounds)
        if val is not None:
            xv, yv = np.concatenate(val[0]), np.concatenate(val[1])
            self.metrics = evaluate(yv[yv >= 0], self.predict_features(xv[yv >= 0]).argmax(1),
                                    len(self.classes))
        return self

    def predict_features(self, x: np.ndarray) -> np.ndarray:
        if self.booster is None:
            raise ModelError(None, "the tree model is not trained yet")
        return np.asarray(self.booster.predict(x), dtype=np.float32).reshape(len(x), -1)

    def score(self, recording: Recording) -> np.ndarray:
        """(n_epochs, n_classes) probabilities of every whole 1-s epoch."""
        return self.predict_features(self.features(recording))

    def save(self, path: str | Path, training_data: dict | None = None) -> dict:
        dump = self.booster.model_to_string()
        card = {"format": "sleepscorer-trees/2", "architecture": ARCH,
                "classes": [c.name for c in self.classes], "with_emg": self.with_emg,
                "context": self.context, "features": feature_names(self.with_emg, self.context),
                "params": self.params, "sampling_rate": MODEL_RATE, "epoch_length": BASE_EPOCH,
                "training_data": training_data or {}, "metrics": self.metrics,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "booster_sha256": hashlib.sha256(dump.encode()).hexdigest(), "booster": dump}
        write_text_atomic(Path(path), json.dumps(card))
        return card

    @classmethod
    def load(cls, path: str | Path) -> TreesModel:
        path = Path(path)
        try:
            card = json.loads(path.read_text())
            dump = card["booster"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(path, f"not a SleepScorer tree model ({exc})") from exc
        if card.get("architecture") != ARCH:
            raise ModelError(path, f"architecture {card.get('architecture')!r} is not {ARCH}")
        if hashlib.sha256(dump.encode()).hexdigest() != card.get("booster_sha256"):
            raise ModelError(path, "tree model does not match its hash; the file was changed")
        model = cls(stages_from_names(card["classes"]), card["with_emg"], card["params"],
                    lgb.Booster(model_str=dump), card.get("context", CONTEXT))
        model.metrics = card.get("metrics", {})
        return model
