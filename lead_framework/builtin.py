"""Components the core provides itself, registered like any plugin's (plugin name ``core``)."""

from __future__ import annotations

from typing import Any

import attrs

from lead_framework.collection import CollectConfig, CollectStage
from lead_framework.evaluation import EvaluateConfig, EvaluateStage
from lead_framework.hookspecs import hookimpl
from lead_framework.validators import non_negative


@hookimpl
def lead_register_stages(register):
    register("evaluate", EvaluateStage, config=EvaluateConfig, description="Drive a benchmark's routes closed loop and score them (Leaderboard 2.0)")
    register("collect", CollectStage, config=CollectConfig, description="Drive routes with an expert and write its sensor data and labels as shards")


@attrs.define(frozen=True)
class ShardDatasetConfig:
    """The ``lead_shards`` reader: ``path`` is a data set folder or ``previous``/a name of a collect stage."""

    path: str = attrs.field(default="previous", metadata={"stage_input": "collect"})
    buckets: list[dict[str, Any]] | None = None
    shuffle_buffer: int = attrs.field(default=0, validator=non_negative)
    include_failed: bool = False


def _shard_dataset(config: ShardDatasetConfig):
    from lead_framework.data import ShardDataset

    return ShardDataset(config.path, buckets=config.buckets, shuffle_buffer=config.shuffle_buffer, include_failed=config.include_failed)


@hookimpl
def lead_register_datasets(register):
    register("lead_shards", _shard_dataset, config=ShardDatasetConfig,
             description="WebDataset shards written by the collect stage, with buckets and failed-route filtering")
