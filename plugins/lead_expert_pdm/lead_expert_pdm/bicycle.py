"""Kinematic bicycle model for forecasts: the ego under its controllers, other vehicles under
their last control.

Constants default to CARLA's ``vehicle.lincoln.mkz_2020`` (the leaderboard ego): wheelbase 2.9 m,
70 degrees of wheel angle at full steer, a lateral grip limit of 8 m/s^2, full-throttle
acceleration 3.8 m/s^2 falling to zero at 50 m/s, full brake 8 m/s^2. A world may pass its own
(any object with the same attribute names, e.g. ``view.ego_parameters``).
"""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np


@attrs.define(frozen=True)
class BicycleParameters:
    wheelbase_m: float = 2.9
    max_steer_deg: float = 70.0
    max_lateral_accel: float = 8.0
    max_accel: float = 3.8
    top_speed: float = 50.0
    max_brake_decel: float = 8.0
    rolling_decel: float = 0.15
    drag_coefficient: float = 0.0004

    @classmethod
    def from_world(cls, source: Any | None) -> BicycleParameters:
        """Take the fields a world's ego description has (missing ones keep the defaults)."""
        if source is None:
            return cls()
        values = {f.name: float(getattr(source, f.name)) for f in attrs.fields(cls) if hasattr(source, f.name)}
        return cls(**values)


def _curvature(params: BicycleParameters, steer: float, speed: float) -> float:
    curvature = math.tan(steer * math.radians(params.max_steer_deg)) / params.wheelbase_m
    if abs(speed) > 1e-3:
        limit = params.max_lateral_accel / (speed * speed)
        curvature = max(-limit, min(limit, curvature))
    return curvature


def step_state(params: BicycleParameters, x: float, y: float, yaw: float, speed: float,
               throttle: float, steer: float, brake: float, dt: float) -> tuple[float, float, float, float]:
    """One explicit Euler step of one vehicle: returns (x, y, yaw, speed)."""
    drive = throttle * params.max_accel * max(0.0, 1.0 - speed / params.top_speed)
    resist = params.rolling_decel + params.drag_coefficient * speed * speed + brake * params.max_brake_decel
    new_speed = max(speed + (drive - resist) * dt, 0.0)
    mean_speed = 0.5 * (speed + new_speed)
    curvature = _curvature(params, steer, mean_speed)
    slip = math.atan(0.5 * curvature * params.wheelbase_m)
    heading = yaw + slip
    return (x + mean_speed * math.cos(heading) * dt, y + mean_speed * math.sin(heading) * dt,
            yaw + mean_speed * math.cos(slip) * curvature * dt, new_speed)


def forecast_constant_control(position: np.ndarray, yaw: np.ndarray, speed: np.ndarray, yaw_rate: np.ndarray,
                              accel: np.ndarray, steps: int, dt: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Forecast many vehicles repeating their last control (vectorised over vehicles and steps).

    The last control is recovered from the observed motion: its curvature ``yaw_rate / speed`` and
    its acceleration are held (a vehicle that stops stays stopped). Under a constant curvature the
    bicycle drives an arc, so positions follow in closed form from the distance driven. Returns
    positions (N, steps, 2), yaws (N, steps), speeds (N, steps) at times dt, 2 dt, ... steps dt.
    """
    t = dt * np.arange(1, steps + 1)[None, :]
    v0, a = speed.astype(float)[:, None], accel.astype(float)[:, None]
    curvature = np.where(speed > 0.5, yaw_rate / np.maximum(speed, 0.5), 0.0)[:, None]
    stop_time = np.where(a < 0.0, v0 / np.maximum(-a, 1e-9), np.inf)
    moving_time = np.minimum(t, stop_time)
    distance = v0 * moving_time + 0.5 * a * moving_time**2
    speeds = np.maximum(v0 + a * moving_time, 0.0)
    h0 = yaw.astype(float)[:, None]
    heading = h0 + curvature * distance
    straight = np.abs(curvature) < 1e-6
    safe = np.where(straight, 1.0, curvature)
    dx = np.where(straight, distance * np.cos(h0), (np.sin(heading) - np.sin(h0)) / safe)
    dy = np.where(straight, distance * np.sin(h0), (np.cos(h0) - np.cos(heading)) / safe)
    xy = np.stack([position[:, 0, None] + dx, position[:, 1, None] + dy], axis=-1)
    return xy, heading, speeds
