"""Running a stop sign (Leaderboard 2.0 ``RunningStopTest``).

A stop affects the ego when its lane waypoint or one of the lane waypoints up to 4 m ahead lies in
the stop's trigger volume. While affected, the ego must slow below 0.1 m/s once; if it leaves the
volume's influence without having done so, that is one infraction.
"""

from __future__ import annotations

from collections.abc import Callable

import carla
import numpy as np

from lead_framework.scoring.messages import stop_message
from lead_sim.criteria.base import STANDING_SPEED, Criterion, TickContext
from lead_sim.criteria.geometry import point_in_box
from lead_sim.scene import StopSign

#: Lane waypoints checked ahead of the ego (metres).
PROXIMITY_M = 4.0
#: Stops whose trigger centre is farther than this from the ego are not examined (metres).
SEARCH_RADIUS_M = 15.0

#: ``lane_points(x, y, z) -> (K, 3)``: the ego's lane waypoint and the ones up to 4 m ahead.
LanePoints = Callable[[np.ndarray, float], np.ndarray]


class StopSignCriterion(Criterion):
    key = "stop_infraction"

    def __init__(self, stops: list[StopSign], lane_points: LanePoints) -> None:
        super().__init__()
        self.stops = stops
        self._lane_points = lane_points
        self._centres = np.array([s.trigger_center[:2] for s in stops]).reshape(-1, 2)
        self._target: StopSign | None = None
        self._stopped = False

    def _affecting(self, ctx: TickContext, candidates: list[StopSign]) -> StopSign | None:
        ego = ctx.scene.actors.position[0]
        points = self._lane_points(ego, float(ctx.scene.actors.yaw[0]))
        for stop in candidates:
            for point in points:
                if point_in_box(point, stop.trigger_center, stop.trigger_extent, stop.trigger_yaw):
                    return stop
        return None

    def update(self, ctx: TickContext) -> None:
        if not self.stops:
            return
        ego = ctx.scene.actors.position[0, :2]
        if self._target is None:
            d = self._centres - ego
            near = (d[:, 0] ** 2 + d[:, 1] ** 2 < SEARCH_RADIUS_M**2).nonzero()[0]
            if near.size == 0:
                return
            self._target = self._affecting(ctx, [self.stops[int(k)] for k in near])
            self._stopped = False
            if self._target is None:
                return
        if ctx.ego_speed < STANDING_SPEED:
            self._stopped = True
        if self._affecting(ctx, [self._target]) is None:
            if not self._stopped:
                self._record(ctx, stop_message(self._target.id, self._target.position), location=self._target.position)
            self._target = None


def lane_points_on(town_map: carla.Map) -> LanePoints:
    """:data:`LanePoints` read from a ``carla.Map``: the ego's driving-lane waypoint and the ones
    every metre up to :data:`PROXIMITY_M` ahead (first branch at forks)."""

    def lane_points(position: np.ndarray, yaw: float) -> np.ndarray:
        location = carla.Location(float(position[0]), float(position[1]), float(position[2]))
        wp = town_map.get_waypoint(location, project_to_road=True, lane_type=carla.LaneType.Driving)
        if wp is None:
            return np.zeros((0, 3))
        points = [wp]
        for _ in range(int(PROXIMITY_M)):
            ahead = points[-1].next(1.0)
            if not ahead:
                break
            points.append(ahead[0])
        # Waypoints lie on the road surface; the trigger volumes are centred 1 m above it.
        return np.array([(w.transform.location.x, w.transform.location.y, w.transform.location.z + 1.0) for w in points])

    return lane_points
