"""sDREAMER: self-distilled mixture-of-modality-experts transformer (Chen et al., 2023).

Equation numbers refer to the paper. A MoME layer shares one multi-head self-attention
across modalities and routes tokens to a modality expert FFN chosen by (pathway, layer),
eq. 6. Three pathways (EEG, EMG, mix) each end in their own classification head, so one
set of weights scores EEG+EMG ("both", mix head), EEG alone or EMG alone.

Two models:
- `EpochSDreamer`: one 1-s epoch in, one prediction out (one-to-one).
- `SequenceSDreamer`: K epochs in, K predictions out (many-to-many). Its epoch encoder is
  independent per epoch, so inference calls `encode_epochs` once per epoch and runs only
  the cheap `forward_sequence` on overlapping windows.

Must not import Qt, file readers or training code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

PATHWAYS = ("eeg", "emg", "mix")
MODALITY_PATHWAY = {"both": "mix", "eeg": "eeg", "emg": "emg"}


@dataclass
class SDreamerConfig:
    """Sizes of an sDREAMER model. Defaults are the shipped sequence model.

    d_model 64 / patch 32 keep 24 h of 512 Hz EEG+EMG under ~30 s on a 2-core CPU; the
    paper's FFN width (512), depths (2 epoch + 3 sequence layers) and K=16 are kept.
    """

    d_model: int = 64
    n_heads: int = 4
    ffn_dim: int = 512
    patch_size: int = 32  # W; P = epoch_samples // W patches per epoch
    epoch_samples: int = 512  # T: 1 s at 512 Hz
    epoch_layers: int = 2  # 4 in the epoch model
    seq_layers: int = 3
    seq_len: int = 16  # K epochs per sequence window
    n_classes: int = 3
    dropout: float = 0.1
    mix_from_layer: int | None = None  # first layer (0-based) with the mix expert; None: last
    # Spectral front end (model.spectral): per-epoch feature vectors instead of samples, so
    # each modality has its own length and patch. None: epoch_samples / patch_size.
    eeg_features: int | None = None
    emg_features: int | None = None
    eeg_patch: int | None = None
    emg_patch: int | None = None

    def __post_init__(self) -> None:
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model {self.d_model} is not divisible by n_heads {self.n_heads}")
        for m in ("eeg", "emg"):
            n, w = self.input_shape(m)
            if n % w:
                raise ValueError(f"{m} patch {w} does not divide its input length {n}")

    def input_shape(self, modality: str) -> tuple[int, int]:
        """(input length, patch width) of one modality's epoch."""
        n = getattr(self, f"{modality}_features") or self.epoch_samples
        w = getattr(self, f"{modality}_patch") or self.patch_size
        return n, w

    @property
    def n_patches(self) -> int:
        return self.epoch_samples // self.patch_size


# -- blocks ---------------------------------------------------------------------------

class SelfAttention(nn.Module):
    """Multi-head self-attention (MSA), shared by every pathway of a MoME layer."""

    def __init__(self, d_model: int, n_heads: int, dropout: float):
        super().__init__()
        self.n_heads = n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.dropout = dropout
        self.proj_drop = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.n_heads, d // self.n_heads).permute(2, 0, 3, 1, 4)
        p = self.dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=p)
        return self.proj_drop(self.proj(y.transpose(1, 2).reshape(b, n, d)))


class Expert(nn.Module):
    """A modality expert: the feed-forward network of one pathway in one layer."""

    def __init__(self, d_model: int, ffn_dim: int, dropout: float):
        super().__init__()
        self.fc1 = nn.Linear(d_model, ffn_dim)
        self.fc2 = nn.Linear(ffn_dim, d_model)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.drop(self.fc2(self.drop(F.gelu(self.fc1(x)))))


class MoMELayer(nn.Module):
    """One MoME layer: shared MSA (eq. 4) then the expert psi(m, l) (eq. 5)."""

    def __init__(self, cfg: SDreamerConfig, has_mix: bool):
        super().__init__()
        self.norm1 = nn.LayerNorm(cfg.d_model)
        self.attn = SelfAttention(cfg.d_model, cfg.n_heads, cfg.dropout)
        self.norm2 = nn.LayerNorm(cfg.d_model)
        names = ("eeg", "emg", "mix") if has_mix else ("eeg", "emg")
        self.experts = nn.ModuleDict({n: Expert(cfg.d_model, cfg.ffn_dim, cfg.dropout) for n in names})

    def forward(self, t: Tensor, expert: str, n_eeg: int = 0) -> Tensor:
        i = self.attn(self.norm1(t)) + t  # eq. 4: I_l = MSA(LN(T_{l-1})) + T_{l-1}
        h = self.norm2(i)
        if expert == "split":  # mix tokens, early layer: back to their own modality experts
            out = torch.cat([self.experts["eeg"](h[:, :n_eeg]), self.experts["emg"](h[:, n_eeg:])], 1)
        else:
            out = self.experts[expert](h)
        return out + i  # eq. 5: T_l = psi(m, l)(LN(I_l)) + I_l (the paper's T^{m'} is I_l)


class MoME(nn.Module):
    """A stack of MoME layers with the routing psi(m, l) of eq. 6."""

    def __init__(self, cfg: SDreamerConfig, n_layers: int, mix_from: int | None):
        super().__init__()
        self.mix_from = n_layers if mix_from is None else mix_from  # n_layers: no mix pathway
        self.layers = nn.ModuleList(MoMELayer(cfg, i >= self.mix_from) for i in range(n_layers))

    def expert_for(self, pathway: str, layer: int) -> str:
        """Eq. 6: psi(m, l). Mix tokens use EEG/EMG experts before `mix_from`, then mix."""
        if pathway != "mix":
            return pathway
        return "mix" if layer >= self.mix_from else "split"

    def forward(self, t: Tensor, pathway: str, n_eeg: int = 0) -> Tensor:
        for i, layer in enumerate(self.layers):
            t = layer(t, self.expert_for(pathway, i), n_eeg)
        return t


class EpochEmbedding(nn.Module):
    """Patching and initial representation of one modality, eqs. 1-2."""

    def __init__(self, cfg: SDreamerConfig, modality: str = "eeg"):
        super().__init__()
        n_in, self.patch_size = cfg.input_shape(modality)
        self.trans = nn.Linear(self.patch_size, cfg.d_model)  # E_trans^m, eq. 1
        self.cls = nn.Parameter(torch.zeros(1, 1, cfg.d_model))  # T_cls^m
        self.pos = nn.Parameter(torch.zeros(1, n_in // self.patch_size + 1, cfg.d_model))  # E_pos^m
        self.mod = nn.Parameter(torch.zeros(1, 1, cfg.d_model))  # E_mod^m (same at every position)

    def forward(self, x: Tensor) -> Tensor:
        """x (N, T) -> T_0^m (N, P+1, D)."""
        patches = x.reshape(x.shape[0], -1, self.patch_size)  # (N, P, W)
        i0 = self.trans(patches)  # eq. 1
        cls = self.cls.expand(x.shape[0], -1, -1)
        return torch.cat([cls, i0], 1) + (self.pos + self.mod)  # eq. 2


class Head(nn.Module):
    def __init__(self, d_in: int, n_classes: int):
        super().__init__()
        self.norm = nn.LayerNorm(d_in)
        self.fc = nn.Linear(d_in, n_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.norm(x))


def init_weights(model: nn.Module) -> None:
    """All initialisation in one place (ViT style)."""
    for m in model.modules():
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    for name, p in model.named_parameters():
        if name.endswith(("cls", "pos", "mod")):
            nn.init.trunc_normal_(p, std=0.02)


# -- models ---------------------------------------------------------------------------

class _SDreamerInterface:
    """The `model.interface.ScoringNetwork` declarations both sDREAMER models share."""

    config_class: ClassVar[type] = SDreamerConfig
    modalities: ClassVar[tuple[str, ...]] = ("eeg", "emg")
    primary: ClassVar[str] = "mix"
    training_recipe: ClassVar[str] = "self-distillation"
    cfg: SDreamerConfig

    @property
    def epoch_samples(self) -> int:
        return self.cfg.epoch_samples

    @property
    def sampling_rate(self) -> int:
        return self.cfg.epoch_samples  # 1-s epochs (sleepscorer.stages.BASE_EPOCH)

    @property
    def n_classes(self) -> int:
        return self.cfg.n_classes


class EpochSDreamer(_SDreamerInterface, nn.Module):
    """Epoch sDREAMER: a 4-layer epoch MoME with three pathways and three heads."""

    arch_name: ClassVar[str] = "sdreamer-epoch"
    has_epoch_tokens: ClassVar[bool] = False
    seq_len: ClassVar[int] = 1

    def __init__(self, cfg: SDreamerConfig):
        super().__init__()
        self.cfg = cfg
        mix_from = cfg.epoch_layers - 1 if cfg.mix_from_layer is None else cfg.mix_from_layer
        self.embed = nn.ModuleDict({m: EpochEmbedding(cfg, m) for m in ("eeg", "emg")})
        self.mome = MoME(cfg, cfg.epoch_layers, mix_from)
        d, c = cfg.d_model, cfg.n_classes
        self.heads = nn.ModuleDict({"eeg": Head(d, c), "emg": Head(d, c), "mix": Head(2 * d, c)})
        init_weights(self)

    @staticmethod
    def default_config() -> SDreamerConfig:
        return SDreamerConfig(epoch_layers=4, seq_layers=0, seq_len=1)

    def pathway_logits(self, pathway: str, eeg: Tensor | None, emg: Tensor | None) -> Tensor:
        if pathway == "mix":
            te, tm = self.embed["eeg"](eeg), self.embed["emg"](emg)
            out = self.mome(torch.cat([te, tm], 1), "mix", n_eeg=te.shape[1])
            return self.heads["mix"](torch.cat([out[:, 0], out[:, te.shape[1]]], -1))  # both [CLS]
        x = eeg if pathway == "eeg" else emg
        return self.heads[pathway](self.mome(self.embed[pathway](x), pathway)[:, 0])

    def forward(self, eeg: Tensor, emg: Tensor) -> dict[str, Tensor]:
        """eeg, emg (B, T) -> logits (B, C) for each pathway."""
        return {p: self.pathway_logits(p, eeg, emg) for p in PATHWAYS}

    def predict(self, eeg: Tensor | None, emg: Tensor | None, modality: str = "both") -> Tensor:
        """Logits of the pathway a modality uses; the absent signal may be None."""
        return self.pathway_logits(MODALITY_PATHWAY[modality], eeg, emg)


class SequenceSDreamer(_SDreamerInterface, nn.Module):
    """Sequence sDREAMER: epoch MoME (EEG/EMG pathways) -> [CLS] per epoch -> sequence MoME."""

    arch_name: ClassVar[str] = "sdreamer-seq"
    has_epoch_tokens: ClassVar[bool] = True

    def __init__(self, cfg: SDreamerConfig):
        super().__init__()
        self.cfg = cfg
        d, c = cfg.d_model, cfg.n_classes
        self.embed = nn.ModuleDict({m: EpochEmbedding(cfg, m) for m in ("eeg", "emg")})
        self.epoch_mome = MoME(cfg, cfg.epoch_layers, None)  # no mix pathway at epoch level
        mix_from = cfg.seq_layers - 1 if cfg.mix_from_layer is None else cfg.mix_from_layer
        self.seq_pos = nn.ParameterDict({m: nn.Parameter(torch.zeros(1, cfg.seq_len, d))
                                         for m in ("eeg", "emg")})
        self.seq_mome = MoME(cfg, cfg.seq_layers, mix_from)
        self.heads = nn.ModuleDict({"eeg": Head(d, c), "emg": Head(d, c), "mix": Head(2 * d, c)})
        init_weights(self)
        for p in self.seq_pos.values():
            nn.init.trunc_normal_(p, std=0.02)

    @staticmethod
    def default_config() -> SDreamerConfig:
        return SDreamerConfig()

    @property
    def seq_len(self) -> int:
        return self.cfg.seq_len

    @staticmethod
    def modalities_for(modality: str) -> tuple[str, ...]:
        return ("eeg", "emg") if modality == "both" else (modality,)

    def encode_epochs(self, eeg: Tensor | None, emg: Tensor | None, modality: str = "both") -> Tensor:
        """Eqs. 7-8: per-epoch [CLS] tokens. eeg/emg (N, T) -> (N, M, D), M = 2 for both."""
        signals = {"eeg": eeg, "emg": emg}
        tokens = [self.epoch_mome(self.embed[m](signals[m]), m)[:, 0]
                  for m in self.modalities_for(modality)]
        return torch.stack(tokens, 1)

    def forward_sequence(self, tokens: Tensor, modality: str = "both") -> Tensor:
        """Sequence MoME on windows of epoch tokens (B, k<=K, M, D) -> logits (B, k, C)."""
        z = {m: tokens[:, :, j] for j, m in enumerate(self.modalities_for(modality))}
        return self._pathway(MODALITY_PATHWAY[modality], z)

    def _pathway(self, pathway: str, z: dict[str, Tensor]) -> Tensor:
        k = next(iter(z.values())).shape[1]
        z0 = {m: zm + self.seq_pos[m][:, :k] for m, zm in z.items()}  # eq. 9 + positions
        if pathway == "mix":
            out = self.seq_mome(torch.cat([z0["eeg"], z0["emg"]], 1), "mix", n_eeg=k)
            return self.heads["mix"](torch.cat([out[:, :k], out[:, k:]], -1))  # same-epoch concat
        return self.heads[pathway](self.seq_mome(z0[pathway], pathway))

    def forward(self, eeg: Tensor, emg: Tensor) -> dict[str, Tensor]:
        """eeg, emg (B, K, T) -> logits (B, K, C) for each pathway."""
        b, k = eeg.shape[:2]
        tokens = self.encode_epochs(eeg.reshape(b * k, -1), emg.reshape(b * k, -1))
        tokens = tokens.view(b, k, 2, -1)
        z = {"eeg": tokens[:, :, 0], "emg": tokens[:, :, 1]}
        return {p: self._pathway(p, z) for p in PATHWAYS}
