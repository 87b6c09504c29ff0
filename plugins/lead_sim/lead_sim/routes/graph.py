"""The lane graph the route planner searches, built from ``carla.Map.get_topology()``.

Every lane (of one road section) that has a successor becomes a :class:`LaneSegment` sampled
every metre; its start and end are graph nodes (ends that coincide within a few centimetres are
one node). Edges: driving a segment (lanes inside junctions carry a turn option), and lane changes
from a segment's start to a same-direction neighbour's end where the marking allows it, costing
extra so that the planner changes lanes only when it must.
"""

from __future__ import annotations

import math
from collections import defaultdict

import attrs
import carla
import numpy as np

from lead_framework.route import RoadOption, arc_lengths

SAMPLE_STEP_M = 1.0
#: Length over which a lane change blends from one lane centre to the next.
LANE_CHANGE_LENGTH_M = 12.0
#: Straight driving kept before the first lane change on a segment.
LANE_CHANGE_LEAD_M = 4.0
#: Extra cost of each lane change, in metres of driving.
LANE_CHANGE_PENALTY_M = 15.0
#: Turn angle (degrees) below which a junction lane counts as going straight.
STRAIGHT_TURN_DEG = 30.0
_NODE_MERGE_M = 0.1


@attrs.define(eq=False)
class LaneSegment:
    """One lane of one road section, from its start to its end in driving direction.

    ``points`` (K, 3) every ~1 m in CARLA world coordinates, ``yaws`` (K,) radians, ``cum`` (K,)
    distance from the first point. ``option``: the turn inside junctions, LANEFOLLOW elsewhere.
    """

    index: int
    road_id: int
    section_id: int
    lane_id: int
    is_junction: bool
    points: np.ndarray
    yaws: np.ndarray
    cum: np.ndarray
    option: RoadOption
    entry_node: int = -1
    exit_node: int = -1
    waypoint: carla.Waypoint | None = None

    @property
    def length(self) -> float:
        return float(self.cum[-1])

    def offset_index(self, distance: float) -> int:
        """Index of the sample nearest to ``distance`` metres from the segment start."""
        return int(np.clip(np.searchsorted(self.cum, distance), 0, len(self.cum) - 1))


@attrs.define(frozen=True)
class Piece:
    """Part of an edge's path: driving ``segment`` between sample indices, or changing lanes.

    A lane change (``option`` CHANGELANELEFT/RIGHT) blends from ``segment`` at ``start`` to
    ``target`` at ``end``.
    """

    segment: int
    start: int
    end: int
    option: RoadOption
    target: int = -1


@attrs.define(frozen=True)
class Edge:
    to_node: int
    cost: float
    pieces: tuple[Piece, ...]
    lane_changes: int = 0


@attrs.define(eq=False)
class LaneGraph:
    segments: list[LaneSegment]
    node_positions: np.ndarray
    out_edges: list[list[Edge]]
    by_lane: dict[tuple[int, int, int], list[int]]

    def segment_of(self, waypoint: carla.Waypoint) -> tuple[LaneSegment, int] | None:
        """The segment holding ``waypoint`` and the index of its nearest sample, or None."""
        candidates = self.by_lane.get((waypoint.road_id, waypoint.section_id, waypoint.lane_id), [])
        loc = waypoint.transform.location
        best = None
        for seg_index in candidates:
            seg = self.segments[seg_index]
            d2 = (seg.points[:, 0] - loc.x) ** 2 + (seg.points[:, 1] - loc.y) ** 2
            i = int(np.argmin(d2))
            if best is None or d2[i] < best[0]:
                best = (float(d2[i]), seg, i)
        return None if best is None else (best[1], best[2])


def turn_option(yaws: np.ndarray) -> RoadOption:
    """LEFT/RIGHT/STRAIGHT from the heading change over a junction lane (CARLA yaw grows to the right)."""
    turn = math.degrees(math.atan2(math.sin(yaws[-1] - yaws[0]), math.cos(yaws[-1] - yaws[0])))
    if abs(turn) < STRAIGHT_TURN_DEG:
        return RoadOption.STRAIGHT
    return RoadOption.RIGHT if turn > 0 else RoadOption.LEFT


def _sample_lane(start: carla.Waypoint, max_samples: int = 100_000) -> list[carla.Waypoint]:
    """Waypoints every metre along ``start``'s lane up to its end.

    Stepped with ``next`` rather than ``next_until_lane_end``, which crashes the process on some
    lanes of the large CARLA towns (Town12).
    """
    key = (start.road_id, start.section_id, start.lane_id)
    samples = [start]
    while len(samples) < max_samples:
        ahead = [w for w in samples[-1].next(SAMPLE_STEP_M) if (w.road_id, w.section_id, w.lane_id) == key]
        if not ahead:
            break
        forward = ahead[0].s - samples[-1].s if start.lane_id < 0 else samples[-1].s - ahead[0].s
        if forward <= 1e-6:  # the lane wrapped onto itself
            break
        samples.append(ahead[0])
    return samples


def _make_segment(index: int, start: carla.Waypoint, end_location: carla.Location) -> LaneSegment:
    samples = _sample_lane(start)
    pts = [(w.transform.location.x, w.transform.location.y, w.transform.location.z) for w in samples]
    yaws = [math.radians(w.transform.rotation.yaw) for w in samples]
    end = (end_location.x, end_location.y, end_location.z)
    if math.dist(pts[-1], end) > 0.05:
        pts.append(end)
        yaws.append(yaws[-1])
    points = np.asarray(pts, dtype=np.float64)
    cum = arc_lengths(points)
    yaw_arr = np.asarray(yaws)
    option = turn_option(yaw_arr) if start.is_junction else RoadOption.LANEFOLLOW
    return LaneSegment(
        index=index, road_id=start.road_id, section_id=start.section_id, lane_id=start.lane_id,
        is_junction=start.is_junction, points=points, yaws=yaw_arr, cum=cum, option=option,
        waypoint=start,
    )


class _NodeIndex:
    """Merges segment ends closer than a few centimetres into one node (hashed on a coarse grid)."""

    def __init__(self) -> None:
        self.positions: list[np.ndarray] = []
        self._cells: dict[tuple[int, int, int], list[int]] = defaultdict(list)

    def node_for(self, point: np.ndarray) -> int:
        key = tuple(int(math.floor(v / _NODE_MERGE_M)) for v in point)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for dz in (-1, 0, 1):
                    for node in self._cells.get((key[0] + dx, key[1] + dy, key[2] + dz), []):
                        if np.linalg.norm(self.positions[node] - point) <= _NODE_MERGE_M:
                            return node
        self.positions.append(np.asarray(point, dtype=np.float64))
        self._cells[key].append(len(self.positions) - 1)
        return len(self.positions) - 1


def build_lane_graph(town_map: carla.Map) -> LaneGraph:
    """The lane graph of ``town_map`` (deterministic: segments in topology order)."""
    segments: list[LaneSegment] = []
    by_lane: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    seen: set[tuple[int, int, int]] = set()
    for start, successor in town_map.get_topology():
        key = (start.road_id, start.section_id, start.lane_id)
        if key in seen:
            continue
        seen.add(key)
        seg = _make_segment(len(segments), start, successor.transform.location)
        segments.append(seg)
        by_lane[key].append(seg.index)
    nodes = _NodeIndex()
    for seg in segments:
        seg.entry_node = nodes.node_for(seg.points[0])
        seg.exit_node = nodes.node_for(seg.points[-1])
    out_edges: list[list[Edge]] = [[] for _ in nodes.positions]
    for seg in segments:
        piece = Piece(seg.index, 0, len(seg.points) - 1, seg.option)
        out_edges[seg.entry_node].append(Edge(seg.exit_node, seg.length, (piece,)))
    for seg in segments:
        if not seg.is_junction:
            for edge in _lane_change_edges(seg, segments, by_lane):
                out_edges[seg.entry_node].append(edge)
    return LaneGraph(segments, np.asarray(nodes.positions), out_edges, dict(by_lane))


def neighbour_segment(
    seg: LaneSegment, side: str, segments: list[LaneSegment], by_lane: dict[tuple[int, int, int], list[int]]
) -> LaneSegment | None:
    """The same-direction driving lane left or right of ``seg`` if its marking allows the change."""
    wp = seg.waypoint
    allowed = carla.LaneChange.Left if side == "left" else carla.LaneChange.Right
    if wp is None or not (wp.lane_change & allowed):
        return None
    other = wp.get_left_lane() if side == "left" else wp.get_right_lane()
    if other is None or other.lane_type != carla.LaneType.Driving or other.lane_id * wp.lane_id <= 0:
        return None
    found = by_lane.get((other.road_id, other.section_id, other.lane_id))
    return segments[found[0]] if found else None


def lane_change_pieces(
    path: list[LaneSegment], start_offset: float, end_offset: float | None = None
) -> tuple[Piece, ...] | None:
    """Pieces driving ``path[0]`` from ``start_offset``, changing lane into each next segment of
    ``path`` in turn, and ending on ``path[-1]`` at ``end_offset`` (its end when None).

    None when the segments are too short for the changes.
    """
    pieces = []
    here = path[0]
    position = start_offset
    idx = here.offset_index(position)
    for nxt in path[1:]:
        change_start = position + LANE_CHANGE_LEAD_M
        change_end = change_start + LANE_CHANGE_LENGTH_M
        if change_end + 1.0 > min(here.length, nxt.length):
            return None
        i0, i1 = here.offset_index(change_start), nxt.offset_index(change_end)
        pieces.append(Piece(here.index, idx, i0, RoadOption.LANEFOLLOW))
        side = _side(here, nxt)
        option = RoadOption.CHANGELANELEFT if side == "left" else RoadOption.CHANGELANERIGHT
        pieces.append(Piece(here.index, i0, i1, option, target=nxt.index))
        here, position, idx = nxt, change_end, i1
    last = here.length if end_offset is None else end_offset
    if last < position:
        return None
    pieces.append(Piece(here.index, idx, here.offset_index(last), RoadOption.LANEFOLLOW))
    return tuple(pieces)


def _side(a: LaneSegment, b: LaneSegment) -> str:
    left = a.waypoint.get_left_lane() if a.waypoint is not None else None
    return "left" if left is not None and left.lane_id == b.lane_id else "right"


def _lane_change_edges(seg: LaneSegment, segments, by_lane) -> list[Edge]:
    edges = []
    for side in ("left", "right"):
        path = [seg]
        while True:
            nxt = neighbour_segment(path[-1], side, segments, by_lane)
            if nxt is None or nxt in path:
                break
            path.append(nxt)
            pieces = lane_change_pieces(path, 0.0)
            if pieces is None:
                break
            changes = len(path) - 1
            edges.append(Edge(nxt.exit_node, nxt.length + changes * LANE_CHANGE_PENALTY_M, pieces, changes))
    return edges
