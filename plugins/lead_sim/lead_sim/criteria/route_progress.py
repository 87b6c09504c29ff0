"""Route completion, route deviation, blocked ego and route timeout (the route-level criteria)."""

from __future__ import annotations

import numpy as np

from lead_framework.scoring.messages import blocked_message, route_deviation_message, route_timeout_message
from lead_sim.criteria.base import STANDING_SPEED, Criterion, RouteGeometry, TickContext

#: Points examined ahead of the last passed one each tick.
COMPLETION_LOOKAHEAD = 2
COMPLETE_PCT = 99.0
COMPLETE_DISTANCE_M = 10.0
DEVIATION_MAX_M = 30.0
DEVIATION_MIN_M = 15.0
DEVIATION_MAX_SHARE = 0.3
#: Route points searched around the last passed point for the route deviation test.
DEVIATION_WINDOW = 60
ROUTE_TIMEOUT_BASE_S = 300.0
#: The speed limit the route timeout assumes (km/h): CARLA's urban default.
ROUTE_TIMEOUT_SPEED_LIMIT_KMH = 30.0


class RouteCompletion(Criterion):
    """``RouteCompletionTest``: a route point is passed when (ego - point) . point_forward > 0,
    looking two points past the last passed one each tick; the completion is the cumulative % of
    the last passed point; > 99 % within 10 m of the end completes the route (100 %)."""

    def __init__(self, route: RouteGeometry) -> None:
        super().__init__()
        self.route = route
        self._forward = route.forward
        self._percent = 100.0 * route.distances / max(route.length_m, 1e-9)
        self.passed = -1
        self.completed = False

    @property
    def percent(self) -> float:
        if self.completed:
            return 100.0
        return float(self._percent[self.passed]) if self.passed >= 0 else 0.0

    @property
    def completed_m(self) -> float:
        return float(self.route.distances[self.passed]) if self.passed >= 0 else 0.0

    def update(self, ctx: TickContext) -> None:
        ego = ctx.scene.actors.position[0, :2]
        last = len(self._percent) - 1
        start = self.passed + 1
        for k in range(start, min(start + COMPLETION_LOOKAHEAD, last + 1)):
            if float(np.dot(ego - self.route.points[k, :2], self._forward[k])) > 0.0:
                self.passed = k
        if self.percent > COMPLETE_PCT and np.linalg.norm(ego - self.route.points[-1, :2]) < COMPLETE_DISTANCE_M:
            self.completed = True


class RouteDeviation(Criterion):
    """``InRouteTest``: fails when the nearest route point is >= 30 m away, or when more than 30 %
    of the route length has been driven more than 15 m off the route."""

    key = "route_dev"

    def __init__(self, route: RouteGeometry, completion: RouteCompletion) -> None:
        super().__init__()
        self.route = route
        self.completion = completion
        self.off_route_m = 0.0

    def update(self, ctx: TickContext) -> None:
        if self.failure is not None:
            return
        ego = ctx.scene.actors.position[0, :2]
        centre = max(self.completion.passed, 0)
        lo, hi = max(centre - DEVIATION_WINDOW, 0), centre + DEVIATION_WINDOW
        d = self.route.points[lo:hi, :2] - ego
        distance = float(np.sqrt(np.min(d[:, 0] ** 2 + d[:, 1] ** 2)))
        if distance >= DEVIATION_MAX_M:
            self._fail(ctx)
            return
        if distance > DEVIATION_MIN_M:
            self.off_route_m += ctx.moved_m
            if self.off_route_m > DEVIATION_MAX_SHARE * self.route.length_m:
                self._fail(ctx)

    def _fail(self, ctx: TickContext) -> None:
        self.failure = self.key
        self._record(ctx, route_deviation_message(ctx.ego_location))


class AgentBlocked(Criterion):
    """``ActorBlockedTest``: fails after ``timeout_s`` below 0.1 m/s; ``paused`` stops the clock
    (a scenario timeout runs meanwhile)."""

    key = "vehicle_blocked"

    def __init__(self, timeout_s: float) -> None:
        super().__init__()
        self.timeout_s = timeout_s
        self.paused = False
        self._since: float | None = None

    def update(self, ctx: TickContext) -> None:
        if self.failure is not None:
            return
        if self.paused or ctx.ego_speed >= STANDING_SPEED:
            self._since = None
            return
        if self._since is None:
            self._since = ctx.time_s
        elif ctx.time_s - self._since >= self.timeout_s:
            self.failure = self.key
            self._record(ctx, blocked_message(ctx.ego_location))


def route_timeout_budget_s(route_length_m: float, speed_limit_kmh: float = ROUTE_TIMEOUT_SPEED_LIMIT_KMH) -> float:
    """300 s + route length / (10 % of the speed limit)."""
    return ROUTE_TIMEOUT_BASE_S + route_length_m / (0.1 * speed_limit_kmh / 3.6)


class RouteTimeout(Criterion):
    """Fails when the simulated time exceeds :func:`route_timeout_budget_s`."""

    key = "route_timeout"

    def __init__(self, route_length_m: float) -> None:
        super().__init__()
        self.budget_s = route_timeout_budget_s(route_length_m)

    def update(self, ctx: TickContext) -> None:
        if self.failure is None and ctx.time_s > self.budget_s:
            self.failure = self.key
            self._record(ctx, route_timeout_message())
