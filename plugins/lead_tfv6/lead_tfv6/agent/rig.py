"""The sensor rig the agent asks for: LEAD's rig (input sensors only) or the one a checkpoint stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import torch

from lead_framework.plugins import get_registry
from lead_framework.registry import RegistryError
from lead_framework.sensors import Pose, SensorSpec
from lead_tfv6.agent.errors import AgentConfigError

LEAD_RIG = "lead_rig"
#: Key of the rig in a model file: a list of {"id", "kind", "pose": {x, y, z, roll, pitch, yaw}, "params"}.
RIG_KEY = "rig"


def lead_rig_inputs() -> list[SensorSpec]:
    """LEAD's rig without label sensors, from the registered ``lead_rig`` (the embedded world's plugin)."""
    try:
        component = get_registry().get("sensors", LEAD_RIG)
    except RegistryError as error:
        raise AgentConfigError(f"sensors_from: lead_rig needs the sensor rig {LEAD_RIG!r}, which no plugin registers ({error}); "
                               "install lead-sim or use sensors_from: checkpoint") from error
    rig_config = component.config_class(**({"labels": False} if "labels" in attrs.fields_dict(component.config_class) else {}))
    return [spec for spec in component.create(rig_config) if spec.kind in ("rgb", "lidar", "radar", "gnss", "imu", "speedometer")]


def rig_to_payload(specs: list[SensorSpec]) -> list[dict[str, Any]]:
    """A rig as plain data, for storing in a model file under ``rig``."""
    return [{"id": s.id, "kind": s.kind, "pose": attrs.asdict(s.pose), "params": dict(s.params)} for s in specs]


def checkpoint_rig(path: Path) -> list[SensorSpec]:
    """The rig stored in a model file."""
    payload = torch.load(path, map_location="cpu", weights_only=True)
    entries = payload.get(RIG_KEY)
    if not entries:
        raise AgentConfigError(f"sensors_from: checkpoint, but {path} stores no {RIG_KEY!r}; use sensors_from: lead_rig")
    try:
        return [SensorSpec(e["id"], e["kind"], Pose(**e.get("pose", {})), dict(e.get("params", {}))) for e in entries]
    except (KeyError, TypeError, ValueError) as error:
        raise AgentConfigError(f"{path}: the stored {RIG_KEY!r} is malformed ({error}); expected a list of "
                             "{'id', 'kind', 'pose': {x, y, z, roll, pitch, yaw}, 'params'}") from error
