"""Gradient-boosted trees (LightGBM) on hand-made features: the classical baseline.

Same shape of interface as the networks: fit on `SubjectData`, predict probabilities for
epochs, score a Recording. Saved as JSON: a model card plus LightGBM's own text dump of
the trees (no pickle), with the dump's sha256 checked on loading.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import lightgbm as lgb
import numpy as np

from model.data import SubjectData
from model.features import epoch_features, feature_names
from model.metrics import evaluate
from model.preprocess import MODEL_RATE, preprocess
from sleepscorer.errors import ModelError
from sleepscorer.io.recording import Recording
from sleepscorer.stages import BASE_EPOCH, MODEL_CLASSES_3, Stage, stages_from_names

ARCH = "lightgbm-features"
DEFAULT_PARAMS = {"objective": "multiclass", "learning_rate": 0.1, "num_leaves": 31,
                  "min_data_in_leaf": 20, "feature_fraction": 0.9, "verbose": -1,
                  "num_threads": 2, "seed": 0}


class TreesModel:
    """LightGBM on per-epoch features. `with_emg` decides the feature set."""

    def __init__(self, classes: Sequence[Stage] = MODEL_CLASSES_3, with_emg: bool = True,
                 params: dict | None = None, booster: lgb.Booster | None = None):
        self.classes = tuple(Stage(int(c)) for c in classes)
        self.with_emg = with_emg
        self.params = {**DEFAULT_PARAMS, **(params or {}), "num_class": len(self.classes)}
        self.booster = booster
        self.metrics: dict = {}

    def _xy(self, subjects: Sequence[SubjectData]) -> tuple[np.ndarray, np.ndarray]:
        x = np.concatenate([epoch_features(s.eeg, s.emg if self.with_emg else None) for s in subjects])
        y = np.concatenate([s.labels for s in subjects])
        return x[y >= 0], y[y >= 0]

    def fit(self, train_data: Sequence[SubjectData], val_data: Sequence[SubjectData] | None = None,
            rounds: int = 200, early_stopping: int = 20) -> TreesModel:
        x, y = self._xy(train_data)
        sets, callbacks = [], []
        train_set = lgb.Dataset(x, y, feature_name=feature_names(self.with_emg))
        if val_data:
            xv, yv = self._xy(val_data)
            sets = [lgb.Dataset(xv, yv, reference=train_set)]
            callbacks = [lgb.early_stopping(early_stopping, verbose=False)]
        self.booster = lgb.train(self.params, train_set, rounds, valid_sets=sets, callbacks=callbacks)
        if val_data:
            self.metrics = evaluate(yv, self.predict_features(xv).argmax(1), len(self.classes))
        return self

    def predict_features(self, x: np.ndarray) -> np.ndarray:
        if self.booster is None:
            raise ModelError(None, "the tree model is not trained yet")
        return np.asarray(self.booster.predict(x), dtype=np.float32).reshape(len(x), -1)

    def predict_proba(self, eeg: np.ndarray, emg: np.ndarray | None) -> np.ndarray:
        """(n, T) normalised epochs -> (n, n_classes) probabilities."""
        return self.predict_features(epoch_features(eeg, emg if self.with_emg else None))

    def score(self, recording: Recording) -> np.ndarray:
        if self.with_emg and recording.emg is None:
            raise ModelError(recording.source, "this tree model needs an EMG channel")
        eeg, emg = preprocess(recording)
        return self.predict_proba(eeg, emg)

    def save(self, path: str | Path, training_data: dict | None = None) -> dict:
        dump = self.booster.model_to_string()
        card = {"format": "sleepscorer-trees/1", "architecture": ARCH,
                "classes": [c.name for c in self.classes], "with_emg": self.with_emg,
                "features": feature_names(self.with_emg), "params": self.params,
                "sampling_rate": MODEL_RATE, "epoch_length": BASE_EPOCH, "training_data": training_data or {},
                "metrics": self.metrics, "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "booster_sha256": hashlib.sha256(dump.encode()).hexdigest(), "booster": dump}
        Path(path).write_text(json.dumps(card))
        return card

    @classmethod
    def load(cls, path: str | Path) -> TreesModel:
        path = Path(path)
        try:
            card = json.loads(path.read_text())
            dump = card["booster"]
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(path, f"not a SleepScorer tree model ({exc})") from exc
        if card.get("architecture") != ARCH:
            raise ModelError(path, f"architecture {card.get('architecture')!r} is not {ARCH}")
        if hashlib.sha256(dump.encode()).hexdigest() != card.get("booster_sha256"):
            raise ModelError(path, "tree model does not match its hash; the file was changed")
        model = cls(stages_from_names(card["classes"]), card["with_emg"], card["params"],
                    lgb.Booster(model_str=dump))
        model.metrics = card.get("metrics", {})
        return model
