"""Static props (traffic cones) on the road shoulder, beside the outermost driving lanes."""

from __future__ import annotations

import numpy as np

from lead_sim.traffic.lanes import LaneGraph

PROP_EXTENT = (0.25, 0.25, 0.4)
PROP_BLUEPRINT = "static.prop.constructioncone"
#: Props stand this far (metres) beyond the lane edge, clear of traffic.
SHOULDER_OFFSET_M = 0.8


def place_props(
    graph: LaneGraph, count: int, rng: np.random.Generator, keep_away: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Positions (count, 3) and yaws (count,) of props, at least 15 m from ``keep_away``."""
    candidates = np.flatnonzero(~graph.is_junction)
    positions = np.zeros((count, 3))
    yaws = np.zeros(count)
    for i in range(count):
        for _ in range(100):
            lane = int(rng.choice(candidates))
            s = float(rng.uniform(0.0, graph.length[lane]))
            point, yaw = graph.pose_at(np.array([lane]), np.array([s]))
            offset = 0.5 * graph.width[lane] + SHOULDER_OFFSET_M
            xy = point[0, :2] + offset * np.array([-np.sin(yaw[0]), np.cos(yaw[0])])
            clear_of_lanes = np.min(np.sum((graph.points[:, :2] - xy) ** 2, axis=1)) > (0.5 * graph.width[lane] + 0.3) ** 2
            if clear_of_lanes and np.hypot(*(xy - keep_away[:2])) > 15.0:
                break
        positions[i] = (xy[0], xy[1], point[0, 2] + PROP_EXTENT[2])
        yaws[i] = yaw[0]
    return positions, yaws
