"""DDP under ``torchrun``: rank and world size from the environment, process group, reductions."""

from __future__ import annotations

import os

import attrs
import torch
import torch.distributed as dist


@attrs.define(frozen=True)
class DistContext:
    """This process's place in a (possibly single-process) run."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    owns_group: bool = False  # this code started the process group and ends it

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def from_environment() -> DistContext:
    """Read ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` as ``torchrun`` sets them (defaults: one process)."""
    return DistContext(
        rank=int(os.environ.get("RANK", 0)),
        world_size=int(os.environ.get("WORLD_SIZE", 1)),
        local_rank=int(os.environ.get("LOCAL_RANK", 0)),
    )


def select_device(requested: str, context: DistContext) -> torch.device:
    """``auto`` takes CUDA when available; under DDP each rank takes GPU ``LOCAL_RANK``."""
    if requested == "cuda" and not torch.cuda.is_available():
        from lead_tfv6.training.errors import TrainConfigError

        raise TrainConfigError("device: cuda was requested but torch sees no CUDA device; use device: cpu or auto")
    if requested == "cpu" or (requested == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    return torch.device("cuda", context.local_rank)


def start(context: DistContext, device: torch.device) -> DistContext:
    """Join the process group (gloo on CPU, nccl on GPU) unless it exists or there is one process."""
    if not context.enabled or dist.is_initialized():
        return context
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo", rank=context.rank, world_size=context.world_size)
    return attrs.evolve(context, owns_group=True)


def stop(context: DistContext) -> None:
    if context.owns_group and dist.is_initialized():
        dist.destroy_process_group()


def all_true(flag: bool, context: DistContext, device: torch.device) -> bool:
    """True only when ``flag`` is true on every rank."""
    if not context.enabled:
        return flag
    value = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MIN)
    return bool(value.item() > 0.5)


def mean_over_ranks(values: dict[str, float], context: DistContext, device: torch.device) -> dict[str, float]:
    """Average a dict of scalars over ranks (for logging)."""
    if not context.enabled or not values:
        return values
    names = sorted(values)
    tensor = torch.tensor([values[name] for name in names], dtype=torch.float64, device=device)
    dist.all_reduce(tensor)
    return dict(zip(names, (tensor / context.world_size).tolist()))


def barrier(context: DistContext) -> None:
    if context.enabled:
        dist.barrier()
