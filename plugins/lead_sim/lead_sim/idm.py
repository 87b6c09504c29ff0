"""The Intelligent Driver Model (Treiber et al.) that moves background traffic and scenario actors.

One formula for both, over floats or arrays: background traffic integrates every vehicle at once,
a scenario actor one at a time. The expert plugin keeps its own IDM (PDM-Lite's per-frame target
speed with its constants), since it must run without this simulator.
"""

from __future__ import annotations

import math

import attrs
import numpy as np

#: Gaps below this (metres) count as this: bodies in contact still brake hard, not infinitely.
MIN_GAP_M = 0.05

FloatOrArray = float | np.ndarray


@attrs.define(frozen=True)
class IdmParameters:
    max_accel: float = 2.0
    comfortable_decel: float = 3.0
    #: Braking is limited to this (m/s^2) however close the leader.
    max_decel: float = 8.0
    min_gap_m: float = 2.0
    time_headway_s: float = 1.2
    delta: float = 4.0


def idm_acceleration(params: IdmParameters, speed: FloatOrArray, desired_speed: FloatOrArray,
                     gap: FloatOrArray, leader_speed: FloatOrArray) -> FloatOrArray:
    """Acceleration (m/s^2) in ``[-max_decel, max_accel]`` of a driver at ``speed`` who wants
    ``desired_speed`` with a leader ``gap`` metres ahead (bumper to bumper; ``np.inf`` for a free
    road) driving at ``leader_speed``. A desired speed of zero brakes at ``max_accel`` to a stop.
    Floats give a float, arrays broadcast.
    """
    stopping = np.less_equal(desired_speed, 0.05)
    ratio = np.asarray(speed) / np.maximum(desired_speed, 0.05)
    free_road = np.square(np.square(ratio)) if params.delta == 4.0 else ratio**params.delta
    free_road = np.where(stopping, 2.0, free_road)
    desired_gap = params.min_gap_m + np.maximum(
        0.0,
        speed * params.time_headway_s
        + speed * (np.subtract(speed, leader_speed)) / (2.0 * math.sqrt(params.max_accel * params.comfortable_decel)),
    )
    interaction = np.square(desired_gap / np.maximum(gap, MIN_GAP_M))
    accel = np.clip(params.max_accel * (1.0 - free_road - interaction), -params.max_decel, params.max_accel)
    return float(accel) if np.ndim(accel) == 0 else accel
