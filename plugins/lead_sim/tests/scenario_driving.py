"""Driving scenario routes in the embedded world with a blind scripted ego, and reading what happened.

Shared by the scenario tests: the baseline route follower (blind to actors and signals), an
observer that logs the scenario actors every tick, and a frame that expresses positions along and
across the ego's dense route.
"""

from __future__ import annotations

import math
import re

import numpy as np

from lead_framework.route import RouteSpec
from lead_framework.world import EvaluationProtocol, Observer
from lead_sim.agents import RouteFollower, RouteFollowerConfig
from lead_sim.routes import plan_route
from lead_sim.scenarios.actors import FIRST_SCENARIO_ACTOR_ID
from lead_sim.scenarios.geometry import RouteGeometry
from lead_sim.world import LeadSimConfig, LeadSimWorld

PROTOCOL = EvaluationProtocol(min_speed_penalty=False, blocked_timeout_s=60.0, max_ticks=1500)


def follower(speed: float = 6.0, stop_after_m: float | None = None) -> RouteFollower:
    """The baseline route follower, blind to every actor and (here) to signals too."""
    return RouteFollower(RouteFollowerConfig(speed=speed, obey_signals=False, stop_after_m=stop_after_m))


class ActorLog(Observer):
    """Per tick: the scenario actors' rows (id -> (kind, xy, yaw, speed)), their half extents and
    blueprints, the ego pose and speed, the lights, the lane check and the agent's control."""

    def __init__(self):
        self.ticks: list[dict] = []
        self.traffic_lights: list = []

    def on_tick(self, info):
        scene = info.privileged.scene
        if not self.ticks:
            self.traffic_lights = list(scene.traffic_lights)
        a = scene.actors
        rows = np.flatnonzero(a.ids >= FIRST_SCENARIO_ACTOR_ID)
        self.ticks.append({
            "ego": a.position[0, :2].copy(), "ego_yaw": float(a.yaw[0]), "ego_speed": float(np.hypot(*a.velocity[0, :2])),
            "time": scene.time_s,
            "actors": {int(a.ids[r]): (int(a.kinds[r]), a.position[r, :2].copy(), float(a.yaw[r]), float(a.speed[r])) for r in rows},
            "extents": {int(a.ids[r]): a.extent[r].copy() for r in rows},
            "models": {int(a.ids[r]): a.blueprints[r] for r in rows},
            "lights": {light.id: light.state for light in scene.traffic_lights},
            "outside_lanes_active": info.privileged._episode.criteria.outside_lanes.active,
            "control": info.control,
        })

    def track(self, actor_id: int, start: int = 0) -> list[tuple[int, tuple]]:
        """(tick, row) of ``actor_id`` for every tick from ``start`` it is alive."""
        return [(i, t["actors"][actor_id]) for i, t in enumerate(self.ticks[start:], start) if actor_id in t["actors"]]

    def ids_of(self, kind: int) -> list[int]:
        """Ids of every scenario actor of ``kind`` seen during the route, in order of appearance."""
        return list(dict.fromkeys(i for t in self.ticks for i, row in t["actors"].items() if row[0] == kind))


def drive(route: RouteSpec, agent=None, protocol: EvaluationProtocol = PROTOCOL):
    """Run ``route`` on its town (no background traffic) with ``agent`` (the blind follower by default)."""
    world = LeadSimWorld(LeadSimConfig(town=route.town, vehicles=0, walkers=0))
    log = ActorLog()
    record = world.run_route(route, agent or follower(), seed=0, protocol=protocol, observers=[log])
    return record, log


def keys(record) -> list[str]:
    return [event.key for event in record.infractions]


def collisions(record, key: str) -> list[tuple[int, int]]:
    """(tick, actor id) of every ``key`` collision, the id read from the leaderboard's message."""
    found = ((e.tick, re.search(r"id=(\d+)", e.message)) for e in record.infractions if e.key == key)
    return [(tick, int(match.group(1))) for tick, match in found if match]


def collided_ids(record, key: str) -> set[int]:
    """Ids of the actors the ego hit in ``key`` collisions."""
    return {actor_id for _, actor_id in collisions(record, key)}


def trigger_tick(log: ActorLog) -> int:
    return next(i for i, tick in enumerate(log.ticks) if tick["actors"])


def route_heading_at(route: RouteSpec, xy) -> float:
    """Heading (rad) of the route where it passes nearest ``xy``."""
    points = route.waypoint_array()[:, :2]
    k = int(np.argmin(np.linalg.norm(points - xy, axis=1)))
    a, b = points[max(k - 1, 0)], points[min(k + 1, len(points) - 1)]
    return math.atan2(b[1] - a[1], b[0] - a[0])


class RouteFrame:
    """Positions relative to the ego's dense route: metres along it and to its right (CARLA axes)."""

    def __init__(self, route: RouteSpec):
        self.route = route
        self.geometry = RouteGeometry(plan_route(route.town, route.waypoint_array(), route_id=route.id))
        self.dense = self.geometry.dense

    def nearest(self, xy) -> int:
        return int(np.argmin(np.linalg.norm(self.dense.positions[:, :2] - np.asarray(xy)[:2], axis=1)))

    def distance_to_route(self, xy) -> float:
        return float(np.linalg.norm(self.dense.positions[self.nearest(xy), :2] - np.asarray(xy)[:2]))

    def along(self, xy) -> float:
        """Metres from the route start to the route point nearest ``xy``."""
        return float(self.dense.distances[self.nearest(xy)])

    def lateral(self, xy) -> float:
        """Signed distance of ``xy`` from the route (positive: right of the driving direction)."""
        k = self.nearest(xy)
        yaw = float(self.dense.yaws[k])
        d = np.asarray(xy)[:2] - self.dense.positions[k, :2]
        return float(d @ np.array([-math.sin(yaw), math.cos(yaw)]))

    def heading_gap(self, xy, yaw: float) -> float:
        """cos of the angle between ``yaw`` and the route heading nearest ``xy`` (1: same way, -1: against)."""
        return math.cos(yaw - float(self.dense.yaws[self.nearest(xy)]))

    def trigger_m(self) -> float:
        trigger = self.route.scenarios[0].trigger
        return self.along([trigger.x, trigger.y])

    def lane_half_width(self, xy) -> float:
        return 0.5 * self.geometry.lane_width(self.nearest(xy))

    def junction_after_trigger(self):
        """The route's first junction pass after the scenario trigger."""
        trigger = self.route.scenarios[0].trigger
        return self.geometry.next_junction(self.nearest([trigger.x, trigger.y]), 80.0)
