"""What one fine-tuning run (`model.finetune`) produced, whether it is kept, and the card that
reports it.

Kept apart from the steps so that the card's contents are in one place: `save_finetuned`
writes it, and a refused run returns it too, to say why. Must not read recordings or import Qt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sleepscorer_model.corrections import base_sha256
from sleepscorer_model.data import SequenceDataset, SubjectData
from sleepscorer_model.domain import LabGate
from sleepscorer_model.metrics import over_reference
from sleepscorer_model.training import TrainResult
from sleepscorer_model.weights import LoadedModel, tensors_sha256
from torch import nn

from sleepscorer.stages import display_name

# Below this many held-out labelled epochs (5 min) a handful of epochs moves a class's F1 by
# several points, so the keep/discard comparison is noisy: said, not refused.
MIN_VALIDATION_EPOCHS = 300


@dataclass
class CorrectionSplit:
    """The corrections as training sees them, kept together because the card reports them."""
    train: list[SubjectData]
    val: list[SubjectData]
    windows: SequenceDataset | None  # of `val`; None when too few corrections to validate
    summary: dict


@dataclass
class Candidate:
    """What training produced, carried through the forgetting guards (which may blend its
    weights, replace its metrics and drop its gate) to the verdict and the card."""
    model: nn.Module
    fit: TrainResult
    frozen: list[str]
    weights: list[float] | None
    replay: list[SubjectData]
    after: dict
    gate: LabGate | None = None
    mixing: dict = field(default_factory=dict)


def result_card(base: LoadedModel, config: dict, split: CorrectionSplit, before: dict,
                cand: Candidate, accepted: bool, reason: str) -> dict:
    """Built whether or not the result is kept, so a refused run still reports why.

    `config`: `FinetuneConfig.to_dict()` (this module may not import `model.finetune`).
    """
    info = {"config": config, "frozen_encoder": bool(config["freeze_encoder"]),
            "frozen_parameters": len(cand.frozen), "class_weights": cand.weights,
            "replay_epochs": int(sum(len(r) for r in cand.replay)),
            "best_epoch": cand.fit.best_epoch, "accepted": accepted, "interpolation": cand.mixing,
            "reason": reason, "base_name": base.name,
            "base_path": str(base.path) if base.path else None}
    card = {"name": f"{base.name} (fine-tuned)", "parent_sha256": base_sha256(base.card),
            "training_data": {**split.summary, "validation_epochs": int(sum(
                (s.labels >= 0).sum() for s in split.val))},
            "metrics": {"validation_before": before, "validation_after": cand.after,
                        "history": cand.fit.history},
            "preprocessing": base.card.get("preprocessing"), "finetune": info,
            "lab_gate": cand.gate.to_card() if cand.gate is not None else None}
    # The new model's own hash from the moment it exists (not its parent's); no file hash
    # until it is saved.
    card["weights_sha256"] = tensors_sha256(cand.model.state_dict())
    return card


def validation_warnings(split: CorrectionSplit, classes: Sequence[str]) -> list[str]:
    """What the held-out comparison cannot vouch for: a class with no held-out epochs has no
    F1 for either model (it is left out of macro-F1), and a small held-out part is noisy."""
    held = np.zeros(len(classes), dtype=np.int64)
    for s in split.val:
        held += np.bincount(s.labels[s.labels >= 0], minlength=len(classes))[:len(classes)]
    notes = []
    for c, n_held in zip(classes, held.tolist(), strict=True):
        name = display_name(c)
        if split.summary["epochs_per_class"].get(c, 0) == 0:
            notes.append(f"the corrections hold no {name}: the fine-tuned model's {name} is "
                         f"not checked (macro-F1 leaves {name} out); label some {name} and "
                         "export again")
        elif split.windows is not None and n_held == 0:
            notes.append(f"the held-out part of the corrections holds no {name}: the "
                         f"fine-tuned model's {name} is not checked (macro-F1 leaves it out)")
    n_val = int(held.sum())
    if split.windows is not None and n_val < MIN_VALIDATION_EPOCHS:
        notes.append(f"only {n_val} labelled epochs are held out for validation (under "
                     f"{MIN_VALIDATION_EPOCHS}, about 5 min): the base vs fine-tuned "
                     "comparison is noisy; label more epochs for a firmer check")
    return notes


def too_few_reason(split: CorrectionSplit, every: int, block: int) -> str:
    """Blocks are at least `block` (the model's K) epochs: (every - 1) full ones and one more
    epoch, in one stretch, are the fewest that give a held-out block."""
    n = split.summary["labelled_epochs"]
    return (f"too few corrections for a validation split: {n} labelled epoch(s) make fewer than "
            f"{every} blocks, and every {every}th block is held out to judge the fine-tuned "
            f"model ({(every - 1) * block + 1} labelled epochs in one stretch are enough); label "
            "more epochs and export again")


def decide(before: dict, after: dict) -> tuple[bool, str]:
    """Whether the fine-tuned model beat the base on the held-out corrections, and why. Only
    reached with held-out corrections (`finetune` refuses too few before training)."""
    # over the held-out labels' classes for both, whoever computed the dicts
    b, a = over_reference(before)["macro_f1"], over_reference(after)["macro_f1"]
    if a >= b + MIN_GAIN:
        return True, f"validation macro-F1 {b:.3f} -> {a:.3f}"
    return False, (f"fine-tuned model was not better on the held-out corrections "
                   f"(macro-F1 {a:.3f} vs base {b:.3f}); the base model is kept")


MIN_GAIN = 0.001  # a tie is not "better": a user trial saw +0.000 everywhere, and the model kept
