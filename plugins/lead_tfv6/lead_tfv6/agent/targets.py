"""Previous, current and next target point of a sparse route plan, by progress along the plan.

The recorded data (``lead_framework.frame_recorder``) picks as the current target the first plan
point more than 1 m ahead of the ego along the route, with the points before and after it as the
previous and next targets. A sensor agent has no dense route, so progress is measured along the
plan's own polyline: the ego is projected onto the nearest segment around the last one (progress
never jumps to a far part of a route that passes the same place twice).
"""

from __future__ import annotations

import attrs
import numpy as np

from lead_framework.route import RoutePlan, usable_command
from lead_tfv6.agent.errors import RoutePlanError
from lead_tfv6.agent.geometry import EgoPose

#: A plan point becomes the previous target once the ego is less than this far before it (metres).
PASSED_MARGIN_M = 1.0
#: Segments searched around the last one when projecting the ego (behind, ahead).
_SEARCH_BEHIND, _SEARCH_AHEAD = 1, 3


@attrs.define(frozen=True)
class TargetPoints:
    """The three target points in the ego frame (3, 2) float32 and their RoadOption values."""

    points: np.ndarray
    commands: tuple[int, int, int]

    @property
    def command(self) -> int:
        """The current target's command (the one the model's one-hot encodes)."""
        return self.commands[1]


class TargetPointTracker:
    """Follows a :class:`RoutePlan` with the ego's world position."""

    def __init__(self, plan: RoutePlan):
        points = np.asarray(plan.world_points, dtype=np.float64)
        if points.ndim != 2 or len(points) == 0 or len(plan.commands) != len(points):
            raise RoutePlanError(
                f"route {plan.route_id!r}: needs N >= 1 world points with one command each, got {points.shape} "
                f"points and {len(plan.commands)} commands"
            )
        self.points = points[:, :2]
        self.commands = [usable_command(c) for c in plan.commands]
        self.lengths = np.linalg.norm(np.diff(self.points, axis=0), axis=1)
        self.arc = np.concatenate([[0.0], np.cumsum(self.lengths)])
        self.segment = 0

    def progress(self, position_xy: np.ndarray) -> float:
        """Arc length (metres) of the ego's projection onto the plan polyline."""
        if len(self.points) == 1:
            return 0.0
        position_xy = np.asarray(position_xy, dtype=np.float64)[:2]
        candidates = range(max(self.segment - _SEARCH_BEHIND, 0), min(self.segment + _SEARCH_AHEAD, len(self.lengths)))
        best = (np.inf, self.segment, 0.0)
        for index in candidates:
            start, length = self.points[index], max(self.lengths[index], 1e-9)
            along = float(np.clip(np.dot(position_xy - start, self.points[index + 1] - start) / length**2, 0.0, 1.0))
            distance = float(np.linalg.norm(start + along * (self.points[index + 1] - start) - position_xy))
            if distance < best[0]:
                best = (distance, index, along)
        _, self.segment, along = best
        return float(self.arc[self.segment] + along * self.lengths[self.segment])

    def update(self, position_xy: np.ndarray) -> tuple[int, int, int]:
        """The (previous, current, next) plan indices at the ego's position."""
        last = len(self.points) - 1
        ahead = np.flatnonzero(self.arc > self.progress(position_xy) + PASSED_MARGIN_M)
        current = int(ahead[0]) if ahead.size else last
        return max(current - 1, 0), current, min(current + 1, last)

    def targets(self, pose: EgoPose) -> TargetPoints:
        indices = self.update(np.array([pose.x, pose.y]))
        points = pose.to_ego(self.points[list(indices)]).astype(np.float32)
        return TargetPoints(points=points, commands=tuple(self.commands[i] for i in indices))
