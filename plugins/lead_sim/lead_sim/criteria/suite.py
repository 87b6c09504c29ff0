"""All Leaderboard 2.0 criteria of one route, updated together every tick."""

from __future__ import annotations

import carla

from lead_framework.scoring.record import Infraction
from lead_framework.world import EvaluationProtocol
from lead_sim.criteria.base import Criterion, RouteGeometry, TickContext
from lead_sim.criteria.collisions import CollisionCriterion
from lead_sim.criteria.min_speed import MinSpeedCriterion
from lead_sim.criteria.outside_lanes import OutsideRouteLanesCriterion
from lead_sim.criteria.red_light import RedLightCriterion
from lead_sim.criteria.route_progress import AgentBlocked, RouteCompletion, RouteDeviation, RouteTimeout
from lead_sim.criteria.scenario_events import ScenarioTimeoutCriterion, YieldEmergencyVehicleCriterion
from lead_sim.criteria.stop_sign import StopSignCriterion, lane_points_on
from lead_sim.scene import Scene, StopSign, TrafficLight


class CriteriaSuite:
    """Owns one instance of every criterion; scenarios reach them by attribute (e.g.
    ``suite.scenario_timeout.report(name)``, ``suite.outside_lanes.active = False``,
    ``suite.blocked.paused = True``)."""

    def __init__(
        self,
        route: RouteGeometry,
        town_map: carla.Map,
        lights: list[TrafficLight],
        stops: list[StopSign],
        protocol: EvaluationProtocol,
    ) -> None:
        self.completion = RouteCompletion(route)
        self.collisions = CollisionCriterion()
        self.red_light = RedLightCriterion(lights)
        self.stop_sign = StopSignCriterion(stops, lane_points_on(town_map))
        self.outside_lanes = OutsideRouteLanesCriterion(town_map)
        self.deviation = RouteDeviation(route, self.completion)
        self.blocked = AgentBlocked(protocol.blocked_timeout_s)
        self.timeout = RouteTimeout(route.length_m)
        self.min_speed = MinSpeedCriterion()
        self.scenario_timeout = ScenarioTimeoutCriterion()
        self.yield_ev = YieldEmergencyVehicleCriterion()
        self._checks: list[Criterion] = [
            self.collisions, self.red_light, self.stop_sign, self.outside_lanes, self.deviation,
            self.blocked, self.timeout, self.min_speed, self.scenario_timeout, self.yield_ev,
        ]
        self._last: TickContext | None = None

    def update(
        self, tick: int, time_s: float, scene: Scene, ego_speed: float, metres_driven: float, moved_m: float
    ) -> None:
        ctx = TickContext(
            tick=tick, time_s=time_s, scene=scene, ego_speed=ego_speed, metres_driven=metres_driven, moved_m=moved_m
        )
        self.completion.update(ctx)
        ctx.completion_pct = self.completion.percent
        ctx.completed_m = self.completion.completed_m
        for check in self._checks:
            check.update(ctx)
        self._last = ctx

    @property
    def failure(self) -> str | None:
        """The key of the first route-ending criterion that fired, or None."""
        for check in self._checks:
            if check.failure is not None:
                return check.failure
        return None

    @property
    def route_completed(self) -> bool:
        return self.completion.completed

    def finish(self) -> None:
        """Close the criteria that report at the route's end (outside lanes, last min-speed checkpoint)."""
        if self._last is None:
            return
        ctx = self._last
        ctx.completion_pct = self.completion.percent
        ctx.completed_m = self.completion.route.length_m if self.completion.completed else self.completion.completed_m
        for check in self._checks:
            check.finish(ctx)

    def infractions(self) -> list[Infraction]:
        """Every event, in tick order (stable within a tick)."""
        events = [event for check in self._checks for event in check.events]
        return sorted(events, key=lambda event: event.tick)
