"""Pieces shared by the stages that drive routes (``evaluate``, ``collect``): where routes come
from, per-route seeds and folder names."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import attrs

from lead_framework.route import RouteSpec
from lead_framework.stages import StageError
from lead_framework.validators import positive


def route_seed(seed: int, index: int) -> int:
    """The world seed of route ``index`` in an experiment seeded with ``seed``."""
    return seed * 100_003 + index


def route_folder_name(index: int, route_id: str) -> str:
    return f"{index:03d}_{re.sub(r'[^A-Za-z0-9_-]+', '-', route_id)}"


def _length_range(instance: Any, attribute: Any, value: tuple[float, float]) -> None:
    if len(value) != 2 or not 0 < value[0] <= value[1]:
        raise ValueError(f"length_m must be [lo, hi] with 0 < lo <= hi, got {list(value)}")


@attrs.define(frozen=True)
class GenerateRoutes:
    """Random routes from the world: ``count`` routes of ``length_m`` [lo, hi] metres."""

    count: int = attrs.field(validator=positive)
    length_m: tuple[float, float] = attrs.field(default=(150.0, 400.0), validator=_length_range)


@attrs.define(frozen=True)
class RouteSource:
    """Exactly one of: ``generate`` (random routes of the world), ``file`` (a Leaderboard route XML),
    ``benchmark`` (a registered benchmark's routes)."""

    generate: GenerateRoutes | None = None
    file: str | None = None
    benchmark: str | None = None

    def __attrs_post_init__(self) -> None:
        given = [name for name in ("generate", "file", "benchmark") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of generate, file, benchmark (got {', '.join(given) or 'none'}); "
                f"e.g. routes: {{generate: {{count: 10, length_m: [150, 400]}}}}"
            )


def load_routes(source: RouteSource, world: Any, seed: int, stage: str) -> list[RouteSpec]:
    """The routes a :class:`RouteSource` names (``world`` is the created world component)."""
    if source.generate is not None:
        generate = getattr(world, "generate_routes", None)
        if generate is None:
            raise StageError(f"stage {stage!r}: the world ({type(world).__name__}) cannot generate routes; use routes: {{file: ...}}")
        return list(generate(count=source.generate.count, length_m=tuple(source.generate.length_m), seed=seed))
    if source.file is not None:
        from lead_framework.route_xml import read_routes

        path = Path(source.file)
        if not path.is_file():
            raise StageError(f"stage {stage!r}: routes.file {str(path)!r} does not exist")
        return read_routes(path)
    from lead_framework.plugins import get_registry

    benchmark = get_registry().get("benchmarks", source.benchmark).create(None)
    return list(benchmark.routes(world, seed))
