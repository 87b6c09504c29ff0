"""The benchmark interface: a route set, its harness protocol and its metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from lead_framework.route import RouteSpec
from lead_framework.scoring.record import RouteRecord
from lead_framework.world import EvaluationProtocol, World


class Benchmark(Protocol):
    """What a benchmark component's factory returns.

    ``routes`` may ask the world to generate routes (``world.generate_routes``) or read an
    official route file. ``metrics`` receives every route's record and its folder (step logs,
    infractions) and returns the benchmark's own metrics (e.g. Bench2Drive's Success Rate);
    the Leaderboard 2.0 DS/RC/IS are computed by the core for every benchmark.
    """

    protocol: EvaluationProtocol

    def routes(self, world: World, seed: int) -> list[RouteSpec]: ...

    def metrics(self, records: list[RouteRecord], route_dirs: list[Path]) -> dict[str, Any]: ...
