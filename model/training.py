"""Training loop shared by every network: AdamW, early stopping on validation macro-F1.

`train` takes prepared `SubjectData`, reports progress (with an ETA) through a callable
and stops when `cancel()` turns true. Launched with `torchrun` (WORLD_SIZE > 1) it uses
torch.distributed DDP (model.distributed); only rank 0 should save (`is_main`). The
losses of each recipe are in model.objectives.
Networks are used only through `model.interface.ScoringNetwork` (`seq_len`, `primary`,
`training_recipe`); `fit_architecture` builds one by registry name and trains it by its
declared recipe. Must not read files or import Qt.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch
from sleepscorer_model.augment import augment, rem_with_wake_eeg
from sleepscorer_model.data import SequenceDataset, SubjectData
from sleepscorer_model.distributed import Distributed, shuffled_loader
from sleepscorer_model.metrics import evaluate
from sleepscorer_model.objectives import LossFn, default_loss
from sleepscorer_model.weights import build_model
from torch import nn
from torch.utils.data import DataLoader

from sleepscorer.errors import Cancelled


@dataclass
class TrainConfig:
    epochs: int = 30
    batch_size: int = 16  # windows of K epochs (the paper's hierarchical batch size)
    lr: float = 1e-3
    weight_decay: float = 1e-4
    patience: int = 5  # epochs without a better validation macro-F1 before stopping
    alpha: float = 0.33
    tau_eeg: float = 1.0
    tau_emg: float = 3.0
    class_weights: Sequence[float] | None = None
    # Per-window random gain (log-normal sd): labs differ in amplifier gain and electrode
    # placement, so the EEG pathway must read spectral shape and context, not amplitude.
    # Keep the EMG's small: its level against the recording's own baseline is the REM cue.
    gain_jitter_eeg: float = 0.0
    cosine: bool = False  # decay the learning rate to 0 over all steps (cosine)
    gain_jitter_emg: float = 0.0
    # Spectral front end: per-window random offset of every scaled feature (sd), as when a
    # recording's percentile midpoints sit elsewhere (other state mix, other animal).
    feature_shift: float = 0.0
    epoch_noise: float = 0.0  # model.augment.noisy_epochs
    emg_noise: float = 0.0  # model.augment.wandering_levels, EMG level features only
    # Probability per window that its REM epochs carry the EEG of random Wake epochs of the
    # batch (model.augment.rem_with_wake_eeg): REM is an awake-looking cortex with atonia, so
    # where the EEG alone cannot tell REM from Wake, the EMG and the sequence must.
    rem_wake_eeg: float = 0.0
    # Spectral front end with shape features: per-window random tilt (sd) of the EEG band
    # shares from column `shape_from` on (animals and generators differ in 1/f slope), and,
    # with probability 1/2, a step (sd `emg_step`) in the percentile-scaled EMG features at a
    # random epoch (an electrode shift: the level changes, the state does not; the demo
    # mouse's step is as large as its Wake/NREM contrast).
    spectral_tilt: float = 0.0
    emg_step: float = 0.0
    shape_from: int | None = None
    # Probability that a window's shape features (EEG from `shape_from`, EMG from
    # `emg_shape_from`) are all zeroed, so the network also scores without them; inference
    # then averages both readings (PreprocessConfig.shape_passes = 2).
    shape_dropout: float = 0.0
    eeg_shape_off: bool = False  # EEG shape features always zero (kept: EMG's)
    emg_shape_from: int | None = None
    # Spectral front end: per-window random stretch of the EEG frequency axis by exp(N(0, sd))
    # (columns before `shape_from`, and the shape bands after it, alike): theta peaks at 6-9 Hz
    # and spindles at 9-16 Hz differ between mice, so no exact peak position is a cue.
    frequency_stretch: float = 0.0
    stride: int | None = None  # window stride for training data (default K/2)
    max_steps_per_epoch: int | None = None
    grad_clip: float = 1.0
    seed: int = 0
    device: str = "auto"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TrainResult:
    model: nn.Module  # with the best validation weights loaded (plain module, not DDP)
    history: list[dict] = field(default_factory=list)
    best: dict = field(default_factory=dict)  # validation metrics of the best epoch
    best_epoch: int = 0
    is_main: bool = True  # False on DDP ranks other than 0: do not save there


def primary_logits(model: nn.Module, eeg: torch.Tensor, emg: torch.Tensor) -> torch.Tensor:
    """The output used for validation: the network's declared `primary` output."""
    return model(eeg, emg)[model.primary]


@torch.no_grad()
def predict_dataset(model: nn.Module, data: SequenceDataset, device: torch.device,
                    batch_size: int = 64, each_epoch_once: bool = True
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(labels, predicted class) of every epoch the dataset's windows cover, each epoch once
    (at the first window covering it; `each_epoch_once=False`: every window's, in order).

    Why once: a subject's last window is laid to end at its last epoch, so it overlaps the one
    before; counted twice, those epochs weighed double in the score that keeps or drops a
    fine-tuned model, and its epoch count disagreed with the held-out count.
    """
    was_training = model.training
    model.eval()
    ys, preds = [], []
    for eeg, emg, y in DataLoader(data, batch_size=batch_size):
        logits = primary_logits(model, eeg.to(device), emg.to(device))
        ys.append(y.reshape(len(y), -1).numpy())
        preds.append(logits.argmax(-1).reshape(len(y), -1).cpu().numpy())
    model.train(was_training)
    if ys:
        keep = _first_readings(data.index, data.seq_len) if each_epoch_once else slice(None)
        return np.concatenate(ys)[keep].reshape(-1), np.concatenate(preds)[keep].reshape(-1)
    return np.zeros(0, int), np.zeros(0, int)


def _first_readings(index: Sequence[tuple[int, int]], seq_len: int) -> np.ndarray:
    """(windows, seq_len) mask: each (subject, epoch) at the first window that covers it."""
    keep = np.ones((len(index), seq_len), bool)
    covered: dict[int, int] = {}  # subject -> end of the windows so far (starts ascend)
    for w, (subject, start) in enumerate(index):
        keep[w, :max(0, covered.get(subject, 0) - start)] = False
        covered[subject] = max(covered.get(subject, 0), start + seq_len)
    return keep


def train(model: nn.Module, train_data: Sequence[SubjectData],
          val_data: Sequence[SubjectData] | None = None, cfg: TrainConfig | None = None,
          progress: Callable[[dict], None] | None = None,
          cancel: Callable[[], bool] | None = None, loss_fn: LossFn | None = None,
          parameters: Sequence[nn.Parameter] | None = None,
          macro_over: str = "either") -> TrainResult:
    """Fit `model`; returns it with the weights of its best validation epoch.

    Without validation data the last epoch is kept. `parameters` restricts what is
    optimised (e.g. fine-tuning with frozen backbones). `macro_over`: which classes the
    validation macro-F1 averages (`metrics.macro_f1`); fine-tuning compares against a base
    scored over the held-out labels' classes, so it passes "reference".
    """
    cfg = cfg or TrainConfig()
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed % 2**32)
    dist = Distributed(cfg.device)
    try:
        return _fit(model, train_data, val_data, cfg, dist, progress, cancel,
                    loss_fn or default_loss(model, cfg), parameters, macro_over)
    finally:
        dist.close()


def _fit(model, train_data, val_data, cfg, dist, progress, cancel, loss_fn, parameters,  # noqa: ANN001, ANN202, PLR0913
         macro_over: str = "either"):
    seq_len = model.seq_len
    train_set = SequenceDataset(train_data, seq_len, cfg.stride)
    val_set = SequenceDataset(val_data, seq_len, seq_len) if val_data else None
    model.to(dist.device)
    loader, sampler, stepper, clock = _optimisation_setup(model, train_set, cfg, dist,
                                                          parameters, loss_fn)
    result = TrainResult(model, is_main=dist.rank == 0)
    report = progress if result.is_main else None
    best = _Best()
    for epoch in range(1, cfg.epochs + 1):
        if sampler is not None:
            sampler.set_epoch(epoch)
        stepper.net.train()
        losses = _train_epoch(stepper, loader, clock, epoch, report, cancel)
        record = {"epoch": epoch, "loss": float(np.mean(losses)) if losses else math.nan}
        if val_set is not None and len(val_set):
            _validate(model, val_set, dist.device, record, best, result, macro_over)
        result.history.append(record)
        if report is not None:
            report({"stage": "epoch_end", **record, "eta_s": clock.eta()})
        if val_set is not None and best.waited >= cfg.patience:
            break
    if best.state is not None:
        model.load_state_dict(best.state)
    else:
        result.best_epoch = len(result.history)
    model.eval()
    return result


@dataclass
class _Clock:
    """Optimiser steps done against all planned, so each progress report can carry an ETA."""

    steps: int  # per epoch: the loader's batches, capped by `max_steps_per_epoch`
    total: int
    done: int = 0
    started: float = field(default_factory=time.perf_counter)

    def eta(self) -> float:
        return (time.perf_counter() - self.started) / max(1, self.done) * (self.total - self.done)


@dataclass
class _Stepper:
    """One optimiser step per batch; kept together so the epoch loop stays readable."""

    net: nn.Module  # the DDP wrapper when distributed, else the model itself
    loss_fn: LossFn
    params: list[nn.Parameter]
    optimiser: torch.optim.Optimizer
    schedule: torch.optim.lr_scheduler.LRScheduler | None
    cfg: TrainConfig
    device: torch.device

    def step(self, eeg: torch.Tensor, emg: torch.Tensor, y: torch.Tensor) -> float:
        eeg, emg, y = eeg.to(self.device), emg.to(self.device), y.to(self.device)
        eeg, emg = augment(eeg, emg, self.cfg)
        if self.cfg.rem_wake_eeg > 0:
            eeg = rem_with_wake_eeg(eeg, y, self.cfg.rem_wake_eeg)
        terms = self.loss_fn(self.net, eeg, emg, y)
        self.optimiser.zero_grad(set_to_none=True)
        terms["loss"].backward()
        if self.cfg.grad_clip:
            nn.utils.clip_grad_norm_(self.params, self.cfg.grad_clip)
        self.optimiser.step()
        if self.schedule is not None:
            self.schedule.step()
        return float(terms["loss"].detach())


@dataclass
class _Best:
    """The best validation epoch so far: early stopping restores its weights at the end."""

    f1: float = -math.inf
    state: dict | None = None
    waited: int = 0  # epochs since the best one


def _optimisation_setup(model: nn.Module, train_set: SequenceDataset, cfg: TrainConfig,
                        dist: Distributed, parameters: Sequence[nn.Parameter] | None,
                        loss_fn: LossFn) -> tuple[DataLoader, object | None, _Stepper, _Clock]:
    """Optimiser, loader and step budget, built in one place since the cosine schedule's
    length depends on the loader's."""
    net = dist.wrap(model)
    params = [p for p in (parameters or model.parameters()) if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    loader, sampler = shuffled_loader(train_set, cfg, dist)
    steps = len(loader) if cfg.max_steps_per_epoch is None else min(len(loader), cfg.max_steps_per_epoch)
    clock = _Clock(steps, max(1, steps * cfg.epochs))
    schedule = (torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, clock.total)
                if cfg.cosine else None)
    return loader, sampler, _Stepper(net, loss_fn, params, optimiser, schedule, cfg,
                                     dist.device), clock


def _train_epoch(stepper: _Stepper, loader: DataLoader, clock: _Clock, epoch: int,
                 report: Callable[[dict], None] | None,
                 cancel: Callable[[], bool] | None) -> list[float]:
    """One pass over the loader, checking `cancel` before every step so a stop is prompt;
    `report` is None where nothing is reported (no callback, or a DDP rank other than 0)."""
    losses = []
    for step, (eeg, emg, y) in enumerate(loader, 1):
        if step > clock.steps:
            break
        if cancel is not None and cancel():
            raise Cancelled()
        losses.append(stepper.step(eeg, emg, y))
        clock.done += 1
        if report is not None:
            report({"stage": "train", "epoch": epoch, "epochs": stepper.cfg.epochs, "step": step,
                    "steps": clock.steps, "loss": losses[-1], "eta_s": clock.eta()})
    return losses


def _validate(model: nn.Module, val_set: SequenceDataset, device: torch.device, record: dict,
              best: _Best, result: TrainResult, macro_over: str = "either") -> None:
    """Early stopping: the epoch's `record` gains its validation metrics, and a better
    macro-F1 keeps a copy of the weights (else patience runs down)."""
    y_true, y_pred = predict_dataset(model, val_set, device)
    metrics = evaluate(y_true, y_pred, model.cfg.n_classes, macro_over)
    record.update({f"val_{k}": v for k, v in metrics.items() if k != "confusion"})
    if metrics["macro_f1"] > best.f1:
        best.f1, best.waited = metrics["macro_f1"], 0
        best.state = copy.deepcopy(model.state_dict())
        result.best, result.best_epoch = metrics, record["epoch"]
    else:
        best.waited += 1


def fit_architecture(arch: str, train_data: Sequence[SubjectData],
                     val_data: Sequence[SubjectData] | None, cfg: TrainConfig | None = None,
                     progress: Callable[[dict], None] | None = None,
                     cancel: Callable[[], bool] | None = None, **overrides) -> TrainResult:  # noqa: ANN003
    """Build a fresh network by name and train it by its declared `training_recipe`."""
    cfg = cfg or TrainConfig()
    torch.manual_seed(cfg.seed)
    model = build_model(arch, **overrides)
    if model.training_recipe == "pretrain-finetune":
        return pretrain_and_finetune(model, train_data, val_data, cfg, progress, cancel)
    return train(model, train_data, val_data, cfg, progress, cancel)


def pretrain_and_finetune(model: nn.Module, train_data: Sequence[SubjectData],
                          val_data: Sequence[SubjectData] | None, cfg: TrainConfig,
                          progress: Callable[[dict], None] | None = None,
                          cancel: Callable[[], bool] | None = None,
                          finetune_epochs: int | None = None) -> TrainResult:
    """The "pretrain-finetune" recipe: stage 1 trains everything with the network's first
    recipe loss; stage 2 freezes its `backbones()` and trains the rest with the second loss
    for half the epochs (or `finetune_epochs`). Returns stage 2's result."""
    pretrain_loss, finetune_loss = model.recipe_losses()

    def tagged(stage: str) -> Callable[[dict], None] | None:
        return None if progress is None else (lambda info: progress({**info, "phase": stage}))

    train(model, train_data, val_data, cfg, tagged("pretrain"), cancel, pretrain_loss)
    for backbone in model.backbones():
        backbone.requires_grad_(False)
    model.frozen_backbones = True
    head_params = [p for p in model.parameters() if p.requires_grad]
    ft_cfg = replace(cfg, epochs=finetune_epochs or max(1, cfg.epochs // 2))
    result = train(model, train_data, val_data, ft_cfg, tagged("finetune"), cancel,
                   finetune_loss, head_params)
    for backbone in model.backbones():
        backbone.requires_grad_(True)
    model.frozen_backbones = False
    return result
