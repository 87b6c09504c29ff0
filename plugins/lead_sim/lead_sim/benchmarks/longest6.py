"""Longest6-style and Town13-style benchmarks on the embedded world (unmodified Leaderboard 2.0).

``longest6``: long routes with about 12 scenarios of the Longest6 mix; ``full`` = 36 routes
(generated on ``grid_medium`` unless ``town`` is set; the official 36 routes need Town01-06 and
``routes_file``); ``mini`` = 2 shorter routes on ``grid_small``. Metrics: the core's DS/RC/IS and
infractions per km, plus the km driven.

``town13``: long routes packed with every Leaderboard 2.0 type; ``full`` = 20 routes; ``mini`` =
2 routes on ``grid_small``. Adds the Normalized Driving Score (NDS) and its IS.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from lead_framework.route import RouteSpec
from lead_framework.scoring import global_normalized_score, km_driven
from lead_framework.scoring.record import RouteRecord
from lead_framework.world import EvaluationProtocol, World
from lead_sim.benchmarks.common import SimBenchmarkConfig, routes_from_file
from lead_sim.scenarios.generate import generate_scenario_routes


class LongRouteBenchmark:
    """Generated long routes of one style; subclasses set the style and sizes."""

    protocol = EvaluationProtocol()
    STYLE: ClassVar[str] = "longest6"
    FULL_COUNT: ClassVar[int] = 36
    FULL_TOWN: ClassVar[str] = "grid_medium"
    MINI_COUNT: ClassVar[int] = 2
    MINI_TOWN: ClassVar[str] = "grid_small"
    MINI_LENGTH_M: ClassVar[tuple[float, float]] = (300.0, 500.0)

    def __init__(self, config: SimBenchmarkConfig = SimBenchmarkConfig()):
        self.config = config

    def routes(self, world: World, seed: int) -> list[RouteSpec]:
        c = self.config
        if c.routes_file:
            return routes_from_file(c)
        if c.subset == "mini":
            return generate_scenario_routes(c.town or self.MINI_TOWN, self.STYLE, c.count or self.MINI_COUNT, seed,
                                            length_m=self.MINI_LENGTH_M)
        return generate_scenario_routes(c.town or self.FULL_TOWN, self.STYLE, c.count or self.FULL_COUNT, seed)

    def metrics(self, records: list[RouteRecord], route_dirs: list[Path]) -> dict[str, Any]:
        return {"km driven": km_driven(records)}


class Longest6Benchmark(LongRouteBenchmark):
    """The ``longest6`` benchmark component."""


class Town13Benchmark(LongRouteBenchmark):
    """The ``town13`` benchmark component (DS and NDS)."""

    STYLE = "town13"
    FULL_COUNT = 20
    MINI_LENGTH_M = (400.0, 700.0)

    def metrics(self, records: list[RouteRecord], route_dirs: list[Path]) -> dict[str, Any]:
        expected = len(route_dirs) or len(records)
        score = global_normalized_score(records, expected=expected)
        return {"NDS": score.nds, "IS norm": score.is_norm, **super().metrics(records, route_dirs)}
