"""What every scoring network offers: the one interface training, fine-tuning, the forgetting
guards, weights and inference use (no probing with getattr/hasattr).

A network is an `nn.Module` class that declares, as class attributes:
- `arch_name`: its name in the registry (`model.weights.ARCHITECTURES`) and in model cards;
- `config_class`: the dataclass of its sizes; `default_config()` gives the shipped sizes;
  the card stores `dataclasses.asdict(net.cfg)` and `net_class(config_class(**card_config))`
  rebuilds it;
- `modalities`: the signals it reads ("eeg", "emg");
- `primary`: the key of `forward`'s output dict that scores (validation, metrics);
- `has_epoch_tokens`: whether `encode_epochs` gives per-epoch tokens for `forward_sequence`
  (sequence models) - otherwise inference calls `predict` per epoch;
- `training_recipe`: how `model.training.fit_architecture` trains it:
  "self-distillation" (sDREAMER: `forward` gives "eeg", "emg" and "mix" logits; the mix
  pathway teaches the other two, `model.losses.DistillationLoss`; fine-tuning needs this),
  "supervised" (cross-entropy on the `primary` output), or "pretrain-finetune" (then
  `recipe_losses()` gives the two stages' losses and `backbones()` what stage two freezes);
and per instance `cfg` (its config), plus the properties `seq_len` (context: epochs in and
out per window, 1 for one-to-one), `epoch_samples` (samples per `BASE_EPOCH` epoch),
`sampling_rate` (Hz the input must have) and `n_classes`.

Adding a network: one file with the class, one line in `ARCHITECTURES`; see
docs/architecture.md. Torch is imported only for type checking, so this module is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

if TYPE_CHECKING:
    from torch import Tensor

RECIPES = ("self-distillation", "supervised", "pretrain-finetune")


@runtime_checkable
class ScoringNetwork(Protocol):
    arch_name: ClassVar[str]
    config_class: ClassVar[type]
    modalities: ClassVar[tuple[str, ...]]
    primary: ClassVar[str]
    has_epoch_tokens: ClassVar[bool]
    training_recipe: ClassVar[str]
    cfg: Any

    @property
    def seq_len(self) -> int: ...

    @property
    def epoch_samples(self) -> int: ...

    @property
    def sampling_rate(self) -> int: ...

    @property
    def n_classes(self) -> int: ...

    @staticmethod
    def default_config() -> Any: ...

    def forward(self, eeg: Tensor, emg: Tensor | None) -> dict[str, Tensor]:
        """(B, K, T) signals (K = seq_len; (B, T) when seq_len is 1) -> logits per output."""
        ...


def check_network(cls: type) -> None:
    """TypeError naming what a network class lacks (the registry checks every entry)."""
    missing = [name for name in ("arch_name", "config_class", "modalities", "primary",
                                 "has_epoch_tokens", "training_recipe", "seq_len",
                                 "epoch_samples", "sampling_rate", "n_classes",
                                 "default_config", "forward") if not hasattr(cls, name)]
    if missing:
        raise TypeError(f"{cls.__name__} does not declare {', '.join(missing)} "
                        "(model.interface.ScoringNetwork)")
    if cls.training_recipe not in RECIPES:
        raise TypeError(f"{cls.__name__}.training_recipe {cls.training_recipe!r} is not one of "
                        f"{', '.join(RECIPES)}")
    if cls.training_recipe == "pretrain-finetune" and not (
            hasattr(cls, "recipe_losses") and hasattr(cls, "backbones")):
        raise TypeError(f"{cls.__name__} trains by pretrain-finetune but lacks recipe_losses "
                        "or backbones")
