"""Crossing agents: a pedestrian or bicycle crosses the ego's path, often from behind a blocker.

DynamicObjectCrossing (from behind a static blocker), ParkingCrossingPedestrian (from between
parked cars), PedestrianCrossing (a group at the crossing after a junction), VehicleTurningRoute
and VehicleTurningRoutePedestrian (a bicycle / pedestrian crossing the road the ego turns into).

The adversary waits at the roadside and starts when the ego is about as far from the crossing
point as it drives in the time the adversary needs to reach the ego's lane, so an ego that does not
brake meets it. Resolved once the ego is past the crossing point.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from lead_sim.scene import Scene
from lead_sim.scenarios.actors import BICYCLE_MODEL, MODELS, PARKED_MODEL, WALKER_MODEL, Obstacles, Walk
from lead_sim.scenarios.base import EgoView, Scenario
from lead_sim.scenarios.errors import ScenarioPlacementError
from lead_sim.scenarios.geometry import forward_of, right_of
from lead_sim.scenarios.obstacles import DIRECTION
from lead_sim.scenarios.params import Param

WALKER_SPEED = 2.0
BICYCLE_SPEED = 4.5
#: Metres past the crossing point after which the ego counts as past it.
PASS_MARGIN_M = 6.0
#: The ego needs at least this many metres to the crossing when the adversary starts.
MIN_START_DISTANCE_M = 8.0


class Crossing(Scenario):
    """Adversaries walking (or riding) straight across the route at ``crossing_index``."""

    ADVERSARY: ClassVar[str] = WALKER_MODEL
    SPEED: ClassVar[float] = WALKER_SPEED
    #: Number of adversaries crossing side by side (1.2 m apart along the road).
    GROUP: ClassVar[int] = 1

    def crossing_index(self) -> int:
        raise NotImplementedError

    def side(self) -> float:
        """+1 when the adversary starts on the right of the route, -1 on the left."""
        return 1.0

    def start_offset(self) -> float:
        """Lateral distance (metres) from the lane centre where the adversary waits."""
        return 0.5 * self.lane_width + 2.0

    def end_offset(self) -> float:
        """Lateral distance (metres) from the lane centre, on the other side, where the crossing ends."""
        return self.start_offset()

    def crossing_angle(self) -> float:
        return 0.0

    def plan(self) -> int:
        g = self.geometry
        self.index = self.crossing_index()
        self.lane_width = g.lane_width(self.index)
        return g.index_after(self.index, PASS_MARGIN_M)

    def blockers(self, point: np.ndarray, yaw: float) -> None:
        """Static actors hiding the adversary (none by default)."""

    def spawn(self, scene: Scene, ego: EgoView) -> None:
        point, yaw = self.geometry.pose(self.index)
        side = self.side()
        across = right_of(yaw)
        heading = -side * across
        angle = math.radians(self.crossing_angle())
        heading = np.array([heading[0] * math.cos(angle) - heading[1] * math.sin(angle),
                            heading[0] * math.sin(angle) + heading[1] * math.cos(angle)])
        width = self.start_offset() + self.end_offset()
        self.walks: list[Walk] = []
        for k in range(self.GROUP):
            base = point[:2] + side * self.start_offset() * across + 1.2 * k * forward_of(yaw)
            start = np.array([base[0], base[1], point[2]])
            end_xy = base + width * heading
            actor = self.new_actor(self.ADVERSARY, start, 0.0)
            self.walks.append(Walk(actor, np.array([start[0], start[1], point[2]]), np.array([end_xy[0], end_xy[1], point[2]]), self.SPEED))
        self.blockers(point, yaw)
        self.time_to_lane = max(self.start_offset() - 1.5, 0.5) / self.SPEED

    def behave(self, scene: Scene, ego: EgoView, obstacles: Obstacles) -> None:
        if not self.walks[0].started:
            to_go = self.geometry.metres_between(ego.index, self.index)
            if to_go <= max(MIN_START_DISTANCE_M, ego.speed * self.time_to_lane + 3.0):
                for walk in self.walks:
                    walk.started = True
        for walk in self.walks:
            walk.step(self.ctx.dt)


class DynamicObjectCrossing(Crossing):
    """A pedestrian steps out from behind a blocker (a vending machine by default) at the roadside."""

    PARAMS = (
        Param("distance", default=12.0, low=5.0, high=100.0, unit="m"),
        DIRECTION,
        Param("blocker_model", "choice", default="static.prop.vendingmachine",
              choices=tuple(m for m in MODELS if m.startswith("static.prop"))),
        Param("crossing_angle", default=0.0, low=-90.0, high=90.0, unit="deg"),
    )

    def crossing_index(self) -> int:
        g = self.geometry
        index = g.index_after(self.trigger_index, self.params["distance"])
        if g.dense.is_junction[g.index_after(index, -4.0) : g.index_after(index, 4.0) + 1].any():
            raise ScenarioPlacementError(f"{self.where}: the crossing {self.params['distance']:g} m after the trigger lies in a junction")
        return index

    def side(self) -> float:
        return 1.0 if self.params["direction"] == "right" else -1.0

    def crossing_angle(self) -> float:
        return self.params["crossing_angle"]

    def blockers(self, point: np.ndarray, yaw: float) -> None:
        xy = point[:2] + self.side() * (0.5 * self.lane_width + 1.0) * right_of(yaw) - 1.5 * forward_of(yaw)
        self.new_actor(self.params["blocker_model"], np.array([xy[0], xy[1], point[2]]), yaw)


class ParkingCrossingPedestrian(DynamicObjectCrossing):
    """A pedestrian walks out from between two cars parked at the roadside."""

    PARAMS = (
        Param("distance", default=12.0, low=5.0, high=100.0, unit="m"),
        DIRECTION,
        Param("crossing_angle", default=0.0, low=-90.0, high=90.0, unit="deg"),
    )

    def start_offset(self) -> float:
        return 0.5 * self.lane_width + 1.2

    def blockers(self, point: np.ndarray, yaw: float) -> None:
        half = MODELS[PARKED_MODEL][1]
        lateral = self.side() * (0.5 * self.lane_width + half[1] + 0.2)
        for along in (-(half[0] + 1.0), half[0] + 1.0):
            # Each car takes the lane's pose where it stands, so that on a bend neither one
            # reaches into the lane.
            position, car_yaw = self.geometry.pose(self.geometry.index_after(self.index, along))
            xy = position[:2] + lateral * right_of(car_yaw)
            self.new_actor(PARKED_MODEL, np.array([xy[0], xy[1], point[2]]), car_yaw)


class AfterJunctionCrossing(Crossing):
    """Crossers on the road the ego takes after the next junction."""

    TURN_REQUIRED: ClassVar[bool] = False
    JUNCTION_SEARCH_M = 60.0
    #: The crossing lies this far (metres) after the junction exit.
    AFTER_EXIT_M = 4.0

    def crossing_index(self) -> int:
        g = self.geometry
        junction = g.next_junction(self.trigger_index, self.JUNCTION_SEARCH_M)
        if junction is None:
            raise ScenarioPlacementError(f"{self.where}: needs a junction within {self.JUNCTION_SEARCH_M:g} m after the trigger")
        if self.TURN_REQUIRED and junction.turn == "straight":
            raise ScenarioPlacementError(f"{self.where}: needs the route to turn at the junction after the trigger")
        index = g.index_after(junction.exit, self.AFTER_EXIT_M)
        if g.metres_between(junction.exit, index) < self.AFTER_EXIT_M - 1.0 or g.dense.is_junction[index]:
            raise ScenarioPlacementError(f"{self.where}: the route ends (or meets another junction) right after the junction")
        self.junction = junction
        return index

    def side(self) -> float:
        return -1.0  # from the far side of the road

    def start_offset(self) -> float:
        # Beyond the whole road: the ego lane plus the oncoming one when there is one.
        far = 1.5 if self.geometry.oncoming_neighbour(self.index) is not None else 0.5
        return far * self.lane_width + 1.5

    def end_offset(self) -> float:
        return 0.5 * self.lane_width + 1.5


class PedestrianCrossing(AfterJunctionCrossing):
    """A group of three pedestrians crosses the road just after the junction."""

    GROUP = 3
    SPEED = 1.4


class VehicleTurningRoute(AfterJunctionCrossing):
    """A bicycle crosses the road the ego turns into."""

    TURN_REQUIRED = True
    ADVERSARY = BICYCLE_MODEL
    SPEED = BICYCLE_SPEED


class VehicleTurningRoutePedestrian(AfterJunctionCrossing):
    """A pedestrian crosses the road the ego turns into."""

    TURN_REQUIRED = True
