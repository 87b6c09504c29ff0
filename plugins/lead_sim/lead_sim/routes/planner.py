"""A* over the lane graph and the dense route it yields, as the leaderboard's ``interpolate_trajectory``.

Each route keypoint is snapped to the nearest driving lane; consecutive keypoints are joined by the
cheapest path (lane changes cost extra); the joined path is resampled every metre with a
:class:`RoadOption` per point.
"""

from __future__ import annotations

import heapq
import math
from typing import TYPE_CHECKING, Union

import attrs
import carla
import numpy as np

from lead_framework.route import RoadOption, arc_lengths, distinct_points
from lead_sim.routes.graph import (
    LANE_CHANGE_PENALTY_M,
    LaneGraph,
    LaneSegment,
    Piece,
    lane_change_pieces,
    neighbour_segment,
)

if TYPE_CHECKING:
    from lead_sim.maps.towns import TownMap

TownLike = Union["TownMap", str]

#: Keypoints farther than this from any driving lane centre are refused.
MAX_SNAP_DISTANCE_M = 5.0
DENSE_STEP_M = 1.0
#: Consecutive keypoints on one lane at most this far backwards count as the same place.
SAME_PLACE_TOLERANCE_M = 1.0
_TARGET = -1


class RouteError(ValueError):
    """A route that cannot be planned: off-road keypoint, or no drivable path between keypoints."""


@attrs.define(eq=False)
class DenseRoute:
    """The route every ``DENSE_STEP_M`` metres (CARLA world coordinates).

    ``positions`` (M, 3); ``yaws`` (M,) radians, CARLA's convention; ``options`` (M,) int
    :class:`RoadOption` values; ``distances`` (M,) cumulative metres from the start;
    ``road_ids``/``lane_ids`` (M,) the OpenDRIVE lane each point lies on; ``is_junction`` (M,);
    ``keypoint_indices`` the dense index of every route keypoint; ``town`` the map it lies on.
    """

    town: TownMap
    positions: np.ndarray
    yaws: np.ndarray
    options: np.ndarray
    distances: np.ndarray
    road_ids: np.ndarray
    lane_ids: np.ndarray
    is_junction: np.ndarray
    keypoint_indices: np.ndarray
    route_id: str = ""

    def __len__(self) -> int:
        return int(self.positions.shape[0])

    @property
    def length_m(self) -> float:
        return float(self.distances[-1]) if len(self) else 0.0

    @property
    def road_options(self) -> list[RoadOption]:
        return [RoadOption(int(v)) for v in self.options]

    @property
    def route_percentage(self) -> np.ndarray:
        """Share of the route length (0-100) reached at each point."""
        return 100.0 * self.distances / max(self.length_m, 1e-9)


def resolve_town(town: TownLike) -> TownMap:
    """``town`` itself, or the town :func:`lead_sim.maps.load_town` loads for a name or path."""
    if isinstance(town, str):
        from lead_sim.maps.towns import load_town

        return load_town(town)
    return town


def snap_keypoint(town: TownMap, index: int, point: np.ndarray) -> carla.Waypoint:
    """The driving-lane waypoint nearest to keypoint ``index``; RouteError when it is too far."""
    location = carla.Location(float(point[0]), float(point[1]), float(point[2]))
    wp = town.map.get_waypoint(location, project_to_road=True, lane_type=carla.LaneType.Driving)
    if wp is None:
        raise RouteError(f"route waypoint {index} at {tuple(np.round(point, 2))}: town {town.name!r} has no driving lane")
    distance = math.hypot(wp.transform.location.x - location.x, wp.transform.location.y - location.y)
    if distance > MAX_SNAP_DISTANCE_M:
        raise RouteError(
            f"route waypoint {index} at ({point[0]:.2f}, {point[1]:.2f}, {point[2]:.2f}) is {distance:.1f} m "
            f"from the nearest driving lane of town {town.name!r} (limit {MAX_SNAP_DISTANCE_M:.0f} m); "
            f"move it onto a lane or check that the route belongs to this town"
        )
    return wp


def _locate(graph: LaneGraph, wp: carla.Waypoint, index: int) -> tuple[LaneSegment, int]:
    found = graph.segment_of(wp)
    if found is None:
        raise RouteError(
            f"route waypoint {index} lies on road {wp.road_id} lane {wp.lane_id}, which has no successor "
            f"(a dead end) and is not part of the lane graph"
        )
    return found


def _neighbour_paths(graph: LaneGraph, seg: LaneSegment) -> list[list[LaneSegment]]:
    """Chains [seg, n1, n2, ...] of allowed lane changes to the left and to the right."""
    paths = []
    for side in ("left", "right"):
        path = [seg]
        while True:
            nxt = neighbour_segment(path[-1], side, graph.segments, graph.by_lane)
            if nxt is None or nxt in path:
                break
            path = path + [nxt]
            paths.append(path)
    return paths


def _pieces_cost(graph: LaneGraph, pieces: tuple[Piece, ...]) -> float:
    cost = 0.0
    for piece in pieces:
        seg = graph.segments[piece.segment]
        if piece.target >= 0:
            target = graph.segments[piece.target]
            cost += LANE_CHANGE_PENALTY_M + max(target.cum[piece.end] - seg.cum[piece.start], 0.0)
        else:
            cost += seg.cum[piece.end] - seg.cum[piece.start]
    return cost


def _search_leg(graph: LaneGraph, start: tuple[LaneSegment, int], end: tuple[LaneSegment, int]) -> list[Piece]:
    """Cheapest pieces from ``start`` to ``end`` (segment, sample index): A* with a straight-line bound."""
    seg_s, idx_s = start
    seg_e, idx_e = end
    goal = seg_e.points[idx_e]
    off_s, off_e = seg_s.cum[idx_s], seg_e.cum[idx_e]

    first: list[tuple[int, tuple[Piece, ...]]] = []  # (node or _TARGET, pieces) from the start
    if seg_s is seg_e and off_e >= off_s - SAME_PLACE_TOLERANCE_M:
        # An end just behind the start (dense keypoints snapping to the same sample) is the same
        # place, not a reason to drive round the block.
        first.append((_TARGET, (Piece(seg_s.index, idx_s, max(idx_e, idx_s), seg_s.option),)))
    first.append((seg_s.exit_node, (Piece(seg_s.index, idx_s, len(seg_s.points) - 1, seg_s.option),)))
    for path in _neighbour_paths(graph, seg_s):
        pieces = lane_change_pieces(path, off_s)
        if pieces is not None:
            first.append((path[-1].exit_node, pieces))
        if path[-1] is seg_e:
            pieces = lane_change_pieces(path, off_s, off_e)
            if pieces is not None:
                first.append((_TARGET, pieces))

    last: dict[int, list[tuple[Piece, ...]]] = {seg_e.entry_node: [(Piece(seg_e.index, 0, idx_e, seg_e.option),)]}
    for path in _neighbour_paths(graph, seg_e):
        back = list(reversed(path))
        if all(_can_change(graph, a, b) for a, b in zip(back, back[1:])):
            pieces = lane_change_pieces(back, 0.0, off_e)
            if pieces is not None:
                last.setdefault(back[0].entry_node, []).append(pieces)

    def heuristic(node: int) -> float:
        return 0.0 if node == _TARGET else float(np.linalg.norm(graph.node_positions[node][:2] - goal[:2]))

    counter = 0
    queue: list[tuple[float, int, float, int]] = []
    parent: dict[int, tuple[int, tuple[Piece, ...]] | None] = {}
    best: dict[int, float] = {}
    start_node = -2

    def push(node: int, g: float, prev: int, pieces: tuple[Piece, ...]) -> None:
        nonlocal counter
        if g < best.get(node, math.inf) - 1e-9:
            best[node] = g
            parent[node] = (prev, pieces)
            counter += 1
            heapq.heappush(queue, (g + heuristic(node), counter, g, node))

    for node, pieces in first:
        push(node, _pieces_cost(graph, pieces), start_node, pieces)
    done: set[int] = set()
    while queue:
        _, _, g, node = heapq.heappop(queue)
        if node in done or g > best.get(node, math.inf) + 1e-9:
            continue
        if node == _TARGET:
            return _unwind(parent, start_node)
        done.add(node)
        for pieces in last.get(node, []):
            push(_TARGET, g + _pieces_cost(graph, pieces), node, pieces)
        for edge in graph.out_edges[node]:
            push(edge.to_node, g + edge.cost, node, edge.pieces)
    raise RouteError(
        f"no drivable path from road {seg_s.road_id} lane {seg_s.lane_id} to road {seg_e.road_id} "
        f"lane {seg_e.lane_id}"
    )


def _can_change(graph: LaneGraph, a: LaneSegment, b: LaneSegment) -> bool:
    return any(neighbour_segment(a, side, graph.segments, graph.by_lane) is b for side in ("left", "right"))


def _unwind(parent, start_node: int) -> list[Piece]:
    chunks = []
    node = _TARGET
    while node != start_node:
        prev, pieces = parent[node]
        chunks.append(pieces)
        node = prev
    return [piece for chunk in reversed(chunks) for piece in chunk]


def _piece_samples(graph: LaneGraph, piece: Piece):
    """Points and per-point (option, road, lane, junction) of one piece, before resampling."""
    seg = graph.segments[piece.segment]
    if piece.target < 0:
        sl = slice(piece.start, piece.end + 1)
        pts = seg.points[sl]
        n = len(pts)
        return pts, [(int(piece.option), seg.road_id, seg.lane_id, seg.is_junction)] * n
    target = graph.segments[piece.target]
    d0, d1 = seg.cum[piece.start], target.cum[piece.end]
    span = max(d1 - d0, 1.0)
    n = max(int(math.ceil(span / 0.5)), 2)
    u = np.linspace(0.0, 1.0, n)
    weight = u * u * (3.0 - 2.0 * u)
    along_a = np.clip(d0 + u * span, 0.0, seg.cum[-1])
    along_b = np.clip(d1 - (1.0 - u) * span, 0.0, target.cum[-1])
    pa = np.stack([np.interp(along_a, seg.cum, seg.points[:, k]) for k in range(3)], axis=1)
    pb = np.stack([np.interp(along_b, target.cum, target.points[:, k]) for k in range(3)], axis=1)
    pts = pa * (1.0 - weight[:, None]) + pb * weight[:, None]
    attrs_list = [
        (int(piece.option), *((seg.road_id, seg.lane_id) if w < 0.5 else (target.road_id, target.lane_id)), False)
        for w in weight
    ]
    return pts, attrs_list


def _resample(points: np.ndarray, info: np.ndarray, step: float):
    keep = distinct_points(points)
    points, info = points[keep], info[keep]
    cum = arc_lengths(points)
    total = cum[-1]
    dist = np.arange(0.0, total, step)
    if total - dist[-1] > 1e-3:
        dist = np.append(dist, total)
    pos = np.stack([np.interp(dist, cum, points[:, k]) for k in range(3)], axis=1)
    src = np.clip(np.searchsorted(cum, dist, side="right") - 1, 0, len(points) - 1)
    return pos, info[src], dist


def _yaws(positions: np.ndarray) -> np.ndarray:
    if len(positions) < 2:
        return np.zeros(len(positions))
    forward = np.empty_like(positions[:, :2])
    forward[:-1] = positions[1:, :2] - positions[:-1, :2]
    forward[-1] = forward[-2]
    return np.arctan2(forward[:, 1], forward[:, 0])


def plan_route(town: TownLike, waypoints: np.ndarray, route_id: str = "") -> DenseRoute:
    """The dense route through ``waypoints`` (N >= 2 keypoints, (N, 3) CARLA coordinates)."""
    town = resolve_town(town)
    keypoints = np.asarray(waypoints, dtype=np.float64)
    if keypoints.ndim != 2 or keypoints.shape[1] != 3 or len(keypoints) < 2:
        raise RouteError(f"route {route_id!r}: need an (N, 3) array of N >= 2 keypoints, got shape {keypoints.shape}")
    graph = town.lane_graph
    located = [_locate(graph, snap_keypoint(town, i, p), i) for i, p in enumerate(keypoints)]
    chunks_pts, chunks_info = [], []
    for leg, (a, b) in enumerate(zip(located, located[1:])):
        try:
            pieces = _search_leg(graph, a, b)
        except RouteError as error:
            raise RouteError(f"route {route_id!r}, keypoints {leg} -> {leg + 1}: {error}") from None
        for piece in pieces:
            pts, info = _piece_samples(graph, piece)
            chunks_pts.append(pts)
            chunks_info.extend(info)
    points = np.concatenate(chunks_pts, axis=0)
    info = np.asarray(chunks_info, dtype=np.int64)
    positions, info_r, dist = _resample(points, info, DENSE_STEP_M)
    keypoint_idx = [0]
    for point in (seg.points[idx] for seg, idx in located[1:]):
        start = keypoint_idx[-1]
        d = np.linalg.norm(positions[start:, :2] - point[:2], axis=1)
        keypoint_idx.append(start + int(np.argmin(d)))
    return DenseRoute(
        town=town, positions=positions, yaws=_yaws(positions), options=info_r[:, 0].astype(np.int8),
        distances=dist, road_ids=info_r[:, 1], lane_ids=info_r[:, 2], is_junction=info_r[:, 3].astype(bool),
        keypoint_indices=np.asarray(keypoint_idx), route_id=route_id,
    )
