"""A flat, array-based view of the samples an index lists (which shard, which position, which route)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from lead_framework.data.index import STATUS_COMMITTED, load_index

SPLITS = ("train", "val")


def route_in_split(route_id: str, split: str | None, val_fraction: float) -> bool:
    """Route-level split by a hash of the route id (frames of one route never straddle splits)."""
    if split is None:
        return True
    if split not in SPLITS:
        raise ValueError(f"split {split!r} is not one of {SPLITS} (or None for all routes)")
    digest = hashlib.sha256(route_id.encode("utf-8")).digest()
    in_val = int.from_bytes(digest[:8], "big") / 2**64 < val_fraction
    return in_val == (split == "val")


@attrs.define
class Catalog:
    """Samples of the selected routes, in shard order; parallel arrays indexed by sample number."""

    root: Path
    shards: list[str]
    shard_entries: list[dict[str, Any]]
    keys: list[str]
    routes: list[str]
    shard_of: np.ndarray
    position_of: np.ndarray
    attributes: dict[str, list[Any]]

    def __len__(self) -> int:
        return len(self.keys)


def build_catalog(
    root: Path,
    *,
    include_failed: bool = False,
    split: str | None = None,
    val_fraction: float = 0.1,
    index: Mapping[str, Any] | None = None,
) -> Catalog:
    """Read the index of ``root`` and list the samples of the routes that pass the filters."""
    index = load_index(root) if index is None else index
    shards: list[str] = []
    shard_entries: list[dict[str, Any]] = []
    keys: list[str] = []
    routes: list[str] = []
    shard_of: list[int] = []
    position_of: list[int] = []
    columns: list[tuple[int, int, Mapping[str, Sequence[Any]]]] = []
    for route_id, entry in index["routes"].items():
        if entry["status"] != STATUS_COMMITTED and not include_failed:
            continue
        if not route_in_split(route_id, split, val_fraction):
            continue
        start = len(keys)
        keys.extend(entry["keys"])
        routes.extend([route_id] * len(entry["keys"]))
        for shard in entry["shards"]:
            count = index["shards"][shard]["samples"]
            shard_of.extend([len(shards)] * count)
            position_of.extend(range(count))
            shards.append(shard)
            shard_entries.append(index["shards"][shard])
        columns.append((start, len(keys), entry["attributes"]))
    attributes: dict[str, list[Any]] = {}
    for name in sorted({name for _, _, column in columns for name in column}):
        values: list[Any] = [None] * len(keys)
        for start, stop, column in columns:
            if name in column:
                values[start:stop] = column[name]
        attributes[name] = values
    return Catalog(
        root=Path(root),
        shards=shards,
        shard_entries=shard_entries,
        keys=keys,
        routes=routes,
        shard_of=np.asarray(shard_of, dtype=np.int64),
        position_of=np.asarray(position_of, dtype=np.int64),
        attributes=attributes,
    )
