"""One optimisation step of TFv6: autocast, backward, clipping, and skipping of non-finite steps.

A step whose loss or gradient norm is not finite is never applied: the gradients are dropped,
the optimizer does not move, the step is counted in ``skipped_steps`` (under DDP every rank
agrees, so ranks never diverge). The learning-rate schedule advances per iteration either way.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any

import attrs
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from lead_tfv6.training.distributed import DistContext, all_true

AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


@attrs.define
class StepResult:
    loss: float
    parts: dict[str, float]
    grad_norm: float
    applied: bool
    outputs: dict[str, torch.Tensor]


def build_optimizer(model: nn.Module, lr: float, weight_decay: float) -> torch.optim.Optimizer:
    """AdamW with amsgrad; the fused kernel (CPU and CUDA) is several times faster than the loop."""
    return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay, amsgrad=True, fused=True)


def build_scheduler(optimizer: torch.optim.Optimizer, steps_per_epoch: int) -> torch.optim.lr_scheduler.LRScheduler:
    """Cosine annealing with warm restarts: first cycle one epoch of steps, each next one twice as long."""
    return torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=max(1, steps_per_epoch), T_mult=2)


class Trainer:
    """Holds the model (DDP-wrapped when distributed), optimizer, scheduler and grad scaler."""

    def __init__(self, model: nn.Module, *, lr: float, weight_decay: float, steps_per_epoch: int, precision: str,
                 grad_clip: float | None, device: torch.device, dist: DistContext = DistContext()):
        self.model = model.to(device)
        self.device, self.dist, self.precision, self.grad_clip = device, dist, precision, grad_clip
        self.network: nn.Module = self.model
        if dist.enabled:
            self.network = DistributedDataParallel(self.model, device_ids=[device.index] if device.type == "cuda" else None)
        self.optimizer = build_optimizer(self.model, lr, weight_decay)
        self.scheduler = build_scheduler(self.optimizer, steps_per_epoch)
        self.scaler = torch.amp.GradScaler(device.type, enabled=precision == "fp16")
        self.skipped_steps = 0

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.precision in AUTOCAST_DTYPES:
            return torch.autocast(self.device.type, dtype=AUTOCAST_DTYPES[self.precision])
        return contextlib.nullcontext()

    def train_step(self, batch: dict[str, torch.Tensor]) -> StepResult:
        self.network.train()
        batch = {key: value.to(self.device, non_blocking=True) for key, value in batch.items()}
        self.optimizer.zero_grad(set_to_none=True)
        with self._autocast():
            outputs = self.network(batch)
            if all(bool(torch.isfinite(value).all()) for value in outputs.values()):
                loss, parts = self.model.compute_loss(outputs, batch)
            else:
                # The losses need finite predictions (the Hungarian matching rejects NaN costs); a
                # NaN through every output keeps the backward pass, and DDP's all-reduce, intact.
                loss, parts = sum(value.float().sum() for value in outputs.values()) * math.nan, {}
        # Always run backward (DDP needs every rank in the gradient all-reduce); a NaN loss gives
        # NaN gradients everywhere and the step is dropped below.
        self.scaler.scale(loss).backward()
        self.scaler.unscale_(self.optimizer)
        max_norm = self.grad_clip if self.grad_clip is not None else math.inf
        grad_norm = float(torch.nn.utils.clip_grad_norm_(self.model.parameters(), max_norm))
        finite = all_true(math.isfinite(float(loss.detach())) and math.isfinite(grad_norm), self.dist, self.device)
        if finite:
            self.scaler.step(self.optimizer)
        else:
            self.optimizer.zero_grad(set_to_none=True)
            self.skipped_steps += 1
        self.scaler.update()
        self.scheduler.step()
        return StepResult(float(loss.detach()), {name: float(value.detach()) for name, value in parts.items()},
                          grad_norm, finite, outputs)

    def state_dict(self) -> dict[str, Any]:
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            "skipped_steps": self.skipped_steps,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        self.skipped_steps = int(state["skipped_steps"])
