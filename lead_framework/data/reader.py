"""Reading a data set folder: bucket-mixed, deterministic, worker-sharded sample streams.

Epoch plan: the samples of an epoch (with repeats when buckets oversample) are fixed by
``(seed, epoch)`` and sorted into streaming order (shard by shard, in tar order; the shard order is
permuted per epoch when ``shuffle_buffer > 0``). Each of the ``world_size * num_workers`` workers
takes one contiguous slice of that order (sizes differ by at most one), so shards are read by few
workers, and together the workers yield every planned sample exactly once. A shuffle buffer then
mixes samples locally, seeded by ``(seed, epoch, worker)``.
"""

from __future__ import annotations

import os
import tarfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from lead_framework.data.buckets import parse_buckets, plan_buckets
from lead_framework.data.catalog import Catalog, build_catalog
from lead_framework.data.codecs import decode_member
from lead_framework.data.errors import CodecError, CorruptShardError

Sample = dict[str, Any]


def _key_and_member(file_name: str) -> tuple[str, str]:
    """WebDataset's split: keys hold no dot, so the first dot ends the key."""
    key, _, member = file_name.partition(".")
    return key, member


def _finish_sample(key: str, route: str, shard: str, raw: Mapping[str, bytes], decode: bool) -> Sample:
    sample: Sample = {"__key__": key, "__route__": route, "__shard__": shard}
    for member, data in raw.items():
        if not decode:
            sample[member] = data
            continue
        try:
            sample[member] = decode_member(member, data)
        except (CodecError, ValueError) as error:
            raise CorruptShardError(shard, f"member {member!r} of sample {key} does not decode ({error})", route=route) from error
    return sample


def shuffle_with_buffer(samples: Iterable[Sample], size: int, rng: np.random.Generator) -> Iterator[Sample]:
    """Local shuffle: keep ``size`` samples and emit a random one for each new arrival."""
    buffer: list[Sample] = []
    for sample in samples:
        if len(buffer) < size:
            buffer.append(sample)
            continue
        slot = int(rng.integers(size))
        yield buffer[slot]
        buffer[slot] = sample
    for slot in rng.permutation(len(buffer)):
        yield buffer[slot]


class ShardDataset:
    """Samples of a data set folder as dicts: ``__key__``, ``__route__``, ``__shard__`` and members.

    Members are decoded by extension (images as RGB arrays, ``.npy`` as arrays, ``.json`` as
    dicts) unless ``decode=False`` (raw bytes). ``members`` limits which members are read.
    ``buckets`` mixes samples by their index attributes (see :mod:`lead_framework.data.buckets`);
    ``samples_per_epoch`` defaults to the number of selected samples. ``split`` is None, "train"
    or "val" (a route-level split of ``val_fraction`` by hash of the route id). Routes whose
    status is failed are left out unless ``include_failed``.
    """

    def __init__(
        self,
        root: Path | str,
        *,
        buckets: Sequence[Mapping[str, Any]] | None = None,
        decode: bool = True,
        shuffle_buffer: int = 0,
        seed: int = 0,
        split: str | None = None,
        val_fraction: float = 0.1,
        include_failed: bool = False,
        samples_per_epoch: int | None = None,
        members: Sequence[str] | None = None,
    ):
        self.root = Path(root)
        self.catalog: Catalog = build_catalog(
            self.root, include_failed=include_failed, split=split, val_fraction=val_fraction
        )
        self.buckets = parse_buckets(buckets) if buckets is not None else None
        if samples_per_epoch is not None and samples_per_epoch < 0:
            raise ValueError(f"samples_per_epoch must be >= 0, got {samples_per_epoch}")
        self.samples_per_epoch = len(self.catalog) if samples_per_epoch is None else int(samples_per_epoch)
        if self.buckets is None and samples_per_epoch is not None:
            self.buckets = parse_buckets([{"where": {}, "weight": 1.0}])
        self.decode = decode
        self.shuffle_buffer = int(shuffle_buffer)
        self.seed = int(seed)
        self.members = frozenset(members) if members is not None else None
        self.epoch = 0
        self._plans: dict[int, np.ndarray] = {}
        self._sample_number: dict[str, int] | None = None
        self._offsets: dict[int, dict[str, list[tuple[str, int, int]]]] = {}

    # -- epoch planning ---------------------------------------------------------------------
    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return self.samples_per_epoch

    def epoch_plan(self, epoch: int | None = None) -> np.ndarray:
        """Sample numbers of one epoch in streaming order (deterministic per seed and epoch)."""
        epoch = self.epoch if epoch is None else int(epoch)
        if epoch not in self._plans:
            rng = np.random.default_rng([self.seed, epoch])
            catalog = self.catalog
            if self.buckets is None:
                chosen = np.arange(len(catalog), dtype=np.int64)
            elif len(catalog) == 0:
                chosen = np.zeros(0, dtype=np.int64)
            else:
                chosen = plan_buckets(self.buckets, catalog.attributes, len(catalog), self.samples_per_epoch, rng)
            shard_rank = np.arange(len(catalog.shards))
            if self.shuffle_buffer > 0:
                shard_rank = rng.permutation(len(catalog.shards))
            order = np.lexsort((catalog.position_of[chosen], shard_rank[catalog.shard_of[chosen]]))
            self._plans = {epoch: chosen[order]}
        return self._plans[epoch]

    def worker_plan(self, worker_id: int = 0, num_workers: int = 1, rank: int = 0, world_size: int = 1,
                    epoch: int | None = None) -> np.ndarray:
        """The contiguous slice of the epoch plan that one worker of one rank reads."""
        if not (0 <= worker_id < num_workers and 0 <= rank < world_size):
            raise ValueError(
                f"worker {worker_id} of {num_workers}, rank {rank} of {world_size}: need 0 <= id < count"
            )
        workers = num_workers * world_size
        return np.array_split(self.epoch_plan(epoch), workers)[rank * num_workers + worker_id]

    # -- streaming --------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Sample]:
        return self.iterate()

    def iterate(self, worker_id: int = 0, num_workers: int = 1, rank: int = 0, world_size: int = 1,
                *, epoch: int | None = None) -> Iterator[Sample]:
        """This worker's samples of one epoch (default: the current epoch)."""
        epoch = self.epoch if epoch is None else int(epoch)
        plan = self.worker_plan(worker_id, num_workers, rank, world_size, epoch)
        samples = self._stream(plan)
        if self.shuffle_buffer > 0:
            worker = rank * num_workers + worker_id
            samples = shuffle_with_buffer(samples, self.shuffle_buffer, np.random.default_rng([self.seed, epoch, worker, 1]))
        return samples

    def _stream(self, plan: np.ndarray) -> Iterator[Sample]:
        catalog = self.catalog
        shard_numbers = catalog.shard_of[plan]
        boundaries = np.flatnonzero(np.diff(shard_numbers)) + 1
        for group in np.split(plan, boundaries):
            if len(group):
                wanted = Counter(catalog.position_of[group].tolist())
                yield from self._stream_shard(int(catalog.shard_of[group[0]]), wanted)

    def _check_size(self, shard_number: int) -> Path:
        name = self.catalog.shards[shard_number]
        entry = self.catalog.shard_entries[shard_number]
        path = self.root / name
        try:
            size = os.stat(path).st_size
        except FileNotFoundError:
            raise CorruptShardError(name, "the file is missing", route=entry["route"]) from None
        if size != entry["bytes"]:
            raise CorruptShardError(
                name, f"it has {size} bytes but the index lists {entry['bytes']} (truncated or overwritten)", route=entry["route"]
            )
        return path

    def _stream_shard(self, shard_number: int, wanted: Mapping[int, int]) -> Iterator[Sample]:
        """Read one shard's wanted positions (each as often as planned) by seeking to their members.

        Only the wanted samples' selected members are read from disk, so an epoch that samples a
        fraction of a large data set reads about that fraction of its bytes.
        """
        name = self.catalog.shards[shard_number]
        entry = self.catalog.shard_entries[shard_number]
        route = entry["route"]
        offsets = self._shard_offsets(shard_number)
        keys = list(offsets)
        if len(keys) != entry["samples"]:
            raise CorruptShardError(
                name, f"it holds {len(keys)} samples but the index lists {entry['samples']}",
                key=keys[-1] if keys else None, route=route,
            )
        with open(self.root / name, "rb") as stream:
            for position in sorted(wanted):
                key = keys[position]
                raw = self._read_members(stream, name, key, offsets[key], route)
                for _ in range(wanted[position]):
                    yield _finish_sample(key, route, name, raw, self.decode)

    def _read_members(self, stream: BinaryIO, shard: str, key: str, members: Sequence[tuple[str, int, int]],
                      route: str) -> dict[str, bytes]:
        raw: dict[str, bytes] = {}
        for member, offset, size in members:
            if self.members is None or member in self.members:
                stream.seek(offset)
                raw[member] = stream.read(size)
                if len(raw[member]) != size:
                    raise CorruptShardError(shard, f"member {member!r} of sample {key} breaks off", route=route)
        return raw

    # -- random access ----------------------------------------------------------------------
    def __getitem__(self, key: str) -> Sample:
        """One sample by key, read with a seek to its members' tar offsets (no streaming)."""
        if self._sample_number is None:
            self._sample_number = {k: number for number, k in enumerate(self.catalog.keys)}
        if key not in self._sample_number:
            raise KeyError(f"{key!r} is not a sample of {self.root} (with the current split and failed-route filter)")
        number = self._sample_number[key]
        shard_number = int(self.catalog.shard_of[number])
        name = self.catalog.shards[shard_number]
        offsets = self._shard_offsets(shard_number)
        if key not in offsets:
            raise CorruptShardError(name, f"the index lists sample {key} but the tar holds no such member", route=self.catalog.routes[number])
        with open(self.root / name, "rb") as stream:
            raw = self._read_members(stream, name, key, offsets[key], self.catalog.routes[number])
        return _finish_sample(key, self.catalog.routes[number], name, raw, self.decode)

    def read_headers(self, epoch: int | None = None) -> None:
        """Read and keep the tar headers of the shards that ``epoch`` (default: the current one) draws from.

        Loader workers forked after this call inherit the headers; without it, the workers of every
        epoch read them again, which takes tens of seconds on a data set of tens of gigabytes.
        """
        for shard_number in np.unique(self.catalog.shard_of[self.epoch_plan(epoch)]):
            self._shard_offsets(int(shard_number))

    def _shard_offsets(self, shard_number: int) -> dict[str, list[tuple[str, int, int]]]:
        if shard_number not in self._offsets:
            path = self._check_size(shard_number)
            offsets: dict[str, list[tuple[str, int, int]]] = {}
            try:
                with tarfile.open(path, "r:") as archive:
                    for info in archive.getmembers():
                        key, member = _key_and_member(info.name)
                        offsets.setdefault(key, []).append((member, info.offset_data, info.size))
            except tarfile.TarError as error:
                raise CorruptShardError(path.name, f"the tar headers are unreadable ({error})", route=self.catalog.shard_entries[shard_number]["route"]) from error
            self._offsets[shard_number] = offsets
        return self._offsets[shard_number]
