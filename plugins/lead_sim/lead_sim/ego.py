"""The ego vehicle: a kinematic bicycle model driven by CARLA-style controls at 20 Hz.

Constants describe CARLA's default ego (``vehicle.lincoln.mkz_2020``): bounding-box half extents
(2.45, 1.06, 0.76) m, wheelbase 2.9 m with the centre of mass midway between the axles, and a front
wheel limit of 70 degrees at ``steer = +-1``. A kinematic model has no tyres, so the reachable
curvature is additionally limited by a lateral grip of 8 m/s^2 (what CARLA's tyres give on dry
asphalt); without it full steer at speed would turn the car on the spot.
"""

from __future__ import annotations

import math

import attrs
import numpy as np

from lead_framework.agent import VehicleControl

EGO_BLUEPRINT = "vehicle.lincoln.mkz_2020"


@attrs.define(frozen=True)
class EgoParameters:
    """Physical constants of the kinematic ego model (SI units)."""

    extent: tuple[float, float, float] = (2.4508, 1.0641, 0.7553)
    wheelbase_m: float = 2.9
    max_steer_deg: float = 70.0
    max_lateral_accel: float = 8.0
    #: Full-throttle acceleration at standstill; it falls linearly to zero at ``top_speed``.
    max_accel: float = 3.8
    top_speed: float = 50.0
    max_brake_decel: float = 8.0
    #: Rolling resistance (m/s^2) and aerodynamic drag coefficient (1/m): decel = c0 + c2 * v^2.
    rolling_decel: float = 0.15
    drag_coefficient: float = 0.0004
    max_reverse_speed: float = 4.0


@attrs.define
class EgoState:
    """Ego pose and motion in CARLA world coordinates (yaw in radians, speed signed along yaw)."""

    x: float
    y: float
    z: float
    yaw: float
    speed: float = 0.0
    accel: float = 0.0
    yaw_rate: float = 0.0

    def velocity(self) -> np.ndarray:
        return np.array([self.speed * math.cos(self.yaw), self.speed * math.sin(self.yaw), 0.0])


class KinematicBicycle:
    """Integrates :class:`EgoState` under a :class:`VehicleControl` (explicit Euler, one tick)."""

    def __init__(self, params: EgoParameters = EgoParameters()) -> None:
        self.params = params
        self._max_steer = math.radians(params.max_steer_deg)
        self._rear_to_centre = params.wheelbase_m / 2.0

    def longitudinal_accel(self, control: VehicleControl, speed: float) -> float:
        """Acceleration along the heading from throttle, brake, drag and rolling resistance."""
        p = self.params
        direction = -1.0 if control.reverse else 1.0
        if control.reverse:
            drive = control.throttle * p.max_accel * max(0.0, 1.0 - abs(speed) / p.max_reverse_speed)
        else:
            drive = control.throttle * p.max_accel * max(0.0, 1.0 - speed / p.top_speed)
        brake = p.max_brake_decel if control.hand_brake else control.brake * p.max_brake_decel
        resist = p.rolling_decel + p.drag_coefficient * speed * speed + brake
        motion_sign = math.copysign(1.0, speed) if speed != 0.0 else direction
        return direction * drive - motion_sign * resist

    def step(self, state: EgoState, control: VehicleControl, dt: float) -> EgoState:
        p = self.params
        accel = self.longitudinal_accel(control, state.speed)
        new_speed = state.speed + accel * dt
        # Brakes and resistance stop the car; they never push it the other way.
        driving_direction = -1.0 if control.reverse else 1.0
        if state.speed * new_speed < 0.0 or (state.speed == 0.0 and new_speed * driving_direction < 0.0):
            new_speed = 0.0
        mean_speed = 0.5 * (state.speed + new_speed)

        wheel_angle = control.steer * self._max_steer
        curvature = math.tan(wheel_angle) / p.wheelbase_m
        if abs(mean_speed) > 1e-3:
            grip_limit = p.max_lateral_accel / (mean_speed * mean_speed)
            curvature = max(-grip_limit, min(grip_limit, curvature))
        # Centre-of-mass slip angle of the kinematic bicycle with the CoM midway between axles.
        slip = math.atan(0.5 * curvature * p.wheelbase_m)
        yaw_rate = mean_speed * math.cos(slip) * curvature
        heading = state.yaw + slip
        return EgoState(
            x=state.x + mean_speed * math.cos(heading) * dt,
            y=state.y + mean_speed * math.sin(heading) * dt,
            z=state.z,
            yaw=_wrap(state.yaw + yaw_rate * dt),
            speed=new_speed,
            accel=(new_speed - state.speed) / dt,
            yaw_rate=yaw_rate,
        )


def _wrap(angle: float) -> float:
    return (angle + math.pi) % (2.0 * math.pi) - math.pi
