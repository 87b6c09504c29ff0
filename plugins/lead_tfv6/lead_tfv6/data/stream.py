"""A torch ``IterableDataset`` of ready TFv6 batches over a shard data set, and its DataLoader.

Order and randomness do not depend on the number of loader workers, so a run resumes exactly:

* the epoch's sample order is ``ShardDataset``'s plan for ``(seed, epoch)`` (buckets, shard
  permutation, shuffle buffer), and each DDP rank streams its contiguous slice of it;
* the rank's stream is cut into batches of ``batch_size`` (the tail is dropped, and every rank
  takes the same number of batches so that DDP steps stay in lockstep);
* loader worker ``w`` of ``W`` builds the batches ``start + w, start + w + W, ...``; PyTorch's
  DataLoader takes batches from its workers in turn, so they arrive in batch order;
* each sample's augmentation and view choice are drawn from a generator seeded by
  ``(seed, epoch, rank, position in the rank's stream)``.

Workers skip other workers' samples before decoding them (``decode=False`` reads bytes only).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from lead_framework.data import ShardDataset, decode_member
from lead_tfv6.config import TFv6Config
from lead_tfv6.data.errors import SampleFormatError
from lead_tfv6.data.sample import MEMBERS, SampleOptions, convert_sample

Batch = dict[str, torch.Tensor]


def collate(samples: Sequence[Mapping[str, np.ndarray]]) -> Batch:
    """Stack per-sample arrays into batch tensors."""
    return {key: torch.from_numpy(np.stack([sample[key] for sample in samples])) for key in samples[0]}


def decode_sample(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Decode the byte members of a sample read with ``decode=False``."""
    decoded: dict[str, Any] = {}
    for name, value in raw.items():
        if name.startswith("__"):
            decoded[name] = value
            continue
        try:
            decoded[name] = decode_member(name, value)
        except ValueError as error:
            raise SampleFormatError(raw.get("__key__", "?"), f"member {name!r} does not decode ({error})") from error
    return decoded


class TFv6BatchStream(IterableDataset):
    """Yields ``(batch number, batch)`` of one epoch for one DDP rank; see the module docstring."""

    def __init__(
        self,
        root: Path | str,
        config: TFv6Config,
        *,
        batch_size: int,
        seed: int = 0,
        options: SampleOptions = SampleOptions(),
        buckets: Sequence[Mapping[str, Any]] | None = None,
        shuffle_buffer: int = 0,
        samples_per_epoch: int | None = None,
        rank: int = 0,
        world_size: int = 1,
    ):
        super().__init__()
        self.shards = ShardDataset(
            root, buckets=buckets, decode=False, shuffle_buffer=shuffle_buffer, seed=seed,
            members=MEMBERS, samples_per_epoch=samples_per_epoch,
        )
        self.config, self.batch_size, self.seed, self.options = config, int(batch_size), int(seed), options
        self.rank, self.world_size = int(rank), int(world_size)
        self.epoch, self.start_batch = 0, 0

    @property
    def samples(self) -> int:
        """Samples per epoch over all ranks (before batching)."""
        return len(self.shards)

    @property
    def batches_per_epoch(self) -> int:
        """Batches each rank takes per epoch (the smallest rank slice, in whole batches)."""
        return (len(self.shards) // self.world_size) // self.batch_size

    def set_position(self, epoch: int, start_batch: int = 0) -> None:
        """Start the next iteration at batch ``start_batch`` of ``epoch`` (resume)."""
        self.epoch, self.start_batch = int(epoch), int(start_batch)

    def __iter__(self) -> Iterator[tuple[int, Batch]]:
        info = get_worker_info()
        worker, workers = (info.id, info.num_workers) if info is not None else (0, 1)
        stop = self.batches_per_epoch
        pending: list[dict[str, np.ndarray]] = []
        stream = self.shards.iterate(0, 1, self.rank, self.world_size, epoch=self.epoch)
        for position, raw in enumerate(stream):
            number = position // self.batch_size
            if number >= stop:
                break
            if number < self.start_batch or (number - self.start_batch) % workers != worker:
                continue
            rng = np.random.default_rng([self.seed, self.epoch, self.rank, position])
            pending.append(convert_sample(decode_sample(raw), self.config, self.options, rng))
            if len(pending) == self.batch_size:
                yield number, collate(pending)
                pending = []


def make_loader(stream: TFv6BatchStream, *, workers: int = 0, prefetch: int = 2, pin_memory: bool = False) -> DataLoader:
    """A DataLoader over ready batches; its own generator keeps the global torch RNG untouched."""
    return DataLoader(
        stream,
        batch_size=None,
        num_workers=workers,
        prefetch_factor=prefetch if workers > 0 else None,
        pin_memory=pin_memory,
        generator=torch.Generator().manual_seed(stream.seed),
    )
