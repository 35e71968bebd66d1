"""Agreement between predicted and reference stages: accuracy, F1, Cohen's kappa (numpy only).

Epochs whose reference is -1 (unscored / ignored) are left out. A class absent from both
reference and prediction has no F1: `evaluate` stores None (JSON null), as `sleepscorer
compare` prints n/a, since a 0 there read as "the model fails at it" in a fine-tuned model's
card. Must not import torch.
"""

from __future__ import annotations

import numpy as np


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Rows: reference class, columns: predicted class. Ignores reference -1."""
    y_true = np.asarray(y_true).ravel()
    y_pred = np.asarray(y_pred).ravel()
    keep = (y_true >= 0) & (y_true < n_classes) & (y_pred >= 0) & (y_pred < n_classes)
    flat = y_true[keep].astype(np.int64) * n_classes + y_pred[keep].astype(np.int64)
    return np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def f1_per_class(cm: np.ndarray) -> np.ndarray:
    tp = np.diag(cm).astype(float)
    denom = cm.sum(0) + cm.sum(1)  # 2TP + FP + FN
    return np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)


def class_f1(metrics: dict, i: int) -> float:
    """Class `i`'s F1 of an `evaluate` result, NaN where it has none (for averaging)."""
    value = metrics["f1_per_class"][i]
    return float("nan") if value is None else float(value)


def cohen_kappa(cm: np.ndarray) -> float:
    n = cm.sum()
    if n == 0:
        return 0.0
    observed = np.trace(cm) / n
    expected = float((cm.sum(0) * cm.sum(1)).sum()) / n**2
    return 0.0 if expected >= 1 else float((observed - expected) / (1 - expected))


def macro_f1(cm: np.ndarray, over: str = "either") -> float:
    """Mean F1 over the classes in the reference or the prediction ("either"), or in the
    reference only ("reference"): two models compared on the same labels must be averaged
    over the same classes, else a stray prediction of an absent class counts as an F1 of 0
    for one model and not at all for the other."""
    cm = np.asarray(cm)
    if over not in ("either", "reference"):
        raise ValueError(f"macro-F1 over {over!r}: 'either' or 'reference'")
    present = cm.sum(1) > 0 if over == "reference" else (cm.sum(0) + cm.sum(1)) > 0
    return float(f1_per_class(cm)[present].mean()) if present.any() else 0.0


def reference_counts(metrics: dict) -> list[int]:
    """Reference epochs per class of an `evaluate` result (a class with none has no F1)."""
    return [int(sum(row)) for row in metrics.get("confusion", [])]


def over_reference(metrics: dict) -> dict:
    """`metrics` with its macro-F1 averaged over the reference's classes only (see
    `macro_f1`); for results that `evaluate` computed the default way."""
    if "confusion" not in metrics:
        return dict(metrics)
    return {**metrics, "macro_f1": macro_f1(np.asarray(metrics["confusion"]), "reference")}


def evaluate(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int,
             macro_over: str = "either") -> dict:
    """Accuracy, macro-F1 (over classes present in reference or prediction, or with
    `macro_over="reference"` in the reference only), per-class F1, Cohen's kappa, confusion
    matrix (as nested lists, JSON-ready) and the epoch count. A class in neither reference nor
    prediction has F1 None."""
    cm = confusion_matrix(y_true, y_pred, n_classes)
    n = int(cm.sum())
    f1 = f1_per_class(cm)
    seen = (cm.sum(0) + cm.sum(1)) > 0
    return {
        "n_epochs": n,
        "accuracy": float(np.trace(cm) / n) if n else 0.0,
        "macro_f1": macro_f1(cm, macro_over),
        "f1_per_class": [float(v) if s else None for v, s in zip(f1, seen, strict=True)],
        "kappa": cohen_kappa(cm),
        "confusion": cm.tolist(),
    }
