"""The stage vocabulary and the epoch grid: the one owner of both (bottom layer, beside errors).

Stage codes are the sDREAMER/.mat coding (0 Wake, 1 NREM, 2 REM, 3 MA) extended with
Artifact and Unscored, so model class indices and label codes coincide. Names: `Stage.X.name`
("WAKE") is the machine name written in model cards; `Stage.X.label` ("Wake") is shown to
people and written in label files; `Stage.from_name` reads either and the usual aliases.

Time: everything is scored on the base grid of `BASE_EPOCH` (1 s) epochs; label files may
be exported at any of `EXPORT_EPOCH_LENGTHS`. `grid_ratio` says how two epoch lengths nest
and `n_epochs` how many whole epochs a duration holds. `runs` / `mask_runs` are the one
run-length encoding of label arrays and masks. Imports only numpy.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Stage(IntEnum):
    WAKE = 0
    NREM = 1
    REM = 2
    MA = 3
    ARTIFACT = 4
    UNSCORED = -1

    @property
    def label(self) -> str:
        return _LABELS[self]

    @classmethod
    def from_name(cls, name: str) -> Stage:
        key = name.strip().lower()
        for stage, label in _LABELS.items():
            if label.lower() == key or stage.name.lower() == key:
                return stage
        aliases = {"w": cls.WAKE, "n": cls.NREM, "s": cls.NREM, "sws": cls.NREM, "r": cls.REM,
                   "microarousal": cls.MA, "a": cls.ARTIFACT, "artefact": cls.ARTIFACT,
                   "x": cls.ARTIFACT, "": cls.UNSCORED, "u": cls.UNSCORED, "?": cls.UNSCORED}
        if key in aliases:
            return aliases[key]
        raise ValueError(f"unknown stage name {name!r}")


_LABELS = {
    Stage.WAKE: "Wake",
    Stage.NREM: "NREM",
    Stage.REM: "REM",
    Stage.MA: "MA",
    Stage.ARTIFACT: "Artifact",
    Stage.UNSCORED: "Unscored",
}

# Okabe-Ito palette: distinguishable with every common colour-vision deficiency.
STAGE_COLORS: dict[Stage, str] = {
    Stage.WAKE: "#E69F00",      # orange
    Stage.NREM: "#0072B2",      # blue
    Stage.REM: "#009E73",       # bluish green
    Stage.MA: "#CC79A7",        # reddish purple
    Stage.ARTIFACT: "#7F7F7F",  # grey
    Stage.UNSCORED: "#FFFFFF",  # white / none
}

# Keyboard keys used to set a stage.
STAGE_KEYS: dict[str, Stage] = {"1": Stage.WAKE, "2": Stage.NREM, "3": Stage.REM,
                                 "4": Stage.MA, "5": Stage.ARTIFACT, "0": Stage.UNSCORED}

# The classes a model predicts, in logit order.
MODEL_CLASSES_3 = (Stage.WAKE, Stage.NREM, Stage.REM)
MODEL_CLASSES_4 = (Stage.WAKE, Stage.NREM, Stage.REM, Stage.MA)

LABEL_DTYPE = np.int8

# -- the epoch grid ---------------------------------------------------------------------
BASE_EPOCH = 1.0  # seconds: models score, hypnograms are kept and journals write at this length
EXPORT_EPOCH_LENGTHS = (1.0, 2.0, 2.5, 4.0, 5.0, 10.0)  # seconds, offered for label export


def n_epochs(duration_s: float, epoch_length: float = BASE_EPOCH) -> int:
    """Whole epochs of `epoch_length` in `duration_s` seconds (a partial last one is dropped)."""
    return int(np.floor(duration_s / epoch_length + 1e-9))


def epochs_text(n, epoch_length) -> str:
    """'1 epoch of 3600 s', '40 epochs of 1 s' (`n` may be '?' from a damaged file)."""
    length = f"{epoch_length:g}" if isinstance(epoch_length, (int, float)) else epoch_length
    return f"{n} epoch{'' if n == 1 else 's'} of {length} s"


def span_text(start: int, stop: int) -> str:
    """'epoch 32' for [32, 33), 'epochs 30-49' for [30, 50): a range of one reads as one."""
    return f"epoch {start}" if stop - start == 1 else f"epochs {start}-{stop - 1}"


def grid_ratio(fine: float, coarse: float) -> tuple[int, int]:
    """(refine, k): split each `fine` epoch into `refine` parts, then `k` parts make one
    `coarse` epoch (1 s -> 2 s is (1, 2); 1 s -> 2.5 s is (2, 5)). ValueError when the two
    lengths have no simple common divisor."""
    ratio = coarse / fine
    if ratio <= 0:
        raise ValueError(f"epoch length {coarse} s and {fine} s have no simple common divisor")
    if ratio < 1 and coarse >= BASE_EPOCH and abs(1 / ratio - round(1 / ratio)) < 1e-9:
        # long epochs onto whole seconds (60-s labels onto 1-s epochs): split each one
        return int(round(1 / ratio)), 1
    refine = next((r for r in range(1, 11) if abs(ratio * r - round(ratio * r)) < 1e-9), None)
    if refine is None:
        raise ValueError(f"epoch length {coarse} s and {fine} s have no simple common divisor")
    return refine, int(round(ratio * refine))


def on_grid(epoch_length: float) -> bool:
    """Whether `epoch_length` nests with the base epoch (1, 2.5, 0.5, 10 s yes; 0.37 s no)."""
    try:
        grid_ratio(BASE_EPOCH, float(epoch_length))
    except (ValueError, ZeroDivisionError):
        return False
    return True


def stage_names(classes) -> list[str]:  # noqa: ANN001 - any iterable of stage codes
    """Machine names of stages, as model cards write them: [WAKE, NREM, REM]."""
    return [Stage(int(c)).name for c in classes]


def display_name(name: str) -> str:
    """A card's class name as people read it ("WAKE" -> "Wake"); an unknown name as it is."""
    try:
        return Stage.from_name(name).label
    except ValueError:
        return name


def stages_from_names(names) -> tuple[Stage, ...]:  # noqa: ANN001 - iterable of str
    """The inverse of `stage_names`; KeyError on a name that is not a stage."""
    return tuple(Stage[str(n)] for n in names)


# -- run-length encoding (the one implementation) -----------------------------------------
def runs(values) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # noqa: ANN001 - 1-D array-like
    """Runs of equal values in a label array: (value, start, stop) arrays, stop exclusive.

    runs([0, 0, 1, 1, 1, 0]) -> ([0, 1, 0], [0, 2, 5], [2, 5, 6]); empty in, empty out.
    """
    values = np.asarray(values)
    if len(values) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return values[:0], empty, empty
    edges = np.flatnonzero(values[1:] != values[:-1]) + 1
    starts = np.concatenate([[0], edges]).astype(np.int64)
    stops = np.concatenate([edges, [len(values)]]).astype(np.int64)
    return values[starts], starts, stops


def mask_runs(mask) -> list[tuple[int, int]]:  # noqa: ANN001 - 1-D bool array-like
    """(start, stop) of each run of True in a boolean mask, stop exclusive."""
    value, starts, stops = runs(np.asarray(mask, dtype=bool))
    return [(int(a), int(b)) for v, a, b in zip(value, starts, stops, strict=True) if v]


__all__ = ["BASE_EPOCH", "EXPORT_EPOCH_LENGTHS", "LABEL_DTYPE", "MODEL_CLASSES_3",
           "MODEL_CLASSES_4", "STAGE_COLORS", "STAGE_KEYS", "Stage", "epochs_text", "grid_ratio", "mask_runs",
           "n_epochs", "on_grid", "runs", "stage_names", "stages_from_names"]
