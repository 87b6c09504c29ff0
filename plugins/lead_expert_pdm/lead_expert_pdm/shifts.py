"""Path shifts around static obstacles that block the route (accidents, construction, parked cars).

Whatever spawned them, static actors (kinds obstacle and parked vehicle) whose boxes reach into
the ego's lane within ``LOOK_AHEAD_M`` are grouped into one blocked stretch. The path is then
shifted sideways into a free neighbouring driving lane (from ``carla.Map``), ramping in before
the stretch and back after it. A lane of the same direction is preferred; the oncoming lane is
used only when no oncoming vehicle reaches the stretch before the ego has passed it (two-way
overtaking); until then the shift waits and the obstacle stays a hazard the ego stops behind.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lead_expert_pdm.actors import OBSTACLE, PARKED, VEHICLE_KINDS
from lead_expert_pdm.route import ExpertRoute

LOOK_AHEAD_M = 40.0
RAMP_M = 10.0
MARGIN_M = 4.0
#: An obstacle blocks the lane when its box comes this close (metres) to the route centre line.
LANE_HALF_WIDTH_M = 1.6
#: Speed assumed for overtaking the stretch (m/s) and the safety time (s) for oncoming traffic.
OVERTAKE_SPEED = 5.0
ONCOMING_SAFETY_S = 3.0
CHECK_EVERY_TICKS = 5


class ObstacleShifter:
    """Decides and applies lateral shifts of an :class:`ExpertRoute`."""

    def __init__(self, route: ExpertRoute, town_map: Any | None):
        self.route = route
        self.map = town_map
        self.active = False
        self.waiting = False
        self._end_s = -math.inf
        self._tick = 0

    def update(self, actors: Any, s: float) -> None:
        self._tick += 1
        if self.active and s > self._end_s:
            self.route.set_offsets(np.zeros(len(self.route)))
            self.active = False
        if self.map is None or self.active or self._tick % CHECK_EVERY_TICKS:
            return
        stretch = self._blocked_stretch(actors, s)
        self.waiting = False
        if stretch is None:
            return
        start, end = stretch
        offset = self._free_lane_offset(actors, start, end, s)
        if offset is None:
            self.waiting = True
            return
        self._apply(start, end, offset)

    def _blocked_stretch(self, actors: Any, s: float) -> tuple[float, float] | None:
        kinds = np.asarray(actors.kinds, int)
        rows = np.flatnonzero(np.isin(kinds, (OBSTACLE, PARKED)))
        if rows.size == 0:
            return None
        route = self.route
        window = route.window(s, LOOK_AHEAD_M)
        points = route.center[window]
        if points.shape[0] < 2:
            return None
        position = np.asarray(actors.position, float)[rows, :2]
        reach = np.hypot(*np.asarray(actors.extent, float)[rows, :2].T)
        d = np.linalg.norm(points[None, :, :] - position[:, None, :], axis=2)
        nearest = np.argmin(d, axis=1)
        blocking = d[np.arange(rows.size), nearest] < LANE_HALF_WIDTH_M + 0.5 * reach
        if not blocking.any():
            return None
        along = route.distances[window][nearest[blocking]]
        half = reach[blocking]
        return float(np.min(along - half)), float(np.max(along + half))

    def _free_lane_offset(self, actors: Any, start: float, end: float, s: float) -> float | None:
        import carla

        i = self.route.index_at(0.5 * (start + end))
        x, y = self.route.center[i]
        z = float(self.route.z[i])
        waypoint = self.map.get_waypoint(carla.Location(float(x), float(y), z), project_to_road=True,
                                         lane_type=carla.LaneType.Driving)
        if waypoint is None:
            return None
        yaw = float(self.route.yaws[i])
        right = np.array([-math.sin(yaw), math.cos(yaw)])
        candidates = []
        # Probe one lane width to each side: neighbours may lie on another OpenDRIVE road (divided roads).
        for side in (-1.0, 1.0):
            px, py = np.array([x, y]) + side * waypoint.lane_width * right
            neighbour = self.map.get_waypoint(carla.Location(float(px), float(py), z), project_to_road=False,
                                              lane_type=carla.LaneType.Driving)
            if neighbour is None or (neighbour.road_id, neighbour.lane_id) == (waypoint.road_id, waypoint.lane_id):
                continue
            location = neighbour.transform.location
            offset = float(np.dot(np.array([location.x - x, location.y - y]), right))
            same_direction = math.cos(math.radians(neighbour.transform.rotation.yaw) - yaw) > 0.0
            candidates.append((0 if same_direction else 1, offset, same_direction))
        for _, offset, same_direction in sorted(candidates):
            if same_direction or self._oncoming_clear(actors, start, end, s, offset):
                return offset
        return None

    def _oncoming_clear(self, actors: Any, start: float, end: float, s: float, offset: float) -> bool:
        """No vehicle in the oncoming lane reaches the stretch before the ego has passed it."""
        time_to_pass = (end + RAMP_M + MARGIN_M - s) / OVERTAKE_SPEED + ONCOMING_SAFETY_S
        kinds = np.asarray(actors.kinds, int)
        rows = np.flatnonzero(np.isin(kinds, VEHICLE_KINDS))
        rows = rows[rows > 0]
        if rows.size == 0:
            return True
        i = self.route.index_at(0.5 * (start + end))
        yaw = float(self.route.yaws[i])
        forward = np.array([math.cos(yaw), math.sin(yaw)])
        right = np.array([-forward[1], forward[0]])
        lane_centre = self.route.center[i] + offset * right
        rel = np.asarray(actors.position, float)[rows, :2] - lane_centre
        along = rel @ forward
        across = rel @ right
        velocity = np.asarray(actors.velocity, float)[rows, :2]
        closing = np.maximum(-(velocity @ forward), 0.0)
        in_lane = np.abs(across) < 2.0
        reach = along - closing * time_to_pass
        threat = in_lane & (along > -(end - start) - RAMP_M) & (reach < end - start + RAMP_M + MARGIN_M)
        return not threat.any()

    def _apply(self, start: float, end: float, offset: float) -> None:
        d = self.route.distances
        ramp_in = np.clip((d - (start - MARGIN_M - RAMP_M)) / RAMP_M, 0.0, 1.0)
        ramp_out = np.clip(((end + MARGIN_M + RAMP_M) - d) / RAMP_M, 0.0, 1.0)
        weight = np.minimum(ramp_in, ramp_out)
        weight = weight * weight * (3.0 - 2.0 * weight)  # smoothstep
        self.route.set_offsets(offset * weight)
        self.active = True
        self._end_s = end + MARGIN_M + RAMP_M
