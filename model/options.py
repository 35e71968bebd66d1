"""A person's choices about automatic scoring, carried as one value.

One recording and a batch worker of `sleepscorer score`, and the app, all score through
`model.inference.score`. When each choice rode its own argument through every path, a new
one (the EMG rules' switch) had to be threaded through four argument lists, and a path that
missed it would have scored silently with the default. One frozen value means a choice is
added here once and every path passes it on whole. No torch: the app builds it at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ScoringOptions:
    modality: str = "both"  # "both", "eeg" or "emg"
    epoch_length: float = 1.0  # seconds per output epoch
    device: str = "auto"  # "auto", "cpu" or "cuda"
    rem_from_wake: bool = False  # narcolepsy models: REM straight from Wake is the finding
    emg_rules: bool = True  # False for models of REM without atonia (REM sleep behaviour disorder)
    lab_gate: bool = True  # a fine-tuned model scores only recordings like its lab's
    smoothing: bool = True  # decode with the HMM of real expert hypnograms

    def score_keywords(self) -> dict[str, Any]:
        """These choices as `model.inference.score`'s keyword arguments."""
        from sleepscorer_model.decoding import SEQUENCE_PRIOR
        from sleepscorer_model.postprocess import REM_RULE

        return {"modality": self.modality, "epoch_length": self.epoch_length,
                "device": self.device, "rem_rule": None if self.rem_from_wake else REM_RULE,
                "emg_rules": self.emg_rules, "lab_gate": self.lab_gate,
                "sequence_prior": SEQUENCE_PRIOR if self.smoothing else None}
