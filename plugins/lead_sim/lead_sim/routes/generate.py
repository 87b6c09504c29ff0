"""Random routes on a town: seeded drives along the lane graph, with keypoints every ~50 m."""

from __future__ import annotations

import attrs
import numpy as np

from lead_framework.route import Location, RouteSpec, Weather, arc_lengths
from lead_sim.routes.graph import LaneGraph
from lead_sim.routes.planner import RouteError, TownLike, plan_route, resolve_town

KEYPOINT_SPACING_M = 50.0


@attrs.define(frozen=True)
class _Drive:
    points: np.ndarray  # (K, 3) along the driven lanes
    length: float


def _random_drive(graph: LaneGraph, rng: np.random.Generator, target_m: float) -> _Drive | None:
    """Follows lanes from a random non-junction lane, taking random exits, until ``target_m``."""
    starts = [s for s in graph.segments if not s.is_junction and s.length > 10.0]
    seg = starts[int(rng.integers(len(starts)))]
    begin = seg.offset_index(float(rng.uniform(0.0, max(seg.length - 5.0, 0.0))))
    chunks = [seg.points[begin:]]
    length = seg.cum[-1] - seg.cum[begin]
    visited = {seg.index}
    while length < target_m:
        choices = [
            e for e in graph.out_edges[seg.exit_node]
            if e.lane_changes == 0 and e.pieces[0].segment not in visited
        ]
        if not choices:
            return None
        seg = graph.segments[choices[int(rng.integers(len(choices)))].pieces[0].segment]
        visited.add(seg.index)
        need = target_m - length
        if seg.length > need and not seg.is_junction:
            stop = seg.offset_index(need)
            chunks.append(seg.points[1 : stop + 1])
            length += seg.cum[stop]
            break
        chunks.append(seg.points[1:])
        length += seg.length
    return _Drive(np.concatenate(chunks, axis=0), float(length))


def _keypoints(drive: _Drive, spacing_m: float) -> np.ndarray:
    cum = arc_lengths(drive.points)
    marks = np.arange(0.0, cum[-1], spacing_m)
    idx = sorted({*np.searchsorted(cum, marks).tolist(), len(cum) - 1})
    return drive.points[idx]


def generate_routes(
    town: TownLike,
    count: int,
    length_m: tuple[float, float] = (150.0, 400.0),
    seed: int = 0,
    *,
    keypoint_spacing_m: float = KEYPOINT_SPACING_M,
    max_attempts_per_route: int = 50,
) -> list[RouteSpec]:
    """``count`` random routes of ``length_m`` (lo, hi) metres; the same seed gives the same routes.

    Each route is a random drive through junctions, never reusing a lane, with keypoints every
    ``keypoint_spacing_m``; every route is checked to plan with :func:`plan_route`.
    """
    lo, hi = float(length_m[0]), float(length_m[1])
    if not 0 < lo <= hi:
        raise ValueError(f"length_m must be (lo, hi) with 0 < lo <= hi, got {length_m!r}")
    town = resolve_town(town)
    graph = town.lane_graph
    rng = np.random.default_rng(seed)
    routes: list[RouteSpec] = []
    while len(routes) < count:
        for _ in range(max_attempts_per_route):
            drive = _random_drive(graph, rng, float(rng.uniform(lo, hi)))
            if drive is None or drive.length < lo:
                continue
            keypoints = _keypoints(drive, keypoint_spacing_m)
            try:
                plan_route(town, keypoints)
            except RouteError:
                continue
            routes.append(RouteSpec(
                id=str(len(routes)), town=town.name,
                waypoints=[Location(*map(float, np.round(p, 3))) for p in keypoints],
                weathers=[Weather()],
            ))
            break
        else:
            raise RouteError(
                f"town {town.name!r}: no drive of {lo:.0f}-{hi:.0f} m found in {max_attempts_per_route} "
                f"attempts; the town may be too small for this length"
            )
    return routes
