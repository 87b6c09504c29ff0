"""Bench2Drive on the embedded world: short routes with one scenario each, Bench2Drive's harness
(min-speed penalty off, blocked after 60 s, at most 4000 ticks) and its metrics.

Generated routes (:func:`generate_bench2drive_routes`, seeded by the experiment seed): ``full`` =
the 44 types x 5 (220 routes), each type on the first of :data:`TOWNS` that can hold it (``town``
replaces the list); ``mini`` = :data:`MINI_TYPES` (or ``count`` types in the order of
``BENCH2DRIVE_TYPES``, starting over after the 44th: ``count: 132`` is every type three times, each
placed anew), one route each, on the first town that holds each (``grid_small`` for the default six).
``types`` narrows the generated routes of either subset to the named types (``mini`` with ``count`` cycles through them:
more routes of the types a data set lacks).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import attrs

from lead_framework.route import RouteSpec
from lead_framework.scoring import bench2drive
from lead_framework.scoring.comfort import EgoLog
from lead_framework.scoring.errors import ScoringError
from lead_framework.scoring.record import RouteRecord
from lead_framework.suggestions import close_names, did_you_mean
from lead_framework.world import EvaluationProtocol, World
from lead_sim.benchmarks.common import BenchmarkConfigError, SimBenchmarkConfig, routes_from_file
from lead_sim.routes import plan_route
from lead_sim.scenarios.generate import BENCH2DRIVE_TYPES, generate_scenario_routes

log = logging.getLogger(__name__)

PROTOCOL = EvaluationProtocol(min_speed_penalty=False, blocked_timeout_s=60.0, max_ticks=4000)
ROUTES_PER_TYPE = 5
TOWNS = ("grid_small", "grid_medium", "highway_small")
MINI_TYPES = (
    "Accident", "DynamicObjectCrossing", "SignalizedJunctionLeftTurn", "HardBreakRoute",
    "YieldToEmergencyVehicle", "VanillaSignalizedTurnEncounterRedLight",
)


def _known_types(instance: object, attribute: attrs.Attribute, value: tuple[str, ...] | None) -> None:
    if value is None:
        return
    if not value:
        raise BenchmarkConfigError(f"benchmark.{attribute.name}: give one or more scenario types, or leave the field out for all")
    for name in value:
        if name not in BENCH2DRIVE_TYPES:
            hint = did_you_mean(close_names(name, BENCH2DRIVE_TYPES, n=2, cutoff=0.6),
                                "see lead_sim.scenarios.generate.BENCH2DRIVE_TYPES")
            raise BenchmarkConfigError(f"benchmark.{attribute.name}: {name!r} is not a Bench2Drive scenario type; {hint}")


@attrs.define(frozen=True)
class Bench2DriveConfig(SimBenchmarkConfig):
    """The shared benchmark section plus ``types``: generate routes of these scenario types only (all 44 when left out)."""

    types: tuple[str, ...] | None = attrs.field(default=None, converter=attrs.converters.optional(tuple), validator=_known_types)


def generate_bench2drive_routes(towns: tuple[str, ...], types: tuple[str, ...], per_type: int, seed: int) -> list[RouteSpec]:
    """``per_type`` routes of every type in ``types``, each type on the first town that holds it."""
    routes: list[RouteSpec] = []
    remaining = list(types)
    for town in towns:
        if not remaining:
            break
        made = generate_scenario_routes(town, "bench2drive", len(remaining) * per_type, seed,
                                        types=tuple(t for t in remaining for _ in range(per_type)))
        routes += made
        placed = {r.scenarios[0].type for r in made}
        remaining = [t for t in remaining if t not in placed]
    if remaining:
        log.warning("no town of %s holds the scenario type(s) %s", ", ".join(towns), ", ".join(remaining))
    for index, route in enumerate(routes):
        route.id = f"{index:03d}_{route.scenarios[0].type}"
    return routes


def _first_junction_pct(route: RouteSpec) -> float | None:
    """Bench2Drive's Traffic_Signs threshold for ``route``: RC past its first junction + 8 m."""
    dense = plan_route(route.town, route.waypoint_array(), route_id=route.id)
    inside = dense.is_junction.nonzero()[0]
    return None if inside.size == 0 else bench2drive.junction_pass_pct(int(inside[0]), len(dense))


def _ego_log(route_dir: Path) -> EgoLog | None:
    """The route's ego heading and speed from ``steps.jsonl``, when the world logged them."""
    path = route_dir / "steps.jsonl"
    if not path.is_file():
        return None
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not rows or not all("yaw" in row and "speed" in row for row in rows):
        return None
    try:
        return EgoLog.from_rows(rows)
    except ScoringError as error:
        log.warning("%s: no comfort figures: %s", path, error)
        return None


class Bench2DriveBenchmark:
    """The ``bench2drive`` benchmark component."""

    protocol = PROTOCOL

    def __init__(self, config: Bench2DriveConfig = Bench2DriveConfig()):
        self.config = config
        self._routes: list[RouteSpec] = []

    def routes(self, world: World, seed: int) -> list[RouteSpec]:
        c = self.config
        chosen = c.types or BENCH2DRIVE_TYPES
        if c.routes_file:
            self._routes = routes_from_file(c)
        elif c.subset == "mini":
            if c.count is None:
                types = c.types or MINI_TYPES
            else:
                types = tuple(chosen[k % len(chosen)] for k in range(c.count))
            self._routes = generate_bench2drive_routes((c.town,) if c.town else TOWNS, types, 1, seed)
        else:
            self._routes = generate_bench2drive_routes((c.town,) if c.town else TOWNS, chosen, ROUTES_PER_TYPE, seed)
            if c.count:
                self._routes = self._routes[: c.count]
        return self._routes

    def metrics(self, records: list[RouteRecord], route_dirs: list[Path]) -> dict[str, Any]:
        by_id = {route.id: route for route in self._routes}
        types = {rid: route.scenarios[0].type for rid, route in by_id.items() if route.scenarios}
        scored = [r for r in records if r.route_id in types]
        thresholds = {}
        for record in scored:
            pct = _first_junction_pct(by_id[record.route_id])
            if pct is not None:
                thresholds[record.route_id] = pct
        logs = [log_ for log_ in (_ego_log(d) for d in route_dirs) if log_ is not None]
        summary = bench2drive.summarize(
            scored, expected=len(self._routes) or len(records), scenario_types=types,
            junction_pass_pcts=thresholds, ego_logs=logs,
        )
        return summary.as_columns()
