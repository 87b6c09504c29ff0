"""Oriented boxes in the ground plane and their intersection by the separating axis theorem.

A box is (x, y, yaw, half_length, half_width). Arrays broadcast: every function takes boxes as
arrays of any matching leading shape, so one call tests all actors against all forecast steps.
"""

from __future__ import annotations

import numpy as np


def box_axes(yaw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit (forward, lateral) axes (..., 2) of boxes with heading ``yaw``."""
    c, s = np.cos(yaw), np.sin(yaw)
    return np.stack([c, s], axis=-1), np.stack([-s, c], axis=-1)


def _projected_radius(axis: np.ndarray, forward: np.ndarray, lateral: np.ndarray,
                      half_length: np.ndarray, half_width: np.ndarray) -> np.ndarray:
    """Half the extent of a box projected on ``axis``."""
    return half_length * np.abs(np.sum(forward * axis, axis=-1)) + half_width * np.abs(np.sum(lateral * axis, axis=-1))


def boxes_intersect(a_center: np.ndarray, a_yaw: np.ndarray, a_half: np.ndarray,
                    b_center: np.ndarray, b_yaw: np.ndarray, b_half: np.ndarray) -> np.ndarray:
    """Whether oriented boxes A and B overlap (separating axis test on the four box axes).

    ``*_center`` (..., 2), ``*_yaw`` (...), ``*_half`` (..., 2) half length and half width;
    shapes broadcast against each other. Touching boxes count as overlapping.
    """
    a_center, b_center = np.asarray(a_center, float), np.asarray(b_center, float)
    a_half, b_half = np.asarray(a_half, float), np.asarray(b_half, float)
    a_forward, a_lateral = box_axes(np.asarray(a_yaw, float))
    b_forward, b_lateral = box_axes(np.asarray(b_yaw, float))
    delta = b_center - a_center
    separated = np.zeros(np.broadcast_shapes(delta.shape[:-1], a_forward.shape[:-1], b_forward.shape[:-1]), dtype=bool)
    for axis in (a_forward, a_lateral, b_forward, b_lateral):
        distance = np.abs(np.sum(delta * axis, axis=-1))
        reach = (_projected_radius(axis, a_forward, a_lateral, a_half[..., 0], a_half[..., 1])
                 + _projected_radius(axis, b_forward, b_lateral, b_half[..., 0], b_half[..., 1]))
        separated |= distance > reach
    return ~separated


def to_local(points: np.ndarray, origin: np.ndarray, yaw: float) -> np.ndarray:
    """World points (..., 2) in the frame at ``origin`` with heading ``yaw`` (x forward, y right in CARLA)."""
    c, s = np.cos(yaw), np.sin(yaw)
    d = np.asarray(points, float)[..., :2] - np.asarray(origin, float)[:2]
    return np.stack([d[..., 0] * c + d[..., 1] * s, -d[..., 0] * s + d[..., 1] * c], axis=-1)


def to_world(points: np.ndarray, origin: np.ndarray, yaw: float) -> np.ndarray:
    """Inverse of :func:`to_local`."""
    c, s = np.cos(yaw), np.sin(yaw)
    p = np.asarray(points, float)
    return np.stack([origin[0] + p[..., 0] * c - p[..., 1] * s, origin[1] + p[..., 0] * s + p[..., 1] * c], axis=-1)


def wrap_angle(angle: np.ndarray | float) -> np.ndarray | float:
    """Angle(s) wrapped to [-pi, pi)."""
    return (np.asarray(angle) + np.pi) % (2.0 * np.pi) - np.pi
