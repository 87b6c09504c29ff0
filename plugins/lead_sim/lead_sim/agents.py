"""A baseline privileged agent: follows the dense route, blind to other road users.

``route_follower`` is the trivial agent of the benchmarks (it shows what a route scores when an
agent ignores every scenario) and the driver of ``leadfw render`` when no expert is installed.
Steering is pure pursuit on the dense route, speed a proportional controller; with
``obey_signals`` it also stops at red lights and stop signs (and nothing else).
"""

from __future__ import annotations

import math
from typing import Any

import attrs

from lead_framework.agent import Agent, PrivilegedView, VehicleControl
from lead_framework.route import RoutePlan
from lead_framework.validators import non_negative, positive
from lead_sim.ego import EgoParameters
from lead_sim.scene import LightState

#: Distance from the ego centre to its front bumper (CARLA's default ego, metres).
FRONT_OFFSET_M = EgoParameters().extent[0]


@attrs.define(frozen=True)
class RouteFollowerConfig:
    speed: float = attrs.field(default=6.0, validator=positive)
    obey_signals: bool = True
    #: Stop for good once this many metres of the route are passed (None: drive to the end).
    stop_after_m: float | None = attrs.field(default=None, validator=attrs.validators.optional(non_negative))


class RouteFollower(Agent):
    """Pure-pursuit route follower that ignores other actors."""

    privileged = True

    def __init__(self, config: RouteFollowerConfig = RouteFollowerConfig()):
        self.config = config
        self.served_stops: set[int] = set()

    def setup(self, plan: RoutePlan, privileged: PrivilegedView | None = None) -> None:
        if privileged is None:
            raise ValueError("route_follower needs privileged access; run it on a world that offers a privileged view")
        super().setup(plan, privileged)
        self.served_stops = set()

    def _signal_speed(self, target: float) -> float:
        view = self.world_view
        route, here = view.dense_route, view.route_index
        for index, light in view.lights_on_route():
            distance = route.distances[index] - route.distances[here] - FRONT_OFFSET_M
            if -1.5 < distance < 30.0 and light.state != LightState.GREEN:
                target = min(target, max(0.0, 0.6 * (distance - 1.0)))
        for index, stop in view.stops_on_route():
            distance = route.distances[index] - route.distances[here] - FRONT_OFFSET_M
            if stop.id in self.served_stops or not -3.0 < distance < 30.0:
                continue
            target = min(target, max(0.0, 0.6 * (distance + 1.0)))
            if abs(view.ego.speed) < 0.05 and distance < 3.0:
                self.served_stops.add(stop.id)
        return target

    def run_step(self, input_data: dict[str, tuple[int, Any]], timestamp: float) -> VehicleControl:
        view = self.world_view
        ego, route = view.ego, view.dense_route
        ahead = min(view.route_index + 5 + int(ego.speed * 0.5), len(route) - 1)
        dx, dy = route.positions[ahead, 0] - ego.x, route.positions[ahead, 1] - ego.y
        alpha = math.atan2(dy, dx) - ego.yaw
        params = EgoParameters()
        wheel = math.atan(2.0 * params.wheelbase_m * math.sin(alpha) / max(math.hypot(dx, dy), 1.0))
        steer = wheel / math.radians(params.max_steer_deg)
        target = self.config.speed
        if self.config.stop_after_m is not None and route.distances[view.route_index] >= self.config.stop_after_m:
            target = 0.0
        if self.config.obey_signals:
            target = self._signal_speed(target)
        if target < 0.05 and ego.speed < 0.5:
            return VehicleControl(steer=steer, brake=1.0)
        error = target - ego.speed
        if error >= 0:
            return VehicleControl(throttle=min(1.0, 0.5 * error + 0.2), steer=steer)
        return VehicleControl(steer=steer, brake=min(1.0, -0.4 * error))
