"""Where networks run: the one place that turns "auto" / "cpu" / "cuda" into a torch device."""

from __future__ import annotations

import torch

from sleepscorer.errors import ModelError

DEVICES = ("auto", "cpu", "cuda")


def pick_device(device: str | torch.device = "auto", index: int | None = None) -> torch.device:
    """"auto": CUDA when a usable GPU is there, else CPU; "cuda" without one: ModelError.

    `index` picks the GPU (torchrun's LOCAL_RANK); it is ignored on CPU.
    """
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ModelError(None, "CUDA was requested but no usable NVIDIA GPU was found; "
                               "use --device cpu (or auto)")
    if device not in DEVICES:
        raise ModelError(None, f"unknown device {device!r}; use auto, cpu or cuda")
    return torch.device("cuda", index) if device == "cuda" and index is not None \
        else torch.device(device)
