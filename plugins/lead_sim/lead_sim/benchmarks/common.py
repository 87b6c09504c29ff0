"""What the embedded benchmarks share: their config section and where their routes come from.

Routes come from :func:`lead_sim.scenarios.generate.generate_scenario_routes` (seeded by the
experiment seed), or from an official route file (``routes_file``; its towns must load, e.g. the
CARLA towns that the ``py123d`` package bundles).
"""

from __future__ import annotations

from pathlib import Path

import attrs

from lead_framework.route import RouteSpec
from lead_framework.route_xml import read_routes

SUBSETS = ("mini", "full")


class BenchmarkConfigError(ValueError):
    """An invalid benchmark section (names the field, the value and what is allowed)."""


def _subset(instance: object, attribute: attrs.Attribute, value: str) -> None:
    if value not in SUBSETS:
        raise BenchmarkConfigError(f"benchmark.{attribute.name}: {value!r} is not one of {', '.join(SUBSETS)}")


def _positive_or_none(instance: object, attribute: attrs.Attribute, value: int | None) -> None:
    if value is not None and value < 1:
        raise BenchmarkConfigError(f"benchmark.{attribute.name}: must be >= 1, got {value}")


@attrs.define(frozen=True)
class SimBenchmarkConfig:
    """The benchmark section: ``subset`` mini (a handful of routes for CPU runs) or full; an
    official ``routes_file`` instead of generated routes; a ``town`` override (generated routes are
    built on it; a route file's routes are driven on it); ``count`` routes instead of the subset's."""

    subset: str = attrs.field(default="mini", validator=_subset)
    routes_file: str | None = None
    town: str | None = None
    count: int | None = attrs.field(default=None, validator=_positive_or_none)


def routes_from_file(config: SimBenchmarkConfig) -> list[RouteSpec]:
    """The routes of ``config.routes_file`` (first ``count``), with ``town`` applied when set."""
    path = Path(config.routes_file).expanduser()
    if not path.is_file():
        raise BenchmarkConfigError(f"benchmark.routes_file: {str(path)!r} does not exist")
    routes = read_routes(path)
    if config.town:
        routes = [attrs.evolve(route, town=config.town) for route in routes]
    return routes[: config.count] if config.count else routes
