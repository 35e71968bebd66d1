"""Data-parallel training when launched by torchrun (WORLD_SIZE > 1); a no-op otherwise.

torch.distributed DDP with a DistributedSampler, NCCL on CUDA and gloo on CPU.
"""

from __future__ import annotations

import os
from typing import Any

import torch
from sleepscorer_model.data import SequenceDataset
from sleepscorer_model.device import pick_device
from torch import nn
from torch.utils.data import DataLoader


class Distributed:
    """torch.distributed setup when launched by torchrun; a no-op otherwise."""

    def __init__(self, device_name: str):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", "0"))
        self.device = pick_device(device_name, local)
        self.started = False
        if self.world > 1 and not torch.distributed.is_initialized():
            backend = "nccl" if self.device.type == "cuda" else "gloo"
            if self.device.type == "cuda":
                torch.cuda.set_device(self.device)
            torch.distributed.init_process_group(backend)
            self.started = True

    @property
    def active(self) -> bool:
        return self.world > 1

    def wrap(self, model: nn.Module) -> nn.Module:
        if not self.active:
            return model
        ids = [self.device.index] if self.device.type == "cuda" else None
        return nn.parallel.DistributedDataParallel(model, device_ids=ids)

    def close(self) -> None:
        if self.started:
            torch.distributed.destroy_process_group()


def shuffled_loader(data: SequenceDataset, cfg: Any, dist: Distributed
                    ) -> tuple[DataLoader, object | None]:
    """Training batches, reshuffled each epoch; split between ranks (with the sampler,
    whose epoch must be set each pass) when distributed. `cfg`: a model.training.TrainConfig."""
    generator = torch.Generator().manual_seed(cfg.seed)
    if dist.active:
        sampler = torch.utils.data.DistributedSampler(data, dist.world, dist.rank,
                                                      shuffle=True, seed=cfg.seed)
        return DataLoader(data, batch_size=cfg.batch_size, sampler=sampler, drop_last=True), sampler
    return DataLoader(data, batch_size=cfg.batch_size, shuffle=True, generator=generator,
                      drop_last=len(data) > cfg.batch_size), None
