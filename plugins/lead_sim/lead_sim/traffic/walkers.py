"""Pedestrians: walk along sidewalks (both ways), sometimes cross the road at crosswalks.

Sidewalk paths run beside the outermost driving lanes (offset ``SIDEWALK_OFFSET_M`` beyond the
lane edge). Crosswalks come from ``carla.Map.get_crosswalks()``: each polygon's two short edges
are its ends on either kerb; a walker passing near one end crosses to the other with probability
``cross_probability`` and then continues on the nearest sidewalk.
"""

from __future__ import annotations

import carla
import numpy as np

from lead_sim.traffic.lanes import LaneGraph, PolylineSet, polylines_from

SIDEWALK_OFFSET_M = 1.5
WALKER_EXTENT = (0.3, 0.3, 0.9)
#: A walker this close (metres) to a crosswalk end may start crossing: sidewalks stop where the
#: junction begins, a few metres short of the crosswalks at its edge. The walker first walks to
#: the near end, then over the crosswalk to the far end.
CROSSWALK_REACH_M = 6.0
#: Walkers look for crosswalks every this many ticks (they walk < 1 m in that time).
CROSSWALK_CHECK_TICKS = 10


def build_sidewalks(graph: LaneGraph) -> PolylineSet | None:
    """Sidewalk centrelines beside lanes whose right neighbour is not a driving lane."""
    lines = []
    for lane in range(graph.num_lanes):
        if graph.is_junction[lane]:
            continue
        right = graph.start_waypoints[lane].get_right_lane()
        if right is not None and right.lane_type == carla.LaneType.Driving:
            continue
        points = graph.lane_points(lane)
        yaws = graph.yaws[graph.offset[lane] : graph.offset[lane] + graph.count[lane]]
        offset = 0.5 * graph.width[lane] + SIDEWALK_OFFSET_M
        shifted = points.copy()
        shifted[:, 0] -= offset * np.sin(yaws)
        shifted[:, 1] += offset * np.cos(yaws)
        lines.append(shifted)
    return polylines_from(lines) if lines else None


def crosswalk_ends(town_map: carla.Map) -> np.ndarray:
    """(C, 2, 2): the two kerb-side ends of every crosswalk polygon."""
    points = [(p.x, p.y) for p in town_map.get_crosswalks()]
    ends = []
    polygon: list[tuple[float, float]] = []
    for point in points:
        if len(polygon) > 2 and np.hypot(point[0] - polygon[0][0], point[1] - polygon[0][1]) < 1e-3:
            corners = np.asarray(polygon)
            edges = [(corners[k], corners[(k + 1) % len(corners)]) for k in range(len(corners))]
            edges.sort(key=lambda e: float(np.linalg.norm(e[1] - e[0])))
            ends.append([(edges[0][0] + edges[0][1]) / 2.0, (edges[1][0] + edges[1][1]) / 2.0])
            polygon = []
        else:
            polygon.append(point)
    return np.asarray(ends, dtype=np.float64).reshape(-1, 2, 2)


class Walkers:
    """Pedestrians on sidewalks; ``position``/``yaw``/``velocity`` are refreshed each tick."""

    def __init__(
        self,
        sidewalks: PolylineSet | None,
        crosswalks: np.ndarray,
        count: int,
        rng: np.random.Generator,
        keep_away: np.ndarray,
        cross_probability: float = 0.3,
    ) -> None:
        self.sidewalks = sidewalks
        self.crosswalks = crosswalks
        self.rng = rng
        self.cross_probability = cross_probability
        n = count if sidewalks is not None else 0
        self.line = np.zeros(n, dtype=np.int64)
        self.s = np.zeros(n)
        self.direction = np.ones(n)
        self.speed = rng.uniform(1.0, 1.6, n)
        self.crossing = np.zeros(n, dtype=bool)
        #: Crossing path per walker: start, near end, far end (metres walked along it in cross_walked).
        self.cross_path = np.zeros((n, 3, 2))
        self.cross_walked = np.zeros(n)
        #: The crosswalk end last used, so that a walker does not cross straight back.
        self.last_end = np.full(n, -1, dtype=np.int64)
        self._tick = 0
        self.position = np.zeros((n, 3))
        self.yaw = np.zeros(n)
        self.velocity = np.zeros((n, 3))
        if n:
            self._spawn(keep_away)
            self._update_pose()

    def __len__(self) -> int:
        return int(self.s.shape[0])

    def _spawn(self, keep_away: np.ndarray) -> None:
        lines = self.sidewalks
        weights = lines.length / lines.length.sum()
        for i in range(len(self)):
            for _ in range(100):
                line = int(self.rng.choice(lines.length.shape[0], p=weights))
                s = float(self.rng.uniform(0.0, lines.length[line]))
                xy, _ = lines.pose_at(np.array([line]), np.array([s]))
                if np.hypot(*(xy[0, :2] - keep_away[:2])) > 15.0:
                    break
            self.line[i], self.s[i] = line, s
            self.direction[i] = 1.0 if self.rng.random() < 0.5 else -1.0

    def step(self, dt: float) -> None:
        if not len(self):
            return
        self.s += np.where(self.crossing, 0.0, self.direction * self.speed * dt)
        length = self.sidewalks.length[self.line]
        # Walkers turn round at the ends of their sidewalk.
        beyond = ((self.s < 0.0) | (self.s > length)).nonzero()[0]
        if beyond.size:
            low = self.s[beyond] < 0.0
            self.s[beyond] = np.where(low, -self.s[beyond], 2.0 * length[beyond] - self.s[beyond])
            self.direction[beyond] = np.where(low, 1.0, -1.0)

        crossing = self.crossing.nonzero()[0]
        if crossing.size:
            self.cross_walked[crossing] += self.speed[crossing] * dt
            for i in crossing[self.cross_walked[crossing] >= self._cross_length(crossing)]:
                self._finish_crossing(int(i))
        self._tick += 1
        if self.crosswalks.shape[0] and self._tick % CROSSWALK_CHECK_TICKS == 0:
            self._maybe_start_crossing()
        self._update_pose()

    def _cross_length(self, rows: np.ndarray) -> np.ndarray:
        legs = np.diff(self.cross_path[rows], axis=1)
        return np.hypot(legs[..., 0], legs[..., 1]).sum(axis=1)

    def _maybe_start_crossing(self) -> None:
        ends = self.crosswalks.reshape(-1, 2)
        d2 = np.sum((self.position[:, None, :2] - ends[None, :, :]) ** 2, axis=2)
        nearest = np.argmin(d2, axis=1)
        close = (~self.crossing) & (d2[np.arange(len(self)), nearest] < CROSSWALK_REACH_M**2) & (nearest != self.last_end)
        for i in np.flatnonzero(close):
            end = int(nearest[i])
            self.last_end[i] = end
            if self.rng.random() >= self.cross_probability:
                continue
            other = end ^ 1
            self.crossing[i] = True
            self.cross_path[i] = (self.position[i, :2], ends[end], ends[other])
            self.cross_walked[i] = 0.0
            self.last_end[i] = other

    def _finish_crossing(self, i: int) -> None:
        line, s, _ = self.sidewalks.nearest_point(self.cross_path[i, 2])
        self.line[i], self.s[i] = line, s
        self.crossing[i] = False
        self.direction[i] = 1.0 if self.rng.random() < 0.5 else -1.0

    def _update_pose(self) -> None:
        points, yaw = self.sidewalks.pose_at(self.line, self.s)
        self.position[:, :2] = points[:, :2]
        self.position[:, 2] = points[:, 2] + WALKER_EXTENT[2]
        self.yaw = np.where(self.direction > 0, yaw, np.mod(yaw + 2.0 * np.pi, 2.0 * np.pi) - np.pi)
        for i in self.crossing.nonzero()[0]:
            path = self.cross_path[i]
            first = float(np.linalg.norm(path[1] - path[0]))
            leg, walked = (0, self.cross_walked[i]) if self.cross_walked[i] < first else (1, self.cross_walked[i] - first)
            start, end = path[leg], path[leg + 1]
            span = max(float(np.linalg.norm(end - start)), 1e-6)
            t = min(walked / span, 1.0)
            self.position[i, :2] = start + (end - start) * t
            self.yaw[i] = np.arctan2(end[1] - start[1], end[0] - start[0])
        self.velocity[:, 0] = self.speed * np.cos(self.yaw)
        self.velocity[:, 1] = self.speed * np.sin(self.yaw)
