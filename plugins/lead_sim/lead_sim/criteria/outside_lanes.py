"""Driving outside the route lanes (Leaderboard 2.0 ``OutsideRouteLanesTest``).

Each metre the ego drives counts as *outside* when it is farther than half the lane width + 0.5 m
from the centre of both the nearest driving lane and the nearest parking lane, or *wrong* when,
outside junctions, it drives against the direction of the driving lane it is on. Driving lanes are
looked up in the traffic lane graph (a hash grid, no map query per tick); ``carla.Map`` is asked
only for parking lanes, when the ego is off every driving lane. At the end one
event reports the metres outside/wrong as a percentage of the completed route distance. The check
can be paused (``active = False``), as the *TwoWays* scenarios do while the ego overtakes.
"""

from __future__ import annotations

import math

import carla
import numpy as np

from lead_framework.scoring.messages import outside_lanes_message
from lead_sim.criteria.base import Criterion, TickContext
from lead_sim.traffic.lanes import lane_graph_for

ALLOWED_OUT_DISTANCE_M = 0.5
#: Movements shorter than this (metres) are accumulated before the next check.
MIN_MOVE_M = 0.02


class OutsideRouteLanesCriterion(Criterion):
    key = "outside_route_lanes"

    def __init__(self, town_map: carla.Map) -> None:
        super().__init__()
        self.map = town_map
        self.graph = lane_graph_for(town_map)
        self.active = True
        self.outside_m = 0.0
        self._pending_m = 0.0

    def _off_lane(self, location: carla.Location, lane_type: carla.LaneType) -> bool:
        wp = self.map.get_waypoint(location, project_to_road=True, lane_type=lane_type)
        if wp is None:
            return True
        centre = wp.transform.location
        return math.hypot(location.x - centre.x, location.y - centre.y) > wp.lane_width / 2.0 + ALLOWED_OUT_DISTANCE_M

    def lane_status(self, position: np.ndarray, yaw: float) -> tuple[bool, bool]:
        """(outside driving/parking lanes, in a wrong-direction lane) at a pose."""
        graph = self.graph
        k = graph.grid.nearest(float(position[0]), float(position[1]))
        if k < 0:
            outside, lane = True, -1
        else:
            lane = int(graph.point_lane[k])
            lane_yaw = float(graph.yaws[k])
            dx, dy = position[0] - graph.points[k, 0], position[1] - graph.points[k, 1]
            lateral = abs(-dx * math.sin(lane_yaw) + dy * math.cos(lane_yaw))
            outside = lateral > graph.width[lane] / 2.0 + ALLOWED_OUT_DISTANCE_M
        if outside:
            location = carla.Location(float(position[0]), float(position[1]), float(position[2]))
            outside = self._off_lane(location, carla.LaneType.Parking)
        if lane < 0 or graph.is_junction[lane]:
            return outside, False
        return outside, math.cos(yaw - lane_yaw) < 0.0

    def update(self, ctx: TickContext) -> None:
        self._pending_m += ctx.moved_m
        if self._pending_m < MIN_MOVE_M:
            return
        moved, self._pending_m = self._pending_m, 0.0
        if not self.active:
            return
        outside, wrong = self.lane_status(ctx.scene.actors.position[0], float(ctx.scene.actors.yaw[0]))
        if outside or wrong:
            self.outside_m += moved

    def finish(self, ctx: TickContext) -> None:
        if self.outside_m <= 0.0:
            return
        percentage = min(100.0, 100.0 * self.outside_m / max(ctx.completed_m, 1e-6))
        self._record(ctx, outside_lanes_message(self.outside_m, percentage), value=round(percentage, 2))
