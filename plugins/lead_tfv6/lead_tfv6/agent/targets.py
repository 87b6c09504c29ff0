"""Previous, current and next target point of a sparse route plan, as the leaderboard's agents track them.

The plan's points are consumed as the ego passes them (CARLA's route planner rule): among the
points within ``max_distance_m`` of cumulative route length ahead, the farthest one that is closer
than ``min_distance_m`` to the ego becomes the new start. The current target is the point after the
start, the previous target the start itself, the next target the one after the current.
"""

from __future__ import annotations

import attrs
import numpy as np

from lead_framework.route import RoadOption, RoutePlan
from lead_tfv6.agent.errors import RoutePlanError
from lead_tfv6.agent.geometry import EgoPose

#: CARLA's route planner settings in LEAD's agent (metres).
MIN_DISTANCE_M, MAX_DISTANCE_M = 7.5, 50.0


def usable_command(command: int) -> int:
    """A RoadOption value the model knows: VOID (-1) becomes LANEFOLLOW."""
    return int(RoadOption.LANEFOLLOW) if int(command) == int(RoadOption.VOID) else int(command)


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

    def __init__(self, plan: RoutePlan, min_distance_m: float = MIN_DISTANCE_M, max_distance_m: float = MAX_DISTANCE_M):
        points = np.asarray(plan.world_points, dtype=np.float64)
        if points.ndim != 2 or len(points) == 0 or len(plan.commands) != len(points):
            raise RoutePlanError(
                f"route {plan.route_id!r}: needs N >= 1 world points with one command each, got {points.shape} "
                f"points and {len(plan.commands)} commands"
            )
        self.points = points[:, :2]
        self.commands = [usable_command(c) for c in plan.commands]
        self.min_distance_m, self.max_distance_m = min_distance_m, max_distance_m
        self.start = 0

    def update(self, position_xy: np.ndarray) -> tuple[int, int, int]:
        """Advance past reached points; returns the (previous, current, next) plan indices."""
        position_xy = np.asarray(position_xy, dtype=np.float64)[:2]
        last = len(self.points) - 1
        advance, farthest, travelled = 0, -np.inf, 0.0
        for index in range(self.start + 1, last + 1):
            if travelled > self.max_distance_m:
                break
            travelled += float(np.linalg.norm(self.points[index] - self.points[index - 1]))
            distance = float(np.linalg.norm(self.points[index] - position_xy))
            if distance <= self.min_distance_m and distance > farthest:
                farthest, advance = distance, index - self.start
        # at least two points stay ahead of the start, as in CARLA's planner
        self.start = min(self.start + advance, max(last - 1, 0))
        current = min(self.start + 1, last)
        return self.start, current, min(current + 1, last)

    def targets(self, pose: EgoPose) -> TargetPoints:
        indices = self.update(np.array([pose.x, pose.y]))
        points = pose.to_ego(self.points[list(indices)]).astype(np.float32)
        return TargetPoints(points=points, commands=tuple(self.commands[i] for i in indices))
