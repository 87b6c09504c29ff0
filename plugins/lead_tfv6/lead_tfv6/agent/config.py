"""``TFv6AgentConfig``: the YAML section of the ``tfv6`` agent (e.g. in an evaluate stage)."""

from __future__ import annotations

from typing import Any

import attrs

from lead_framework.validators import FieldValueError, in_range, one_of, positive

#: LiDAR ticks stacked into one input. LEAD stacks 10 ticks of its partial sweeps; the recorded data
#: (docs/data-format.md) holds one tick, whose two roof LiDARs already cover 360 degrees, so the
#: driving input matches it with 1.
LIDAR_HISTORY_TICKS = 1

SENSOR_SOURCES = ("lead_rig", "checkpoint")


def _checkpoint(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    entries = [value] if isinstance(value, str) else value
    if not isinstance(entries, (list, tuple)) or not entries or not all(isinstance(e, str) and e for e in entries):
        raise FieldValueError(
            attribute.name,
            f"must be a path, a glob pattern, a stage name / 'previous', or a non-empty list of paths; got {value!r}",
        )


def _device(instance: Any, attribute: attrs.Attribute, value: str) -> None:
    if not isinstance(value, str) or value.split(":")[0] not in ("cpu", "cuda"):
        raise FieldValueError(attribute.name, f"must be 'cpu', 'cuda' or 'cuda:N', got {value!r}")


@attrs.define(frozen=True)
class TFv6AgentConfig:
    """Drive with trained TFv6 model(s). Model settings (preset, overrides) come from the checkpoint."""

    #: a train stage's folder (``previous`` or a stage name in an experiment), a ``model_*.pt`` file,
    #: a glob pattern, or a list of these: several models form a seed ensemble
    checkpoint: Any = attrs.field(default="previous", validator=_checkpoint, metadata={"stage_input": "train"})
    device: str = attrs.field(default="cpu", validator=_device)
    #: brake when the (ensemble's) probability of target-speed class 0 exceeds this
    brake_threshold: float = attrs.field(default=0.9, validator=in_range(0.0, 1.0))
    #: while moving (>= 0.5 m/s), brake already above this probability of class 0; standing
    #: still, ``brake_threshold`` decides when to pull away (our addition; null: off)
    moving_brake_threshold: float | None = attrs.field(default=None, validator=attrs.validators.optional(in_range(0.0, 1.0)))
    #: brake while LiDAR points lie in a corridor along the predicted route ahead (our addition;
    #: see ``lead_tfv6.agent.control``)
    collision_guard: bool = False
    #: creep forward after standing still for a long time (LEAD heuristic)
    creep: bool = False
    #: slow down near stop signs the model's BEV prediction shows (LEAD heuristic)
    stop_sign_slowdown: bool = False
    #: stop fully once at each stop sign the model's stop-sign head sees (our addition; needs models
    #: trained with ``stop_sign_head``; see ``lead_tfv6.agent.control``)
    full_stop_at_stop_signs: bool = False
    #: Kalman-filter the GNSS position with speed and compass
    gnss_filter: bool = False
    #: LiDAR ticks accumulated into one input; must match the training data (see LIDAR_HISTORY_TICKS)
    lidar_history_ticks: int = attrs.field(default=LIDAR_HISTORY_TICKS, validator=positive)
    #: the rig to request: LEAD's rig, or the one stored in the checkpoint under ``rig``
    sensors_from: str = attrs.field(default="lead_rig", validator=one_of(SENSOR_SOURCES))
    #: also predict the BEV semantic map every tick (for debug videos; needed by stop_sign_slowdown)
    predict_bev: bool = True
    #: trace and freeze the model(s) with TorchScript for faster inference (same outputs)
    optimize: bool = True
