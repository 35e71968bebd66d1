"""The sDREAMER training loss: cross-entropy on the mix pathway plus self-distillation.

Eq. 14: L = (1 - alpha) * L_ce + alpha / 2 * (L_sd-emg + L_sd-eeg), with the mix pathway as
the (detached) teacher of the EEG and EMG pathways. alpha = 0 is the no-distillation
ablation. Must not know about data loading or models.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

IGNORE = -1  # label index of epochs left out of the loss (unscored, or classes the model lacks)
TEACHER = -2  # label index of epochs whose target is a teacher model's output (replay)


@dataclass(frozen=True)
class DistillationLoss:
    """Eqs. 10-14. Temperatures and alpha default to the paper's (tau_eeg 1, tau_emg 3, 0.33)."""

    alpha: float = 0.33
    tau_eeg: float = 1.0
    tau_emg: float = 3.0
    class_weights: Sequence[float] | None = None

    def __call__(self, logits: dict[str, Tensor], labels: Tensor) -> dict[str, Tensor]:
        """logits[pathway] (..., C), labels (...) class index or -1. Returns loss terms."""
        c = logits["mix"].shape[-1]
        z = {p: v.reshape(-1, c).float() for p, v in logits.items()}
        y = labels.reshape(-1)
        keep = y >= 0  # the mask: unscored / ignored epochs never reach the loss
        zero = z["mix"].sum() * 0.0  # keeps the graph when a batch has no scored epoch
        if not bool(keep.any()):
            return {"loss": zero, "ce": zero, "sd_eeg": zero, "sd_emg": zero}
        z = {p: v[keep] for p, v in z.items()}
        y = y[keep]
        weight = None
        if self.class_weights is not None:
            weight = torch.as_tensor(self.class_weights, dtype=torch.float32, device=y.device)
        ce = F.cross_entropy(z["mix"], y, weight=weight)  # eq. 13 (mean over scored epochs)
        teacher = z["mix"].detach()
        sd_eeg = self_distillation(z["eeg"], teacher, self.tau_eeg)  # eq. 11
        sd_emg = self_distillation(z["emg"], teacher, self.tau_emg)  # eq. 12
        loss = (1 - self.alpha) * ce + self.alpha / 2 * (sd_emg + sd_eeg)  # eq. 14
        return {"loss": loss, "ce": ce.detach(), "sd_eeg": sd_eeg.detach(), "sd_emg": sd_emg.detach()}


def self_distillation(student: Tensor, teacher: Tensor, tau: float) -> Tensor:
    """KL(p_tau(z_student) || p_tau(z_mix)), exactly as eqs. 11-12 are written.

    Direction: the student's distribution comes first, so this is
    sum_k p_s(k) * (log p_s(k) - log p_t(k)), the "reverse" KL (mode-seeking), not the
    Hinton-style KL(teacher || student). No tau^2 factor: the paper has none. Mean over epochs.
    """
    log_ps = F.log_softmax(student / tau, dim=-1)  # eq. 10
    log_pt = F.log_softmax(teacher / tau, dim=-1)
    return (log_ps.exp() * (log_ps - log_pt)).sum(-1).mean()


def labels_to_targets(stages: Tensor, classes: Sequence[int]) -> Tensor:
    """Stage codes -> class indices; any code not in `classes` (unscored, artifact...) -> -1."""
    out = torch.full_like(stages, IGNORE, dtype=torch.long)
    for index, code in enumerate(classes):
        out[stages == int(code)] = index
    return out


def teacher_distillation(student: dict[str, Tensor], teacher: dict[str, Tensor], mask: Tensor,
                         tau: float = 2.0) -> Tensor:
    """Hinton's KL(teacher || student) at temperature tau (times tau^2), over masked epochs.

    Every pathway (mix, EEG-only, EMG-only) is matched to the same pathway of the teacher,
    so fine-tuning keeps single-modality behaviour as well as the main output.
    """
    total = student["mix"].sum() * 0.0
    m = mask.reshape(-1)
    if not bool(m.any()):
        return total
    for p, zs in student.items():
        c = zs.shape[-1]
        log_ps = F.log_softmax(zs.reshape(-1, c)[m].float() / tau, dim=-1)
        log_pt = F.log_softmax(teacher[p].reshape(-1, c)[m].float() / tau, dim=-1)
        total = total + (log_pt.exp() * (log_pt - log_ps)).sum(-1).mean() * tau**2
    return total / len(student)
