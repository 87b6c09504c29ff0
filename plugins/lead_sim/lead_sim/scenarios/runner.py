"""The scenarios of one route, run by the world every tick.

The world builds one :class:`ScenarioRunner` per route (after planning the dense route) and, each
tick, calls :meth:`ScenarioRunner.tick` with the scene, then reads what the scenarios ask of it:

* :meth:`actors` - rows to add to the scene (the world's traffic and criteria treat them as actors);
* :meth:`adjust_control` - the ego's control after perturbations (ControlLoss);
* :attr:`outside_lanes_check_enabled` - False while a TwoWays scenario lets the ego overtake;
* :meth:`light_overrides` - traffic lights held in a state (light id -> state);
* :meth:`pop_events` - scenario timeouts and failures to yield to an emergency vehicle;
* :meth:`ego_start` - a start pose replacing the route start (ParkingExit).

Scenario types are looked up by name among the registered ``scenarios`` components; an unknown
type is skipped with a warning (an error with ``strict=True``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import numpy as np

from lead_framework.agent import VehicleControl
from lead_framework.route import RouteSpec
from lead_framework.world import EvaluationProtocol
from lead_sim.routes.planner import DenseRoute
from lead_sim.scene import ActorArrays, LightState, Scene
from lead_sim.scenarios.actors import Obstacles, stack_actors
from lead_sim.scenarios.base import EgoView, Scenario, ScenarioContext, ScenarioEvent, ego_view
from lead_sim.scenarios.errors import UnknownScenarioTypeError
from lead_sim.scenarios.geometry import RouteGeometry

log = logging.getLogger(__name__)

ScenarioBuilder = Callable[..., Scenario]

#: The ego's route progress is searched this many dense points back and ahead each tick.
_PROGRESS_BACK, _PROGRESS_AHEAD = 3, 40
#: Farther than this (metres) from the route, the progress does not move.
_PROGRESS_MAX_OFF_ROUTE_M = 8.0


def registered_builders() -> dict[str, ScenarioBuilder]:
    """Scenario type -> builder from every loaded plugin's ``lead_register_scenarios``."""
    from lead_framework.plugins import get_registry

    return {name: component.create() for name, component in get_registry().by_kind("scenarios").items()}


class ScenarioRunner:
    """Builds and runs the scenarios of ``route`` on its dense route."""

    def __init__(
        self,
        route: RouteSpec,
        dense: DenseRoute,
        *,
        protocol: EvaluationProtocol = EvaluationProtocol(),
        seed: int = 0,
        strict: bool = False,
        builders: Mapping[str, ScenarioBuilder] | None = None,
    ):
        self.geometry = RouteGeometry(dense)
        self.context = ScenarioContext(route_id=route.id, geometry=self.geometry, protocol=protocol, seed=seed)
        builders = registered_builders() if builders is None else builders
        self.scenarios: list[Scenario] = []
        self.skipped: list[str] = []
        for spec in route.scenarios:
            builder = builders.get(spec.type)
            if builder is None:
                message = (f"route {route.id!r}: scenario {spec.name!r} has the unknown type {spec.type!r}; "
                           f"the route runs without it (known: {len(builders)} types)")
                if strict:
                    raise UnknownScenarioTypeError(message)
                log.warning(message)
                self.skipped.append(spec.name)
                continue
            self.scenarios.append(builder(spec, self.context))
        self.ego_index = 0
        self._ego: EgoView | None = None
        self._events: list[ScenarioEvent] = []

    def _track(self, scene: Scene) -> EgoView:
        positions = self.geometry.dense.positions
        lo = max(self.ego_index - _PROGRESS_BACK, 0)
        hi = min(self.ego_index + _PROGRESS_AHEAD, len(positions))
        d = np.linalg.norm(positions[lo:hi, :2] - scene.actors.position[0, :2], axis=1)
        k = int(np.argmin(d))
        if d[k] <= _PROGRESS_MAX_OFF_ROUTE_M:
            self.ego_index = max(self.ego_index, lo + k)
        return ego_view(scene, self.ego_index)

    def tick(self, scene: Scene) -> None:
        """Advance every scenario by one tick (call after the world moved its own actors)."""
        self._ego = self._track(scene)
        # One snapshot of every body per tick: scenarios see each other's actors as of the tick's start.
        obstacles = Obstacles.gather(scene.actors, self.scenario_actors())
        for scenario in self.scenarios:
            if not scenario.done:
                self._events += scenario.update(scene, self._ego, obstacles)

    def scenario_actors(self) -> list:
        return [actor for scenario in self.scenarios for actor in scenario.actors]

    def actors(self) -> ActorArrays:
        """Every live scenario actor that has a body (flat debris has none), as actor rows (ids
        from 1,000,000 up)."""
        return stack_actors([a for a in self.scenario_actors() if a.collidable])

    @property
    def outside_lanes_check_enabled(self) -> bool:
        if self._ego is None:
            return True
        return all(s.outside_lanes_check(self._ego) for s in self.scenarios if s.active)

    def adjust_control(self, control: VehicleControl) -> VehicleControl:
        if self._ego is None:
            return control
        for scenario in self.scenarios:
            if scenario.active:
                control = scenario.adjust_control(control, self._ego)
        return control

    def light_overrides(self, scene: Scene) -> dict[int, LightState]:
        held: dict[int, LightState] = {}
        for scenario in self.scenarios:
            if scenario.active:
                held.update(scenario.light_overrides(scene))
        return held

    def ego_start(self) -> tuple[float, float, float, float] | None:
        for scenario in self.scenarios:
            pose = scenario.ego_start()
            if pose is not None:
                return pose
        return None

    @property
    def any_running(self) -> bool:
        return any(s.active for s in self.scenarios)

    def pop_events(self) -> list[ScenarioEvent]:
        events, self._events = self._events, []
        return events
