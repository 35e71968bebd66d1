"""Guards against forgetting when fine-tuning: replay and anchor animals of the training
labs, weight-space blending toward the base (WiSE-FT), and the lab gate's fingerprints.

Must not read recordings or import Qt.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import torch
from sleepscorer_model.data import SequenceDataset, SubjectData
from sleepscorer_model.domain import LabGate, profile, token_encoder
from sleepscorer_model.losses import TEACHER
from sleepscorer_model.metrics import evaluate
from sleepscorer_model.training import predict_dataset
from sleepscorer_model.weights import LoadedModel
from torch import nn


def training_lab_data(base: LoadedModel, minutes: float, seed: int, relabel: bool | str,
                      device: torch.device | str = "cpu", animals: int = 1) -> list[SubjectData]:
    """Fresh simulated recordings of the training lab families.

    `relabel`: True, targets are the base model's own predictions (replay); "teacher", every
    epoch is marked for distillation from the base at training time; False, the simulator's
    truth (the forgetting check).
    """
    from sleepscorer_model.corpus import LAB_RATES, TRAIN_LABS
    from sleepscorer_model.data import prepare_subject
    from sleepscorer_model.preprocess import PreprocessConfig
    from sleepscorer_model.simulation import simulate_recording

    prep = PreprocessConfig(**base.card.get("preprocessing", {}))
    k = base.module.seq_len
    out = []
    for i, lab in enumerate(TRAIN_LABS):
        for j in range(animals):
            rec, hyp = simulate_recording(minutes * 60.0 / animals, rate=LAB_RATES[lab],
                                          seed=90_000 + seed + i + 100 * j, lab=lab)
            out.append(prepare_subject(rec, hyp, base.classes, f"replay-{lab}-{j}", prep))
    for data in out:
        if relabel == "teacher":
            data.labels[:] = TEACHER
        elif relabel:
            data.labels[:] = 0  # every window is kept, then labelled by the base model
            windows = SequenceDataset([data], k, k)
            _, pred = predict_dataset(base.module.to(device), windows, torch.device(device),
                                      each_epoch_once=False)
            for (_, a), p in zip(windows.index, pred.reshape(len(windows.index), k), strict=True):
                data.labels[a:a + k] = p
    return out


def replay_data(base: LoadedModel, minutes: float, seed: int = 0, soft: bool = True,
                device: torch.device | str = "cpu", animals: int = 1) -> list[SubjectData]:
    """Simulated recordings of the training lab families, with the base model as target."""
    return training_lab_data(base, minutes, seed, relabel="teacher" if soft else True,
                             device=device, animals=animals)


def interpolate(base: nn.Module, tuned: nn.Module, mix: float) -> nn.Module:
    """base + mix * (tuned - base), weight by weight (WiSE-FT)."""
    out = copy.deepcopy(tuned)
    b = base.state_dict()
    out.load_state_dict({k: b[k] + mix * (v - b[k]) if v.is_floating_point() else v
                         for k, v in tuned.state_dict().items()})
    return out.eval()


def anchor_hits(model: nn.Module, subjects: Sequence[SubjectData]) -> np.ndarray:
    """(correct, scored) epochs of `model` on each subject, so accuracy can be pooled over
    any group of animals (through the gate, per lab) from one pass."""
    k = model.seq_len
    cpu = torch.device("cpu")
    out = np.zeros((len(subjects), 2), dtype=np.int64)
    for i, s in enumerate(subjects):
        y, p = predict_dataset(model.to(cpu), SequenceDataset([s], k, k), cpu)
        keep = y >= 0
        out[i] = int((y[keep] == p[keep]).sum()), int(keep.sum())
    return out


def _accuracy(hits: np.ndarray) -> float:
    return float(hits[:, 0].sum() / max(1, hits[:, 1].sum()))


def choose_mix(base: nn.Module, tuned: nn.Module, mixes: Sequence[float], max_forgetting: float,
               val_windows: SequenceDataset | None, before: dict,
               anchors: Sequence[SubjectData], base_hits: np.ndarray,
               gate: LabGate | None = None) -> tuple[nn.Module, dict]:
    """The largest interpolation that forgets at most `max_forgetting` and still helps.

    Forgetting is measured as deployed: anchor animals the gate sends to the parent model
    are scored by the parent (`base_hits`), so only those it lets through can lose accuracy.
    """
    encoder = token_encoder(base)
    through = np.array([gate is None or gate.matches(profile(a.eeg, a.emg, encoder, gate.version))
                        for a in anchors], dtype=bool)
    passed = [a for a, t in zip(anchors, through, strict=True) if t]
    cpu = torch.device("cpu")
    base_acc = _accuracy(base_hits)
    tried = []
    info = {"anchor_animals": len(anchors), "anchor_animals_through_gate": len(passed),
            "anchor_base_accuracy": base_acc}
    for mix in mixes:
        model = interpolate(base, tuned, mix)
        hits = base_hits.copy()
        if passed:
            hits[through] = anchor_hits(model, passed)
        acc = _accuracy(hits)
        after = validation_metrics(model, val_windows, cpu) if val_windows else {}
        tried.append({"mix": mix, "anchor_accuracy": acc, "val_macro_f1": after.get("macro_f1")})
        helps = bool(after) and bool(before) and after["macro_f1"] >= before["macro_f1"]
        if base_acc - acc <= max_forgetting and helps:
            return model, {"mix": mix, "tried": tried, **info, "validation_after": after}
    return tuned, {"mix": None, "tried": tried, **info}


def forgetting_per_lab(base_hits: np.ndarray, tuned: nn.Module,
                       anchors: Sequence[SubjectData]) -> dict[str, float]:
    """Accuracy lost by `tuned` against the base (`base_hits`) on each training lab's anchor
    animals (subjects named replay-LAB-N), no gate."""
    hits = anchor_hits(tuned, anchors)
    labs = np.array([a.subject.rsplit("-", 1)[0].removeprefix("replay-") for a in anchors])
    return {str(lab): round(_accuracy(base_hits[labs == lab]) - _accuracy(hits[labs == lab]), 4)
            for lab in dict.fromkeys(labs)}


def validation_metrics(model: nn.Module, val_set: SequenceDataset, device: torch.device) -> dict:
    """Macro-F1 over the classes in the held-out labels only, so that the base and the
    fine-tuned model are averaged over the same classes whatever each predicts."""
    y_true, y_pred = predict_dataset(model, val_set, device)
    return evaluate(y_true, y_pred, model.cfg.n_classes, macro_over="reference")


def fit_gate(corrections: Sequence[SubjectData], training: Sequence[SubjectData],
             base: nn.Module) -> LabGate:
    """Fingerprints of each corrected recording (its runs together) and of each training-lab
    animal, with the base model's tokens."""
    encoder = token_encoder(base)
    runs: dict[str, list[SubjectData]] = {}
    for s in corrections:
        runs.setdefault(s.subject.rsplit("-run", 1)[0], []).append(s)
    lab = []
    for parts in runs.values():
        eeg = np.concatenate([p.eeg for p in parts])
        emg = None if any(p.emg is None for p in parts) else np.concatenate([p.emg for p in parts])
        lab.append(profile(eeg, emg, encoder))
    return LabGate.fit(lab, [profile(t.eeg, t.emg, encoder) for t in training])
