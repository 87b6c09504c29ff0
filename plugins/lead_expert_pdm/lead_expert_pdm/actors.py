"""Other actors as the expert sees them: kinds, forecasts and visibility.

Actor kinds follow the world's scene arrays (``lead_sim.scene.ActorKind`` values; a CARLA view
returns the same numbers): 0 vehicle, 1 walker, 2 bicycle, 3 static obstacle, 4 parked vehicle,
5 emergency vehicle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from lead_expert_pdm.bicycle import forecast_constant_control
from lead_expert_pdm.geometry import wrap_angle

VEHICLE, WALKER, BICYCLE, OBSTACLE, PARKED, EMERGENCY = range(6)
VEHICLE_KINDS = (VEHICLE, BICYCLE, PARKED, EMERGENCY)
#: Half lengths of moving vehicles grow by this many seconds of their speed (forecast uncertainty).
SPEED_INFLATION_S = 0.1
#: Actors farther than this (metres) are not forecast.
RELEVANT_RADIUS_M = 50.0
#: An actor faster than this (m/s) has moved: standing vehicles never seen moving may be obstacles.
MOVING_SPEED = 0.15
#: An actor standing this long (seconds) counts as parked even if it moved before.
LONG_STANDING_S = 20.0
#: LEAD's asymmetry rule: an actor the student cannot perceive has no LiDAR point and fewer pixels than this.
MIN_VISIBLE_PIXELS = 5


@attrs.define
class Forecast:
    """Forecast boxes of N actors over K steps: ``xy`` (N, K, 2), ``yaw`` (N, K), ``half`` (N, K, 2)."""

    rows: np.ndarray
    kinds: np.ndarray
    xy: np.ndarray
    yaw: np.ndarray
    half: np.ndarray
    speed: np.ndarray  # (N,) current speed
    velocity: np.ndarray  # (N, 2) current velocity


class ActorTracker:
    """Remembers each actor's last yaw and speed to recover the control it is repeating, and
    which actors were ever seen moving."""

    def __init__(self) -> None:
        self._last: dict[int, tuple[float, float, float]] = {}  # id -> (time, yaw, speed)
        self.moved_ids: set[int] = set()
        self._standing_since: dict[int, float] = {}

    def forecast(self, actors: Any, time_s: float, ego_xy: np.ndarray, steps: int, dt: float,
                 ignored_ids: frozenset[int] = frozenset()) -> Forecast:
        """Forecast every actor within :data:`RELEVANT_RADIUS_M` of the ego (row 0 excluded)."""
        position = np.asarray(actors.position)
        n = position.shape[0]
        ids = np.asarray(actors.ids)
        yaw = np.asarray(actors.yaw, float)
        kinds = np.asarray(actors.kinds, int)
        velocity = np.asarray(actors.velocity, float)[:, :2]
        speed = np.linalg.norm(velocity, axis=1)
        yaw_rate, accel = np.zeros(n), np.zeros(n)
        for row in range(1, n):
            last = self._last.get(int(ids[row]))
            if last is not None and time_s > last[0]:
                gap = time_s - last[0]
                yaw_rate[row] = float(wrap_angle(yaw[row] - last[1])) / gap
                accel[row] = np.clip((speed[row] - last[2]) / gap, -8.0, 4.0)
        self._last = {int(ids[row]): (time_s, float(yaw[row]), float(speed[row])) for row in range(1, n)}
        self.moved_ids.update(int(i) for i in ids[1:][speed[1:] > MOVING_SPEED])
        standing = {int(i) for i in ids[1:][speed[1:] <= MOVING_SPEED]}
        self._standing_since = {i: self._standing_since.get(i, time_s) for i in standing}
        near = np.sum((position[:, :2] - ego_xy[:2]) ** 2, axis=1) < RELEVANT_RADIUS_M**2
        near[0] = False
        if ignored_ids:
            near &= ~np.isin(ids, np.fromiter(ignored_ids, dtype=ids.dtype))
        rows = np.flatnonzero(near)
        k = kinds[rows]
        moving_vehicle = np.isin(k, VEHICLE_KINDS)
        xy, yaws, speeds = forecast_constant_control(
            position[rows, :2], yaw[rows], speed[rows], np.where(moving_vehicle, yaw_rate[rows], 0.0),
            np.where(moving_vehicle, accel[rows], 0.0), steps, dt)
        walker = k == WALKER
        if walker.any():  # walkers move on a straight line at their current velocity
            t = dt * np.arange(1, steps + 1)
            xy[walker] = position[rows[walker], None, :2] + velocity[rows[walker], None, :] * t[None, :, None]
            yaws[walker] = yaw[rows[walker], None]
        half = np.repeat(np.asarray(actors.extent, float)[rows, None, :2], steps, axis=1)
        half[..., 0] += np.where(moving_vehicle, SPEED_INFLATION_S, 0.0)[:, None] * speeds
        return Forecast(rows, k, xy, yaws, half, speed[rows], velocity[rows])


    def parked_ids(self, time_s: float) -> set[int]:
        """Actors never seen moving, or standing for ``LONG_STANDING_S`` (broken down, parked for good)."""
        long_standing = {i for i, since in self._standing_since.items() if time_s - since >= LONG_STANDING_S}
        return (set(self._standing_since) - self.moved_ids) | long_standing


def invisible_actor_ids(boxes: Sequence[Mapping[str, Any]] | None) -> frozenset[int] | None:
    """Ids of actors the learner cannot perceive (no LiDAR point, < MIN_VISIBLE_PIXELS pixels).

    ``boxes`` is a box-label reading of the world (``num_lidar_points`` / ``visible_pixels`` per box,
    None where not measured). Returns None when there is no such reading to decide from.
    """
    if boxes is None:
        return None
    hidden = set()
    for box in boxes:
        if box.get("class") not in ("vehicle", "walker", "biker", "special", "parking"):
            continue
        points, pixels = box.get("num_lidar_points"), box.get("visible_pixels")
        if points is None or pixels is None:
            continue
        if points == 0 and pixels < MIN_VISIBLE_PIXELS:
            hidden.add(int(box["id"]))
    return frozenset(hidden)
