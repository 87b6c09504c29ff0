"""``TrainConfig``: the YAML section of the ``train`` stage.

Checks that need no heavy imports run when the experiment file is loaded (``leadfw validate``);
the ones that build things (backbone names, input sizes against the backbone stride, the data
set, the init checkpoint) run in :func:`lead_tfv6.training.setup.prepare` before training starts.
"""

from __future__ import annotations

from typing import Any

import attrs

from lead_framework.suggestions import close_names, did_you_mean
from lead_framework.validators import (
    FieldValueError,
    in_range,
    non_negative,
    one_of,
    positive,
)
from lead_tfv6.config import PHASES, TFv6Config
from lead_tfv6.presets import PRESETS

MODELS = ("tfv6",)
PRECISIONS = ("fp32", "bf16", "fp16")
DEVICES = ("auto", "cpu", "cuda")
#: TFv6Config fields the stage sets itself.
STAGE_OWNED_FIELDS = ("phase",)


def _preset(instance: Any, attribute: attrs.Attribute, value: str) -> None:
    if value not in PRESETS:
        hint = did_you_mean(close_names(value, PRESETS, n=2, cutoff=0.4), f"presets: {', '.join(PRESETS)}")
        raise FieldValueError(attribute.name, f"unknown TFv6 preset {value!r}; {hint}")


def _overrides(instance: Any, attribute: attrs.Attribute, value: dict[str, Any]) -> None:
    known = [field.name for field in attrs.fields(TFv6Config)]
    for name in value:
        if name in STAGE_OWNED_FIELDS:
            raise FieldValueError(attribute.name, f"{name!r} is set by the train stage's own `{name}:` field, not by overrides")
        if name not in known:
            hint = did_you_mean(close_names(name, known), "see lead_tfv6.TFv6Config for the fields")
            raise FieldValueError(attribute.name, f"TFv6Config has no field {name!r}; {hint}")


@attrs.define(frozen=True)
class TrainConfig:
    """Train TFv6 on a shard data set (pre-training or post-training with the planning decoder)."""

    model: str = attrs.field(default="tfv6", validator=one_of(MODELS))
    preset: str = attrs.field(default="tiny", validator=_preset)
    overrides: dict[str, Any] = attrs.field(factory=dict, validator=_overrides)
    phase: str = attrs.field(default="pretrain", validator=one_of(PHASES))
    #: data set folder, or ``previous`` / a stage name: that collect stage's folder
    data: str = attrs.field(default="previous", metadata={"stage_input": "collect"})
    #: weights to start from (loaded non-strictly): a checkpoint file, a train stage's folder, or
    #: ``previous`` / a stage name; required for ``posttrain``
    init: str | None = attrs.field(default=None, metadata={"stage_input": "train"})
    epochs: int = attrs.field(default=1, validator=positive)
    batch_size: int = attrs.field(default=8, validator=positive)
    lr: float = attrs.field(default=3e-4, validator=positive)
    weight_decay: float = attrs.field(default=0.01, validator=non_negative)
    precision: str = attrs.field(default="fp32", validator=one_of(PRECISIONS))
    #: gradient-norm clipping threshold; null turns clipping off (the norm is still checked)
    grad_clip: float | None = attrs.field(default=1.0, validator=positive)
    #: null: the experiment's seed
    seed: int | None = None
    workers: int = attrs.field(default=0, validator=non_negative)
    prefetch: int = attrs.field(default=2, validator=positive)
    #: bucket mixture (lead_framework.data.buckets); null: every sample once per epoch
    buckets: list[dict[str, Any]] | None = None
    samples_per_epoch: int | None = attrs.field(default=None, validator=positive)
    shuffle_buffer: int = attrs.field(default=64, validator=non_negative)
    perturbation_probability: float = attrs.field(default=0.5, validator=in_range(0.0, 1.0))
    augment: bool = True
    log_every: int = attrs.field(default=10, validator=positive)
    #: TensorBoard images every this many steps; 0 turns images off
    image_every: int = attrs.field(default=200, validator=non_negative)
    #: also checkpoint every this many steps inside an epoch (resume after a mid-epoch kill); 0: epochs only
    checkpoint_every_steps: int = attrs.field(default=0, validator=non_negative)
    device: str = attrs.field(default="auto", validator=one_of(DEVICES))
