"""2D geometry the criteria need: oriented-box overlap, segment crossing, point in box."""

from __future__ import annotations

import numpy as np


def obb_overlaps(
    centre: np.ndarray, yaw: float, extent: np.ndarray, centres: np.ndarray, yaws: np.ndarray, extents: np.ndarray
) -> np.ndarray:
    """Which of the boxes ``(centres (N, 2), yaws (N,), extents (N, 2))`` overlap box ``(centre, yaw,
    extent)`` (separating-axis test on the four edge normals; touching counts as overlap)."""
    axes_a = np.array([[np.cos(yaw), np.sin(yaw)], [-np.sin(yaw), np.cos(yaw)]])  # (2, 2)
    cos, sin = np.cos(yaws), np.sin(yaws)
    axes_b = np.stack([np.stack([cos, sin], axis=1), np.stack([-sin, cos], axis=1)], axis=1)  # (N, 2, 2)
    delta = centres - centre[None, :2]
    separated = np.zeros(centres.shape[0], dtype=bool)
    for k in range(2):
        axis = axes_a[k]
        radius_b = np.abs(axes_b[:, 0] @ axis) * extents[:, 0] + np.abs(axes_b[:, 1] @ axis) * extents[:, 1]
        separated |= np.abs(delta @ axis) > extent[k] + radius_b
    for k in range(2):
        axis = axes_b[:, k]  # (N, 2)
        radius_a = np.abs(axis @ axes_a[0]) * extent[0] + np.abs(axis @ axes_a[1]) * extent[1]
        separated |= np.abs(np.sum(delta * axis, axis=1)) > radius_a + extents[:, k]
    return ~separated


def segments_intersect(p1: np.ndarray, p2: np.ndarray, q1: np.ndarray, q2: np.ndarray) -> bool:
    """Whether the 2D segments p1-p2 and q1-q2 intersect (collinear touching included)."""

    def cross(o: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
        return float((a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]))

    d1, d2 = cross(q1, q2, p1), cross(q1, q2, p2)
    d3, d4 = cross(p1, p2, q1), cross(p1, p2, q2)
    if ((d1 > 0) != (d2 > 0)) and ((d3 > 0) != (d4 > 0)) and d1 != 0 and d2 != 0 and d3 != 0 and d4 != 0:
        return True

    def on_segment(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> bool:
        return min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])

    return (
        (d1 == 0 and on_segment(q1, q2, p1))
        or (d2 == 0 and on_segment(q1, q2, p2))
        or (d3 == 0 and on_segment(p1, p2, q1))
        or (d4 == 0 and on_segment(p1, p2, q2))
    )


def point_in_box(point: np.ndarray, centre: np.ndarray, extent: np.ndarray, yaw: float) -> bool:
    """Whether ``point`` (x, y, z) lies in the box (centre, half extents, yaw about z)."""
    d = point - centre
    c, s = np.cos(yaw), np.sin(yaw)
    local_x = d[0] * c + d[1] * s
    local_y = -d[0] * s + d[1] * c
    return bool(abs(local_x) <= extent[0] and abs(local_y) <= extent[1] and abs(d[2]) <= extent[2])
