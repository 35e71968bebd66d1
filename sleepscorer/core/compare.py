"""Agreement between two scorings of one recording (a model and a person, or two people):
overall agreement, Cohen's kappa, per-state precision/recall/F1 and the confusion matrix.

The one function behind `sleepscorer compare` and the app's second-labels band. Epochs
unscored in either scoring are left out (and counted). A state's F1 is undefined (NaN,
printed "n/a", null in JSON) unless both scorings hold it: a 0 for a state one side never
uses read as "they disagree about it" when only one of them scores it at all. Must not
import Qt.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sleepscorer.hypnogram import Hypnogram
from sleepscorer.stages import Stage


@dataclass
class Comparison:
    states: tuple[Stage, ...]
    confusion: np.ndarray  # (states, states): row = A's stage, column = B's
    n_compared: int
    n_left_out: int  # unscored in A or B, or beyond the shorter one
    agreement: float  # fraction of compared epochs with the same stage
    kappa: float
    precision: dict[Stage, float]  # B's stage s is right (taking A as reference); NaN: B has none
    recall: dict[Stage, float]  # A's stage s found by B; NaN: A has none
    f1: dict[Stage, float]  # NaN unless both A and B hold the state
    epoch_length: float = 1.0  # compared at the coarser of the two files' epochs

    def as_dict(self) -> dict:
        names = [s.label for s in self.states]
        """Plain types; an undefined figure (NaN) is None, so the JSON holds null, not NaN."""
        def by_state(values: dict[Stage, float]) -> dict[str, float | None]:
            return {s.label: _defined(values[s]) for s in self.states}

        return {"epoch_length_s": self.epoch_length,
                "epochs_compared": self.n_compared, "epochs_left_out": self.n_left_out,
                "agreement": _defined(self.agreement), "kappa": _defined(self.kappa),
                "f1": by_state(self.f1), "precision": by_state(self.precision),
                "recall": by_state(self.recall),
                "confusion": {a: {b: int(self.confusion[i, j]) for j, b in enumerate(names)}
                              for i, a in enumerate(names)}}


def _defined(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _aligned(a: Hypnogram, b: Hypnogram) -> tuple[np.ndarray, np.ndarray, int]:
    if abs(a.epoch_length - b.epoch_length) > 1e-9:
        coarse = max(a.epoch_length, b.epoch_length)
        a = a if a.epoch_length == coarse else a.to_epoch_length(coarse)
        b = b if b.epoch_length == coarse else b.to_epoch_length(coarse)
    n = min(len(a), len(b))
    return a.stages[:n], b.stages[:n], abs(len(a) - len(b))


def disagreements(a: Hypnogram, b: Hypnogram) -> np.ndarray:
    """Per epoch of `a`: both scored and the stages differ (for 'next disagreement')."""
    sa, sb, _ = _aligned(a, b)
    mask = np.zeros(len(a), bool)
    if a.epoch_length == b.epoch_length or len(sa) == len(a):
        n = len(sa)
        mask[:n] = (sa != sb) & (sa != Stage.UNSCORED) & (sb != Stage.UNSCORED)
    else:  # b is coarser: repeat its verdict over a's finer epochs
        k = int(round(max(a.epoch_length, b.epoch_length) / a.epoch_length))
        coarse = (sa != sb) & (sa != Stage.UNSCORED) & (sb != Stage.UNSCORED)
        fine = np.repeat(coarse, k)[: len(a)]
        mask[: len(fine)] = fine
    return mask


def compare(a: Hypnogram, b: Hypnogram, states: tuple[Stage, ...] | None = None) -> Comparison:
    """A is the reference (rows), B the other scoring (columns)."""
    sa, sb, extra = _aligned(a, b)
    both = (sa != Stage.UNSCORED) & (sb != Stage.UNSCORED)
    if states is None:
        present = set(np.unique(sa[both]).tolist()) | set(np.unique(sb[both]).tolist())
        states = tuple(s for s in Stage if s != Stage.UNSCORED and int(s) in present)
        states = states or (Stage.WAKE, Stage.NREM, Stage.REM)
    index = {int(s): i for i, s in enumerate(states)}
    confusion = np.zeros((len(states), len(states)), np.int64)
    xa, xb = sa[both], sb[both]
    known = np.isin(xa, list(index)) & np.isin(xb, list(index))
    ia = np.array([index[int(v)] for v in xa[known]], np.int64)
    ib = np.array([index[int(v)] for v in xb[known]], np.int64)
    np.add.at(confusion, (ia, ib), 1)
    n = int(confusion.sum())
    observed = float(np.trace(confusion) / n) if n else float("nan")
    expected = float((confusion.sum(1) * confusion.sum(0)).sum() / n ** 2) if n else float("nan")
    kappa = ((observed - expected) / (1 - expected) if n and expected < 1
             else (1.0 if n else float("nan")))
    precision, recall, f1 = {}, {}, {}
    for i, s in enumerate(states):
        tp = confusion[i, i]
        col, row = confusion[:, i].sum(), confusion[i, :].sum()
        precision[s] = float(tp / col) if col else float("nan")
        recall[s] = float(tp / row) if row else float("nan")
        p, r = precision[s], recall[s]
        f1[s] = (float(2 * p * r / (p + r)) if p + r > 0 else 0.0) if col and row else float("nan")
    left_out = int(len(sa) - n) + extra
    return Comparison(tuple(states), confusion, n, left_out, observed, float(kappa),
                      precision, recall, f1, max(a.epoch_length, b.epoch_length))


def format_comparison(c: Comparison, name_a: str = "A", name_b: str = "B") -> str:
    """The comparison as a few lines of text (CLI output, the app's tooltip)."""
    names = [s.label for s in c.states]
    width = max(8, *(len(n) for n in names)) + 1
    lines = [f"epochs compared: {c.n_compared} of {c.epoch_length:g} s (left out, unscored or "
             f"beyond the shorter: {c.n_left_out})",
             f"agreement: {c.agreement:.1%}   Cohen's kappa: {c.kappa:.3f}",
             "per-state F1: " + ", ".join(_f1_text(c, s, name_a, name_b) for s in c.states),
             f"confusion (rows {name_a}, columns {name_b}):",
             " " * width + "".join(f"{n:>{width}}" for n in names)]
    for i, n in enumerate(names):
        lines.append(f"{n:<{width}}" + "".join(f"{int(v):>{width}}" for v in c.confusion[i]))
    return "\n".join(lines)


def _f1_text(c: Comparison, s: Stage, name_a: str, name_b: str) -> str:
    """'REM 0.812', or 'REM n/a (only in B.csv: 12 epochs)' when one side never scores it."""
    if not np.isnan(c.f1[s]):
        return f"{s.label} {c.f1[s]:.3f}"
    i = c.states.index(s)
    in_a, in_b = int(c.confusion[i, :].sum()), int(c.confusion[:, i].sum())
    if in_a or in_b:
        return f"{s.label} n/a (only in {name_a if in_a else name_b}: {in_a or in_b} epochs)"
    return f"{s.label} n/a (in neither)"
