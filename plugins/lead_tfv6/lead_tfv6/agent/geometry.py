"""Planar ego poses and rigid transforms in CARLA's frames (x forward/east, y right/south, z up).

The ego frame of the training data (docs/data-format.md) has its origin on the ground below the
ego's box centre. The embedded world and CARLA keep the ego level enough that a pose is
``(x, y, yaw)``; heights stay in the vehicle frame.
"""

from __future__ import annotations

import math

import attrs
import numpy as np


@attrs.define(frozen=True)
class EgoPose:
    """Ego position (metres) and heading (radians, CARLA yaw: 0 = +x, growing towards +y)."""

    x: float
    y: float
    yaw: float

    def to_ego(self, points_xy: np.ndarray) -> np.ndarray:
        """World (N, 2) -> ego frame (N, 2), float64."""
        points_xy = np.asarray(points_xy, dtype=np.float64).reshape(-1, 2)
        cos, sin = math.cos(self.yaw), math.sin(self.yaw)
        dx, dy = points_xy[:, 0] - self.x, points_xy[:, 1] - self.y
        return np.stack([cos * dx + sin * dy, -sin * dx + cos * dy], axis=1)

    def to_world(self, points_xy: np.ndarray) -> np.ndarray:
        """Ego frame (N, 2) -> world (N, 2), float64."""
        points_xy = np.asarray(points_xy, dtype=np.float64).reshape(-1, 2)
        cos, sin = math.cos(self.yaw), math.sin(self.yaw)
        return np.stack(
            [self.x + cos * points_xy[:, 0] - sin * points_xy[:, 1], self.y + sin * points_xy[:, 0] + cos * points_xy[:, 1]],
            axis=1,
        )


def relative_transform(source: EgoPose, target: EgoPose) -> tuple[np.ndarray, np.ndarray]:
    """(2x2 rotation, 2-vector) taking points from ``source``'s ego frame into ``target``'s."""
    yaw = source.yaw - target.yaw
    cos, sin = math.cos(yaw), math.sin(yaw)
    rotation = np.array([[cos, -sin], [sin, cos]])
    offset = target.to_ego(np.array([[source.x, source.y]]))[0]
    return rotation, offset


def wrap_angle(angle: float) -> float:
    """An angle wrapped to [-pi, pi)."""
    return (angle + math.pi) % (2.0 * math.pi) - math.pi
