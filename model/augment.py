"""Training-time augmentation of spectral feature windows (B, K, F): what differs between
animals, labs and generators but not between states, so a network cannot use it as a cue.

`augment` applies every augmentation a `TrainConfig` turns on, in a fixed order. No files,
no Qt.
"""

from __future__ import annotations

from typing import Any

import torch


def augment(eeg: torch.Tensor, emg: torch.Tensor, cfg: Any) -> tuple[torch.Tensor, torch.Tensor]:  # noqa: ANN401
    """One training batch's EEG and EMG windows with the augmentations of `cfg` (a
    `model.training.TrainConfig`, not imported: training imports this module) applied."""
    if cfg.gain_jitter_eeg > 0:
        eeg = jitter_gain(eeg, cfg.gain_jitter_eeg)
    if cfg.gain_jitter_emg > 0:
        emg = jitter_gain(emg, cfg.gain_jitter_emg)
    if cfg.feature_shift > 0:
        eeg, emg = shift_features(eeg, cfg.feature_shift), shift_features(emg, cfg.feature_shift)
    if cfg.epoch_noise > 0:
        eeg, emg = noisy_epochs(eeg, cfg.epoch_noise), noisy_epochs(emg, cfg.epoch_noise)
    if cfg.emg_noise > 0:  # the shape features subtract their local level
        cut = emg.shape[-1] if cfg.emg_shape_from is None else cfg.emg_shape_from
        emg = torch.cat([wandering_levels(emg[..., :cut], cfg.emg_noise), emg[..., cut:]], -1)
    if cfg.frequency_stretch > 0:
        eeg = stretch_eeg_axes(eeg, cfg)
    if cfg.spectral_tilt > 0 and cfg.shape_from is not None:
        eeg = tilt_features(eeg, cfg.spectral_tilt, cfg.shape_from)
    if cfg.emg_step > 0:  # the shape features subtract their local level: no step
        cut = emg.shape[-1] if cfg.emg_shape_from is None else cfg.emg_shape_from
        emg = torch.cat([step_features(emg[..., :cut], cfg.emg_step), emg[..., cut:]], -1)
    if cfg.shape_dropout > 0 and cfg.shape_from is not None:
        eeg, emg = drop_shape(eeg, emg, cfg.shape_dropout, cfg.shape_from, cfg.emg_shape_from)
    if cfg.eeg_shape_off and cfg.shape_from is not None:
        eeg = torch.cat([eeg[..., :cfg.shape_from], torch.zeros_like(eeg[..., cfg.shape_from:])], -1)
    return eeg, emg


def jitter_gain(x: torch.Tensor, sd: float) -> torch.Tensor:
    """Scale each window (first dimension) by exp(N(0, sd))."""
    shape = (x.shape[0],) + (1,) * (x.dim() - 1)
    return x * torch.exp(torch.randn(shape, device=x.device) * sd)


def shift_features(x: torch.Tensor, sd: float) -> torch.Tensor:
    """Add to each window (first dimension) one offset N(0, sd) and per-feature N(0, sd/2)."""
    common = torch.randn((x.shape[0],) + (1,) * (x.dim() - 1), device=x.device) * sd
    per_feature = torch.randn((x.shape[0],) + (1,) * (x.dim() - 2) + (x.shape[-1],),
                              device=x.device) * (sd / 2)
    return x + common + per_feature


def noisy_epochs(x: torch.Tensor, sd: float) -> torch.Tensor:
    """Weaker state contrasts: each window gets a noise level U(0, sd) (in units of the
    recording's percentile range), and each epoch noise of that level, per feature and common
    to all features. A mouse whose states differ less than the simulator's reads like this."""
    shape = (x.shape[0],) + (1,) * (x.dim() - 1)
    level = torch.rand(shape, device=x.device) * sd
    common = torch.randn(x.shape[:-1] + (1,), device=x.device)
    return x + level * (torch.randn_like(x) + common) / 2 ** 0.5


def wandering_levels(x: torch.Tensor, sd: float) -> torch.Tensor:
    """(B, K, F) windows plus slow noise of a level U(0, sd) per window, common to all
    features, each window with its own correlation between epochs (AR(1), r ~ U(0, 0.95)).

    Why: on the real demo's clearest epochs the EMG of Wake is only 0.15 decades above NREM's
    (d -0.66), against 0.39-0.79 decades in every simulated animal; its tone wanders within a
    state for tens of seconds. A network that sees only the simulator's clean contrast reads a
    real mouse's weaker one as another split."""
    if x.dim() < 3:
        return x
    b, k = x.shape[:2]
    r = torch.rand((b, 1), device=x.device) * 0.95
    shocks = torch.randn((b, k), device=x.device)
    walk = torch.empty_like(shocks)
    walk[:, 0] = shocks[:, 0]
    scale = torch.sqrt(1 - r[:, 0] ** 2)
    for t in range(1, k):  # unit variance at every epoch
        walk[:, t] = r[:, 0] * walk[:, t - 1] + scale * shocks[:, t]
    level = torch.rand((b, 1), device=x.device) * sd
    return x + (level * walk)[..., None]


def tilt_features(x: torch.Tensor, sd: float, start: int) -> torch.Tensor:
    """Recolour columns start: of each window: add a ramp from -s to +s, s ~ N(0, sd), and a
    bow of depth N(0, sd/2) (another noise colour or filter roll-off)."""
    width = x.shape[-1] - start
    if width <= 1:
        return x
    ramp = torch.linspace(-1.0, 1.0, width, device=x.device)
    shape = (x.shape[0],) + (1,) * (x.dim() - 1)
    slope = torch.randn(shape, device=x.device) * sd
    bow = torch.randn(shape, device=x.device) * (sd / 2)
    out = x.clone()
    out[..., start:] = out[..., start:] + slope * ramp + bow * (ramp ** 2 - 1.0 / 3.0)
    return out


def stretch_frequencies(x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """Resample the last axis of each window (first dimension) at frequencies scaled by that
    window's `factor` (linear interpolation; the axis's ends are held)."""
    f = x.shape[-1]
    if f <= 1:
        return x
    grid = torch.arange(f, device=x.device, dtype=x.dtype)
    at = (grid[None, :] / factor[:, None]).clamp(0, f - 1)  # (B, F): where each column reads
    lo = at.floor().long().clamp(max=f - 2)
    frac = at - lo
    shape = (x.shape[0],) + (1,) * (x.dim() - 2) + (f,)
    lo, frac = lo.reshape(shape).expand(x.shape), frac.reshape(shape)
    return x.gather(-1, lo) * (1 - frac) + x.gather(-1, lo + 1) * frac


def step_features(x: torch.Tensor, sd: float) -> torch.Tensor:
    """(B, K, F) windows: half of them get a level step N(0, sd) from a random epoch on."""
    if x.dim() < 3:
        return x
    b, k = x.shape[:2]
    at = torch.randint(0, k, (b, 1), device=x.device)
    after = (torch.arange(k, device=x.device)[None, :] >= at).float()
    size = torch.randn((b, 1), device=x.device) * sd * (torch.rand((b, 1), device=x.device) < 0.5)
    return x + (after * size)[..., None]


def stretch_eeg_axes(eeg: torch.Tensor, cfg: Any) -> torch.Tensor:  # noqa: ANN401
    """Each window's spectrum and its shape bands stretched by one factor exp(N(0, sd))."""
    factor = torch.exp(torch.randn(eeg.shape[0], device=eeg.device, dtype=eeg.dtype)
                       * cfg.frequency_stretch)
    if cfg.shape_from is None:
        return stretch_frequencies(eeg, factor)
    return torch.cat([stretch_frequencies(eeg[..., :cfg.shape_from], factor),
                      stretch_frequencies(eeg[..., cfg.shape_from:], factor)], -1)


def drop_shape(eeg: torch.Tensor, emg: torch.Tensor, p: float, eeg_from: int,
               emg_from: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero the shape features of a random fraction p of the windows (first dimension)."""
    shape = (eeg.shape[0],) + (1,) * (eeg.dim() - 1)
    keep = (torch.rand(shape, device=eeg.device) >= p).float()
    eeg = torch.cat([eeg[..., :eeg_from], eeg[..., eeg_from:] * keep], -1)
    if emg_from is not None:
        emg = torch.cat([emg[..., :emg_from], emg[..., emg_from:] * keep], -1)
    return eeg, emg


def rem_with_wake_eeg(eeg: torch.Tensor, y: torch.Tensor, p: float, wake: int = 0, rem: int = 2
                      ) -> torch.Tensor:
    """(B, K, F) windows whose REM epochs, in a random `p` of the windows, take the EEG of
    random Wake epochs of the batch (labels `y`, (B, K)); the EMG and the label stay REM's."""
    donors = eeg[y == wake]
    chosen = (torch.rand(eeg.shape[0], 1, device=eeg.device) < p) & (y == rem)
    if len(donors) == 0 or not chosen.any():
        return eeg
    out = eeg.clone()
    pick = torch.randint(len(donors), (int(chosen.sum()),), device=eeg.device)
    out[chosen] = donors[pick]
    return out
