"""The embedded world's state at one tick, as sensors, criteria and experts read it.

Actors are stored as a struct of arrays so that traffic, sensors and criteria stay vectorised.
Row 0 is always the ego vehicle. Coordinates are CARLA world coordinates (left-handed: x east,
y south, z up; OpenDRIVE with y flipped), metres; yaw in radians, measured as CARLA measures it
(from +x towards +y).
"""

from __future__ import annotations

import enum

import attrs
import numpy as np

EGO_INDEX = 0


class ActorKind(enum.IntEnum):
    """Actor classes, aligned with LEAD's box and BEV classes."""

    VEHICLE = 0
    WALKER = 1
    BICYCLE = 2
    OBSTACLE = 3  # static props: cones, barriers, debris, warning signs
    PARKED_VEHICLE = 4
    EMERGENCY_VEHICLE = 5


class LightState(enum.IntEnum):
    RED = 0
    YELLOW = 1
    GREEN = 2
    OFF = 3


def _empty(shape: tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
    return np.zeros(shape, dtype=dtype)


@attrs.define
class ActorArrays:
    """All actors, row 0 = ego. ``position`` is the bounding-box centre (z = ground + extent z)."""

    ids: np.ndarray = attrs.field(factory=lambda: _empty((0,), np.int64))
    kinds: np.ndarray = attrs.field(factory=lambda: _empty((0,), np.int8))
    position: np.ndarray = attrs.field(factory=lambda: _empty((0, 3)))
    yaw: np.ndarray = attrs.field(factory=lambda: _empty((0,)))
    extent: np.ndarray = attrs.field(factory=lambda: _empty((0, 3)))  # half sizes (x, y, z)
    velocity: np.ndarray = attrs.field(factory=lambda: _empty((0, 3)))  # world frame, m/s
    blueprints: list[str] = attrs.field(factory=list)  # CARLA-style type ids

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @property
    def speed(self) -> np.ndarray:
        return np.linalg.norm(self.velocity[:, :2], axis=1)


@attrs.define
class TrafficLight:
    """A traffic-light signal and the stop lines of the lanes it governs.

    ``position`` is the light housing's place above the governed lanes, ``pole_position`` the foot
    of its pole beside the road (an arm joins the two); ``stop_lines`` is (M, 2, 3): M segments
    across lanes at the stop position; ``stop_yaws`` (M,) the driving direction of each governed
    lane there (radians).
    """

    id: int
    position: np.ndarray
    state: LightState
    stop_lines: np.ndarray
    stop_yaws: np.ndarray
    pole_position: np.ndarray


@attrs.define
class StopSign:
    """A stop sign with its trigger volume (centre, half extents, yaw) on the governed lane."""

    id: int
    position: np.ndarray
    trigger_center: np.ndarray
    trigger_extent: np.ndarray
    trigger_yaw: float


@attrs.define
class Scene:
    """Everything the world knows at one tick."""

    tick: int
    time_s: float
    actors: ActorArrays
    traffic_lights: list[TrafficLight] = attrs.field(factory=list)
    stop_signs: list[StopSign] = attrs.field(factory=list)

    @property
    def ego_position(self) -> np.ndarray:
        return self.actors.position[EGO_INDEX]

    @property
    def ego_yaw(self) -> float:
        return float(self.actors.yaw[EGO_INDEX])
