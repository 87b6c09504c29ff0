"""Named sensor rigs: factories returning lists of :class:`~lead_framework.sensors.SensorSpec`."""

from __future__ import annotations

import attrs

from lead_framework.sensors import Pose, SensorSpec

#: LEAD's cameras: (id suffix, pose); 384x384, 60 deg FOV each.
LEAD_CAMERAS = (
    ("left", Pose(x=0.1, y=-0.35, z=2.25, yaw=-54.5)),
    ("front", Pose(x=0.35, y=0.0, z=2.25)),
    ("right", Pose(x=0.1, y=0.35, z=2.25, yaw=54.5)),
)
LEAD_CAMERA_PARAMS = {"width": 384, "height": 384, "fov": 60.0}
#: Two roof LiDARs half a turn apart: with 10 Hz rotation at 20 Hz ticks they cover 360 deg every tick.
LEAD_LIDARS = (("lidar_0", Pose(z=2.5, yaw=-90.0)), ("lidar_1", Pose(z=2.5, yaw=90.0)))
LEAD_RADARS = (
    ("radar_front_left", Pose(x=2.6, z=0.6, yaw=-45.0)),
    ("radar_front_right", Pose(x=2.6, z=0.6, yaw=45.0)),
    ("radar_rear_right", Pose(x=-2.6, z=0.6, yaw=135.0)),
    ("radar_rear_left", Pose(x=-2.6, z=0.6, yaw=225.0)),
)
LEAD_RADAR_PARAMS = {"horizontal_fov": 90.0, "vertical_fov": 10.0, "range": 100.0, "points_per_second": 1500}


@attrs.define(frozen=True)
class LeadRigConfig:
    """``labels``: add the semantic and depth cameras, BEV and boxes used as training labels."""

    labels: bool = True


def lead_rig(config: LeadRigConfig = LeadRigConfig()) -> list[SensorSpec]:
    """LEAD's rig: 3 cameras, 2 roof LiDARs, 4 radars, GNSS, IMU, speedometer (+ label sensors)."""
    specs = [SensorSpec(f"rgb_{name}", "rgb", pose, dict(LEAD_CAMERA_PARAMS)) for name, pose in LEAD_CAMERAS]
    specs += [SensorSpec(sid, "lidar", pose) for sid, pose in LEAD_LIDARS]
    specs += [SensorSpec(sid, "radar", pose, dict(LEAD_RADAR_PARAMS)) for sid, pose in LEAD_RADARS]
    specs += [SensorSpec("gnss", "gnss"), SensorSpec("imu", "imu"), SensorSpec("speed", "speedometer")]
    if config.labels:
        for kind in ("semantic", "depth"):
            specs += [SensorSpec(f"{kind}_{name}", kind, pose, dict(LEAD_CAMERA_PARAMS)) for name, pose in LEAD_CAMERAS]
        specs += [SensorSpec("bev", "bev", params={"width": 256, "height": 256, "pixels_per_meter": 2.0}),
                  SensorSpec("boxes", "boxes")]
    return specs


@attrs.define(frozen=True)
class NoRigParams:
    """Rigs without options."""


def privileged_minimal(config: NoRigParams = NoRigParams()) -> list[SensorSpec]:
    """Only a speedometer: for privileged agents (the expert) that read the world directly."""
    return [SensorSpec("speed", "speedometer")]


#: Named rigs: name -> (factory, config class, description).
RIGS = {
    "lead_rig": (lead_rig, LeadRigConfig, "LEAD's TFv6 rig: 3 cameras, 2 LiDARs, 4 radars, GNSS, IMU, speed, labels"),
    "privileged_minimal": (privileged_minimal, NoRigParams, "Speedometer only, for privileged agents"),
}
