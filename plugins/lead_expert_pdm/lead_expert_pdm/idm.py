"""Intelligent Driver Model target speeds per hazard, with PDM-Lite's constants.

PDM-Lite turns the IDM acceleration into a *target speed for the next frame*:
``target = clip(v + a_idm * dt, 0, desired)`` with ``dt`` = one 20 Hz frame. Its maximum
acceleration ``a = 24`` m/s^2 is therefore a per-frame scaling (at most +1.2 m/s of target speed
per frame), not a physical acceleration: the longitudinal controller decides how hard the car
actually accelerates. Comfortable deceleration ``b`` is 3.72 m/s^2 above 6.02 m/s and 8.7 below;
``delta = 4``. Minimum gap ``s0`` and time headway ``T`` depend on the hazard type.
"""

from __future__ import annotations

import enum
import math

import attrs

FRAME_DT = 1.0 / 20.0


class HazardType(str, enum.Enum):
    """What the expert reacts to; the value is what ``meta.json`` stores as ``hazard``."""

    LEADING_VEHICLE = "vehicle"
    CROSSING_VEHICLE = "crossing_vehicle"
    PEDESTRIAN = "pedestrian"
    BICYCLE = "bicycle"
    RED_LIGHT = "red_light"
    STOP_SIGN = "stop_sign"
    TWO_WAY = "two_way"
    OBSTACLE = "obstacle"


@attrs.define(frozen=True)
class GapParameters:
    """Minimum gap ``s0`` (metres) and time headway ``T`` (seconds) of one hazard type."""

    s0: float
    headway: float


#: PDM-Lite's (s0, T) per hazard type.
GAPS: dict[HazardType, GapParameters] = {
    HazardType.LEADING_VEHICLE: GapParameters(4.0, 0.25),
    HazardType.CROSSING_VEHICLE: GapParameters(4.0, 0.25),
    HazardType.PEDESTRIAN: GapParameters(4.0, 0.25),
    HazardType.BICYCLE: GapParameters(4.0, 0.25),
    HazardType.OBSTACLE: GapParameters(4.0, 0.25),
    HazardType.RED_LIGHT: GapParameters(6.0, 0.1),
    HazardType.STOP_SIGN: GapParameters(2.0, 0.1),
    HazardType.TWO_WAY: GapParameters(2.0, 0.1),
}


@attrs.define(frozen=True)
class IdmConstants:
    """PDM-Lite's IDM constants (see the module docstring for how ``max_accel`` is applied)."""

    max_accel: float = 24.0
    decel_high_speed: float = 3.72
    decel_low_speed: float = 8.7
    decel_speed_threshold: float = 6.02
    delta: float = 4.0
    frame_dt: float = FRAME_DT

    def comfortable_decel(self, ego_speed: float) -> float:
        return self.decel_high_speed if ego_speed > self.decel_speed_threshold else self.decel_low_speed


def idm_target_speed(desired_speed: float, ego_speed: float, gap_m: float, leader_speed: float,
                     gap: GapParameters, constants: IdmConstants = IdmConstants()) -> float:
    """The next frame's target speed behind a hazard ``gap_m`` metres ahead (bumper to hazard).

    ``leader_speed`` is the hazard's speed along the ego's heading (0 for lights, stops, walkers
    crossing). The result lies in ``[0, desired_speed]``.
    """
    if desired_speed <= 0.0:
        return 0.0
    a = constants.max_accel
    b = constants.comfortable_decel(ego_speed)
    desired_gap = gap.s0 + ego_speed * gap.headway + ego_speed * (ego_speed - leader_speed) / (2.0 * math.sqrt(a * b))
    desired_gap = max(desired_gap, 0.0)
    free_term = (ego_speed / desired_speed) ** constants.delta
    interaction = (desired_gap / max(gap_m, 1e-3)) ** 2
    accel = a * (1.0 - free_term - interaction)
    return float(min(max(ego_speed + accel * constants.frame_dt, 0.0), desired_speed))


class IdmPlanner:
    """The ``pdm_idm`` planner: the target speed over a set of hazards (the minimum of their IDMs)."""

    def __init__(self, constants: IdmConstants = IdmConstants()):
        self.constants = constants

    def target_speed(self, desired_speed: float, ego_speed: float,
                     hazards: list[tuple[HazardType, float, float]]) -> tuple[float, HazardType | None]:
        """``hazards`` as (type, gap metres, leader speed); returns (target speed, binding hazard)."""
        best, binding = desired_speed, None
        for kind, gap_m, leader_speed in hazards:
            speed = idm_target_speed(desired_speed, ego_speed, gap_m, leader_speed, GAPS[kind], self.constants)
            if speed < best:
                best, binding = speed, kind
        return best, binding
