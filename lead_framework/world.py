"""The world interface: a simulator backend that drives one route with one agent and scores it.

The world owns the loop (as the CARLA leaderboard does on a server): it spawns the ego at the
route start, runs the route's scenarios, calls ``agent.run_step`` every tick at 20 Hz, applies the
control, evaluates the Leaderboard 2.0 criteria, calls ``agent.destroy()`` and returns the
route's record. Observers see
every tick (data collection, videos, metric logs) without the world knowing what they do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from lead_framework.agent import Agent, PrivilegedView, VehicleControl
from lead_framework.route import RoutePlan, RouteSpec

if TYPE_CHECKING:
    from lead_framework.scoring.record import RouteRecord

#: Simulation rate of every world (the leaderboard's synchronous 20 Hz).
TICK_RATE_HZ = 20.0


@attrs.define(frozen=True)
class EvaluationProtocol:
    """Harness settings that differ between benchmarks (defaults: unmodified Leaderboard 2.0)."""

    min_speed_penalty: bool = True
    blocked_timeout_s: float = 180.0
    scenario_timeout_s: float = 240.0
    max_ticks: int | None = None


@attrs.define
class TickInfo:
    """One tick as observers see it."""

    tick: int
    timestamp: float
    input_data: dict[str, tuple[int, Any]]
    control: VehicleControl
    privileged: PrivilegedView | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


class TickObserver(Protocol):
    """Receives a route's ticks; every method is optional in practice (see :class:`Observer`)."""

    def on_route_start(self, route: RouteSpec, plan: RoutePlan) -> None: ...

    def on_tick(self, info: TickInfo) -> None: ...

    def on_route_end(self, record: RouteRecord) -> None: ...


class Observer:
    """A do-nothing :class:`TickObserver` to subclass."""

    def on_route_start(self, route: RouteSpec, plan: RoutePlan) -> None:
        pass

    def on_tick(self, info: TickInfo) -> None:
        pass

    def on_route_end(self, record: RouteRecord) -> None:
        pass


class World(Protocol):
    """What a world component's factory returns."""

    def run_route(
        self,
        route: RouteSpec,
        agent: Agent,
        *,
        seed: int = 0,
        protocol: EvaluationProtocol = EvaluationProtocol(),
        observers: Sequence[TickObserver] = (),
    ) -> RouteRecord: ...
