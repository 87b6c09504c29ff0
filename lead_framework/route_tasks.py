"""Pieces shared by the stages that drive routes (``evaluate``, ``collect``): where routes come
from, per-route seeds and folder names."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import attrs

from lead_framework.config import ComponentSpec
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


def _town_names(instance: Any, attribute: Any, value: tuple[str, ...]) -> None:
    if isinstance(value, str) or not all(isinstance(name, str) and name for name in value):
        raise ValueError(f"towns must be a list of town names, e.g. [grid_medium, irregular_medium]; got {value!r}")


@attrs.define(frozen=True)
class GenerateRoutes:
    """Random routes from the world: ``count`` routes of ``length_m`` [lo, hi] metres, on the world's
    town or spread over ``towns`` (interleaved, so a partial run already covers every town)."""

    count: int = attrs.field(validator=positive)
    length_m: tuple[float, float] = attrs.field(default=(150.0, 400.0), validator=_length_range)
    #: typed Any so that a YAML string reaches the validator instead of becoming a tuple of letters
    towns: Any = attrs.field(default=(), converter=lambda v: v if isinstance(v, str) else tuple(v), validator=_town_names)

    def counts_per_town(self) -> list[tuple[str, int]]:
        """(town, routes) with the count split as evenly as possible, earlier towns taking the remainder."""
        share, extra = divmod(self.count, len(self.towns))
        return [(town, share + (k < extra)) for k, town in enumerate(self.towns) if share + (k < extra)]


@attrs.define(frozen=True)
class RouteSource:
    """One or more of: ``generate`` (random routes of the world), ``file`` (a Leaderboard route XML),
    ``benchmark`` (a registered benchmark's routes, by name or as ``{name: ..., <its options>}``, or
    a list of those: e.g. the whole benchmark, then extra routes of a few scenario types).
    With several, their routes are interleaved: plain driving and scenario routes side by side."""

    generate: GenerateRoutes | None = None
    file: str | None = None
    #: one benchmark, or a list whose routes are taken one list entry after the other
    benchmark: ComponentSpec | list[ComponentSpec] | None = attrs.field(
        default=None, metadata={"component": "benchmarks", "component_list": True})

    def __attrs_post_init__(self) -> None:
        if self.generate is None and self.file is None and self.benchmark is None:
            raise ValueError("give one or more of generate, file, benchmark; "
                             "e.g. routes: {generate: {count: 10, length_m: [150, 400]}}")


def _interleave(groups: list[list[RouteSpec]]) -> list[RouteSpec]:
    """The first route of every group, then the second of every group, and so on."""
    return [group[i] for i in range(max(map(len, groups), default=0)) for group in groups if i < len(group)]


def load_routes(source: RouteSource, world: Any, seed: int, stage: str) -> list[RouteSpec]:
    """The routes a :class:`RouteSource` names (``world`` is the created world component)."""
    groups = []
    if source.generate is not None:
        groups.append(_generated_routes(source.generate, world, seed, stage))
    if source.file is not None:
        from lead_framework.route_xml import read_routes

        path = Path(source.file)
        if not path.is_file():
            raise StageError(f"stage {stage!r}: routes.file {str(path)!r} does not exist")
        groups.append(read_routes(path))
    if source.benchmark is not None:
        benchmarks = source.benchmark if isinstance(source.benchmark, list) else [source.benchmark]
        groups.append([route for spec in benchmarks for route in spec.create().routes(world, seed)])
    return _interleave(groups)


def _generated_routes(spec: GenerateRoutes, world: Any, seed: int, stage: str) -> list[RouteSpec]:
    generate = getattr(world, "generate_routes", None)
    if generate is None:
        raise StageError(f"stage {stage!r}: the world ({type(world).__name__}) cannot generate routes; use routes: {{file: ...}}")
    if not spec.towns:
        return list(generate(count=spec.count, length_m=tuple(spec.length_m), seed=seed))
    if "town" not in inspect.signature(generate).parameters:
        raise StageError(f"stage {stage!r}: the world ({type(world).__name__}) generates routes on its own town only; "
                         "remove routes.generate.towns")
    return _interleave([
        [attrs.evolve(route, id=f"{town}_{route.id}") for route in generate(count=n, length_m=tuple(spec.length_m), seed=seed, town=town)]
        for town, n in spec.counts_per_town()
    ])
