"""Ego-frame geometry of one sample: LiDAR input points, the perturbated rig's frame, path resampling.

Ego frame: x forward, y right, z up, metres (docs/data-format.md). The second ("perturbated")
rig sits at ``(0, lateral_m)`` in the ego frame and is turned by ``yaw_rad``, so its forward axis
is ``(cos yaw, sin yaw)`` in ego coordinates.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lead_framework.route import arc_lengths, distinct_points

#: Points lower than this above the ego's ground plane count as ground and are removed.
GROUND_HEIGHT_M = 0.2


def to_perturbated_frame(points: np.ndarray, perturbation: Mapping[str, Any]) -> np.ndarray:
    """Rigidly move ego-frame points (N, >=2; x, y first) into the perturbated rig's frame.

    Columns after x and y (z, tags, velocities) are kept as they are.
    """
    lateral = float(perturbation.get("lateral_m", 0.0))
    yaw = float(perturbation.get("yaw_rad", 0.0))
    moved = np.array(points, dtype=np.float32, copy=True)
    if moved.size == 0:
        return moved
    dx, dy = moved[:, 0].astype(np.float64), moved[:, 1].astype(np.float64) - lateral
    cos, sin = np.cos(yaw), np.sin(yaw)
    moved[:, 0] = cos * dx + sin * dy
    moved[:, 1] = -sin * dx + cos * dy
    return moved


def lidar_input_points(lidar: np.ndarray, radar: np.ndarray | None = None) -> np.ndarray:
    """The points the LiDAR histogram is built from: non-ground LiDAR points plus valid radar points.

    ``lidar`` is (N, >=3) x, y, z[, tag]; ``radar`` is (M, 5) x, y, z, v, sensor id (-1 = padding).
    Ground is removed by height (``GROUND_HEIGHT_M``), as a deployed car without semantic tags can.
    """
    lidar = np.asarray(lidar, dtype=np.float32)
    if lidar.ndim != 2 or lidar.shape[1] < 3:
        raise ValueError(f"LiDAR points must have shape (N, >=3) as x, y, z[, tag]; got {lidar.shape}")
    xyz = lidar[lidar[:, 2] > GROUND_HEIGHT_M, :3]
    if radar is not None and len(radar):
        radar = np.asarray(radar, dtype=np.float32)
        xyz = np.concatenate([xyz, radar[radar[:, 4] >= 0, :3]])
    return xyz


def resample_path(points: np.ndarray, distances: np.ndarray) -> np.ndarray:
    """Points at the given arc lengths along a polyline that starts at the ego origin.

    ``points`` (N, 2) are ordered along the path; arc length is measured from (0, 0) through
    them. Distances beyond the end extend the last segment's direction.
    """
    path = np.concatenate([np.zeros((1, 2)), np.asarray(points, dtype=np.float64).reshape(-1, 2)])
    path = path[distinct_points(path)]
    if len(path) == 1:
        return np.stack([distances, np.zeros_like(distances)], axis=1).astype(np.float32)
    arc = arc_lengths(path)
    x = np.interp(distances, arc, path[:, 0])
    y = np.interp(distances, arc, path[:, 1])
    beyond = distances > arc[-1]
    if beyond.any():
        direction = (path[-1] - path[-2]) / max(np.linalg.norm(path[-1] - path[-2]), 1e-6)
        extra = distances[beyond] - arc[-1]
        x[beyond] = path[-1, 0] + direction[0] * extra
        y[beyond] = path[-1, 1] + direction[1] * extra
    return np.stack([x, y], axis=1).astype(np.float32)
