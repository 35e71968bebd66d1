"""Agreement between predicted and reference stages: accuracy, F1, Cohen's kappa (numpy only).

Epochs whose reference is -1 (unscored / ignored) are left out. Must not import torch.
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


def cohen_kappa(cm: np.ndarray) -> float:
    n = cm.sum()
    if n == 0:
        return 0.0
    observed = np.trace(cm) / n
    expected = float((cm.sum(0) * cm.sum(1)).sum()) / n**2
    return 0.0 if expected >= 1 else float((observed - expected) / (1 - expected))


def evaluate(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> dict:
    """Accuracy, macro-F1 (over classes present in reference or prediction), per-class F1,
    Cohen's kappa, confusion matrix (as nested lists, JSON-ready) and the epoch count."""
    cm = confusion_matrix(y_true, y_pred, n_classes)
    n = int(cm.sum())
    f1 = f1_per_class(cm)
    present = (cm.sum(0) + cm.sum(1)) > 0
    return {
        "n_epochs": n,
        "accuracy": float(np.trace(cm) / n) if n else 0.0,
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
        "f1_per_class": [float(v) for v in f1],
        "kappa": cohen_kappa(cm),
        "confusion": cm.tolist(),
    }
