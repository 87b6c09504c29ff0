"""Stop signs (landmark type ``206``) with trigger volumes on the lanes they govern.

Each governed lane gets its own sign; all signs of a multi-lane approach stand beside the road
(the sign of an inner lane would otherwise stand in the lane to its right).
"""

from __future__ import annotations

import numpy as np

from lead_sim.scene import StopSign
from lead_sim.traffic.lanes import LaneGraph

#: The trigger volume covers this stretch (metres) of the lane before its end, across the lane.
TRIGGER_LENGTH_M = 4.0


def build_stop_signs(graph: LaneGraph) -> tuple[list[StopSign], np.ndarray]:
    """One :class:`StopSign` per governed lane, and ``lane_stop`` (lane -> stop index or -1)."""
    signs: list[StopSign] = []
    lane_stop = np.full(graph.num_lanes, -1, dtype=np.int64)
    for lane in graph.incoming_lanes():
        if not graph.stop_landmark[lane]:
            continue
        points = graph.lane_points(int(lane))
        length = float(graph.length[lane])
        s_centre = max(length - 0.5 * TRIGGER_LENGTH_M, 0.0)
        index = min(int(round(s_centre / graph.spacing[lane])), points.shape[0] - 1)
        yaw = float(graph.yaws[graph.offset[lane] + index])
        half_width = 0.5 * float(graph.width[lane])
        right = np.array([-np.sin(yaw), np.cos(yaw), 0.0])
        lane_stop[lane] = len(signs)
        signs.append(
            StopSign(
                id=len(signs),
                position=graph.beside_the_road(points[-1] + half_width * right, right) + np.array([0.0, 0.0, 2.0]),
                trigger_center=points[index] + np.array([0.0, 0.0, 1.0]),
                trigger_extent=np.array([0.5 * min(TRIGGER_LENGTH_M, length), half_width, 1.0]),
                trigger_yaw=yaw,
            )
        )
    return signs, lane_stop
