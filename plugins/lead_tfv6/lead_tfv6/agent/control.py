"""From a predicted plan to throttle, steer and brake.

* Steering: the expert's lateral PID (k_p 3.12, k_i 0.64, k_d 1.38 on the heading error in units
  of 90 degrees) towards one point of the predicted route. LEAD's look-ahead on the 1 m route that
  starts 2.5 m ahead is route index ``int(clip(0.9755 v_kmh + 1.915, 24, 105) / 10 - 2)``.
* Speed: the expert's longitudinal controller on the predicted target speed, which brakes fully
  when the target is below 0.01 m/s or the ego is more than 1.1 times faster than the target.
* Optional heuristics (off by default), LEAD-style but with our own constants:
  ``creep``: after ``CREEP_AFTER_TICKS`` ticks slower than ``CREEP_RESET_SPEED_MS``, drive at
  ``CREEP_SPEED_MS`` for ``CREEP_TICKS`` ticks unless LiDAR points block the space ahead;
  ``stop_sign_slowdown``: cap the target speed at ``STOP_SIGN_SPEED_MS`` while the predicted BEV
  shows stop-sign cells in the corridor ahead.
* Optional collision guard (off by default, our addition): ``collision_guard`` brakes while LiDAR
  points above the ground lie in a corridor of ``GUARD_HALF_WIDTH_M`` either side of the predicted
  route, from the front bumper to ``GUARD_MIN_M + GUARD_TIME_S * speed`` metres ahead of the ego's
  centre: the last line against driving into what the model did not steer around. A lone pole
  (everything in the corridor within ``GUARD_THIN_M``) does not count.
* Optional brake rule (off by default, our addition): ``moving_brake_threshold`` brakes while the
  ego moves (at least ``MOVING_SPEED_MS``) as soon as P(target-speed class 0) exceeds it; standing
  still, the plan's own brake threshold still decides when to pull away. A lower threshold for
  both would keep the car standing: the expert pulls away at 1-2 m/s, whose two-hot labels put
  half or more of the probability on class 0.
* Optional full stop at stop signs (off by default, our addition; needs a model with
  ``stop_sign_head``): ``full_stop_at_stop_signs`` caps the target speed at
  ``STOP_SIGN_APPROACH_MS`` while the head sees a stop-sign area ahead (P(ahead or at) above
  ``STOP_SIGN_PROBABILITY``), brakes while it sees the ego at the area until the ego stands
  (below ``STOP_SIGN_STANDING_MS``; the leaderboard asks for 0.1 m/s), then leaves the plan alone
  for ``STOP_SIGN_RELEASE_TICKS`` so the ego can drive through the area.
"""

from __future__ import annotations

import math

import attrs
import numpy as np

from lead_framework.agent import VehicleControl
from lead_framework.controllers import (
    LateralParameters,
    LateralPid,
    LongitudinalController,
)
from lead_tfv6.agent.inference import Plan
from lead_tfv6.config import TFv6Config
from lead_tfv6.data.labels import BEV_STOP_SIGN
from lead_tfv6.heads.stop_sign import STOP_SIGN_ZONES

#: Route indices skipped by the look-ahead: the route starts 2.5 m ahead at 1 m spacing.
LOOKAHEAD_INDEX_OFFSET = 2.0
CREEP_AFTER_TICKS = 1100
#: Ticks slower than this (m/s) count towards creeping: a model that rolls forward a little now and
#: then, only to stop again, is as stuck as one that stands still.
CREEP_RESET_SPEED_MS = 1.0
CREEP_TICKS = 20
CREEP_SPEED_MS = 1.5
#: Box ahead of the ego (ego frame, metres) that must be free of LiDAR points to creep.
CREEP_CLEAR_X, CREEP_CLEAR_HALF_WIDTH, CREEP_CLEAR_Z = (2.5, 8.5), 1.5, (0.2, 2.5)
#: Where the BEV heuristic looks for stop-sign cells (``BEV_STOP_SIGN``).
STOP_SIGN_X, STOP_SIGN_HALF_WIDTH, STOP_SIGN_SPEED_MS = (0.0, 10.0), 4.0, 2.0
#: ``full_stop_at_stop_signs``: the head's probability that counts, the approach speed cap (m/s),
#: the speed that counts as standing (m/s) and the ticks after a stop the rule stays off (4 s).
STOP_SIGN_PROBABILITY, STOP_SIGN_APPROACH_MS, STOP_SIGN_STANDING_MS = 0.5, 4.0, 0.05
STOP_SIGN_RELEASE_TICKS = 80
#: From this speed (m/s) on, ``moving_brake_threshold`` applies.
MOVING_SPEED_MS = 0.5
#: The collision guard's corridor: half its width (the ego's half width and a margin), where it
#: starts (the front bumper, from the ego's centre), its length (the reach at a standstill and the
#: distance driven per second on top) and the heights of the points that count, all in metres.
GUARD_HALF_WIDTH_M, GUARD_START_M, GUARD_MIN_M, GUARD_TIME_S = 1.3, 2.4, 4.0, 1.0
GUARD_Z = (0.2, 2.5)
#: Points in the corridor that all fit in a square of this side (metres) are a pole, not a road user.
GUARD_THIN_M = 0.35


LATERAL = LateralParameters()


def lookahead_index(speed: float, num_route_points: int, params: LateralParameters = LATERAL) -> int:
    """Index of the predicted route point the lateral PID aims at."""
    index = int(params.lookahead_m(speed) - LOOKAHEAD_INDEX_OFFSET)
    return min(max(index, 0), num_route_points - 1)


def heading_error(point: np.ndarray) -> float:
    """Angle (radians, positive = to the right) from the ego's heading to an ego-frame point."""
    return math.atan2(float(point[1]), float(point[0]))


def path_blocked(lidar: np.ndarray) -> bool:
    """Whether LiDAR points (ego frame) lie in the box ahead that creeping would drive into."""
    x, y, z = lidar[:, 0], lidar[:, 1], lidar[:, 2]
    inside = (x >= CREEP_CLEAR_X[0]) & (x <= CREEP_CLEAR_X[1]) & (np.abs(y) <= CREEP_CLEAR_HALF_WIDTH)
    return bool(np.any(inside & (z > CREEP_CLEAR_Z[0]) & (z <= CREEP_CLEAR_Z[1])))


def in_corridor(points: np.ndarray, route: np.ndarray, start_m: float, end_m: float, half_width_m: float) -> np.ndarray:
    """Which of the ego-frame ``points`` (x, y) lie within ``half_width_m`` of the path from the
    ego's centre along ``route`` (ego-frame points in driving order), between ``start_m`` and
    ``end_m`` of arc length along it."""
    if len(points) == 0:
        return np.zeros(0, dtype=bool)
    path = np.vstack([np.zeros((1, 2)), np.asarray(route, dtype=np.float64)[:, :2]])
    starts, steps = path[:-1], np.diff(path, axis=0)
    lengths = np.linalg.norm(steps, axis=1)
    keep = lengths > 1e-6
    starts, steps, lengths = starts[keep], steps[keep], lengths[keep]
    arc_at_start = np.concatenate([[0.0], np.cumsum(lengths)[:-1]])
    offsets = points[:, None, :2] - starts[None]  # (N, S, 2)
    along = np.clip(np.einsum("nsk,sk->ns", offsets, steps) / lengths**2, 0.0, 1.0)
    sideways = np.linalg.norm(offsets - along[..., None] * steps[None], axis=2)
    arc = arc_at_start[None] + along * lengths[None]
    inside = (sideways <= half_width_m) & (arc >= start_m) & (arc <= end_m)
    return inside.any(axis=1)


def guard_triggered(lidar: np.ndarray, route: np.ndarray, speed: float) -> bool:
    """The collision guard's test: LiDAR points above the ground in the corridor along the route,
    unless they all fit in a ``GUARD_THIN_M`` square seen from above (a lone pole or bollard, such
    as a traffic-light pole where the predicted route cuts a corner)."""
    end = GUARD_MIN_M + GUARD_TIME_S * max(speed, 0.0)
    x, y, z = lidar[:, 0], lidar[:, 1], lidar[:, 2]
    near = (z > GUARD_Z[0]) & (z <= GUARD_Z[1]) & (x > 0.0) & (np.hypot(x, y) <= end + GUARD_HALF_WIDTH_M)
    points = lidar[near, :2]
    points = points[in_corridor(points, route, GUARD_START_M, end, GUARD_HALF_WIDTH_M)]
    return len(points) > 0 and bool(np.ptp(points, axis=0).max() >= GUARD_THIN_M)


def stop_sign_ahead(bev: np.ndarray, config: TFv6Config) -> bool:
    """Whether the predicted BEV classes (rows y, cols x) show a stop sign in the corridor ahead."""
    ys = config.min_y + (np.arange(config.lidar_height) + 0.5) / config.pixels_per_meter
    xs = config.min_x + (np.arange(config.lidar_width) + 0.5) / config.pixels_per_meter
    rows = np.abs(ys) <= STOP_SIGN_HALF_WIDTH
    cols = (xs >= STOP_SIGN_X[0]) & (xs <= STOP_SIGN_X[1])
    return bool(np.any(bev[np.ix_(rows, cols)] == BEV_STOP_SIGN))


@attrs.define
class ControlDebug:
    """Why the controller did what it did (for videos and logs)."""

    aim_index: int
    aim_point: np.ndarray
    target_speed: float  # after the heuristics
    creeping: bool = False
    stop_sign: bool = False
    moving_brake: bool = False
    guard: bool = False


class TFv6Controller:
    """Stateful: the lateral PID's error window and the heuristics' counters."""

    def __init__(self, config: TFv6Config, creep: bool = False, stop_sign_slowdown: bool = False,
                 moving_brake_threshold: float | None = None, collision_guard: bool = False,
                 full_stop_at_stop_signs: bool = False):
        self.config = config
        self.creep, self.stop_sign_slowdown = creep, stop_sign_slowdown
        self.moving_brake_threshold = moving_brake_threshold
        self.collision_guard = collision_guard
        self.full_stop_at_stop_signs = full_stop_at_stop_signs
        self.stop_sign_release_ticks = 0
        self.lateral = LateralPid(LATERAL)
        self.longitudinal = LongitudinalController()
        self.slow_ticks = 0
        self.creep_ticks_left = 0

    def step(self, plan: Plan, speed: float, lidar: np.ndarray | None = None) -> tuple[VehicleControl, ControlDebug]:
        index = lookahead_index(speed, len(plan.route), self.lateral.params)
        aim = plan.route[index]
        steer = self.lateral.step(heading_error(aim))
        target = plan.target_speed
        debug = ControlDebug(aim_index=index, aim_point=np.asarray(aim, dtype=np.float64), target_speed=target)
        if (self.moving_brake_threshold is not None and speed >= MOVING_SPEED_MS
                and plan.speed_probabilities[0] > self.moving_brake_threshold):
            debug.moving_brake, target = True, 0.0
        if self.stop_sign_slowdown and plan.bev is not None and stop_sign_ahead(plan.bev, self.config):
            debug.stop_sign, target = True, min(target, STOP_SIGN_SPEED_MS)
        if self.full_stop_at_stop_signs and plan.stop_sign_probabilities is not None:
            target = self._full_stop(target, speed, plan.stop_sign_probabilities, debug)
        if self.creep:
            target, debug.creeping = self._creep(target, speed, lidar)
        if self.collision_guard and lidar is not None and guard_triggered(lidar, plan.route, speed):
            debug.guard, debug.creeping, target = True, False, 0.0
        debug.target_speed = target
        throttle, brake = self.longitudinal.step(target, speed)
        return VehicleControl(throttle=throttle, steer=steer, brake=brake), debug

    def _full_stop(self, target: float, speed: float, zones: np.ndarray, debug: ControlDebug) -> float:
        if self.stop_sign_release_ticks > 0:
            self.stop_sign_release_ticks -= 1
            return target
        if zones[STOP_SIGN_ZONES.index("at")] > STOP_SIGN_PROBABILITY:
            if speed < STOP_SIGN_STANDING_MS:
                self.stop_sign_release_ticks = STOP_SIGN_RELEASE_TICKS
                return target
            debug.stop_sign = True
            return 0.0
        if 1.0 - zones[STOP_SIGN_ZONES.index("none")] > STOP_SIGN_PROBABILITY:
            debug.stop_sign = True
            return min(target, STOP_SIGN_APPROACH_MS)
        return target

    def _creep(self, target: float, speed: float, lidar: np.ndarray | None) -> tuple[float, bool]:
        self.slow_ticks = self.slow_ticks + 1 if speed < CREEP_RESET_SPEED_MS else 0
        if self.creep_ticks_left == 0 and self.slow_ticks > CREEP_AFTER_TICKS:
            self.creep_ticks_left, self.slow_ticks = CREEP_TICKS, 0
        if self.creep_ticks_left == 0:
            return target, False
        self.creep_ticks_left -= 1
        if lidar is not None and path_blocked(lidar):
            return target, False
        return max(target, CREEP_SPEED_MS), True
