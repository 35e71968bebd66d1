"""Fine-tuning a shipped model on one lab's corrections, safely.

Only a person's labels are targets (see `model.corrections`). Defaults are meant to need no
tuning by a lab: a low learning rate and few passes, a validation split blocked in time
inside the corrections, early stopping on validation macro-F1, optionally a frozen epoch
encoder, inverse-sqrt-frequency class weights (REM is scarce), and guards
against forgetting: L2-SP pulling every weight toward the base model, and replay of freshly
simulated training-lab animals on which the new model must keep the base model's output
distributions. The loss is the sDREAMER cross-entropy plus self-distillation (eq. 14).
Where the lab's labels conflict with a training lab's look-alike signal no single network
keeps both, so the result carries a lab gate (`model.domain`): it scores recordings like the
corrected ones, its parent scores the rest. The result is accepted only if its validation
macro-F1 (both averaged over the classes in the held-out labels) is at least the base
model's and, through the gate, it forgets at most `max_forgetting` on fresh training-lab
animals; otherwise the base is returned unchanged.
`save_finetuned` writes the new model atomically beside, never over, the base.
Must not read recordings or import Qt."""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from sleepscorer_model.corrections import summarise
from sleepscorer_model.data import SequenceDataset, SubjectData, class_weights
from sleepscorer_model.device import pick_device
from sleepscorer_model.domain import LabGate
from sleepscorer_model.finetune_run import (
    Candidate,
    CorrectionSplit,
    decide,
    result_card,
    too_few_reason,
    validation_warnings,
)
from sleepscorer_model.forgetting import (
    anchor_hits,
    choose_mix,
    fit_gate,
    forgetting_per_lab,
    replay_data,
    training_lab_data,
    validation_metrics,
)
from sleepscorer_model.losses import TEACHER, DistillationLoss, teacher_distillation
from sleepscorer_model.training import TrainConfig, train
from sleepscorer_model.weights import (
    LoadedModel,
    card_path,
    resolve_model,
    save_model,
)
from torch import nn

from sleepscorer.errors import Cancelled, ModelError

ENCODER_PREFIXES = ("embed.", "epoch_mome.")  # the per-epoch encoder of SequenceSDreamer


@dataclass
class FinetuneConfig:
    epochs: int = 3  # passes at most: more passes fit the lab better but forget more
    lr: float = 1e-4  # 10x below training: nudge the shipped weights, do not retrain them
    batch_size: int = 16
    patience: int = 2
    l2sp: float = 1.0  # strength of the pull toward the base weights (sum of squares)
    alpha: float = 0.33  # self-distillation weight, as in training (eq. 14)
    # Fine-tuning the per-epoch encoder too fits a new lab's electrodes far better (rest of
    # the corrected animals +15.6 vs +10.6 points, the lab's next animal +9.5 vs +3.7 on the
    # simulated benchmark); the lab gate keeps other labs' recordings away from the result.
    freeze_encoder: bool = False
    val_every: int = 5  # every 5th block of labelled epochs is validation ...
    val_block: int = 64  # ... blocks of 64 epochs (fewer when small), so neighbours do not leak
    class_balance: bool = True
    # Anchor against forgetting: freshly simulated signal of the training lab families whose
    # targets are the base model's own output (not the simulator's truth), so training keeps
    # the base's behaviour there while it learns the lab's corrections. Amount: this many
    # replay epochs per labelled correction, at least `replay_min_minutes` per lab.
    replay: float = 1.5
    replay_min_minutes: float = 5.0
    replay_animals: int = 4  # per lab: several animals cover a family's spread better
    # "soft": targets are the base's output distributions, matched by KL on every pathway
    # (learning without forgetting); "hard": its argmax labels, as cross-entropy
    replay_targets: str = "soft"
    replay_tau: float = 2.0
    replay_weight: float = 1.0
    # Lab gate (model.domain): the saved model scores only recordings that look more like the
    # corrections than like the training labs; others go to the parent model. The training
    # labs are represented by many short fresh animals: a family's spread between animals is
    # what lets a recording of it through by mistake. None: only when needed, i.e. when the
    # fine-tuned network alone loses more than `max_forgetting` on some training lab's fresh
    # animals (a lab that looks like a training lab and agrees with it needs no gate).
    lab_gate: bool | None = None
    gate_animals: int = 12  # per training lab
    gate_minutes: float = 5.0  # per animal
    # Weight-space interpolation (WiSE-FT): the result is base + mix * (fine-tuned - base)
    # with the largest mix in `mixes` that loses at most `max_forgetting` accuracy on fresh
    # simulated animals of the training labs (simulator truth, `anchor_minutes` per lab, as
    # the gate routes them: animals it sends to the parent lose nothing) and is still at
    # least as good as the base on the held-out corrections.
    mixes: tuple[float, ...] = (1.0, 0.8, 0.6, 0.4, 0.2)
    max_forgetting: float = 0.01
    anchor_minutes: float = 20.0
    anchor_animals: int = 2
    seed: int = 0
    device: str = "auto"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class FinetuneResult:
    model: LoadedModel  # the fine-tuned model, or the base unchanged when not accepted
    card: dict  # what save_finetuned will write (training data, metrics, parent hash)
    metrics_before: dict
    metrics_after: dict
    accepted: bool
    reason: str
    base: LoadedModel
    candidate: nn.Module | None = None  # what training produced, even when not accepted
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)  # what the validation could not check


# -- data -----------------------------------------------------------------------------------
def split_blocks(subjects: Sequence[SubjectData], every: int = 5, block: int = 64, context: int = 8
                 ) -> tuple[list[SubjectData], list[SubjectData]]:
    """Blocked-in-time validation split: every `every`-th block of `block` labelled epochs.

    Training keeps whole runs with validation labels set to -1 (their signals stay as
    context); validation gets each block with `context` epochs either side (label -1).
    """
    train_set, val_set, counter = [], [], 0
    for s in subjects:
        labelled = np.flatnonzero(s.labels >= 0)
        labels = s.labels.copy()
        for b, a in enumerate(range(0, len(labelled), block)):
            counter += 1
            if counter % every:
                continue
            idx = labelled[a:a + block]
            v0, v1 = max(0, int(idx[0]) - context), min(len(s), int(idx[-1]) + context + 1)
            vl = np.full(v1 - v0, -1, dtype=np.int64)
            vl[idx - v0] = s.labels[idx]
            emg = None if s.emg is None else s.emg[v0:v1]
            val_set.append(SubjectData(f"{s.subject}-val{b}", s.eeg[v0:v1], emg, vl))
            labels[idx] = -1
        if (labels >= 0).any():
            train_set.append(SubjectData(s.subject, s.eeg, s.emg, labels))
    return train_set, val_set


# -- loss -----------------------------------------------------------------------------------
class L2SPDistillation:
    """Eq. 14 loss plus l2sp * ||w - w_base||^2 over the weights being fine-tuned, plus
    KL to the frozen base model on replay epochs (label TEACHER)."""

    def __init__(self, model: nn.Module, cfg: FinetuneConfig, weights: Sequence[float] | None,
                 teacher: nn.Module | None = None):
        self.loss = DistillationLoss(cfg.alpha, class_weights=weights)
        self.strength = cfg.l2sp
        self.anchors = [(p, p.detach().clone()) for p in model.parameters() if p.requires_grad]
        self.teacher = teacher.eval() if teacher is not None else None
        self.tau, self.replay_weight = cfg.replay_tau, cfg.replay_weight

    def __call__(self, model: nn.Module, eeg: torch.Tensor, emg: torch.Tensor,
                 y: torch.Tensor) -> dict:
        logits = model(eeg, emg)
        terms = self.loss(logits, y)
        replay = y == TEACHER
        if self.teacher is not None and bool(replay.any()):
            rows = replay.reshape(len(y), -1).any(1)  # windows are all replay or none
            with torch.no_grad():
                target = self.teacher(eeg[rows], emg[rows])
            kd = teacher_distillation({p: z[rows] for p, z in logits.items()}, target,
                                      replay[rows], self.tau)
            terms["loss"] = terms["loss"] + self.replay_weight * kd
            terms["replay_kd"] = kd.detach()
        if self.strength > 0:
            pull = sum(((p - p0) ** 2).sum() for p, p0 in self.anchors)
            terms["loss"] = terms["loss"] + self.strength * pull
            terms["l2sp"] = pull.detach()
        return terms


# -- fine-tuning ----------------------------------------------------------------------------
def _freeze(model: nn.Module, freeze: bool) -> list[str]:
    frozen = []
    for name, p in model.named_parameters():
        p.requires_grad = not (freeze and name.startswith(ENCODER_PREFIXES))
        if not p.requires_grad:
            frozen.append(name)
    return frozen


def finetune(base: LoadedModel | str | Path, corrections: Sequence[SubjectData],
             cfg: FinetuneConfig | None = None,
             progress: Callable[[dict], None] | None = None,
             cancel: Callable[[], bool] | None = None) -> FinetuneResult:
    """Fine-tune `base` on `corrections`; raises Cancelled if `cancel()` turns true.

    The base model (in memory and on disk) is never changed: a copy is trained.
    """
    cfg = cfg or FinetuneConfig()
    started = time.perf_counter()
    device = pick_device(cfg.device)
    base = _load_base(base)
    split = _split_corrections(base, corrections, cfg)
    if split.windows is None:  # said at once, not after training that could not be judged
        reason = too_few_reason(split, cfg.val_every, base.module.seq_len)
        if progress is not None:
            progress({"stage": "done", "accepted": False, "reason": reason, "eta_s": 0.0})
        return FinetuneResult(base, {"training_data": {**split.summary, "validation_epochs": 0}},
                              {}, {}, False, reason, base, None, [],
                              time.perf_counter() - started)
    before = _score_base(base, split.windows, device, progress)
    cand = _train_candidate(base, split, cfg, device, progress, cancel)
    cand.gate = _fit_lab_gate(base, corrections, cfg, progress)
    _check_forgetting(base, cand, split.windows, before, cfg, progress)
    accepted, reason = _verdict(before, cand, cfg)
    warnings = validation_warnings(split, [str(c) for c in base.card["classes"]])
    card = result_card(base, cfg.to_dict(), split, before, cand, accepted, reason)
    card["finetune"]["warnings"] = warnings
    own = {k: v for k, v in base.card.items() if k != "file_sha256"}
    chosen = LoadedModel(cand.model, {**own, **card}, parent=base) if accepted else base
    if progress is not None:
        progress({"stage": "done", "accepted": accepted, "reason": reason, "eta_s": 0.0})
    return FinetuneResult(chosen, card, before, cand.after, accepted, reason, base, cand.model,
                          cand.fit.history, time.perf_counter() - started, warnings)


def _load_base(base: LoadedModel | str | Path) -> LoadedModel:
    """On the CPU (the device only scores it); only a self-distilled network has the pathways
    that the fine-tuning loss (eq. 14) trains."""
    base = resolve_model(base if isinstance(base, LoadedModel) else Path(base), "cpu")
    if base.module.training_recipe != "self-distillation":
        raise ModelError(base.path, f"fine-tuning needs a self-distilled network (sDREAMER); "
                                    f"{base.architecture} is trained by "
                                    f"{base.module.training_recipe}: retrain it instead")
    return base


def _split_corrections(base: LoadedModel, corrections: Sequence[SubjectData],
                       cfg: FinetuneConfig) -> CorrectionSplit:
    """Blocks shrink with few corrections so that there are still several to validate on."""
    classes = [str(c) for c in base.card["classes"]]
    k = base.module.seq_len
    n_labelled = int(sum((s.labels >= 0).sum() for s in corrections))
    block = max(k, min(cfg.val_block, n_labelled // (4 * cfg.val_every)))  # >= 4 blocks if small
    train_set, val_set = split_blocks(corrections, cfg.val_every, block, max(1, k // 2))
    if not train_set:
        raise ModelError(None, "the corrections hold no labelled epoch in the model's classes; "
                               "label some epochs (expert or imported) and export again")
    summary = summarise(corrections, classes)
    windows = SequenceDataset(val_set, k, k) if val_set else None
    return CorrectionSplit(train_set, val_set, windows, summary)


def _score_base(base: LoadedModel, windows: SequenceDataset | None, device: torch.device,
                progress: Callable[[dict], None] | None) -> dict:
    """The bar the fine-tuned model must reach on the held-out corrections to be kept."""
    if progress is not None:
        progress({"stage": "evaluate", "eta_s": None})
    before = validation_metrics(base.module.to(device), windows, device) if windows else {}
    base.module.to("cpu")
    return before


def _train_candidate(base: LoadedModel, split: CorrectionSplit, cfg: FinetuneConfig,
                     device: torch.device, progress: Callable[[dict], None] | None,
                     cancel: Callable[[], bool] | None) -> Candidate:
    """Trains a copy, so that the base stays untouched as the L2-SP anchor, the replay
    teacher and the fallback."""
    model = copy.deepcopy(base.module)
    frozen = _freeze(model, bool(cfg.freeze_encoder))
    weights = class_weights(split.train, model.cfg.n_classes) if cfg.class_balance else None
    replay = _replay(base, cfg, split.summary, progress, cancel)
    model.to(device)
    teacher = copy.deepcopy(base.module).to(device) if cfg.replay_targets == "soft" else None
    loss = L2SPDistillation(model, cfg, weights, teacher)
    tcfg = TrainConfig(epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, weight_decay=0.0,
                       patience=cfg.patience, alpha=cfg.alpha, class_weights=weights,
                       seed=cfg.seed, device=str(device))
    fit = train(model, split.train + replay, split.val or None, tcfg, progress, cancel,
                loss_fn=loss, macro_over="reference")  # as the base is scored
    for p in model.parameters():
        p.requires_grad = True
    model.to("cpu").eval()
    return Candidate(model, fit, frozen, weights, replay, fit.best if split.windows else {})


def _replay(base: LoadedModel, cfg: FinetuneConfig, summary: dict,
            progress: Callable[[dict], None] | None,
            cancel: Callable[[], bool] | None) -> list[SubjectData]:
    """Sized to the corrections (with a floor per lab) so the anchor keeps pace with what is
    learnt; simulating it takes a while, hence the cancel check first."""
    if cfg.replay > 0:
        if cancel is not None and cancel():
            raise Cancelled()
        if progress is not None:
            progress({"stage": "replay", "eta_s": None})
        from sleepscorer_model.corpus import TRAIN_LABS

        per_lab = max(cfg.replay_min_minutes, cfg.replay * summary["minutes"] / len(TRAIN_LABS))
        return replay_data(base, per_lab, cfg.seed, soft=cfg.replay_targets == "soft",
                           animals=cfg.replay_animals)
    return []


def _fit_lab_gate(base: LoadedModel, corrections: Sequence[SubjectData], cfg: FinetuneConfig,
                  progress: Callable[[dict], None] | None) -> LabGate | None:
    """Fitted unless switched off: the forgetting check measures through it, and only then is
    it known whether an automatic gate is needed."""
    if cfg.lab_gate is False:
        return None
    if progress is not None:
        progress({"stage": "lab gate", "eta_s": None})
    return fit_gate(corrections, training_lab_data(
        base, cfg.gate_minutes * cfg.gate_animals, cfg.seed + 2, relabel=False,
        animals=cfg.gate_animals), base.module.to("cpu"))


def _check_forgetting(base: LoadedModel, cand: Candidate, windows: SequenceDataset | None,
                      before: dict, cfg: FinetuneConfig,
                      progress: Callable[[dict], None] | None) -> None:
    """Updates `cand` in place: blended toward the base until the training labs keep their
    accuracy, and without an automatic gate that the network alone turns out not to need."""
    if cfg.max_forgetting is not None and cfg.anchor_minutes > 0:
        if progress is not None:
            progress({"stage": "forgetting check", "eta_s": None})
        anchors = training_lab_data(base, cfg.anchor_minutes, cfg.seed + 1, relabel=False,
                                    animals=cfg.anchor_animals)  # not the gate's animals
        base_hits = anchor_hits(base.module, anchors)
        mixed, cand.mixing = choose_mix(base.module, cand.model, cfg.mixes, cfg.max_forgetting,
                                        windows, before, anchors, base_hits, cand.gate)
        if cand.mixing["mix"] is not None:
            cand.model, cand.after = mixed, cand.mixing.pop("validation_after")
        if cand.gate is not None and cfg.lab_gate is None:
            lost = forgetting_per_lab(base_hits, cand.model, anchors)
            cand.mixing["network_forgetting_per_lab"] = lost
            if max(lost.values()) <= cfg.max_forgetting:
                cand.gate = None  # the network alone keeps every training lab: no gate needed


def _verdict(before: dict, cand: Candidate, cfg: FinetuneConfig) -> tuple[bool, str]:
    """Better on the held-out corrections is not enough when no blend keeps the training
    labs."""
    accepted, reason = decide(before, cand.after)
    if accepted and cand.mixing and cand.mixing["mix"] is None:
        accepted, reason = False, (f"every blend of the fine-tuned and base weights either lost "
                                   f"more than {100 * cfg.max_forgetting:.0f} points on the "
                                   "training labs or did not beat the base on your held-out "
                                   "corrections; the base model is kept")
    return accepted, reason


def save_finetuned(result: FinetuneResult, out_path: str | Path) -> dict:
    """Write the fine-tuned model as OUT.safetensors + OUT.json, atomically; returns the card.

    Refuses when the result was not accepted or when OUT would replace the base model.
    """
    out = Path(out_path)
    if out.suffix != ".safetensors":
        out = out.with_name(out.name + ".safetensors")
    if not result.accepted:
        raise ModelError(out, f"not saved: {result.reason}")
    if result.base.path is not None and out.resolve() == Path(result.base.path).resolve():
        raise ModelError(out, "this is the base model's file; choose another --out (the base "
                              "model is never overwritten)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.stem}.", suffix=".tmp", dir=out.parent))
    try:
        c = result.card
        card = save_model(result.model.module, tmp / out.name, result.base.architecture,
                          result.base.classes, name=c["name"], training_data=c["training_data"],
                          metrics=c["metrics"], parent_sha256=c["parent_sha256"],
                          preprocessing=c["preprocessing"],
                          extra={"finetune": c["finetune"], "lab_gate": c.get("lab_gate")})
        os.replace(tmp / out.name, out)  # weights first: a card without weights is not listed
        os.replace(card_path(tmp / out.name), card_path(out))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return card
