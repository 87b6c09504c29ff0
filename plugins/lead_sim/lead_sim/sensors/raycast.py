"""Ray casting against oriented boxes from a sensor at the origin (slab test) and the angular bounds that
limit each box to the rays that can reach it."""

from __future__ import annotations

import numpy as np

from lead_sim.sensors.transforms import wrap_angle


def ray_box_hits(directions: np.ndarray, center: np.ndarray, rotation: np.ndarray, extent: np.ndarray,
                 with_axis: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """Entry distance (inf where missed) and, ``with_axis``, entry axis (0, 1, 2) of rays from the origin
    against one box.

    ``directions`` (..., 3) unit rays in the sensor frame; ``center``, ``rotation`` (box-to-sensor) and
    ``extent`` (half sizes) describe the box in that frame. Rays starting inside the box miss it.
    """
    local = directions @ rotation.astype(directions.dtype)  # components along the box axes
    origin = (-(rotation.T @ center)).astype(directions.dtype)
    size = extent.astype(directions.dtype)
    # Zero components give infinite slab distances; NaN (ray in a slab's plane) counts as a miss.
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse = 1.0 / local
        t1 = (-size - origin) * inverse
        t2 = (size - origin) * inverse
    near = np.minimum(t1, t2)
    entry = _max3(near)
    exit_ = _min3(np.maximum(t1, t2))
    hit = (entry <= exit_) & (entry > 0.0)
    return np.where(hit, entry, np.inf), near.argmax(axis=-1) if with_axis else None


def ray_pair_hits(directions: np.ndarray, centers: np.ndarray, rotations: np.ndarray, extents: np.ndarray
                  ) -> np.ndarray:
    """Entry distances (P,) of P (ray, box) pairs: ray p (``directions`` (P, 3)) against box p (``centers`` (P, 3),
    ``rotations`` (P, 3, 3) box-to-sensor, ``extents`` (P, 3)); the slab test of :func:`ray_box_hits`."""
    local = np.einsum("pi,pij->pj", directions, rotations)
    origin = -np.einsum("pji,pj->pi", rotations, centers)
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse = 1.0 / local
        t1 = (-extents - origin) * inverse
        t2 = (extents - origin) * inverse
    entry = _max3(np.minimum(t1, t2))
    exit_ = _min3(np.maximum(t1, t2))
    return np.where((entry <= exit_) & (entry > 0.0), entry, np.inf)


def _max3(values: np.ndarray) -> np.ndarray:
    """Max over a last axis of size 3 (numpy's reductions over short axes are slow)."""
    return np.maximum(np.maximum(values[..., 0], values[..., 1]), values[..., 2])


def _min3(values: np.ndarray) -> np.ndarray:
    return np.minimum(np.minimum(values[..., 0], values[..., 1]), values[..., 2])


def angular_bounds(corners: np.ndarray, centers: np.ndarray, rotations: np.ndarray, extents: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Azimuth start and width, elevation min and max (radians) that boxes cover seen from the origin.

    ``corners`` (M, 8, 3), ``centers`` (M, 3) and ``rotations`` (M, 3, 3, box-to-sensor) in the sensor frame;
    boxes are taken as upright there. Azimuth extremes lie at corners; elevation extremes lie at corners or
    on the top/bottom face where it comes closest to the sensor's vertical axis. A box around that axis
    covers every direction.
    """
    azimuth = np.arctan2(corners[..., 1], corners[..., 0])
    center_azimuth = np.arctan2(centers[:, 1], centers[:, 0])
    relative = wrap_angle(azimuth - center_azimuth[:, None])
    start = center_azimuth + relative.min(axis=1)
    width = relative.max(axis=1) - relative.min(axis=1)

    origin = -np.einsum("mji,mj->mi", rotations, centers)  # sensor position in each box frame
    nearest = np.clip(origin[:, :2], -extents[:, :2], extents[:, :2])
    closest = np.linalg.norm(origin[:, :2] - nearest, axis=1)
    around = closest < 1e-6
    elevation = np.arctan2(corners[..., 2], np.hypot(corners[..., 0], corners[..., 1]))
    top, bottom = centers[:, 2] + extents[:, 2], centers[:, 2] - extents[:, 2]
    safe = np.maximum(closest, 1e-6)
    el_max = np.maximum(elevation.max(axis=1), np.where(top > 0, np.arctan2(top, safe), -np.pi / 2))
    el_min = np.minimum(elevation.min(axis=1), np.where(bottom < 0, np.arctan2(bottom, safe), np.pi / 2))
    start = np.where(around, -np.pi, start)
    width = np.where(around, 2.0 * np.pi, width)
    return start, width, np.where(around, -np.pi / 2, el_min), np.where(around, np.pi / 2, el_max)
