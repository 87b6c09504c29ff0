"""Where the route's current path meets traffic lights and stop signs (computed anew when the
path is shifted: passing an obstacle in the next lane, the stops of that lane apply).

A route may pass the same junction twice, so each passage is its own event: a light's stop line
crossed by a route segment heading along the governed lane, or a run of route points inside a
stop sign's trigger volume. Only the scene's light and stop objects are used (positions, stop
lines, trigger volumes), not world-specific helpers.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from lead_expert_pdm.geometry import to_local
from lead_expert_pdm.route import ExpertRoute

#: Minimum cosine between route heading and the governed lane's heading.
ALIGNED_COS = 0.5
LINE_TOLERANCE_M = 0.5
#: A stop affects the ego while the lane up to this far ahead (metres) reaches into its volume.
STOP_PROXIMITY_M = 4.0
SIDEWAYS_STOP_EXTRA_M = 2.0


@attrs.define(frozen=True)
class SignalOnRoute:
    """One passage: the object, its key (object id, passage number) and the route arc length of its stop position."""

    key: tuple[int, int]
    signal: Any
    stop_s: float


def _cross(o: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a[..., 0] - o[..., 0]) * (b[..., 1] - o[..., 1]) - (a[..., 1] - o[..., 1]) * (b[..., 0] - o[..., 0])


def light_crossings(route: ExpertRoute, lights: list[Any]) -> list[SignalOnRoute]:
    """Every route segment crossing a light's stop line in the lane's direction."""
    p, q = route.points[:-1], route.points[1:]
    seg_yaw = np.arctan2(q[:, 1] - p[:, 1], q[:, 0] - p[:, 0])
    found: list[SignalOnRoute] = []
    for light in lights:
        hits: list[int] = []
        for line, yaw in zip(np.asarray(light.stop_lines, float), np.asarray(light.stop_yaws, float)):
            a, b = line[0, :2], line[1, :2]
            direction = (b - a) / max(np.linalg.norm(b - a), 1e-9)
            a, b = a - LINE_TOLERANCE_M * direction, b + LINE_TOLERANCE_M * direction
            straddle_line = _cross(a, b, p) * _cross(a, b, q) <= 0.0
            straddle_route = _cross(p, q, a) * _cross(p, q, b) <= 0.0
            aligned = np.cos(seg_yaw - yaw) > ALIGNED_COS
            hits.extend(np.flatnonzero(straddle_line & straddle_route & aligned).tolist())
        for passage, index in enumerate(_run_starts(sorted(set(hits)))):
            found.append(SignalOnRoute((int(light.id), passage), light, float(route.distances[index + 1])))
    return sorted(found, key=lambda item: item.stop_s)


def stop_zones(route: ExpertRoute, stops: list[Any]) -> list[SignalOnRoute]:
    """Every run of path points where a stop sign affects the ego, with the position to stop at.

    As the leaderboard judges it, a stop affects the ego from ``STOP_PROXIMITY_M`` before its
    trigger volume (the lane ahead reaches into it) to the volume's end. The stop position is the
    run's end; where the path leaves the run sideways (coming back into the lane after passing an
    obstacle), ``SIDEWAYS_STOP_EXTRA_M`` later, so that the ego still stands inside the run.
    """
    found: list[SignalOnRoute] = []
    for stop in stops:
        centre = np.asarray(stop.trigger_center, float)
        extent = np.asarray(stop.trigger_extent, float)
        local = to_local(route.points, centre, float(stop.trigger_yaw))
        beside = np.abs(local[:, 1]) <= extent[1] + LINE_TOLERANCE_M
        inside = beside & (local[:, 0] >= -extent[0] - STOP_PROXIMITY_M) & (local[:, 0] <= extent[0])
        inside &= np.cos(route.yaws - float(stop.trigger_yaw)) > ALIGNED_COS
        indices = np.flatnonzero(inside).tolist()
        for passage, (first, last) in enumerate(_runs(indices)):
            sideways = last + 1 < len(beside) and not beside[last + 1] and local[last, 0] < extent[0] - 1.0
            stop_s = float(route.distances[last]) + (SIDEWAYS_STOP_EXTRA_M if sideways else 0.0)
            found.append(SignalOnRoute((int(stop.id), passage), stop, stop_s))
    return sorted(found, key=lambda item: item.stop_s)


def _runs(indices: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs of sorted indices as (first, last)."""
    runs: list[tuple[int, int]] = []
    for index in indices:
        if runs and index <= runs[-1][1] + 2:
            runs[-1] = (runs[-1][0], index)
        else:
            runs.append((index, index))
    return runs


def _run_starts(indices: list[int]) -> list[int]:
    return [first for first, _ in _runs(indices)]
