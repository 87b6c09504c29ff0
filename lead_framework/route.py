"""Routes as the CARLA Leaderboard 2.0 describes them, and the plan an agent receives.

Coordinates are CARLA world coordinates (left-handed: OpenDRIVE with y flipped), metres; yaw in
degrees, as in the official route files.
"""

from __future__ import annotations

import enum
from typing import Any

import attrs
import numpy as np


class RoadOption(enum.IntEnum):
    """High-level commands, with the values CARLA's agents use."""

    VOID = -1
    LEFT = 1
    RIGHT = 2
    STRAIGHT = 3
    LANEFOLLOW = 4
    CHANGELANELEFT = 5
    CHANGELANERIGHT = 6


def usable_command(command: int) -> int:
    """The command a policy is given: VOID (no command, e.g. at a route's end) becomes LANEFOLLOW."""
    return int(RoadOption.LANEFOLLOW) if int(command) == int(RoadOption.VOID) else int(RoadOption(int(command)))


def arc_lengths(points: np.ndarray) -> np.ndarray:
    """Distance along a polyline from its first point to each of its points (the first is 0)."""
    return np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])


def distinct_points(points: np.ndarray, min_step: float = 1e-6) -> np.ndarray:
    """Mask of the polyline points farther than ``min_step`` from their predecessor (the first is kept).

    Resampling by arc length needs strictly increasing distances: a repeated point would give
    ``np.interp`` two samples at the same arc length.
    """
    return np.concatenate([[True], np.linalg.norm(np.diff(points, axis=0), axis=1) > min_step])


@attrs.define(frozen=True)
class Location:
    x: float
    y: float
    z: float = 0.0


@attrs.define(frozen=True)
class TriggerPoint:
    x: float
    y: float
    z: float = 0.0
    yaw: float = 0.0


@attrs.define
class ScenarioSpec:
    """One ``<scenario>`` of a route: its name, type, trigger and raw parameters.

    ``params`` maps a tag to ``{"value": ...}``, ``{"from": ..., "to": ...}`` or ``{"x", "y", "z"}``
    exactly as the XML attributes give them (strings).
    """

    name: str
    type: str
    trigger: TriggerPoint
    params: dict[str, dict[str, str]] = attrs.field(factory=dict)


@attrs.define
class Weather:
    """A weather keyframe at ``route_percentage`` of the route (CARLA's WeatherParameters fields)."""

    route_percentage: float = 0.0
    cloudiness: float = 5.0
    precipitation: float = 0.0
    precipitation_deposits: float = 0.0
    wetness: float = 0.0
    wind_intensity: float = 10.0
    sun_azimuth_angle: float = -1.0
    sun_altitude_angle: float = 90.0
    fog_density: float = 2.0
    fog_distance: float = 0.0
    fog_falloff: float = 0.0
    scattering_intensity: float = 0.0
    mie_scattering_scale: float = 0.0


@attrs.define
class RouteSpec:
    """One ``<route>``: the keypoints to follow, weathers and scenarios."""

    id: str
    town: str
    waypoints: list[Location]
    weathers: list[Weather] = attrs.field(factory=list)
    scenarios: list[ScenarioSpec] = attrs.field(factory=list)
    extra: dict[str, Any] = attrs.field(factory=dict)

    def waypoint_array(self) -> np.ndarray:
        return np.array([[p.x, p.y, p.z] for p in self.waypoints], dtype=np.float64)


@attrs.define
class RoutePlan:
    """What an agent gets in ``setup``: the sparse global plan, as the leaderboard gives it.

    ``world_points`` (N, 3) in CARLA world coordinates and ``gps_points`` (N, 3) as
    (latitude, longitude, altitude), each with the :class:`RoadOption` ``commands[i]``.
    """

    route_id: str
    world_points: np.ndarray
    gps_points: np.ndarray
    commands: list[RoadOption]
