"""Obstacles in the ego lane: Accident, ParkedObstacle, ConstructionObstacle, HazardAtSideLane,
VehicleOpensDoor, each with a *TwoWays* variant.

The obstacle stands ``distance`` metres after the trigger, offset within the lane towards
``direction``. The ego must leave its lane to pass: plain variants need a same-direction lane
beside the obstacle; *TwoWays* variants need the oncoming lane on the left, which carries a flow
of vehicles with gaps of ``frequency`` metres, and switch the outside-lanes check off while the
ego overtakes. The scenario is resolved once the ego is past the obstacle.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from lead_sim.scene import Scene
from lead_sim.scenarios.actors import (
    BICYCLE_MODEL,
    CAR_MODEL,
    MODELS,
    PARKED_MODEL,
    POLICE_MODEL,
    Obstacles,
    ScenarioActor,
)
from lead_sim.scenarios.base import EgoView, Scenario
from lead_sim.scenarios.errors import ScenarioPlacementError
from lead_sim.scenarios.flows import Flow
from lead_sim.scenarios.geometry import Path, right_of
from lead_sim.scenarios.params import Param

DIRECTION = Param("direction", "choice", default="right", choices=("left", "right"))
ONCOMING_SPEED = Param("speed", default=40.0, low=5.0, high=130.0, unit="km/h")
FREQUENCY = Param("frequency", "interval", default=(25.0, 80.0), low=8.0, high=500.0, unit="m")
#: The ego may drive outside its lanes from this far (metres) before the obstacle.
OVERTAKE_WINDOW_M = 30.0
#: The obstacle area (and this margin around it) must be free of junctions.
CLEAR_MARGIN_M = 10.0
PASS_MARGIN_M = 8.0


class ObstacleInLane(Scenario):
    """Static (or slow) actors blocking the ego lane ``distance`` metres after the trigger."""

    DEFAULT_DISTANCE: ClassVar[float] = 100.0
    TWO_WAYS: ClassVar[bool] = False
    #: Length (metres) the layout covers along the lane.
    SPAN_M: ClassVar[float] = 10.0
    PARAMS = (DIRECTION,)

    @classmethod
    def distance_param(cls) -> Param:
        return Param("distance", default=cls.DEFAULT_DISTANCE, low=5.0, high=400.0, unit="m")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        extra = (ONCOMING_SPEED, FREQUENCY) if cls.TWO_WAYS else ()
        cls.PARAMS = (cls.distance_param(), DIRECTION, *extra, *cls.EXTRA_PARAMS)

    EXTRA_PARAMS: ClassVar[tuple[Param, ...]] = ()

    def plan(self) -> int:
        g = self.geometry
        self.obstacle_index = g.index_after(self.trigger_index, self.params["distance"])
        if g.metres_between(self.trigger_index, self.obstacle_index) < self.params["distance"] - 1.0:
            raise ScenarioPlacementError(
                f"{self.where}: the obstacle {self.params['distance']:g} m after the trigger lies beyond the route end"
            )
        lo = g.index_after(self.obstacle_index, -CLEAR_MARGIN_M)
        hi = g.index_after(self.obstacle_index, self.SPAN_M + CLEAR_MARGIN_M)
        if g.dense.is_junction[lo : hi + 1].any():
            raise ScenarioPlacementError(f"{self.where}: the obstacle area {self.params['distance']:g} m after the trigger overlaps a junction")
        if self.TWO_WAYS:
            if g.oncoming_neighbour(self.obstacle_index) is None:
                raise ScenarioPlacementError(f"{self.where}: a TwoWays obstacle needs an oncoming lane on the left of the ego lane")
        elif not any(g.same_direction_neighbour(self.obstacle_index, side) for side in ("left", "right")):
            raise ScenarioPlacementError(
                f"{self.where}: passing the obstacle needs a same-direction lane beside the ego lane; use the TwoWays variant"
            )
        self.lane_width = g.lane_width(self.obstacle_index)
        self.flow: Flow | None = None
        return g.index_after(self.obstacle_index, self.SPAN_M + PASS_MARGIN_M)

    # --- layout ----------------------------------------------------------------------------

    @property
    def side(self) -> float:
        return 1.0 if self.params["direction"] == "right" else -1.0

    def place(self, model: str, along_m: float, lateral_m: float, yaw_offset: float = 0.0) -> ScenarioActor:
        """A static actor ``along_m`` after the obstacle point, ``lateral_m`` right of the lane centre."""
        index = self.geometry.index_after(self.obstacle_index, along_m)
        position, yaw = self.geometry.pose(index)
        xy = position[:2] + lateral_m * right_of(yaw)
        return self.new_actor(model, np.array([xy[0], xy[1], position[2]]), yaw + yaw_offset)

    def layout(self) -> None:
        raise NotImplementedError

    def spawn(self, scene: Scene, ego: EgoView) -> None:
        self.layout()
        self.flow = self._oncoming_flow() if self.TWO_WAYS else None

    def _oncoming_flow(self) -> Flow:
        g = self.geometry
        opposite = g.oncoming_neighbour(self.obstacle_index)
        loc = opposite.transform.location
        lane = g.lane_at(np.array([loc.x, loc.y]), math.radians(opposite.transform.rotation.yaw))
        if lane is None:
            raise ScenarioPlacementError(f"{self.where}: the oncoming lane beside the obstacle is not drivable")
        # It runs past the ego's start, but leaves the road before a junction there (it would
        # cross the ego's way through that junction instead of meeting it beside the obstacle).
        path, _ = g.lane_path(lane, upstream_m=self.SPAN_M + 80.0, downstream_m=self.params["distance"] + 40.0,
                              into_junctions=False)
        return Flow(path, self.params["speed"] / 3.6, self.params["frequency"], self.rng, self.ctx.ids, CAR_MODEL)

    def behave(self, scene: Scene, ego: EgoView, obstacles: Obstacles) -> None:
        if self.flow is not None:
            self.flow.step(self.ctx.dt, obstacles)

    @property
    def actors(self) -> list[ScenarioActor]:
        if not self.active:
            return []
        flow = self.flow.actors if self.flow is not None else []
        return [*self._actors, *flow]

    def outside_lanes_check(self, ego: EgoView) -> bool:
        if not self.TWO_WAYS:
            return True
        start = self.geometry.index_after(self.obstacle_index, -OVERTAKE_WINDOW_M)
        return not start <= ego.index <= self.end_index


class Accident(ObstacleInLane):
    """A police car and two crashed cars in the ego lane."""

    DEFAULT_DISTANCE = 120.0
    SPAN_M = 14.0

    def layout(self) -> None:
        shift = self.side * 0.3
        self.place(POLICE_MODEL, 0.0, shift)
        self.place(CAR_MODEL, 7.0, shift, yaw_offset=self.side * 0.3)
        self.place(CAR_MODEL, 13.0, shift * 0.5, yaw_offset=-self.side * 0.2)


class AccidentTwoWays(Accident):
    TWO_WAYS = True


class ParkedObstacle(ObstacleInLane):
    """A broken-down car standing in the ego lane, warning triangle behind it."""

    DEFAULT_DISTANCE = 120.0
    SPAN_M = 6.0

    def layout(self) -> None:
        self.place("static.prop.constructioncone", -3.0, self.side * 0.5)
        self.place(PARKED_MODEL, 2.0, self.side * 0.5)


class ParkedObstacleTwoWays(ParkedObstacle):
    TWO_WAYS = True


class ConstructionObstacle(ObstacleInLane):
    """A warning sign and a taper of cones closing the ego lane."""

    DEFAULT_DISTANCE = 100.0
    SPAN_M = 12.0

    def layout(self) -> None:
        half = 0.5 * self.lane_width
        self.place("static.prop.trafficwarning", 0.0, 0.0)
        for k, along in enumerate(np.linspace(2.0, 12.0, 6)):
            self.place("static.prop.constructioncone", float(along), -self.side * (half - 0.4) * (1 - k / 5) + self.side * 0.3)


class ConstructionObstacleTwoWays(ConstructionObstacle):
    TWO_WAYS = True


class HazardAtSideLane(ObstacleInLane):
    """Two bicycles riding slowly at the lane edge; the ego must overtake them."""

    DEFAULT_DISTANCE = 100.0
    SPAN_M = 4.0
    BIKE_SPACING_M = 3.5
    EXTRA_PARAMS = (
        Param("bicycle_drive_distance", default=50.0, low=0.0, high=500.0, unit="m"),
        Param("bicycle_speed", default=10.0, low=0.0, high=40.0, unit="km/h"),
    )

    #: The bicycles pull up this far (metres) before a junction on their way.
    JUNCTION_STOP_M = 3.0

    def plan(self) -> int:
        super().plan()
        g = self.geometry
        # They ride ``bicycle_drive_distance`` metres along the lane edge, or up to the next
        # junction (they do not ride into it), then stop; the front one ends 4 m past ``ride_m``.
        drive = self.params["bicycle_drive_distance"]
        self.ride_m = drive
        junction = g.next_junction(self.obstacle_index, drive + 4.0)
        if junction is not None:
            self.ride_m = min(drive, g.metres_between(self.obstacle_index, junction.entry) - self.JUNCTION_STOP_M - 4.0)
        # The ego passes the bicycles at the latest where they stop.
        return g.index_after(self.obstacle_index, self.ride_m + 4.0 + PASS_MARGIN_M)

    def layout(self) -> None:
        g = self.geometry
        lateral = self.side * (0.5 * self.lane_width - MODELS[BICYCLE_MODEL][1][1] - 0.4)
        speed = self.params["bicycle_speed"] / 3.6
        # The bicycles ride in a row ``ride_m`` metres along the lane edge, then stop; the rear
        # one's ride ends ``BIKE_SPACING_M`` short of the front one's.
        start = float(g.dense.distances[self.obstacle_index])
        stop = start + self.ride_m
        edge = g.path.shifted(lateral)
        self.bikes = []
        for behind in (0.0, self.BIKE_SPACING_M):
            ride = Path(edge.points[(edge.cum >= start - 1.0) & (edge.cum <= stop + 4.0 - behind)])
            self.bikes.append(self.new_mover(BICYCLE_MODEL, ride, self.BIKE_SPACING_M - behind + 1.0, speed, speed))
        self.ride_start = start - 1.0

    def behave(self, scene: Scene, ego: EgoView, obstacles: Obstacles) -> None:
        super().behave(scene, ego, obstacles)
        # They ride together at one speed: neither keeps a following gap to the other.
        others = obstacles.without([bike.actor.id for bike in self.bikes])
        for bike in self.bikes:
            bike.step(self.ctx.dt, others)

    def resolved(self, scene: Scene, ego: EgoView) -> bool:
        front = self.ride_start + max(b.s for b in self.bikes)
        return float(self.geometry.dense.distances[ego.index]) > front + PASS_MARGIN_M


class HazardAtSideLaneTwoWays(HazardAtSideLane):
    TWO_WAYS = True


class VehicleOpensDoorTwoWays(ObstacleInLane):
    """A car parked at the lane edge opens its door into the lane as the ego comes near."""

    DEFAULT_DISTANCE = 50.0
    SPAN_M = 6.0
    TWO_WAYS = True
    #: The door opens when the ego is this close (metres, along the route).
    OPEN_DISTANCE_M = 20.0
    DOOR_M = 1.0

    def layout(self) -> None:
        extent = MODELS[PARKED_MODEL][1]
        self.lateral = self.side * (0.5 * self.lane_width - extent[1] + 0.3)
        self.car = self.place(PARKED_MODEL, 2.0, self.lateral)
        self.door_open = False

    def behave(self, scene: Scene, ego: EgoView, obstacles: Obstacles) -> None:
        super().behave(scene, ego, obstacles)
        if not self.door_open and self.geometry.metres_between(ego.index, self.obstacle_index) < self.OPEN_DISTANCE_M:
            self.door_open = True
            # The open door widens the car's box towards the lane centre.
            self.car.extent = self.car.extent + np.array([0.0, 0.5 * self.DOOR_M, 0.0])
            self.car.position[:2] -= self.side * 0.5 * self.DOOR_M * right_of(self.car.yaw)
