"""The ego's forecast: the kinematic bicycle driven by the expert's own controllers along the route."""

from __future__ import annotations

import math

import numpy as np

from lead_expert_pdm.bicycle import BicycleParameters, step_state
from lead_expert_pdm.route import ExpertRoute
from lead_framework.controllers import LateralPid, LongitudinalController


def heading_error(route: ExpertRoute, x: float, y: float, yaw: float, s: float, lookahead_m: float) -> float:
    """Angle (radians, positive = to the right in CARLA's frame) from the heading to the look-ahead point."""
    px, py = route.point_at(s + lookahead_m)
    return math.remainder(math.atan2(py - y, px - x) - yaw, 2.0 * math.pi)


def forecast_ego(route: ExpertRoute, params: BicycleParameters, lateral: LateralPid, longitudinal: LongitudinalController,
                 x: float, y: float, yaw: float, speed: float, s: float, target_speed: float,
                 steps: int, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Positions (steps, 2) and yaws (steps,) of the ego for times dt .. steps*dt.

    The controllers are copies; the route progress advances by the distance driven each step.
    """
    lateral = lateral.copy()
    xy = np.empty((steps, 2))
    yaws = np.empty(steps)
    for k in range(steps):
        steer = lateral.step(heading_error(route, x, y, yaw, s, lateral.params.lookahead_m(speed)))
        throttle, brake = longitudinal.step(target_speed, speed)
        nx, ny, yaw, speed = step_state(params, x, y, yaw, speed, throttle, steer, brake, dt)
        s += math.hypot(nx - x, ny - y)
        x, y = nx, ny
        xy[k] = (x, y)
        yaws[k] = yaw
    return xy, yaws
