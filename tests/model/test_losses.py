import math

import numpy as np
import pytest
import torch
from sleepscorer_model.losses import (
    DistillationLoss,
    labels_to_targets,
    self_distillation,
    teacher_distillation,
)


def _softmax(z, tau=1.0):
    e = np.exp(np.asarray(z, float) / tau)
    return e / e.sum()


def test_loss_equals_hand_computation_on_two_epochs():
    mix = [[2.0, 0.5, -1.0], [0.0, 1.0, 0.3]]
    eeg = [[1.0, 1.0, 0.0], [-0.5, 2.0, 0.0]]
    emg = [[0.2, -0.3, 0.1], [1.5, 0.0, -2.0]]
    y = [0, 2]
    logits = {k: torch.tensor(v) for k, v in (("mix", mix), ("eeg", eeg), ("emg", emg))}
    got = DistillationLoss(alpha=0.33, tau_eeg=1.0, tau_emg=3.0)(logits, torch.tensor(y))
    ce = -np.mean([math.log(_softmax(mix[i])[y[i]]) for i in range(2)])

    def kl(student, tau):  # eqs. 11-12 as written: KL(p(z_student) || p(z_mix))
        vals = []
        for i in range(2):
            ps, pt = _softmax(student[i], tau), _softmax(mix[i], tau)
            vals.append(np.sum(ps * np.log(ps / pt)))
        return np.mean(vals)

    expected = (1 - 0.33) * ce + 0.33 / 2 * (kl(emg, 3.0) + kl(eeg, 1.0))
    assert abs(got["loss"].item() - expected) < 1e-5
    assert abs(got["ce"].item() - ce) < 1e-5


def test_mask_ignores_minus_one_and_teacher_is_detached():
    torch.manual_seed(1)
    logits = {k: torch.randn(4, 3, requires_grad=True) for k in ("mix", "eeg", "emg")}
    loss = DistillationLoss()
    full = loss({k: v[:2] for k, v in logits.items()}, torch.tensor([0, 1]))["loss"]
    masked = loss(logits, torch.tensor([0, 1, -1, -1]))["loss"]
    assert torch.allclose(full, masked)
    masked.backward()
    assert logits["mix"].grad[2:].abs().sum() == 0
    # alpha = 1: only distillation, which must not push the teacher (mix) at all
    logits["mix"].grad = None
    DistillationLoss(alpha=1.0)(logits, torch.tensor([0, 1, 2, 0]))["loss"].backward()
    assert logits["mix"].grad is None or logits["mix"].grad.abs().sum() == 0


def test_all_ignored_gives_zero_and_alpha_zero_is_plain_ce():
    logits = {k: torch.randn(2, 3, requires_grad=True) for k in ("mix", "eeg", "emg")}
    assert DistillationLoss()(logits, torch.tensor([-1, -1]))["loss"].item() == 0.0
    y = torch.tensor([1, 2])
    ce = torch.nn.functional.cross_entropy(logits["mix"], y)
    assert torch.allclose(DistillationLoss(alpha=0.0)(logits, y)["loss"], ce)


def test_self_distillation_zero_when_equal():
    z = torch.randn(5, 3)
    assert self_distillation(z, z, 3.0).abs().item() < 1e-7


def test_labels_to_targets_ignores_artifact_and_unscored():
    stages = torch.tensor([0, 1, 2, 3, 4, -1])
    assert labels_to_targets(stages, (0, 1, 2)).tolist() == [0, 1, 2, -1, -1, -1]
    assert labels_to_targets(stages, (0, 1, 2, 3)).tolist() == [0, 1, 2, 3, -1, -1]


def test_teacher_distillation_only_counts_replay_epochs_and_vanishes_at_the_teacher():
    teacher = {p: torch.randn(2, 4, 3) for p in ("mix", "eeg", "emg")}
    mask = torch.tensor([[True, True, False, False], [False] * 4])
    assert float(teacher_distillation(teacher, teacher, mask)) == pytest.approx(0.0, abs=1e-6)
    student = {p: z.clone() for p, z in teacher.items()}
    student["mix"][1] += 5.0 * torch.randn(4, 3)  # outside the mask: no effect
    assert float(teacher_distillation(student, teacher, mask)) == pytest.approx(0.0, abs=1e-6)
    student["eeg"][0, 0] += torch.tensor([3.0, -3.0, 0.0])
    assert float(teacher_distillation(student, teacher, mask)) > 0.01
    assert float(teacher_distillation(student, teacher, torch.zeros(2, 4, dtype=torch.bool))) == 0
