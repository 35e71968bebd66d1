"""Training objectives: the loss each recipe minimises, as loss(model, eeg, emg, labels).

The sDREAMER recipe is self-distillation (Eq. 14, model.losses); the "supervised" one is
cross-entropy on the network's primary output; `ensemble_distillation` adds frozen teachers.
`cfg` is a model.training.TrainConfig (alpha, temperatures, class weights), typed Any: training
imports this module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from sleepscorer_model.losses import DistillationLoss, teacher_distillation
from torch import nn

# loss(model, eeg, emg, labels) -> {"loss": tensor, ...}
LossFn = Callable[[nn.Module, torch.Tensor, torch.Tensor, torch.Tensor], dict]


def distillation_loss(cfg: Any) -> LossFn:
    loss = DistillationLoss(cfg.alpha, cfg.tau_eeg, cfg.tau_emg, cfg.class_weights)
    return lambda model, eeg, emg, y: loss(model(eeg, emg), y)


def ensemble_distillation(cfg: Any, teachers: Sequence[nn.Module], weight: float = 0.5,
                          tau: float = 2.0) -> LossFn:
    """The sDREAMER loss on the labels, mixed with KL to an ensemble of frozen teachers that
    read the same augmented windows (Hinton; the ensemble's geometric mean per pathway).

    Why: averaged networks trained from other seeds score the real demo mouse better than any
    one of them, but cost one pass each; a student taught by them keeps one network's speed.
    """
    own = DistillationLoss(cfg.alpha, cfg.tau_eeg, cfg.tau_emg, cfg.class_weights)
    frozen = [t.eval().requires_grad_(False) for t in teachers]

    def loss(model: nn.Module, eeg: torch.Tensor, emg: torch.Tensor, y: torch.Tensor) -> dict:
        logits = model(eeg, emg)
        terms = own(logits, y)
        with torch.no_grad():
            outputs = [t(eeg, emg) for t in frozen]
            target = {p: torch.stack([F.log_softmax(o[p].float(), -1) for o in outputs]).mean(0)
                      for p in logits}
        kd = teacher_distillation(logits, target, torch.ones_like(y, dtype=torch.bool), tau)
        terms["loss"] = (1 - weight) * terms["loss"] + weight * kd
        terms["teacher_kd"] = kd.detach()
        return terms
    return loss


def primary_cross_entropy(primary: str, cfg: Any) -> LossFn:
    """The "supervised" recipe: cross-entropy on the network's scoring output."""
    weight = None if cfg.class_weights is None else torch.as_tensor(cfg.class_weights,
                                                                    dtype=torch.float32)

    def loss(model: nn.Module, eeg: torch.Tensor, emg: torch.Tensor, y: torch.Tensor) -> dict:
        logits = model(eeg, emg)[primary]
        w = None if weight is None else weight.to(logits.device)
        ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), y.reshape(-1),
                             weight=w, ignore_index=-1)
        return {"loss": torch.nan_to_num(ce)}  # a batch with no scored epoch: 0
    return loss


def default_loss(model: nn.Module, cfg: Any) -> LossFn:
    """The loss of the network's declared recipe (one-stage recipes)."""
    if model.training_recipe == "self-distillation":
        return distillation_loss(cfg)
    return primary_cross_entropy(model.primary, cfg)


def scale_consistency(cfg: Any, weight: float, sd: float = 0.1) -> LossFn:
    """The sDREAMER loss, plus a symmetric KL between the scoring outputs of the window and of
    the same window with its scaling moved a little (`augment.shift_features` at `sd`, and each
    feature's width by exp(N(0, sd/3))).

    Why: another stretch of the same mouse gives the per-recording scaling percentiles that
    differ by a few hundredths of their width, and that moved whole bout edges of the real demo
    (docs/transfer.md, short crops). Shift augmentation alone teaches the right label for each
    shift, not labels that change smoothly with it.
    """
    from sleepscorer_model.augment import shift_features

    own = DistillationLoss(cfg.alpha, cfg.tau_eeg, cfg.tau_emg, cfg.class_weights)

    def moved(x: torch.Tensor) -> torch.Tensor:
        widths = torch.exp(torch.randn((x.shape[0],) + (1,) * (x.dim() - 2) + (x.shape[-1],),
                                       device=x.device) * sd / 3)
        return shift_features(x * widths, sd)

    def loss(model: nn.Module, eeg: torch.Tensor, emg: torch.Tensor, y: torch.Tensor) -> dict:
        logits = model(eeg, emg)
        terms = own(logits, y)
        other = model(moved(eeg), moved(emg))["mix"]
        log_p, log_q = (F.log_softmax(z.reshape(-1, z.shape[-1]).float(), -1)
                        for z in (logits["mix"], other))
        sym_kl = 0.5 * ((log_p.exp() * (log_p - log_q)).sum(-1)
                        + (log_q.exp() * (log_q - log_p)).sum(-1)).mean()
        terms["loss"] = terms["loss"] + weight * sym_kl
        terms["consistency"] = sym_kl.detach()
        return terms
    return loss
