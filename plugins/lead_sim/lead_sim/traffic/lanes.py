"""Lanes as polylines: every driving-lane segment of a town sampled at ~1 m, built once per town.

Traffic reads positions and headings from these arrays with plain indexing, so the per-tick update
never queries ``carla.Map``. A lane here is one edge of ``carla.Map.get_topology()`` (a lane between
two section or junction boundaries); its successors are the lanes that start where it ends.
"""

from __future__ import annotations

import functools
import math

import attrs
import carla
import numpy as np

from lead_framework.route import arc_lengths, distinct_points

#: Lane ends and starts closer than this (metres) are connected.
CONNECT_TOLERANCE_M = 0.5
#: Two junction lanes from different entries whose centrelines come this close (metres) conflict.
CONFLICT_DISTANCE_M = 2.2
#: How far before a junction entry (metres) signals and stop signs are looked up.
SIGNAL_SEARCH_M = 25.0
#: Traffic-light poles and stop signs stand this far (metres) clear of every driving lane.
ROADSIDE_CLEARANCE_M = 1.0
TRAFFIC_LIGHT_TYPE = "1000001"
STOP_SIGN_TYPE = "206"
SPEED_LIMIT_TYPE = "274"
#: Speed limit (km/h) of lanes that no speed-limit sign reaches: CARLA's urban default.
DEFAULT_SPEED_LIMIT_KMH = 30.0


@attrs.define(slots=False)
class PolylineSet:
    """Polylines concatenated in one array: ``points`` (P, 3); per line ``offset`` (first point
    index), ``count`` (points), ``spacing`` (metres between points) and ``length``."""

    points: np.ndarray
    offset: np.ndarray
    count: np.ndarray
    spacing: np.ndarray
    length: np.ndarray

    def lane_points(self, lane: int) -> np.ndarray:
        start = int(self.offset[lane])
        return self.points[start : start + int(self.count[lane])]

    def pose_at(self, lanes: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions (N, 3) and yaws (N,) at arc length ``s`` along ``lanes`` (vectorised, clipped)."""
        s = np.minimum(np.maximum(s, 0.0), self.length[lanes])
        u = s / self.spacing[lanes]
        i = np.minimum(u.astype(np.int64), self.count[lanes] - 2)
        frac = (u - i)[:, None]
        base = self.offset[lanes] + i
        pos = self.points[base] * (1.0 - frac) + self.points[base + 1] * frac
        return pos, self.segment_yaw[base]

    @functools.cached_property
    def segment_yaw(self) -> np.ndarray:
        """Heading of the segment that starts at each point (a line's last point: its last segment's)."""
        d = np.diff(self.points[:, :2], axis=0, append=self.points[-1:, :2])
        yaw = np.arctan2(d[:, 1], d[:, 0])
        last = self.offset + self.count - 1
        yaw[last] = yaw[last - 1]
        return yaw

    def nearest_point(self, xy: np.ndarray) -> tuple[int, float, float]:
        """(line, s, distance) of the point nearest to ``xy`` (a scan; not for per-tick use)."""
        d2 = np.sum((self.points[:, :2] - xy[:2]) ** 2, axis=1)
        k = int(np.argmin(d2))
        lane = int(np.searchsorted(self.offset, k, side="right") - 1)
        return lane, float((k - self.offset[lane]) * self.spacing[lane]), math.sqrt(float(d2[k]))


def polylines_from(lines: list[np.ndarray]) -> PolylineSet:
    """Resample each polyline (n_i, 3) uniformly at <= 1 m and concatenate them."""
    resampled = [_resample(line) for line in lines]
    counts = np.array([pts.shape[0] for pts, _ in resampled], dtype=np.int64)
    lengths = np.array([length for _, length in resampled])
    return PolylineSet(
        points=np.concatenate([pts for pts, _ in resampled]),
        offset=np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64),
        count=counts,
        spacing=np.maximum(lengths / (counts - 1), 1e-3),
        length=lengths,
    )


def _resample(raw: np.ndarray) -> tuple[np.ndarray, float]:
    raw = raw[distinct_points(raw[:, :2], min_step=1e-3)]
    if raw.shape[0] < 2:
        raw = np.vstack([raw[:1], raw[:1] + [0.1, 0.0, 0.0]])
    cumulative = arc_lengths(raw[:, :2])
    length = float(cumulative[-1])
    n = max(2, int(math.ceil(length)) + 1)
    s = np.linspace(0.0, length, n)
    return np.stack([np.interp(s, cumulative, raw[:, k]) for k in range(3)], axis=1), length


class PointGrid:
    """Nearest-point lookup over a fixed point set with a hash grid (for per-tick queries)."""

    def __init__(self, points: np.ndarray, cell_m: float = 4.0) -> None:
        self.points = np.ascontiguousarray(points[:, :2])
        self.cell = cell_m
        keys = np.floor(self.points / cell_m).astype(np.int64)
        order = np.lexsort((keys[:, 1], keys[:, 0]))
        self._cells: dict[tuple[int, int], np.ndarray] = {}
        sorted_keys = keys[order]
        breaks = np.flatnonzero(np.any(np.diff(sorted_keys, axis=0) != 0, axis=1)) + 1
        own: dict[tuple[int, int], np.ndarray] = {}
        for chunk in np.split(np.arange(order.size), breaks):
            if chunk.size:
                kx, ky = sorted_keys[chunk[0]]
                own[(int(kx), int(ky))] = order[chunk]
        # Each cell keeps the points of its 3 x 3 neighbourhood, so a query is one lookup.
        neighbourhood = {(cx + i, cy + j) for cx, cy in own for i in (-1, 0, 1) for j in (-1, 0, 1)}
        for cx, cy in neighbourhood:
            found = [own[key] for key in ((cx + i, cy + j) for i in (-1, 0, 1) for j in (-1, 0, 1)) if key in own]
            self._cells[(cx, cy)] = np.concatenate(found)

    def nearest(self, x: float, y: float) -> int:
        """Index of the nearest point if it lies within one cell size of (x, y), else -1."""
        candidates = self._cells.get((math.floor(x / self.cell), math.floor(y / self.cell)))
        if candidates is None:
            return -1
        d = self.points[candidates]
        d2 = (d[:, 0] - x) ** 2 + (d[:, 1] - y) ** 2
        best = int(np.argmin(d2))
        return int(candidates[best]) if d2[best] <= self.cell * self.cell else -1


@attrs.define(slots=False)
class LaneGraph(PolylineSet):
    """All driving lanes of a town as a :class:`PolylineSet` plus lane attributes (one entry per
    OpenDRIVE lane section lane).

    Per point: ``yaws`` (P,). Per lane: ``is_junction``,
    ``junction_id`` (-1 outside junctions), ``width``, ``road_id``, ``lane_id``, ``successors``,
    ``light_landmark``/``stop_landmark`` (landmark id governing the lane's end, or ``""``) and
    ``conflicts`` (for junction lanes: the junction lanes that cross or merge into it).
    """

    yaws: np.ndarray
    is_junction: np.ndarray
    junction_id: np.ndarray
    width: np.ndarray
    road_id: np.ndarray
    lane_id: np.ndarray
    successors: list[list[int]]
    light_landmark: list[str]
    stop_landmark: list[str]
    conflicts: list[frozenset[int]]
    start_waypoints: list[carla.Waypoint]
    #: Speed limit per lane (m/s): from the last sign upstream, else DEFAULT_SPEED_LIMIT_KMH.
    speed_limit: np.ndarray
    #: Lanes without successors (traffic reaching their end is respawned).
    dead_end: np.ndarray

    @property
    def num_lanes(self) -> int:
        return int(self.offset.shape[0])

    @functools.cached_property
    def point_lane(self) -> np.ndarray:
        """The lane of every point."""
        return np.searchsorted(self.offset, np.arange(self.points.shape[0]), side="right") - 1

    @functools.cached_property
    def grid(self) -> PointGrid:
        """Nearest lane point lookups (built on first use)."""
        return PointGrid(self.points)

    @functools.cached_property
    def point_half_width(self) -> np.ndarray:
        """Half the width of every point's lane."""
        return 0.5 * self.width[self.point_lane]

    def beside_the_road(self, start: np.ndarray, right: np.ndarray) -> np.ndarray:
        """The first place from ``start`` along the unit vector ``right`` that is
        ``ROADSIDE_CLEARANCE_M`` clear of every driving lane: where poles and signs stand. Lanes
        beside the one a prop serves (the rest of a multi-lane approach, a turn lane) push it out."""
        position = np.asarray(start, np.float64).copy()
        for _ in range(8):
            distance = np.linalg.norm(self.points[:, :2] - position[:2], axis=1)
            clearance = float(np.min(distance - self.point_half_width))
            if clearance >= ROADSIDE_CLEARANCE_M - 1e-6:
                break
            # A little further than needed: where the nearest lane is not square to ``right`` a step
            # of exactly the missing clearance falls short.
            position = position + (ROADSIDE_CLEARANCE_M + 0.05 - clearance) * right
        return position

    def incoming_lanes(self) -> np.ndarray:
        """Lanes outside junctions whose successors enter a junction."""
        return np.array(
            [
                lane
                for lane in range(self.num_lanes)
                if not self.is_junction[lane] and any(self.is_junction[s] for s in self.successors[lane])
            ],
            dtype=np.int64,
        )


#: id(map) -> (map, graph); holding the map keeps its id unique while cached.
_CACHE: dict[int, tuple[carla.Map, LaneGraph]] = {}


def lane_graph_for(town_map: carla.Map) -> LaneGraph:
    """The lane graph of a town, built once per ``carla.Map`` object (Town10HD: ~0.15 s)."""
    cached = _CACHE.get(id(town_map))
    if cached is None:
        cached = (town_map, build_lane_graph(town_map))
        _CACHE[id(town_map)] = cached
    return cached[1]


def _sample_lane(start: carla.Waypoint, end: carla.Waypoint) -> np.ndarray:
    waypoints = [start, *start.next_until_lane_end(1.0)]
    xyz = [(w.transform.location.x, w.transform.location.y, w.transform.location.z) for w in waypoints]
    end_loc = end.transform.location
    if math.dist(xyz[-1], (end_loc.x, end_loc.y, end_loc.z)) > 0.05:
        xyz.append((end_loc.x, end_loc.y, end_loc.z))
    raw = np.asarray(xyz, dtype=np.float64)
    if raw.shape[0] < 2 or np.linalg.norm(raw[-1, :2] - raw[0, :2]) < 1e-3:
        yaw = math.radians(start.transform.rotation.yaw)
        raw = np.vstack([raw[:1], raw[:1] + [0.1 * math.cos(yaw), 0.1 * math.sin(yaw), 0.0]])
    return raw


def _landmark_before_end(start: carla.Waypoint, length: float, kind: str) -> str:
    probe_s = max(length - SIGNAL_SEARCH_M, 0.0)
    probe = start
    if probe_s > 0.0:
        ahead = [w for w in start.next(probe_s) if w.road_id == start.road_id and w.lane_id == start.lane_id]
        probe = ahead[0] if ahead else start
    remaining = length - probe_s
    for landmark in probe.get_landmarks_of_type(remaining + 5.0, kind, False):
        return str(landmark.id)
    return ""


def build_lane_graph(town_map: carla.Map) -> LaneGraph:
    # get_topology lists a lane once per successor; keep one edge per lane.
    topology = list({(a.road_id, a.section_id, a.lane_id): (a, b) for a, b in town_map.get_topology()}.values())
    lines = polylines_from([_sample_lane(a, b) for a, b in topology])
    points, offsets, counts, lengths, spacing = lines.points, lines.offset, lines.count, lines.length, lines.spacing
    diffs = np.diff(points[:, :2], axis=0, append=points[-1:, :2])
    yaws = np.arctan2(diffs[:, 1], diffs[:, 0])
    last = offsets + counts - 1
    yaws[last] = yaws[last - 1]

    starts = points[offsets, :2]
    start_yaw = yaws[offsets]
    successors: list[list[int]] = []
    for lane in range(len(topology)):
        end = points[last[lane], :2]
        near = np.linalg.norm(starts - end, axis=1) < CONNECT_TOLERANCE_M
        aligned = np.cos(start_yaw - yaws[last[lane]]) > 0.5
        successors.append([int(k) for k in np.flatnonzero(near & aligned) if k != lane])

    is_junction = np.array([a.is_junction for a, _ in topology])
    junction_id = np.array([a.junction_id if a.is_junction else -1 for a, _ in topology], dtype=np.int64)
    incoming = {
        lane for lane in range(len(topology)) if not is_junction[lane] and any(is_junction[s] for s in successors[lane])
    }

    def governing(kind: str) -> list[str]:
        return [_landmark_before_end(a, lengths[k], kind) if k in incoming else "" for k, (a, _) in enumerate(topology)]

    lights, stops = governing(TRAFFIC_LIGHT_TYPE), governing(STOP_SIGN_TYPE)
    graph = LaneGraph(
        points=points,
        yaws=yaws,
        offset=offsets,
        count=counts,
        spacing=spacing,
        length=lengths,
        is_junction=is_junction,
        junction_id=junction_id,
        width=np.array([a.lane_width for a, _ in topology]),
        road_id=np.array([a.road_id for a, _ in topology], dtype=np.int64),
        lane_id=np.array([a.lane_id for a, _ in topology], dtype=np.int64),
        successors=successors,
        light_landmark=lights,
        stop_landmark=stops,
        conflicts=[],
        start_waypoints=[a for a, _ in topology],
        speed_limit=_speed_limits(topology, lengths, successors),
        dead_end=np.array([not options for options in successors]),
    )
    graph.conflicts = _junction_conflicts(graph)
    return graph


def _speed_limits(topology: list, lengths: np.ndarray, successors: list[list[int]]) -> np.ndarray:
    """Per-lane speed limits (m/s). A lane with a speed-limit sign takes its value; the others
    inherit from their predecessors, as a limit holds until the next sign. The CARLA towns mark
    their signs with unit "mph" but mean km/h (30/60/90), so values are read as km/h."""
    limit = np.full(len(topology), np.nan)
    for lane, (start, _) in enumerate(topology):
        signs = start.get_landmarks_of_type(float(lengths[lane]), SPEED_LIMIT_TYPE, False)
        if signs:
            limit[lane] = float(signs[-1].value)
    for _ in range(len(topology)):
        changed = False
        for lane in np.flatnonzero(~np.isnan(limit)):
            for successor in successors[lane]:
                if np.isnan(limit[successor]):
                    limit[successor] = limit[lane]
                    changed = True
        if not changed:
            break
    return np.where(np.isnan(limit), DEFAULT_SPEED_LIMIT_KMH, limit) / 3.6


def _junction_conflicts(graph: LaneGraph) -> list[frozenset[int]]:
    """Junction lanes from different entries whose paths cross or merge."""
    conflicts: list[set[int]] = [set() for _ in range(graph.num_lanes)]
    for junction in np.unique(graph.junction_id[graph.junction_id >= 0]):
        lanes = np.flatnonzero(graph.junction_id == junction)
        polylines = [graph.lane_points(int(lane))[:, :2] for lane in lanes]
        for a in range(len(lanes)):
            for b in range(a + 1, len(lanes)):
                pa, pb = polylines[a], polylines[b]
                if np.linalg.norm(pa[0] - pb[0]) < CONNECT_TOLERANCE_M:
                    continue  # same entry: they follow each other, car following handles it
                gap = np.min(np.linalg.norm(pa[:, None, :] - pb[None, :, :], axis=2))
                if gap < CONFLICT_DISTANCE_M:
                    conflicts[lanes[a]].add(int(lanes[b]))
                    conflicts[lanes[b]].add(int(lanes[a]))
    return [frozenset(c) for c in conflicts]
