"""Sleep stages, their codes, names, keys and colour-blind-safe colours.

Stage codes are the sDREAMER/.mat coding (0 Wake, 1 NREM, 2 REM, 3 MA) extended with
Artifact and Unscored, so model class indices and label codes coincide.
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
