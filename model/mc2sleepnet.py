"""MC2SleepNet (Na et al.), adapted to 1-s rodent epochs at 512 Hz and kept small.

Two views of the same EEG: a CNN backbone on the raw epoch and a small transformer on its
spectrogram (STFT, 0-30 Hz). Pre-training aligns the two epoch embeddings with InfoNCE and,
at sequence level, masks 50% of each view's epochs so cross-attention must fill them from
the other view (cross-masking); fine-tuning then freezes both backbones. EEG only.
Same inference interface as the sequence sDREAMER (`encode_epochs`, `forward_sequence`).
Must not import Qt or read files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from sleepscorer_model.sdreamer import Expert, SelfAttention, init_weights
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel


@dataclass
class MC2Config:
    d_model: int = 64
    n_heads: int = 4
    ffn_dim: int = 128
    epoch_samples: int = 512
    rate: int = 512
    cnn_channels: int = 32
    n_fft: int = 256  # 0.5 s window: 2 Hz bins
    hop: int = 32
    max_freq: float = 30.0
    spec_layers: int = 2
    seq_layers: int = 2
    seq_len: int = 16
    n_classes: int = 3
    dropout: float = 0.1
    mask_ratio: float = 0.5
    temperature: float = 0.1  # InfoNCE

    @property
    def n_freqs(self) -> int:
        return int(self.max_freq * self.n_fft / self.rate) + 1


class RawBackbone(nn.Module):
    """CNN on the raw 1-s epoch -> one embedding."""

    def __init__(self, cfg: MC2Config):
        super().__init__()
        c = cfg.cnn_channels
        self.net = nn.Sequential(
            nn.Conv1d(1, c, 32, stride=4, padding=14), nn.GroupNorm(1, c), nn.GELU(), nn.MaxPool1d(4),
            nn.Conv1d(c, c, 8, padding=4), nn.GroupNorm(1, c), nn.GELU(), nn.MaxPool1d(2),
            nn.Conv1d(c, 2 * c, 8, padding=4), nn.GroupNorm(1, 2 * c), nn.GELU(),
            nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(2 * c, cfg.d_model))

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x[:, None])


class Block(nn.Module):
    """Pre-LN transformer block; with `context`, adds cross-attention to the other view."""

    def __init__(self, d: int, heads: int, ffn: int, dropout: float, cross: bool = False):
        super().__init__()
        self.norm1, self.attn = nn.LayerNorm(d), SelfAttention(d, heads, dropout)
        self.cross = nn.MultiheadAttention(d, heads, dropout, batch_first=True) if cross else None
        self.norm_c = nn.LayerNorm(d) if cross else None
        self.norm2, self.ffn = nn.LayerNorm(d), Expert(d, ffn, dropout)

    def forward(self, x: Tensor, context: Tensor | None = None) -> Tensor:
        x = x + self.attn(self.norm1(x))
        if self.cross is not None:
            x = x + self.cross(self.norm_c(x), context, context, need_weights=False)[0]
        return x + self.ffn(self.norm2(x))


class SpectrogramBackbone(nn.Module):
    """Transformer over STFT frames (0-30 Hz log power) of one epoch -> [CLS] embedding."""

    def __init__(self, cfg: MC2Config):
        super().__init__()
        self.cfg = cfg
        n_frames = 1 + (cfg.epoch_samples - cfg.n_fft) // cfg.hop
        self.register_buffer("window", torch.hann_window(cfg.n_fft), persistent=False)
        self.proj = nn.Linear(cfg.n_freqs, cfg.d_model)
        self.cls = nn.Parameter(torch.zeros(1, 1, cfg.d_model))
        self.pos = nn.Parameter(torch.zeros(1, n_frames + 1, cfg.d_model))
        self.blocks = nn.ModuleList(Block(cfg.d_model, cfg.n_heads, cfg.ffn_dim, cfg.dropout)
                                    for _ in range(cfg.spec_layers))
        self.norm = nn.LayerNorm(cfg.d_model)

    def spectrogram(self, x: Tensor) -> Tensor:
        spec = torch.stft(x.float(), self.cfg.n_fft, self.cfg.hop, window=self.window,
                          center=False, return_complex=True)
        return torch.log1p(spec.abs().square()[:, : self.cfg.n_freqs]).transpose(1, 2)

    def forward(self, x: Tensor) -> Tensor:
        t = self.proj(self.spectrogram(x).to(self.proj.weight.dtype))
        t = torch.cat([self.cls.expand(len(t), -1, -1), t], 1) + self.pos
        for block in self.blocks:
            t = block(t)
        return self.norm(t[:, 0])


class MC2SleepNet(nn.Module):
    """Declares `model.interface.ScoringNetwork`; trained in two stages (pretrain-finetune)."""

    arch_name: ClassVar[str] = "mc2sleepnet"
    config_class: ClassVar[type] = MC2Config
    modalities: ClassVar[tuple[str, ...]] = ("eeg",)
    primary: ClassVar[str] = "mix"
    has_epoch_tokens: ClassVar[bool] = True
    training_recipe: ClassVar[str] = "pretrain-finetune"

    def __init__(self, cfg: MC2Config):
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        self.raw = RawBackbone(cfg)
        self.spec = SpectrogramBackbone(cfg)
        self.seq_pos = nn.Parameter(torch.zeros(2, 1, cfg.seq_len, d))
        self.mask_token = nn.Parameter(torch.zeros(2, 1, 1, d))
        self.seq = nn.ModuleList(
            nn.ModuleList(Block(d, cfg.n_heads, cfg.ffn_dim, cfg.dropout, cross=True) for _ in range(2))
            for _ in range(cfg.seq_layers))
        self.head = nn.Sequential(nn.LayerNorm(2 * d), nn.Linear(2 * d, cfg.n_classes))
        init_weights(self)
        nn.init.trunc_normal_(self.seq_pos, std=0.02)
        nn.init.trunc_normal_(self.mask_token, std=0.02)

    @staticmethod
    def default_config() -> MC2Config:
        return MC2Config()

    @property
    def seq_len(self) -> int:
        return self.cfg.seq_len

    @property
    def epoch_samples(self) -> int:
        return self.cfg.epoch_samples

    @property
    def sampling_rate(self) -> int:
        return self.cfg.rate

    @property
    def n_classes(self) -> int:
        return self.cfg.n_classes

    @staticmethod
    def recipe_losses():  # noqa: ANN205 - (pretrain loss, finetune loss), model.objectives.LossFn
        """Stage 1: InfoNCE + cross-masked sequence training of everything. Stage 2:
        backbones frozen, sequence encoder and head fine-tuned without masking."""
        return pretrain_loss, finetune_loss

    frozen_backbones = False

    def train(self, mode: bool = True) -> MC2SleepNet:
        """Frozen backbones stay in eval mode (no dropout) while the rest trains."""
        super().train(mode)
        if self.frozen_backbones:
            for backbone in self.backbones():
                backbone.eval()
        return self

    def backbones(self) -> list[nn.Module]:
        return [self.raw, self.spec]

    def encode_epochs(self, eeg: Tensor, emg: Tensor | None = None, modality: str = "eeg") -> Tensor:
        """Raw-view and spectrogram-view embeddings per epoch: (N, T) -> (N, 2, D)."""
        return torch.stack([self.raw(eeg), self.spec(eeg)], 1)

    def forward_sequence(self, tokens: Tensor, modality: str = "eeg",
                         mask: Tensor | None = None) -> Tensor:
        """(B, k, 2, D) -> logits (B, k, C). `mask` (2, B, k) bool: epochs hidden per view."""
        k = tokens.shape[1]
        views = [tokens[:, :, v] + self.seq_pos[v, :, :k] for v in range(2)]
        if mask is not None:
            views = [torch.where(mask[v, :, :, None], self.mask_token[v], views[v]) for v in range(2)]
        for raw_block, spec_block in self.seq:
            views = [raw_block(views[0], views[1]), spec_block(views[1], views[0])]
        return self.head(torch.cat(views, -1))

    def forward(self, eeg: Tensor, emg: Tensor | None = None, cross_mask: bool = False
                ) -> dict[str, Tensor]:
        b, k, t = eeg.shape
        tokens = self.encode_epochs(eeg.reshape(b * k, t))
        mask = None
        if cross_mask:  # each view loses ~mask_ratio of its epochs, never both views at once
            hide_raw = torch.rand(b, k, device=eeg.device) < self.cfg.mask_ratio
            hide_spec = ~hide_raw & (torch.rand(b, k, device=eeg.device) < self.cfg.mask_ratio)
            mask = torch.stack([hide_raw, hide_spec])
        logits = self.forward_sequence(tokens.view(b, k, 2, -1), mask=mask)
        return {"mix": logits, "z_raw": tokens[:, 0], "z_spec": tokens[:, 1]}


def info_nce(a: Tensor, b: Tensor, temperature: float) -> Tensor:
    """Symmetric InfoNCE: epoch i's raw and spectrogram embeddings are the positive pair."""
    a, b = F.normalize(a.float(), dim=-1), F.normalize(b.float(), dim=-1)
    logits = a @ b.T / temperature
    target = torch.arange(len(a), device=a.device)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))


def _unwrap(model: nn.Module) -> nn.Module:
    return model.module if isinstance(model, DistributedDataParallel) else model


def pretrain_loss(model: nn.Module, eeg: Tensor, emg: Tensor, y: Tensor) -> dict[str, Tensor]:
    out = model(eeg, emg, cross_mask=True)
    cfg = _unwrap(model).cfg
    c = cfg.n_classes
    ce = F.cross_entropy(out["mix"].reshape(-1, c), y.reshape(-1), ignore_index=-1)
    ce = torch.nan_to_num(ce)  # a batch with no scored epoch
    nce = info_nce(out["z_raw"], out["z_spec"], cfg.temperature)
    return {"loss": ce + nce, "ce": ce.detach(), "info_nce": nce.detach()}


def finetune_loss(model: nn.Module, eeg: Tensor, emg: Tensor, y: Tensor) -> dict[str, Tensor]:
    logits = model(eeg, emg)["mix"]
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-1)
    return {"loss": torch.nan_to_num(ce)}
