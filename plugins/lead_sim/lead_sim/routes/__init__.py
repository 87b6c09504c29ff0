"""Route planning on a town's lane graph: dense routes, global plans, random route generation."""

from lead_sim.routes.generate import generate_routes
from lead_sim.routes.graph import LaneGraph, LaneSegment, build_lane_graph
from lead_sim.routes.plan import downsample_indices, target_points
from lead_sim.routes.planner import MAX_SNAP_DISTANCE_M, DenseRoute, RouteError, plan_route

__all__ = [
    "MAX_SNAP_DISTANCE_M", "DenseRoute", "LaneGraph", "LaneSegment", "RouteError", "build_lane_graph",
    "downsample_indices", "generate_routes", "plan_route", "target_points",
]
