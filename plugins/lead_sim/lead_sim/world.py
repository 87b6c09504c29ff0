"""The embedded world ``leadsim``: drives one route with one agent at 20 Hz and scores it.

Per tick (as the leaderboard does on a server): render the agent's sensors, ``agent.run_step``,
apply the control to the ego (kinematic bicycle), step the background traffic and lights, let the
scenario runners act, evaluate the Leaderboard 2.0 criteria, notify the observers, and stop on
route completion, a route-ending criterion (deviation, blocked, timeout), an agent error or
``protocol.max_ticks``.
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

import attrs
import numpy as np

from lead_framework.agent import Agent, VehicleControl
from lead_framework.route import RoutePlan, RouteSpec, Weather
from lead_framework.scoring import finalize_record
from lead_framework.scoring.record import RouteRecord
from lead_framework.world import TICK_RATE_HZ, EvaluationProtocol, TickInfo, TickObserver
from lead_sim.criteria import CriteriaSuite, RouteGeometry
from lead_sim.ego import EGO_BLUEPRINT, EgoParameters, EgoState, KinematicBicycle
from lead_sim.maps.towns import TownMap, load_town
from lead_sim.routes import DenseRoute, plan_route, target_points
from lead_sim.scene import Scene
from lead_sim.traffic import Traffic, TrafficSpec

DT = 1.0 / TICK_RATE_HZ


class WorldConfigError(ValueError):
    """An invalid ``leadsim`` world configuration."""


def _non_negative(instance: Any, attribute: attrs.Attribute, value: int) -> None:
    if value < 0:
        raise WorldConfigError(f"world.{attribute.name}: must be >= 0, got {value}")


def _positive(instance: Any, attribute: attrs.Attribute, value: float) -> None:
    if not value > 0:
        raise WorldConfigError(f"world.{attribute.name}: must be > 0, got {value}")


@attrs.define(frozen=True)
class LeadSimConfig:
    """The ``world:`` section for ``leadsim``. ``town`` is used for routes that name no town."""

    town: str = "grid_small"
    vehicles: int = attrs.field(default=30, validator=_non_negative)
    walkers: int = attrs.field(default=10, validator=_non_negative)
    bicycles: int = attrs.field(default=0, validator=_non_negative)
    props: int = attrs.field(default=0, validator=_non_negative)
    #: Spacing of the target points the agent receives (the leaderboard's global plan), metres.
    target_point_spacing_m: float = attrs.field(default=50.0, validator=_positive)


class ScenarioRunner(Protocol):
    """Acts on the episode every tick after traffic moved (spawns, scripts actors, reports events)."""

    def on_tick(self, scene: Scene) -> None: ...


#: ``setup(episode, route) -> runners``: builds the scenario runners of a route.
ScenarioSetup = Callable[["Episode", RouteSpec], Iterable[ScenarioRunner]]


def _load_town(name: str) -> TownMap:
    return load_town(name)


def _plan(town: TownMap, route: RouteSpec) -> DenseRoute:
    return plan_route(town, route.waypoint_array(), route_id=route.id)


def _make_sensors(agent: Agent, town: TownMap):
    """The agent's rig, or None when it asks for no sensors."""
    specs = agent.sensors()
    if not specs:
        return None
    # Imported here: the renderers pull OpenCV and raster set-up that privileged runs never need.
    from lead_sim.sensors.suite import SensorSuite

    return SensorSuite(list(specs), town)


def _weather_at(route: RouteSpec, completion_pct: float) -> Weather:
    """The last weather keyframe at or before the route completion reached (the first otherwise)."""
    if not route.weathers:
        return Weather()
    current = route.weathers[0]
    for keyframe in route.weathers:
        if keyframe.route_percentage <= completion_pct:
            current = keyframe
    return current


class Episode:
    """One route being driven: the town, dense route, ego, traffic, criteria and scene."""

    def __init__(self, config: LeadSimConfig, route: RouteSpec, seed: int, protocol: EvaluationProtocol) -> None:
        self.route_spec = route
        self.protocol = protocol
        self.town = _load_town(route.town or config.town)
        self.dense_route = _plan(self.town, route)
        self.plan: RoutePlan = target_points(self.dense_route, config.target_point_spacing_m)
        self.rng = np.random.default_rng(seed)
        self.ego_params = EgoParameters()
        self.ego_model = KinematicBicycle(self.ego_params)
        start = self.dense_route.positions[0]
        self.ego = EgoState(
            x=float(start[0]),
            y=float(start[1]),
            z=float(start[2]) + self.ego_params.extent[2],
            yaw=float(self.dense_route.yaws[0]),
        )
        spec = TrafficSpec(vehicles=config.vehicles, bicycles=config.bicycles, walkers=config.walkers, props=config.props)
        self.traffic = Traffic(self.town.map, spec, self.rng, self._ego_position(), self.ego_params.extent, EGO_BLUEPRINT)
        self.traffic.set_ego(self._ego_position(), self.ego.yaw, self.ego.velocity())
        self.scene = Scene(
            tick=0,
            time_s=0.0,
            actors=self.traffic.actors,
            traffic_lights=self.traffic.lights.lights,
            stop_signs=self.traffic.stop_signs,
        )
        geometry = RouteGeometry(self.dense_route.positions, self.dense_route.yaws, self.dense_route.distances)
        self.criteria = CriteriaSuite(geometry, self.town.map, self.scene.traffic_lights, self.scene.stop_signs, protocol)
        self.scenario_runners: list[ScenarioRunner] = []
        #: Applied in order to the agent's control before it moves the ego (scenarios' perturbations).
        self.control_filters: list[Callable[[VehicleControl], VehicleControl]] = []
        self.metres_driven = 0.0
        self.tick = 0

    def _ego_position(self) -> np.ndarray:
        return np.array([self.ego.x, self.ego.y, self.ego.z])

    @property
    def time_s(self) -> float:
        return self.tick * DT

    def step(self, control: VehicleControl) -> None:
        """Advance the world one tick under the ego's ``control`` and evaluate the criteria."""
        previous = self.ego
        for adjust in self.control_filters:
            control = adjust(control)
        self.ego = self.ego_model.step(previous, control, DT)
        route_z = self.dense_route.positions[min(self.criteria.completion.passed + 1, len(self.dense_route) - 1), 2]
        self.ego.z = float(route_z) + self.ego_params.extent[2]
        moved = math.hypot(self.ego.x - previous.x, self.ego.y - previous.y)
        self.metres_driven += moved
        self.tick += 1
        self.traffic.set_ego(self._ego_position(), self.ego.yaw, self.ego.velocity())
        self.traffic.step(DT, self.time_s)
        self.scene.actors = self.traffic.scene_actors
        self.scene.tick, self.scene.time_s = self.tick, self.time_s
        for runner in self.scenario_runners:
            runner.on_tick(self.scene)
        self.criteria.update(self.tick, self.time_s, self.scene, abs(self.ego.speed), self.metres_driven, moved)


def _default_scenario_setups() -> list[ScenarioSetup]:
    """The route-file scenarios (Leaderboard 2.0 / Bench2Drive types) of :mod:`lead_sim.scenarios`."""
    from lead_sim.scenarios.world_hook import setup_route_scenarios

    return [setup_route_scenarios]


def _ego_fields(ego: EgoState) -> dict[str, float]:
    """The ego state as observers log it (world frame, SI units, yaw in radians)."""
    return {key: round(float(getattr(ego, key)), 5) for key in ("x", "y", "z", "yaw", "speed", "accel", "yaw_rate")}


def _control_is_finite(control: VehicleControl) -> bool:
    return all(math.isfinite(v) for v in (control.throttle, control.steer, control.brake))


class LeadSimWorld:
    """The embedded world (the ``World`` protocol of :mod:`lead_framework.world`).

    ``scenario_setups`` lists functions that build a route's scenario runners; the scenario plugin
    appends to it. Privileged agents receive a :class:`~lead_sim.privileged.LeadSimPrivilegedView`.
    """

    def __init__(self, config: LeadSimConfig = LeadSimConfig()) -> None:
        self.config = config
        self.scenario_setups: list[ScenarioSetup] = _default_scenario_setups()

    def generate_routes(
        self, count: int, length_m: tuple[float, float] = (150.0, 400.0), seed: int = 0, town: str | None = None
    ) -> list[RouteSpec]:
        """``count`` random routes on ``town`` (default: the configured town), deterministic per seed (no scenarios)."""
        from lead_sim.routes import generate_routes

        return generate_routes(_load_town(town or self.config.town), count, length_m=tuple(length_m), seed=seed)

    def run_route(
        self,
        route: RouteSpec,
        agent: Agent,
        *,
        seed: int = 0,
        protocol: EvaluationProtocol = EvaluationProtocol(),
        observers: Sequence[TickObserver] = (),
    ) -> RouteRecord:
        from lead_sim.privileged import LeadSimPrivilegedView

        wall_start = time.perf_counter()
        episode = Episode(self.config, route, seed, protocol)
        for setup in self.scenario_setups:
            episode.scenario_runners.extend(setup(episode, route))
        view = LeadSimPrivilegedView(episode)
        privileged = view if agent.privileged else None
        ended_by: str | None = None
        error = ""
        try:
            sensors = _make_sensors(agent, episode.town)
            agent.setup(episode.plan, privileged)
        except Exception:  # the leaderboard records a failed set-up and goes on with the next route
            sensors, ended_by, error = None, "agent_setup_failed", traceback.format_exc()
        if ended_by is None:
            for observer in observers:
                observer.on_route_start(route, episode.plan)
            ended_by, error = self._drive(episode, agent, sensors, view, observers)
        agent.destroy()
        record = self._record(episode, route, ended_by, error, time.perf_counter() - wall_start)
        for observer in observers:
            observer.on_route_end(record)
        return record

    def _drive(
        self, episode: Episode, agent: Agent, sensors, view, observers: Sequence[TickObserver]
    ) -> tuple[str | None, str]:
        """Tick until the route ends; returns (reason the route ended early or None, error text)."""
        protocol = episode.protocol
        criteria = episode.criteria
        while True:
            timestamp = episode.time_s
            weather = _weather_at(episode.route_spec, criteria.completion.percent)
            input_data = {} if sensors is None else sensors.read(episode.scene, weather, episode.tick)
            try:
                control = agent.run_step(input_data, timestamp)
                if not _control_is_finite(control):
                    raise ValueError(f"agent returned a non-finite control {control}")
            except Exception:  # as the leaderboard: the route fails with "Agent crashed"
                return "agent_crashed", traceback.format_exc()
            episode.step(control)
            info = TickInfo(
                tick=episode.tick,
                timestamp=timestamp,
                input_data=input_data,
                control=control,
                privileged=view,
                extra={"route_completion": criteria.completion.percent, "weather": weather, "ego": _ego_fields(episode.ego)},
            )
            for observer in observers:
                observer.on_tick(info)
            if criteria.route_completed:
                return None, ""
            if criteria.failure is not None:
                return criteria.failure, ""
            if protocol.max_ticks is not None and episode.tick >= protocol.max_ticks:
                return "route_timeout", ""

    def _record(self, episode: Episode, route: RouteSpec, ended_by: str | None, error: str, wall_s: float) -> RouteRecord:
        criteria = episode.criteria
        criteria.finish()
        record = RouteRecord(
            route_id=route.id,
            infractions=criteria.infractions(),
            route_length_m=round(episode.dense_route.length_m, 3),
            duration_game_s=round(episode.time_s, 3),
            duration_system_s=round(wall_s, 3),
            extra={
                "town": episode.town.name,
                "ticks": episode.tick,
                "metres_driven": round(episode.metres_driven, 3),
                "background_vehicles": len(episode.traffic.fleet),
            },
        )
        if error:
            record.extra["error"] = error
        # Criteria failures are in the record already; ended_by names only the external reasons
        # and the tick cap (reported as a route timeout).
        external = ended_by if ended_by in ("agent_crashed", "agent_setup_failed", "route_timeout") else None
        return finalize_record(
            record,
            route_completion_pct=criteria.completion.percent,
            ended_by=external,
            min_speed_penalty=episode.protocol.min_speed_penalty,
        )
