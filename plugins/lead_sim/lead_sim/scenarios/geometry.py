"""Geometry scenarios need: polyline paths, the ego's dense route, lanes and junctions ahead.

Lanes come from the traffic lane graph (:func:`lead_sim.traffic.lanes.lane_graph_for`): every
driving lane of the town as a ~1 m polyline with successors, junction ids and widths, so paths for
scenario actors are built by plain array work. Coordinates are CARLA's (left-handed); the unit
vector to the right of heading ``yaw`` is ``(-sin yaw, cos yaw)``.
"""

from __future__ import annotations

import math
from functools import cached_property

import attrs
import carla
import numpy as np

from lead_framework.route import TriggerPoint, arc_lengths, distinct_points
from lead_sim.routes.planner import DenseRoute
from lead_sim.scenarios.errors import ScenarioPlacementError
from lead_sim.traffic.lanes import LaneGraph, lane_graph_for

#: A trigger belongs to the route when a route point lies this close (metres, degrees), as in the leaderboard.
TRIGGER_MATCH_DISTANCE_M = 2.0
TRIGGER_MATCH_YAW_DEG = 10.0


def right_of(yaw: float) -> np.ndarray:
    """Unit vector pointing to the right of heading ``yaw`` (CARLA coordinates)."""
    return np.array([-math.sin(yaw), math.cos(yaw)])


def forward_of(yaw: float) -> np.ndarray:
    return np.array([math.cos(yaw), math.sin(yaw)])


def angle_diff(a: float, b: float) -> float:
    """Signed difference ``a - b`` wrapped to (-pi, pi]."""
    return math.atan2(math.sin(a - b), math.cos(a - b))


@attrs.define(eq=False)
class Path:
    """A polyline an actor moves along: ``points`` (K, 3), per-point ``yaws`` and ``cum`` metres."""

    points: np.ndarray
    cum: np.ndarray = attrs.field(init=False)
    yaws: np.ndarray = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        pts = np.asarray(self.points, dtype=np.float64)
        pts = pts[distinct_points(pts[:, :2], min_step=1e-4)]
        if len(pts) < 2:
            raise ValueError("a path needs at least two distinct points")
        self.points = pts
        self.cum = arc_lengths(pts[:, :2])
        d = np.diff(pts[:, :2], axis=0)
        yaws = np.arctan2(d[:, 1], d[:, 0])
        self.yaws = np.concatenate([yaws, yaws[-1:]])

    @property
    def length(self) -> float:
        return float(self.cum[-1])

    def pose_at(self, s: float) -> tuple[np.ndarray, float]:
        """Position (3,) and yaw at arc length ``s`` (clipped to the path)."""
        s = min(max(s, 0.0), self.length)
        i = int(min(np.searchsorted(self.cum, s, side="right") - 1, len(self.cum) - 2))
        span = self.cum[i + 1] - self.cum[i]
        frac = (s - self.cum[i]) / span if span > 0 else 0.0
        position = self.points[i] * (1.0 - frac) + self.points[i + 1] * frac
        return position, float(self.yaws[i])

    def xy_at(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions (N, 2) and yaws (N,) at arc lengths ``s`` (vectorised, clipped)."""
        xy = np.stack([np.interp(s, self.cum, self.points[:, 0]), np.interp(s, self.cum, self.points[:, 1])], axis=1)
        i = np.minimum(np.searchsorted(self.cum, s, side="right") - 1, len(self.cum) - 2)
        return xy, self.yaws[np.maximum(i, 0)]

    def project(self, xy: np.ndarray) -> tuple[float, float]:
        """(arc length, distance) of the path point nearest to ``xy``."""
        d2 = np.sum((self.points[:, :2] - np.asarray(xy)[:2]) ** 2, axis=1)
        i = int(np.argmin(d2))
        return float(self.cum[i]), math.sqrt(float(d2[i]))

    def shifted(self, lateral_m: float) -> Path:
        """The path moved ``lateral_m`` to the right (negative: left)."""
        normal = np.stack([-np.sin(self.yaws), np.cos(self.yaws)], axis=1)
        pts = self.points.copy()
        pts[:, :2] += lateral_m * normal
        return Path(pts)


def concat_paths(parts: list[np.ndarray]) -> Path:
    return Path(np.concatenate([p for p in parts if len(p)], axis=0))


def blend_paths(a: Path, b: Path, s_a: float, s_b: float, length_m: float, tail_m: float) -> Path:
    """From ``a`` at ``s_a`` to ``b`` at ``s_b + length_m`` with a smooth lateral blend, then
    ``tail_m`` more metres along ``b`` (cut-ins, lane changes)."""
    u = np.linspace(0.0, 1.0, max(int(length_m), 2) + 1)
    weight = u * u * (3.0 - 2.0 * u)
    pa = np.array([a.pose_at(s_a + t * length_m)[0] for t in u])
    pb = np.array([b.pose_at(s_b + t * length_m)[0] for t in u])
    blend = pa * (1.0 - weight[:, None]) + pb * weight[:, None]
    tail = np.array([b.pose_at(s_b + length_m + d)[0] for d in np.arange(1.0, tail_m + 1.0, 1.0)])
    return concat_paths([blend, tail])


class RouteGeometry:
    """The ego's dense route with the lookups scenarios use (indices are dense points, 1 m apart)."""

    def __init__(self, dense: DenseRoute):
        self.dense = dense
        self.town = dense.town
        self.lanes: LaneGraph = lane_graph_for(dense.town.map)

    def __len__(self) -> int:
        return len(self.dense)

    @cached_property
    def path(self) -> Path:
        return Path(self.dense.positions)

    @cached_property
    def predecessors(self) -> list[list[int]]:
        preds: list[list[int]] = [[] for _ in range(self.lanes.num_lanes)]
        for lane, successors in enumerate(self.lanes.successors):
            for nxt in successors:
                preds[nxt].append(lane)
        return preds

    def pose(self, index: int) -> tuple[np.ndarray, float]:
        index = int(np.clip(index, 0, len(self) - 1))
        return self.dense.positions[index], float(self.dense.yaws[index])

    def index_after(self, index: int, metres: float) -> int:
        """The dense index ``metres`` along the route from ``index`` (clipped to the route)."""
        target = self.dense.distances[int(np.clip(index, 0, len(self) - 1))] + metres
        return int(np.clip(np.searchsorted(self.dense.distances, target), 0, len(self) - 1))

    def metres_between(self, a: int, b: int) -> float:
        return float(self.dense.distances[b] - self.dense.distances[a])

    def waypoint(self, index: int) -> carla.Waypoint:
        x, y, z = (float(v) for v in self.dense.positions[int(np.clip(index, 0, len(self) - 1))])
        return self.town.map.get_waypoint(carla.Location(x, y, z), project_to_road=True, lane_type=carla.LaneType.Driving)

    def lane_width(self, index: int) -> float:
        return float(self.waypoint(index).lane_width)

    def match_trigger(self, trigger: TriggerPoint, where: str) -> int:
        """The dense index nearest ``trigger`` among the first run of points within 2 m and 10
        degrees of it; an error with the distance otherwise."""
        xy = np.array([trigger.x, trigger.y])
        d = np.linalg.norm(self.dense.positions[:, :2] - xy, axis=1)
        yaw_gap = np.abs(np.degrees(np.arctan2(np.sin(self.dense.yaws - math.radians(trigger.yaw)),
                                                np.cos(self.dense.yaws - math.radians(trigger.yaw)))))
        ok = np.flatnonzero((d <= TRIGGER_MATCH_DISTANCE_M) & (yaw_gap <= TRIGGER_MATCH_YAW_DEG))
        if ok.size:
            # The nearest point of the first pass (a route may pass a place twice).
            run = ok[: int(np.argmax(np.diff(ok) > 1)) + 1] if (np.diff(ok) > 1).any() else ok
            return int(run[np.argmin(d[run])])
        nearest = int(np.argmin(d))
        raise ScenarioPlacementError(
            f"{where}: trigger_point ({trigger.x:.2f}, {trigger.y:.2f}, yaw {trigger.yaw:.1f}) is {d[nearest]:.2f} m "
            f"and {yaw_gap[nearest]:.1f} deg from the nearest route point; it must lie within "
            f"{TRIGGER_MATCH_DISTANCE_M:g} m and {TRIGGER_MATCH_YAW_DEG:g} deg of the route"
        )

    # --- lanes -----------------------------------------------------------------------------

    def lane_at(self, xy: np.ndarray, yaw: float, *, junction: bool | None = None) -> int | None:
        """The traffic-graph lane whose centre passes nearest ``xy`` with a heading near ``yaw``."""
        g = self.lanes
        d2 = np.sum((g.points[:, :2] - np.asarray(xy)[:2]) ** 2, axis=1)
        aligned = np.cos(g.yaws - yaw) > 0.7
        candidates = np.flatnonzero(aligned & (d2 < 4.0))
        if junction is not None and candidates.size:
            lane_of = np.searchsorted(g.offset, candidates, side="right") - 1
            candidates = candidates[g.is_junction[lane_of] == junction]
        if candidates.size == 0:
            return None
        k = int(candidates[np.argmin(d2[candidates])])
        return int(np.searchsorted(g.offset, k, side="right") - 1)

    def _straightest(self, lane: int, choices: list[int], forward: bool) -> int:
        g = self.lanes
        ref = g.yaws[g.offset[lane] + g.count[lane] - 1] if forward else g.yaws[g.offset[lane]]
        def turn(c: int) -> float:
            yaw = g.yaws[g.offset[c] + g.count[c] - 1] if forward else g.yaws[g.offset[c]]
            return abs(angle_diff(float(yaw), float(ref)))
        return min(choices, key=turn)

    def lane_path(self, lane: int, *, upstream_m: float = 0.0, downstream_m: float = 0.0,
                  from_junctions: bool = True, into_junctions: bool = True) -> tuple[Path, float]:
        """The path through ``lane`` extended ``upstream_m`` back and ``downstream_m`` on (straightest
        lanes; with ``from_junctions`` / ``into_junctions`` False the upstream part starts where the
        previous junction ends / the downstream part ends where the next junction begins); returns
        the path and the arc length where ``lane`` starts on it."""
        g = self.lanes
        parts = [g.lane_points(lane)]
        back, here = 0.0, lane
        while back < upstream_m and self.predecessors[here]:
            here = self._straightest(here, self.predecessors[here], forward=False)
            if not from_junctions and g.is_junction[here]:
                break
            parts.insert(0, g.lane_points(here)[:-1])
            back += float(g.length[here])
        ahead, here = 0.0, lane
        while ahead < downstream_m and g.successors[here]:
            here = self._straightest(here, g.successors[here], forward=True)
            if not into_junctions and g.is_junction[here]:
                break
            parts.append(g.lane_points(here)[1:])
            ahead += float(g.length[here])
        path = concat_paths(parts)
        start_s = max(back - upstream_m, 0.0)
        trimmed = Path(path.points[path.cum >= start_s - 1e-6]) if start_s > 0 else path
        return trimmed, back - start_s

    def neighbour(self, index: int, side: str) -> carla.Waypoint | None:
        """The driving lane beside the route at ``index`` on ``side`` ('left'/'right'), any direction."""
        wp = self.waypoint(index)
        other = wp.get_left_lane() if side == "left" else wp.get_right_lane()
        if other is None or other.lane_type != carla.LaneType.Driving:
            return None
        return other

    def same_direction_neighbour(self, index: int, side: str) -> carla.Waypoint | None:
        other = self.neighbour(index, side)
        wp = self.waypoint(index)
        return other if other is not None and other.lane_id * wp.lane_id > 0 else None

    def oncoming_neighbour(self, index: int) -> carla.Waypoint | None:
        other = self.neighbour(index, "left")
        wp = self.waypoint(index)
        return other if other is not None and other.lane_id * wp.lane_id < 0 else None

    def side_lane_type(self, index: int, side: str) -> carla.LaneType | None:
        wp = self.waypoint(index)
        other = wp.get_left_lane() if side == "left" else wp.get_right_lane()
        return None if other is None else other.lane_type

    # --- junctions -------------------------------------------------------------------------

    def next_junction(self, start: int, max_m: float) -> JunctionPass | None:
        """The first junction the route enters after ``start`` within ``max_m`` metres."""
        junction = self.dense.is_junction
        stop = self.index_after(start, max_m)
        inside = np.flatnonzero(junction[start : stop + 1])
        if inside.size == 0:
            return None
        entry = start + int(inside[0])
        exit_ = entry
        while exit_ + 1 < len(self) and junction[exit_ + 1]:
            exit_ += 1
        mid = (entry + exit_) // 2
        position, yaw = self.pose(mid)
        lane = self.lane_at(position, yaw, junction=True)
        if lane is None:
            return None
        return JunctionPass(entry=entry, exit=exit_, lane=lane, junction_id=int(self.lanes.junction_id[lane]),
                            entry_yaw=float(self.dense.yaws[max(entry - 1, 0)]),
                            exit_yaw=float(self.dense.yaws[min(exit_ + 1, len(self) - 1)]))

    def junction_lanes(self, junction: JunctionPass, relation: str, turn: str | None = None) -> list[int]:
        """Junction lanes of ``junction`` entering from ``relation`` ('oncoming', 'left', 'right',
        'same') relative to the ego's entry, optionally turning ``turn`` ('straight', 'left',
        'right'); sorted by lane index."""
        g = self.lanes
        result = []
        for lane in np.flatnonzero(g.junction_id == junction.junction_id):
            lane = int(lane)
            if lane == junction.lane:
                continue
            entry_yaw = float(g.yaws[g.offset[lane]])
            exit_yaw = float(g.yaws[g.offset[lane] + g.count[lane] - 1])
            if relation_of(entry_yaw, junction.entry_yaw) != relation:
                continue
            if turn is not None and turn_of(entry_yaw, exit_yaw) != turn:
                continue
            result.append(lane)
        return result

    def light_for(self, junction: JunctionPass, traffic_lights: list) -> int | None:
        """Id of the traffic light whose stop line the route crosses just before ``junction``."""
        entry_xy = self.dense.positions[max(junction.entry - 1, 0), :2]
        best, best_d = None, 6.0
        for light in traffic_lights:
            for line, yaw in zip(light.stop_lines, light.stop_yaws):
                centre = 0.5 * (line[0, :2] + line[1, :2])
                d = float(np.linalg.norm(centre - entry_xy))
                if d < best_d and math.cos(float(yaw) - junction.entry_yaw) > 0.7:
                    best, best_d = light.id, d
        return best


@attrs.define(frozen=True)
class JunctionPass:
    """The route's way through one junction: dense indices, the junction lane taken, headings."""

    entry: int
    exit: int
    lane: int
    junction_id: int
    entry_yaw: float
    exit_yaw: float

    @property
    def turn(self) -> str:
        return turn_of(self.entry_yaw, self.exit_yaw)


def turn_of(entry_yaw: float, exit_yaw: float) -> str:
    """'straight', 'left' or 'right' (CARLA yaw grows clockwise seen from above, i.e. to the right)."""
    turn = math.degrees(angle_diff(exit_yaw, entry_yaw))
    if abs(turn) < 30.0:
        return "straight"
    return "right" if turn > 0 else "left"


def relation_of(other_entry_yaw: float, ego_entry_yaw: float) -> str:
    """Where another junction lane comes from, seen from the ego: 'same', 'oncoming', 'left', 'right'.

    A vehicle coming from the ego's left drives towards its right: its heading is the ego's plus 90 deg.
    """
    diff = math.degrees(angle_diff(other_entry_yaw, ego_entry_yaw))
    if abs(diff) < 45.0:
        return "same"
    if abs(diff) > 135.0:
        return "oncoming"
    return "left" if diff > 0 else "right"
