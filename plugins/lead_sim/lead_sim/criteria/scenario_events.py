"""Criteria that scenarios report into: scenario timeouts and failing to yield to an emergency vehicle."""

from __future__ import annotations

from lead_framework.scoring.messages import scenario_timeout_message, yield_emergency_vehicle_message
from lead_sim.criteria.base import Criterion, TickContext


class _Reported(Criterion):
    """Keeps the latest tick so that a scenario can report an event between ticks."""

    def __init__(self) -> None:
        super().__init__()
        self._ctx: TickContext | None = None

    def update(self, ctx: TickContext) -> None:
        self._ctx = ctx

    def _context(self) -> TickContext:
        if self._ctx is None:
            raise RuntimeError(f"{type(self).__name__}: an event can only be reported once the route has started")
        return self._ctx


class ScenarioTimeoutCriterion(_Reported):
    """A scenario calls :meth:`report` when it timed out (240 s unresolved by default); the route goes on."""

    key = "scenario_timeouts"

    def __init__(self) -> None:
        super().__init__()
        #: Names of the scenarios that timed out (the official message does not carry them).
        self.timed_out: list[str] = []

    def report(self, scenario_name: str) -> None:
        ctx = self._context()
        self.timed_out.append(scenario_name)
        self._record(ctx, scenario_timeout_message())


class YieldEmergencyVehicleCriterion(_Reported):
    """A scenario calls :meth:`report` when, at its end, the emergency vehicle is still behind the ego."""

    key = "yield_emergency_vehicle_infractions"

    def report(self, emergency_vehicle_location: tuple[float, float, float] | None = None) -> None:
        self._record(self._context(), yield_emergency_vehicle_message(), location=emergency_vehicle_location)
