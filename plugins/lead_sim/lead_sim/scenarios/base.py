"""The scenario base class: parameters, trigger matching, placement and the tick lifecycle.

A scenario is built from its route-file entry (:class:`ScenarioSpec`) and the route's geometry.
Building parses its parameters and matches its trigger to the route (errors name route, scenario
and parameter), then :meth:`Scenario.plan` checks that the route and town admit it and works out
where its actors go. While the route runs, the scenario waits until the ego reaches the trigger,
spawns its actors, runs its behaviour every tick, and ends when resolved (usually: the ego drove
past it) or after ``protocol.scenario_timeout_s``, which is reported as a scenario timeout (0.7).
"""

from __future__ import annotations

import enum
import itertools
import math
from typing import Any, ClassVar

import attrs
import numpy as np

from lead_framework.agent import VehicleControl
from lead_framework.route import ScenarioSpec
from lead_framework.world import TICK_RATE_HZ, EvaluationProtocol
from lead_sim.scene import EGO_INDEX, LightState, Scene
from lead_sim.scenarios.actors import FIRST_SCENARIO_ACTOR_ID, MODELS, Mover, Obstacles, ScenarioActor
from lead_sim.scenarios.geometry import Path, RouteGeometry
from lead_sim.scenarios.params import Param, parse_params

#: The scenario starts when the ego's route progress is this close (metres) to the trigger.
TRIGGER_DISTANCE_M = 2.0


class ScenarioState(enum.Enum):
    IDLE = "idle"
    RUNNING = "running"
    SUCCESS = "success"
    TIMED_OUT = "timed_out"


@attrs.define(eq=False)
class ScenarioContext:
    """What every scenario of one route shares."""

    route_id: str
    geometry: RouteGeometry
    protocol: EvaluationProtocol = EvaluationProtocol()
    seed: int = 0
    ids: Any = attrs.field(factory=lambda: itertools.count(FIRST_SCENARIO_ACTOR_ID))
    dt: float = 1.0 / TICK_RATE_HZ


@attrs.define(frozen=True)
class ScenarioEvent:
    """Something a scenario reports to the route's criteria: ``kind`` is ``"timeout"`` (scenario
    timeout, 0.7) or ``"yield_emergency_vehicle"`` (0.7); ``location`` where it happened."""

    kind: str
    scenario: str
    location: tuple[float, float, float] | None = None


@attrs.define
class EgoView:
    """The ego as scenarios see it each tick; ``index`` is its progress on the dense route."""

    position: np.ndarray
    yaw: float
    speed: float
    index: int


class Scenario:
    """Base class of every scenario behaviour; subclasses set ``PARAMS`` and override the hooks."""

    PARAMS: ClassVar[tuple[Param, ...]] = ()
    #: Metres past the trigger after which a scenario without its own end condition is resolved.
    END_AFTER_M: ClassVar[float] = 60.0

    def __init__(self, spec: ScenarioSpec, ctx: ScenarioContext):
        self.spec = spec
        self.ctx = ctx
        self.geometry = ctx.geometry
        self.where = f"route {ctx.route_id!r}, scenario {spec.name!r} ({spec.type})"
        self.params = parse_params(self.PARAMS, spec.params, self.where)
        self.trigger_index = self.geometry.match_trigger(spec.trigger, self.where)
        self.rng = np.random.default_rng([ctx.seed, self.trigger_index, sum(map(ord, spec.name))])
        self.state = ScenarioState.IDLE
        self.started_at: float | None = None
        self._now = 0.0
        self._actors: list[ScenarioActor] = []
        self.end_index = self.plan()

    # --- hooks for subclasses --------------------------------------------------------------

    def plan(self) -> int:
        """Check the placement and precompute it (no actors yet); return the dense index past
        which the scenario is resolved. Raise ScenarioPlacementError when impossible here."""
        return self.geometry.index_after(self.trigger_index, self.END_AFTER_M)

    def spawn(self, scene: Scene, ego: EgoView) -> None:
        """Create the actors (called once, when the ego reaches the trigger)."""

    def behave(self, scene: Scene, ego: EgoView, obstacles: Obstacles) -> None:
        """Advance the actors by one tick."""

    def resolved(self, scene: Scene, ego: EgoView) -> bool:
        return ego.index >= self.end_index

    def end_events(self, scene: Scene, ego: EgoView) -> list[ScenarioEvent]:
        """Events judged when the scenario ends (e.g. not yielding to an emergency vehicle)."""
        return []

    def outside_lanes_check(self, ego: EgoView) -> bool:
        """False while the ego may legitimately drive outside its lanes (overtaking in TwoWays)."""
        return True

    def adjust_control(self, control: VehicleControl, ego: EgoView) -> VehicleControl:
        """The ego's control after this scenario's perturbation (ControlLoss)."""
        return control

    def light_overrides(self, scene: Scene) -> dict[int, LightState]:
        """Traffic lights this scenario holds in a state while running (light id -> state)."""
        return {}

    def ego_start(self) -> tuple[float, float, float, float] | None:
        """A start pose (x, y, z, yaw rad) for the ego instead of the route start (ParkingExit)."""
        return None

    # --- helpers ---------------------------------------------------------------------------

    @property
    def actors(self) -> list[ScenarioActor]:
        return self._actors if self.state is ScenarioState.RUNNING else []

    def new_actor(self, model: str, position: np.ndarray, yaw: float) -> ScenarioActor:
        """A static actor of ``model`` standing on the ground at ``position`` (x, y, ground z)."""
        kind, extent = MODELS[model]
        pos = np.array([position[0], position[1], position[2] + extent[2]], dtype=np.float64)
        actor = ScenarioActor(next(self.ctx.ids), kind, model, np.array(extent, dtype=np.float64), pos, float(yaw))
        self._actors.append(actor)
        return actor

    def drop(self, actor: ScenarioActor) -> None:
        """Take ``actor`` out of the world (it drove off the end of its path)."""
        if actor in self._actors:
            self._actors.remove(actor)

    def new_mover(self, model: str, path: Path, s: float, speed: float, target_speed: float) -> Mover:
        """An actor of ``model`` moving along ``path`` from arc length ``s``."""
        kind, extent = MODELS[model]
        actor = ScenarioActor(next(self.ctx.ids), kind, model, np.array(extent, dtype=np.float64), np.zeros(3), 0.0)
        self._actors.append(actor)
        return Mover(actor, path, s=s, speed=speed, target_speed=target_speed)

    @property
    def running_time(self) -> float:
        return 0.0 if self.started_at is None else self._now - self.started_at

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self.state is ScenarioState.RUNNING

    @property
    def done(self) -> bool:
        return self.state in (ScenarioState.SUCCESS, ScenarioState.TIMED_OUT)

    def update(self, scene: Scene, ego: EgoView, obstacles: Obstacles) -> list[ScenarioEvent]:
        """One tick: trigger, behave, end; returns the events raised this tick."""
        self._now = scene.time_s
        if self.state is ScenarioState.IDLE:
            trigger_m = self.geometry.dense.distances[self.trigger_index]
            if self.geometry.dense.distances[ego.index] < trigger_m - TRIGGER_DISTANCE_M:
                return []
            self.state = ScenarioState.RUNNING
            self.started_at = scene.time_s
            self.spawn(scene, ego)
        if self.state is not ScenarioState.RUNNING:
            return []
        self.behave(scene, ego, obstacles)
        if self.resolved(scene, ego):
            return self.finish(scene, ego, ScenarioState.SUCCESS)
        if scene.time_s - self.started_at >= self.ctx.protocol.scenario_timeout_s:
            timeout = ScenarioEvent("timeout", self.spec.name, _location(ego.position))
            return [timeout, *self.finish(scene, ego, ScenarioState.TIMED_OUT)]
        return []

    def finish(self, scene: Scene, ego: EgoView, state: ScenarioState) -> list[ScenarioEvent]:
        """End the scenario (actors leave the world) and judge its end events."""
        events = self.end_events(scene, ego)
        self.state = state
        return events


def _location(p: np.ndarray) -> tuple[float, float, float]:
    return (round(float(p[0]), 2), round(float(p[1]), 2), round(float(p[2]), 2))


def ego_view(scene: Scene, index: int) -> EgoView:
    a = scene.actors
    return EgoView(position=a.position[EGO_INDEX].copy(), yaw=float(a.yaw[EGO_INDEX]),
                   speed=float(math.hypot(*a.velocity[EGO_INDEX, :2])), index=index)
