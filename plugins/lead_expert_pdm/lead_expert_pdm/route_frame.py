"""Actors seen from the expert route's centre line (arc length, lateral offset, relative heading)."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from lead_expert_pdm.route import ExpertRoute


@attrs.define(frozen=True)
class RouteFrame:
    """Actors seen from the route's centre line: ``along`` (route arc length), ``lateral``
    (positive right), ``heading`` (relative to the route), ``distance`` to the nearest centre
    point, and their half extents along and across the route."""

    rows: np.ndarray
    index: np.ndarray  # nearest centre-line point
    along: np.ndarray
    lateral: np.ndarray
    heading: np.ndarray
    distance: np.ndarray
    half_along: np.ndarray
    half_across: np.ndarray


def route_frame(route: ExpertRoute, actors: Any, rows: np.ndarray, window: slice) -> RouteFrame | None:
    """``rows`` of ``actors`` in the frame of the centre-line points ``window`` (None: too few points)."""
    points, yaws = route.center[window], route.center_yaws[window]
    if points.shape[0] < 2:
        return None
    position = np.asarray(actors.position, float)[rows, :2]
    d = np.linalg.norm(points[None, :, :] - position[:, None, :], axis=2)
    nearest = np.argmin(d, axis=1)
    yaw = yaws[nearest]
    rel = position - points[nearest]
    heading = np.asarray(actors.yaw, float)[rows] - yaw
    half = np.asarray(actors.extent, float)[rows, :2]
    return RouteFrame(
        rows=rows,
        index=np.arange(window.start, window.stop)[nearest],
        along=route.center_distances[window][nearest] + rel[:, 0] * np.cos(yaw) + rel[:, 1] * np.sin(yaw),
        lateral=-rel[:, 0] * np.sin(yaw) + rel[:, 1] * np.cos(yaw),
        heading=heading,
        distance=d[np.arange(rows.size), nearest],
        half_along=half[:, 0] * np.abs(np.cos(heading)) + half[:, 1] * np.abs(np.sin(heading)),
        half_across=half[:, 0] * np.abs(np.sin(heading)) + half[:, 1] * np.abs(np.cos(heading)),
    )
