"""World-agnostic sensor specifications.

A rig is a list of :class:`SensorSpec`. The embedded world renders them on the CPU and the CARLA
backend turns them into leaderboard sensor definitions with :meth:`SensorSpec.to_carla`, so one
rig definition configures both. Poses are in the vehicle frame of CARLA: x forward, y right,
z up, metres; roll, pitch, yaw in degrees.
"""

from __future__ import annotations

import math
from typing import Any

import attrs

#: Sensor kind -> CARLA blueprint id (kinds without one are computed from ground truth).
CARLA_BLUEPRINTS: dict[str, str] = {
    "rgb": "sensor.camera.rgb",
    "semantic": "sensor.camera.semantic_segmentation",
    "depth": "sensor.camera.depth",
    "lidar": "sensor.lidar.ray_cast",
    "radar": "sensor.other.radar",
    "gnss": "sensor.other.gnss",
    "imu": "sensor.other.imu",
    "speedometer": "sensor.speedometer",
}

#: A ``lidar`` with ``params["semantic"] = True`` is CARLA's semantic LiDAR.
SEMANTIC_LIDAR_BLUEPRINT = "sensor.lidar.ray_cast_semantic"

#: Sensors must sit within this distance of the vehicle centre (the leaderboard's limit).
MAX_MOUNT_RADIUS_M = 3.0


#: Column order of radar detections as the leaderboard hands them to agents: it flips CARLA's raw
#: (velocity, azimuth, altitude, depth) rows (its code comment says otherwise; the flip decides).
RADAR_COLUMNS: tuple[str, ...] = ("depth", "altitude", "azimuth", "velocity")


def radar_fields(detections: Any) -> dict[str, Any]:
    """Radar rows (N, 4) in the leaderboard layout as named columns: depth (m), altitude and
    azimuth (rad), velocity (m/s, radial, positive when receding)."""
    return {name: detections[:, i] for i, name in enumerate(RADAR_COLUMNS)}


class SensorSpecError(ValueError):
    """An invalid sensor specification."""


@attrs.define(frozen=True)
class Pose:
    """Mounting pose in the vehicle frame (metres, degrees)."""

    x: float = 0.0
    y: float = 0.0
    z: float = 0.0
    roll: float = 0.0
    pitch: float = 0.0
    yaw: float = 0.0


@attrs.define(frozen=True)
class SensorSpec:
    """One sensor: a unique id, a kind, a pose and kind-specific parameters."""

    id: str
    kind: str
    pose: Pose = attrs.field(factory=Pose)
    params: dict[str, Any] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        radius = math.sqrt(self.pose.x**2 + self.pose.y**2 + self.pose.z**2)
        if radius > MAX_MOUNT_RADIUS_M:
            raise SensorSpecError(
                f"sensor {self.id!r}: pose ({self.pose.x}, {self.pose.y}, {self.pose.z}) is {radius:.2f} m from the "
                f"vehicle centre; sensors must be mounted within {MAX_MOUNT_RADIUS_M} m"
            )

    def to_carla(self) -> dict[str, Any]:
        """The leaderboard sensor definition (``AutonomousAgent.sensors()`` entry)."""
        blueprint = CARLA_BLUEPRINTS.get(self.kind)
        if blueprint is None:
            raise SensorSpecError(f"sensor {self.id!r}: kind {self.kind!r} has no CARLA sensor; it is ground truth only")
        params = dict(self.params)
        if self.kind == "lidar" and params.pop("semantic", False):
            blueprint = SEMANTIC_LIDAR_BLUEPRINT
        return {"type": blueprint, "id": self.id, **attrs.asdict(self.pose), **params}
