"""Agreement between two scorings of one recording (a model and a person, or two people):
overall agreement, Cohen's kappa, per-state precision/recall/F1 and the confusion matrix.

The one function behind `sleepscorer compare` and the app's second-labels band. Epochs
unscored in either scoring are left out (and counted). A state's F1 is undefined (NaN,
printed "n/a", null in JSON) unless both scorings hold it: a 0 for a state one side never
uses read as "they disagree about it" when only one of them scores it at all. An
`EpochSelection` restricts the count to a time range, less the epochs a person labelled in
a corrections file: after fine-tuning on corrections, the whole-file figure counts the very
epochs the model was trained on. Must not import Qt.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sleepscorer.errors import SleepScorerError
from sleepscorer.hypnogram import Hypnogram
from sleepscorer.io.atomic import write_text_atomic
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
    selection: EpochSelection | None = None  # None: every epoch both files cover

    def as_dict(self) -> dict:
        """Plain types; an undefined figure (NaN) is None, so the JSON holds null, not NaN."""
        names = [s.label for s in self.states]
        def by_state(values: dict[Stage, float]) -> dict[str, float | None]:
            return {s.label: _defined(values[s]) for s in self.states}

        return {"epoch_length_s": self.epoch_length,
                "epochs_compared": self.n_compared, "epochs_left_out": self.n_left_out,
                "agreement": _defined(self.agreement), "kappa": _defined(self.kappa),
                "f1": by_state(self.f1), "precision": by_state(self.precision),
                "recall": by_state(self.recall),
                **({"epochs": self.selection.as_dict()} if self.selection else {}),
                "confusion": {a: {b: int(self.confusion[i, j]) for j, b in enumerate(names)}
                              for i, a in enumerate(names)}}


@dataclass(frozen=True)
class EpochSelection:
    """The epochs (at the compared epoch length) a comparison counts."""
    mask: np.ndarray  # over the epochs both files cover
    first: int
    last: int  # inclusive
    n_excluded: int = 0  # in the range, left out as a person labelled them
    excluded_from: str = ""  # the corrections file they were labelled in

    def describe(self) -> str:
        """'epochs 900-1799 (900 of 1800)', so the figures say what they count."""
        less = (f" less {self.n_excluded} a person labelled in {self.excluded_from}"
                if self.excluded_from else "")
        return (f"epochs {self.first}-{self.last}{less} "
                f"({int(self.mask.sum())} of {len(self.mask)})")

    def as_dict(self) -> dict:
        return {"first": self.first, "last": self.last, "selected": int(self.mask.sum()),
                "of": len(self.mask), "excluded_person_labelled": self.n_excluded,
                "excluded_from": self.excluded_from or None}


def select_epochs(n_epochs: int, epoch_length: float, start_s: float | None = None,
                  stop_s: float | None = None, excluded: Hypnogram | None = None,
                  excluded_name: str = "") -> EpochSelection:
    """Epochs lying wholly within [start_s, stop_s), less any overlapping an epoch a person
    labelled in `excluded` (any epoch length). Raises ValueError naming the problem."""
    end = n_epochs * epoch_length
    start = 0.0 if start_s is None else float(start_s)
    stop = end if stop_s is None else float(stop_s)
    if np.isfinite(start) and start >= end:
        raise ValueError(f"--from {start:g} s is beyond the {end:g} s both files cover")
    if not (np.isfinite(start) and np.isfinite(stop)) or start < 0 or stop <= start:
        raise ValueError(f"the range from {start:g} s to {stop:g} s is empty; --from must be "
                         "at least 0 and before --to")
    first = int(np.ceil(start / epoch_length - 1e-9))
    last = min(int(np.floor(stop / epoch_length + 1e-9)), n_epochs) - 1
    if last < first:
        raise ValueError(f"no whole {epoch_length:g}-s epoch lies in the range from {start:g} s "
                         f"to {stop:g} s; widen it")
    mask = np.zeros(n_epochs, bool)
    mask[first:last + 1] = True
    n_excluded = 0
    if excluded is not None:
        person = np.flatnonzero(excluded.is_person_labelled())
        if person.size == 0:
            raise ValueError("holds no epoch a person labelled (source expert or imported); "
                             "give the corrected labels")
        le = excluded.epoch_length
        lo = np.floor(person * le / epoch_length + 1e-9).astype(np.int64)
        hi = np.ceil((person + 1) * le / epoch_length - 1e-9).astype(np.int64)
        drop = np.zeros(n_epochs + 1, np.int64)  # +1 where a labelled span starts, -1 after
        np.add.at(drop, np.clip(lo, 0, n_epochs), 1)
        np.add.at(drop, np.clip(hi, 0, n_epochs), -1)
        labelled = np.cumsum(drop)[:n_epochs] > 0
        n_excluded = int((mask & labelled).sum())
        mask &= ~labelled
        if not mask.any():
            raise ValueError(f"a person labelled every epoch in {first}-{last}; nothing is left "
                             "to compare")
    return EpochSelection(mask, first, last, n_excluded, excluded_name if excluded else "")


def compared_length(a: Hypnogram, b: Hypnogram) -> tuple[int, float]:
    """How many epochs of which length `compare` lines up (the coarser, the shorter file)."""
    sa, _, _ = _aligned(a, b)
    return len(sa), max(a.epoch_length, b.epoch_length)


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


def compare(a: Hypnogram, b: Hypnogram, states: tuple[Stage, ...] | None = None,
            selection: EpochSelection | None = None) -> Comparison:
    """A is the reference (rows), B the other scoring (columns); with `selection` (from
    `select_epochs` over `compared_length`), only its epochs count."""
    sa, sb, extra = _aligned(a, b)
    both = (sa != Stage.UNSCORED) & (sb != Stage.UNSCORED)
    if selection is not None:
        both &= selection.mask
        extra = 0
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
    counted = len(sa) if selection is None else int(selection.mask.sum())
    left_out = counted - n + extra
    return Comparison(tuple(states), confusion, n, left_out, observed, float(kappa),
                      precision, recall, f1, max(a.epoch_length, b.epoch_length), selection)


def format_comparison(c: Comparison, name_a: str = "A", name_b: str = "B") -> str:
    """The comparison as a few lines of text (CLI output, the app's tooltip)."""
    names = [s.label for s in c.states]
    width = max(8, *(len(n) for n in names)) + 1
    lines = [f"compared: {c.selection.describe()}"] if c.selection else []
    why = "unscored in either" if c.selection else "unscored or beyond the shorter"
    lines += [f"epochs compared: {c.n_compared} of {c.epoch_length:g} s (left out, {why}: "
              f"{c.n_left_out})",
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


def write_comparison(c: Comparison, path: str | Path, names: tuple[str, str] | None = None,
                     inputs: Sequence[str | Path] = ()) -> Path:
    """`c` as JSON (what `compare -o` and the app's export write); `names`: the two scorings,
    A's first. Only a .json name is taken, never one of `inputs` or someone's file
    (io.outputs.check_output_file): a comparison must not replace a label file."""
    from sleepscorer.io.outputs import check_output_file

    path = Path(path)
    if path.suffix.lower() != ".json":
        raise SleepScorerError(path, "a comparison is written as .json; choose a name ending "
                                     "with .json (nothing was written)")
    check_output_file(path, inputs)
    data = c.as_dict() if names is None else {"a": names[0], "b": names[1], **c.as_dict()}
    write_text_atomic(path, json.dumps(data, indent=1))
    return path
