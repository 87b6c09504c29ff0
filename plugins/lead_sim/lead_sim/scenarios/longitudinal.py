"""Hazards along the ego lane and the lanes beside it: control loss, a lead vehicle braking hard,
cut-ins timed to the ego, an emergency vehicle from behind, oncoming cars invading the lane in a
curve, leaving a parking spot, and sequential lane changes."""

from __future__ import annotations

import attrs
import carla
import numpy as np

from lead_framework.agent import VehicleControl
from lead_sim.scene import Scene
from lead_sim.scenarios.actors import (
    CAR_MODEL,
    EMERGENCY_MODEL,
    MODELS,
    PARKED_MODEL,
    Obstacles,
    ScenarioActor,
    paced_speed,
)
from lead_sim.scenarios.base import EgoView, Scenario, ScenarioEvent
from lead_sim.scenarios.errors import ScenarioPlacementError
from lead_sim.scenarios.flows import Flow
from lead_sim.scenarios.geometry import Path, blend_paths, forward_of, right_of
from lead_sim.scenarios.obstacles import DIRECTION
from lead_sim.scenarios.params import Param


def _no_junction(scenario: Scenario, start: int, end: int, what: str) -> None:
    if scenario.geometry.dense.is_junction[start : end + 1].any():
        raise ScenarioPlacementError(f"{scenario.where}: {what} overlaps a junction")


class ControlLoss(Scenario):
    """Debris on the lane; while the ego drives over each piece its steering and throttle get noise."""

    DEBRIS_AT_M = (15.0, 27.0, 39.0)
    NOISE_RADIUS_M = 3.0
    STEER_NOISE = 0.25
    THROTTLE_NOISE = 0.3

    def plan(self) -> int:
        g = self.geometry
        self.debris = [g.index_after(self.trigger_index, d) for d in self.DEBRIS_AT_M]
        if g.metres_between(self.trigger_index, self.debris[-1]) < self.DEBRIS_AT_M[-1] - 1.0:
            raise ScenarioPlacementError(f"{self.where}: the route ends before the debris ({self.DEBRIS_AT_M[-1]:g} m)")
        return g.index_after(self.debris[-1], 5.0)

    def spawn(self, scene: Scene, ego: EgoView) -> None:
        for index in self.debris:
            position, yaw = self.geometry.pose(index)
            self.new_actor("static.prop.dirtdebris01", position, yaw)

    def adjust_control(self, control: VehicleControl, ego: EgoView) -> VehicleControl:
        near = any(abs(self.geometry.metres_between(ego.index, k)) < self.NOISE_RADIUS_M for k in self.debris)
        if not near:
            return control
        steer = float(np.clip(control.steer + self.rng.uniform(-self.STEER_NOISE, self.STEER_NOISE), -1.0, 1.0))
        throttle = float(np.clip(control.throttle + self.rng.uniform(-self.THROTTLE_NOISE, self.THROTTLE_NOISE), 0.0, 1.0))
        return attrs.evolve(control, steer=steer, throttle=throttle)


class HardBreakRoute(Scenario):
    """A lead vehicle ahead of the ego brakes hard to a stop, waits, then drives on."""

    LEAD_GAP_M = 18.0
    CRUISE_S = 3.0
    STOP_S = 6.0
    BRAKE_DECEL = 7.0

    def plan(self) -> int:
        end = self.geometry.index_after(self.trigger_index, 120.0)
        if self.geometry.metres_between(self.trigger_index, end) < 60.0:
            raise ScenarioPlacementError(f"{self.where}: needs 60 m of route after the trigger")
        return end

    def spawn(self, scene: Scene, ego: EgoView) -> None:
        s = float(self.geometry.dense.distances[ego.index]) + self.LEAD_GAP_M
        speed = max(ego.speed, 6.0)
        self.lead = self.new_mover(CAR_MODEL, self.geometry.path, s, speed, speed)
        self.lead.idm = attrs.evolve(self.lead.idm, max_decel=self.BRAKE_DECEL, comfortable_decel=self.BRAKE_DECEL)
        self.stopped_at: float | None = None

    def behave(self, scene: Scene, ego: EgoView, obstacles: Obstacles) -> None:
        t = self.running_time
        if t >= self.CRUISE_S and self.stopped_at is None:
            self.lead.target_speed = 0.0
            self.lead.speed = max(0.0, self.lead.speed - self.BRAKE_DECEL * self.ctx.dt)
            if self.lead.speed == 0.0:
                self.stopped_at = t
        elif self.stopped_at is not None and t - self.stopped_at >= self.STOP_S:
            self.lead.target_speed = 8.0
        self.lead.step(self.ctx.dt, obstacles)
        if self.lead.finished and self.stopped_at is not None:
            self.drop(self.lead.actor)  # it drives on, off the route's end, instead of parking there


class CutIn(Scenario):
    """A vehicle waiting beside the ego's lane pulls in front of the ego when it comes close."""

    #: The cut-in starts when the ego is this many seconds (at its speed, at least 10 m) behind.
    START_TIME_S = 1.8
    MERGE_LENGTH_M = 12.0
    SPEED = 7.0

    def side(self) -> float:
        return 1.0 if self.params.get("direction", "right") == "right" else -1.0

    def start_path(self) -> tuple[Path, float]:
        """The path the cutter starts on and its arc length there."""
        raise NotImplementedError

    def place_index(self) -> int:
        raise NotImplementedError

    def plan(self) -> int:
        self.index = self.place_index()
        return self.geometry.index_after(self.index, 30.0)

    def spawn(self, scene: Scene, ego: EgoView) -> None:
        path, s = self.start_path()
        self.cutter = self.new_mover(CAR_MODEL, path, s, 0.0, 0.0)
        self.launched = False

    def launch(self, ego: EgoView) -> None:
        g = self.geometry
        s_route = float(g.dense.distances[self.index])
        self.cutter.path = blend_paths(self.cutter.path, g.path, self.cutter.s, s_route, self.MERGE_LENGTH_M, 60.0)
        self.cutter.s = 0.0
        self.cutter.target_speed = self.SPEED
        self.cutter.speed = max(self.cutter.speed, 2.0)
        self.launched = True

    def behave(self, scene: Scene, ego: EgoView, obstacles: Obstacles) -> None:
        if not self.launched:
            gap = self.geometry.metres_between(ego.index, self.index)
            if gap <= max(10.0, ego.speed * self.START_TIME_S + 6.0):
                self.launch(ego)
        if self.launched:
            self.cutter.ignore_others = self.cutter.s < self.MERGE_LENGTH_M
        self.cutter.step(self.ctx.dt, obstacles)


class ParkingCutIn(CutIn):
    """A car parked at the roadside (behind another parked car) pulls out in front of the ego."""

    PARAMS = (DIRECTION,)
    AHEAD_M = 20.0

    def place_index(self) -> int:
        g = self.geometry
        index = g.index_after(self.trigger_index, self.AHEAD_M)
        _no_junction(self, g.index_after(index, -10.0), g.index_after(index, 20.0), "the parking spot")
        return index

    def start_path(self) -> tuple[Path, float]:
        g = self.geometry
        width = g.lane_width(self.index)
        lateral = self.side() * (0.5 * width + MODELS[PARKED_MODEL][1][1] + 0.2)
        side_path = g.path.shifted(lateral)
        s = float(g.dense.distances[self.index])
        position, yaw = side_path.pose_at(s + 7.0)
        self.new_actor(PARKED_MODEL, position, yaw)
        return side_path, s


class StaticCutIn(CutIn):
    """The first car of a queue standing in the next lane cuts into the ego lane."""

    PARAMS = (Param("distance", default=100.0, low=10.0, high=400.0, unit="m"), DIRECTION)

    def place_index(self) -> int:
        g = self.geometry
        index = g.index_after(self.trigger_index, self.params["distance"])
        _no_junction(self, g.index_after(index, -20.0), g.index_after(index, 25.0), "the queue")
        if g.same_direction_neighbour(index, self.params["direction"]) is None:
            raise ScenarioPlacementError(f"{self.where}: needs a same-direction lane on the {self.params['direction']} of the ego lane")
        return index

    def start_path(self) -> tuple[Path, float]:
        g = self.geometry
        side_path = g.path.shifted(self.side() * g.lane_width(self.index))
        s = float(g.dense.distances[self.index])
        for behind in (8.0, 16.0):
            position, yaw = side_path.pose_at(s - behind)
            self.new_actor(PARKED_MODEL, position, yaw)
        return side_path, s


class HighwayCutIn(Scenario):
    """A car coming along the lane beside the route (an entry ramp or the next lane, from
    ``other_actor_location``) cuts in right in front of the ego: paced to reach the merge point
    when the ego is ``LEAD_M`` metres short of it, it merges at the ego's speed (so a blind ego
    runs into its side) and speeds up to ``SPEED`` once in the lane."""

    PARAMS = (Param("other_actor_location", "location", required=True),)
    SPEED = 12.0
    APPROACH_M = 120.0
    MERGE_LENGTH_M = 15.0
    #: Metres (centre to centre, along the route) the cutter is ahead of the ego at the merge point.
    LEAD_M = 3.0

    def plan(self) -> int:
        g = self.geometry
        xy = np.asarray(self.params["other_actor_location"][:2])
        d = np.linalg.norm(g.dense.positions[self.trigger_index :, :2] - xy, axis=1)
        if d.min() > 12.0:
            raise ScenarioPlacementError(f"{self.where}: other_actor_location is {d.min():.1f} m from the route after the trigger (limit 12 m)")
        self.index = self.trigger_index + int(np.argmin(d))
        return g.index_after(self.index, 30.0)

    def _merge_path(self) -> tuple[Path, float]:
        """The cutter's path (its lane up to the location, then a blend onto the route) and the
        arc length of the location on it."""
        g = self.geometry
        xy = np.asarray(self.params["other_actor_location"][:2])
        _, yaw = g.pose(self.index)
        lane = g.lane_at(xy, yaw)
        if lane is None:  # no lane there: a straight approach along the route's heading
            z = g.dense.positions[self.index, 2]
            approach = Path(np.array([np.append(xy + d * forward_of(yaw), z) for d in (-self.APPROACH_M, self.MERGE_LENGTH_M)]))
        else:
            approach, _ = g.lane_path(lane, upstream_m=self.APPROACH_M, downstream_m=self.MERGE_LENGTH_M + 5.0)
        s_here = approach.project(xy)[0]
        merge = blend_paths(approach, g.path, s_here, float(g.dense.distances[self.index]), self.MERGE_LENGTH_M, 60.0)
        return Path(np.vstack([approach.points[approach.cum < s_here - 0.5], merge.points])), s_here

    def ego_time(self, ego: EgoView) -> float:
        """Seconds the ego needs to ``LEAD_M`` short of the merge point at its current speed (at least 2 m/s)."""
        return (self.geometry.metres_between(ego.index, self.index) - self.LEAD_M) / max(ego.speed, 2.0)

    def spawn(self, scene: Scene, ego: EgoView) -> None:
        path, self.s_here = self._merge_path()
        start = float(np.clip(self.s_here - self.SPEED * self.ego_time(ego), 0.0, max(self.s_here - 10.0, 0.0)))
        self.merge_end = self.s_here + self.MERGE_LENGTH_M
        self.cutter = self.new_mover(CAR_MODEL, path, start, self.SPEED, self.SPEED)

    def behave(self, scene: Scene, ego: EgoView, obstacles: Obstacles) -> None:
        if self.cutter.s < self.s_here:
            # Paced to the merge point with the ego (which may still be speeding up or slowing down).
            self.cutter.target_speed = paced_speed(self.s_here - self.cutter.s, self.ego_time(ego), self.SPEED)
        elif self.cutter.s < self.merge_end:
            # Merging alongside the ego's front: at its speed (within the pacing bounds).
            self.cutter.target_speed = paced_speed(ego.speed, 1.0, self.SPEED)
        else:
            self.cutter.target_speed = self.SPEED
        # It does not give way while merging, as the scenario intends.
        self.cutter.ignore_others = self.cutter.s < self.merge_end
        self.cutter.step(self.ctx.dt, obstacles)


class YieldToEmergencyVehicle(Scenario):
    """An emergency vehicle approaches from ``distance`` metres behind; the ego must let it pass.

    At the end (the ego drove ``END_AFTER_M`` past the trigger, or neared the route end) the vehicle still
    behind the ego is a yield-to-emergency-vehicle infraction (0.7)."""

    PARAMS = (Param("distance", default=140.0, low=15.0, high=400.0, unit="m"),)
    END_AFTER_M = 250.0
    SPEED_MARGIN = 6.0

    def plan(self) -> int:
        g = self.geometry
        end = g.index_after(self.trigger_index, self.END_AFTER_M)
        if g.metres_between(self.trigger_index, end) < 80.0:
            raise ScenarioPlacementError(f"{self.where}: needs 80 m of route after the trigger")
        # End (and judge) a few metres before the route does, so a short route still judges it.
        return min(end, len(g) - 6)

    def spawn(self, scene: Scene, ego: EgoView) -> None:
        g = self.geometry
        position, yaw = g.pose(ego.index)
        distance = self.params["distance"]
        back = np.array([np.append(position[:2] - d * forward_of(yaw), position[2]) for d in (distance, 0.0)])
        ahead = g.dense.positions[ego.index + 1 :]
        path = Path(np.vstack([back, ahead]))
        self.ev = self.new_mover(EMERGENCY_MODEL, path, 0.0, 15.0, 15.0)

    def behave(self, scene: Scene, ego: EgoView, obstacles: Obstacles) -> None:
        self.ev.target_speed = max(ego.speed + self.SPEED_MARGIN, 12.0)
        self.ev.step(self.ctx.dt, obstacles)

    def ev_ahead(self, ego: EgoView) -> bool:
        rel = self.ev.actor.position[:2] - ego.position[:2]
        return float(rel @ forward_of(ego.yaw)) > 0.0

    def resolved(self, scene: Scene, ego: EgoView) -> bool:
        return self.ev_ahead(ego) and self.ev.s > self.params["distance"] + 20.0 or ego.index >= self.end_index

    def end_events(self, scene: Scene, ego: EgoView) -> list[ScenarioEvent]:
        if self.ev_ahead(ego):
            return []
        location = tuple(round(float(v), 2) for v in self.ev.actor.position)
        return [ScenarioEvent("yield_emergency_vehicle", self.spec.name, location)]


class InvadingTurn(Scenario):
    """Oncoming cars cut the curve ``distance`` metres ahead, invading the ego lane by ``offset``
    lane widths; the ego must keep to the right."""

    PARAMS = (
        Param("distance", default=100.0, low=10.0, high=400.0, unit="m"),
        Param("offset", default=0.25, low=0.0, high=1.0, unit="lane widths"),
    )
    CARS = 3
    SPACING_M = 18.0
    SPEED = 8.0

    def plan(self) -> int:
        g = self.geometry
        self.index = g.index_after(self.trigger_index, self.params["distance"])
        if g.oncoming_neighbour(self.index) is None:
            raise ScenarioPlacementError(f"{self.where}: needs an oncoming lane on the left, {self.params['distance']:g} m after the trigger")
        return g.index_after(self.index, 20.0)

    def spawn(self, scene: Scene, ego: EgoView) -> None:
        g = self.geometry
        width = g.lane_width(self.index)
        start = g.index_after(self.index, self.CARS * self.SPACING_M + 20.0)
        # Opposite lane, driven backwards along the route, shifted into the ego lane.
        reverse = Path(g.dense.positions[ego.index : start + 1][::-1].copy())
        # The car's right edge reaches ``offset`` lane widths past the centre line into the ego lane.
        invasion = (0.5 - self.params["offset"]) * width + MODELS[CAR_MODEL][1][1]
        self.cars = []
        for k in range(self.CARS):
            mover = self.new_mover(CAR_MODEL, reverse, k * self.SPACING_M, self.SPEED, self.SPEED)
            mover.lateral_offset = invasion  # right of the reversed path = left of the route
            mover.place()
            self.cars.append(mover)

    def behave(self, scene: Scene, ego: EgoView, obstacles: Obstacles) -> None:
        for car in self.cars:
            car.step(self.ctx.dt, obstacles)


class ParkingExit(Scenario):
    """The ego starts in a parking spot on the ``direction`` side between two parked cars and must
    merge into the flow on its lane."""

    PARAMS = (
        DIRECTION,
        Param("front_vehicle_distance", default=9.0, low=5.5, high=50.0, unit="m"),
        Param("behind_vehicle_distance", default=9.0, low=5.5, high=50.0, unit="m"),
        Param("flow_distance", default=25.0, low=8.0, high=200.0, unit="m"),
        Param("speed", default=30.0, low=5.0, high=100.0, unit="km/h"),
    )

    def plan(self) -> int:
        g = self.geometry
        if self.trigger_index > 3:
            raise ScenarioPlacementError(f"{self.where}: ParkingExit must trigger at the route start")
        _no_junction(self, 0, g.index_after(0, self.params["front_vehicle_distance"] + 10.0), "the parking spot")
        side = self.params["direction"]
        if g.side_lane_type(0, side) != carla.LaneType.Parking and g.same_direction_neighbour(0, side) is None:
            raise ScenarioPlacementError(f"{self.where}: needs a parking lane (or a same-direction lane) on the {side} at the route start")
        width = g.lane_width(0)
        self.lateral = (1.0 if self.params["direction"] == "right" else -1.0) * width
        return g.index_after(0, 30.0)

    def ego_start(self) -> tuple[float, float, float, float]:
        position, yaw = self.geometry.pose(0)
        xy = position[:2] + self.lateral * right_of(yaw)
        return (float(xy[0]), float(xy[1]), float(position[2]), yaw)

    def spawn(self, scene: Scene, ego: EgoView) -> None:
        g = self.geometry
        position, yaw = g.pose(0)
        spot = position[:2] + self.lateral * right_of(yaw)
        for along in (self.params["front_vehicle_distance"], -self.params["behind_vehicle_distance"]):
            xy = spot + along * forward_of(yaw)
            self.new_actor(PARKED_MODEL, np.array([xy[0], xy[1], position[2]]), yaw)
        back = np.array([np.append(position[:2] - d * forward_of(yaw), position[2]) for d in (60.0, 0.0)])
        path = Path(np.vstack([back, g.dense.positions[1:]]))
        gap = self.params["flow_distance"]
        self.flow = Flow(path, self.params["speed"] / 3.6, (gap, gap * 1.5), self.rng, self.ctx.ids, CAR_MODEL)

    def behave(self, scene: Scene, ego: EgoView, obstacles: Obstacles) -> None:
        self.flow.step(self.ctx.dt, obstacles)
        if self.running_time > 20.0:
            self.flow.stopped = True

    @property
    def actors(self) -> list[ScenarioActor]:
        return [*self._actors, *self.flow.actors] if self.active else []


class SequentialLaneChange(Scenario):
    """The route changes lanes several times in a row (traffic-rule compliance only)."""

    SEARCH_M = 150.0

    def plan(self) -> int:
        from lead_framework.route import RoadOption

        g = self.geometry
        hi = g.index_after(self.trigger_index, self.SEARCH_M)
        options = g.dense.options[self.trigger_index : hi + 1]
        changes = np.isin(options, [int(RoadOption.CHANGELANELEFT), int(RoadOption.CHANGELANERIGHT)])
        if not changes.any():
            raise ScenarioPlacementError(f"{self.where}: the route has no lane change within {self.SEARCH_M:g} m after the trigger")
        last = self.trigger_index + int(np.flatnonzero(changes)[-1])
        return g.index_after(last, 10.0)

