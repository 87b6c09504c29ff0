"""Bucket selection and mixing: which samples an epoch draws, and how many from each bucket.

A bucket spec is a list of ``{"where": {...}, "weight": w}``. ``where`` maps an attribute name
(from the per-sample attributes in the index) to a condition:

* a scalar: equality (``{"town": "Town01"}``);
* a list: membership (``{"scenario": ["Accident", "ConstructionObstacle"]}``);
* a dict with ``min`` and/or ``max``: inclusive numeric range (``{"speed": {"min": 5}}``).

All conditions of one bucket must hold; a sample lacking the attribute never matches. An empty
``where`` matches every sample. Buckets may overlap. Each bucket gets ``weight / sum(weights)``
of the epoch's samples; a bucket smaller than its share is repeated (every sample as often as
possible, the remainder drawn without replacement), a larger one is subsampled without replacement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from lead_framework.data.errors import BucketSpecError


@attrs.define(frozen=True)
class Bucket:
    """One parsed bucket: its conditions and its weight."""

    where: dict[str, Any]
    weight: float


def _check_condition(position: int, name: str, condition: Any) -> None:
    if isinstance(condition, Mapping):
        unknown = set(condition) - {"min", "max"}
        if unknown or not condition:
            raise BucketSpecError(
                f"bucket {position}: condition on {name!r} has keys {sorted(condition)}; a range takes 'min' and/or 'max'"
            )
        for bound in condition.values():
            if isinstance(bound, bool) or not isinstance(bound, (int, float)):
                raise BucketSpecError(f"bucket {position}: range bound {bound!r} on {name!r} must be a number")


def parse_buckets(spec: Sequence[Mapping[str, Any]]) -> list[Bucket]:
    """Validate a bucket spec (see module docstring) into :class:`Bucket` objects."""
    if isinstance(spec, Mapping) or not isinstance(spec, Sequence) or not spec:
        raise BucketSpecError(f"buckets must be a non-empty list of {{'where': ..., 'weight': ...}}, got {spec!r}")
    buckets = []
    for position, entry in enumerate(spec):
        if not isinstance(entry, Mapping) or set(entry) - {"where", "weight"}:
            raise BucketSpecError(f"bucket {position}: {entry!r} must be a dict with keys 'where' and 'weight'")
        where = entry.get("where", {})
        weight = entry.get("weight", 1.0)
        if not isinstance(where, Mapping):
            raise BucketSpecError(f"bucket {position}: 'where' must be a dict of attribute conditions, got {where!r}")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not weight > 0:
            raise BucketSpecError(f"bucket {position}: weight {weight!r} must be a number > 0")
        for name, condition in where.items():
            _check_condition(position, name, condition)
        buckets.append(Bucket(where=dict(where), weight=float(weight)))
    return buckets


def _matches(value: Any, condition: Any) -> bool:
    if value is None:
        return False
    if isinstance(condition, Mapping):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        return condition.get("min", -np.inf) <= value <= condition.get("max", np.inf)
    if isinstance(condition, (list, tuple, set, frozenset)):
        return value in condition
    return value == condition


def select(bucket: Bucket, attributes: Mapping[str, Sequence[Any]], count: int, position: int = 0) -> np.ndarray:
    """Indices of the samples (0..count-1) that satisfy every condition of ``bucket``."""
    mask = np.ones(count, dtype=bool)
    for name, condition in bucket.where.items():
        if name not in attributes:
            raise BucketSpecError(
                f"bucket {position}: no sample has attribute {name!r}; known attributes: {sorted(attributes) or 'none'} "
                "(data collected before an attribute was recorded lacks it: collect it again)"
            )
        mask &= np.fromiter((_matches(value, condition) for value in attributes[name]), dtype=bool, count=count)
    return np.flatnonzero(mask)


def allocate(weights: Sequence[float], total: int) -> list[int]:
    """Split ``total`` draws by weight (largest remainder, ties to the earlier bucket)."""
    shares = np.asarray(weights, dtype=float) / float(np.sum(weights)) * total
    counts = np.floor(shares).astype(int)
    order = np.argsort(-(shares - counts), kind="stable")
    counts[order[: total - int(counts.sum())]] += 1
    return counts.tolist()


def draw(pool: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` indices from ``pool``: whole copies when it is small, then a draw without replacement."""
    copies, remainder = divmod(count, len(pool))
    return np.concatenate([np.tile(pool, copies), rng.choice(pool, remainder, replace=False)])


def plan_buckets(
    buckets: Sequence[Bucket],
    attributes: Mapping[str, Sequence[Any]],
    count: int,
    total: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Sample indices (with repeats) making up one epoch of ``total`` draws mixed by weight."""
    pools = [select(bucket, attributes, count, position) for position, bucket in enumerate(buckets)]
    for position, pool in enumerate(pools):
        if len(pool) == 0:
            raise BucketSpecError(
                f"bucket {position} (where {buckets[position].where}) matches no sample; widen it or remove it"
            )
    counts = allocate([bucket.weight for bucket in buckets], total)
    return np.concatenate([draw(pool, n, rng) for pool, n in zip(pools, counts)]).astype(np.int64)
