"""GNSS, IMU and speedometer from the ego's state, in the leaderboard's layouts.

- ``gnss``: float64 [latitude, longitude, altitude] of the sensor via ``carla.Map.transform_to_geolocation``.
- ``imu``: float64 [acc x, y, z (m/s^2), gyro x, y, z (rad/s), compass (rad)] in the sensor frame. The
  accelerometer includes gravity (+9.81 on z at rest) as CARLA's does; acceleration and yaw rate are finite
  differences over consecutive reads (zero on the first). Compass is 0 facing north (CARLA -y), growing
  clockwise: ``(yaw + pi/2) mod 2 pi``.
- ``speedometer``: {"speed": forward speed m/s}.
"""

from __future__ import annotations

import math
from typing import Any

import carla
import numpy as np

from lead_framework.sensors import Pose
from lead_sim.scene import EGO_INDEX
from lead_sim.sensors.configs import NoParams
from lead_sim.sensors.frame import FrameContext
from lead_sim.sensors.transforms import pose_matrix, wrap_angle
from lead_sim.sensors.weather import Look

GRAVITY = 9.81


class Gnss:
    label = False

    def __init__(self, config: NoParams = NoParams(), pose: Pose = Pose()):
        self.mount = pose_matrix(pose)

    def read(self, ctx: FrameContext, look: Look) -> np.ndarray:
        x, y, z = (ctx.ego_matrix @ self.mount)[:3, 3]
        geo = ctx.town.transform_to_geolocation(carla.Location(float(x), float(y), float(z)))
        return np.array([geo.latitude, geo.longitude, geo.altitude], dtype=np.float64)


class Imu:
    label = False

    def __init__(self, config: NoParams = NoParams(), pose: Pose = Pose()):
        self.mount = pose_matrix(pose)
        self._previous: tuple[float, np.ndarray, float] | None = None  # time, velocity, yaw

    def read(self, ctx: FrameContext, look: Look) -> np.ndarray:
        scene = ctx.scene
        velocity, yaw = scene.actors.velocity[EGO_INDEX].astype(float), scene.ego_yaw
        acceleration, yaw_rate = np.zeros(3), 0.0
        if self._previous is not None and scene.time_s > self._previous[0]:
            dt = scene.time_s - self._previous[0]
            acceleration = (velocity - self._previous[1]) / dt
            yaw_rate = float(wrap_angle(yaw - self._previous[2])) / dt
        self._previous = (scene.time_s, velocity, yaw)
        sensor_rotation = ctx.ego_matrix[:3, :3] @ self.mount[:3, :3]
        specific_force = sensor_rotation.T @ (acceleration + np.array([0.0, 0.0, GRAVITY]))
        gyro = sensor_rotation.T @ np.array([0.0, 0.0, yaw_rate])
        compass = (yaw + math.pi / 2.0) % (2.0 * math.pi)
        return np.array([*specific_force, *gyro, compass], dtype=np.float64)


class Speedometer:
    label = False

    def __init__(self, config: NoParams = NoParams(), pose: Pose = Pose()):
        pass

    def read(self, ctx: FrameContext, look: Look) -> dict[str, Any]:
        forward = ctx.ego_matrix[:3, 0]
        return {"speed": float(ctx.scene.actors.velocity[EGO_INDEX] @ forward)}
