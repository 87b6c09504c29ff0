"""Seeded route sets with scenarios, in the style of the public benchmarks.

* ``bench2drive``: short routes (about 50-220 m) with exactly one scenario each, the 44 types in
  turn, keypoints every ~2 m along the dense route (as Bench2Drive's files), weathers last.
* ``longest6``: long routes (1-3 km where the town allows) with about 12 scenarios each from the
  Longest6 mix (DynamicObjectCrossing, ControlLoss, signalized left/right turns,
  OppositeVehicleRunningRedLight, VehicleTurningRoute).
* ``town13``: long routes densely packed with scenarios of every Leaderboard 2.0 type.

Base drives come from :func:`lead_sim.routes.generate_routes`; every scenario is placed with
:func:`~lead_sim.scenarios.placement.try_place`, so each trigger lies on its route and each
placement is possible. Scenarios of one route do not overlap (the next trigger comes after the
previous scenario's end).
"""

from __future__ import annotations

import logging

import attrs
import numpy as np

from lead_framework.route import Location, RouteSpec, Weather
from lead_framework.scoring.bench2drive import ABILITY_SCENARIOS
from lead_sim.maps.towns import TownMap, load_town
from lead_sim.routes import generate_routes, plan_route
from lead_sim.routes.planner import RouteError
from lead_sim.scenarios.catalog import LEADERBOARD_TYPES
from lead_sim.scenarios.geometry import RouteGeometry
from lead_sim.scenarios.placement import candidate_indices, try_place

log = logging.getLogger(__name__)

#: The 44 Bench2Drive types in a fixed order (ability table order, duplicates removed).
BENCH2DRIVE_TYPES: tuple[str, ...] = tuple(dict.fromkeys(t for types in ABILITY_SCENARIOS.values() for t in types))
LONGEST6_MIX: tuple[str, ...] = (
    "DynamicObjectCrossing", "ControlLoss", "SignalizedJunctionLeftTurn", "SignalizedJunctionRightTurn",
    "OppositeVehicleRunningRedLight", "VehicleTurningRoute",
)
STYLES = ("bench2drive", "longest6", "town13")


class RouteGenerationError(ValueError):
    """A style/town combination that cannot produce the requested routes."""


@attrs.define(frozen=True)
class StyleSpec:
    length_m: tuple[float, float]
    #: Metres kept before the trigger and after the scenario end (bench2drive trims its routes).
    lead_m: float = 10.0
    tail_m: float = 25.0
    scenarios_per_route: int = 1
    gap_m: float = 30.0


STYLE_SPECS: dict[str, StyleSpec] = {
    "bench2drive": StyleSpec(length_m=(120.0, 260.0)),
    "longest6": StyleSpec(length_m=(1000.0, 3000.0), scenarios_per_route=12, gap_m=60.0),
    "town13": StyleSpec(length_m=(1500.0, 4000.0), scenarios_per_route=90, gap_m=20.0),
}


def _weather(rng: np.random.Generator) -> Weather:
    return Weather(cloudiness=float(round(rng.uniform(0, 80), 1)), precipitation=float(round(rng.choice([0.0, 0.0, 30.0]), 1)),
                   sun_altitude_angle=float(round(rng.uniform(15, 90), 1)), sun_azimuth_angle=float(round(rng.uniform(0, 360), 1)))


def _base_drives(town: TownMap, length_m: tuple[float, float], count: int, seed: int) -> list[RouteGeometry]:
    """Dense base drives, shortening the length range when the town is too small for it."""
    lo, hi = length_m
    while True:
        try:
            routes = generate_routes(town, count, (lo, hi), seed=seed, max_attempts_per_route=30)
            break
        except RouteError:
            if lo < 150.0:
                raise
            lo, hi = lo * 0.6, hi * 0.6
            log.warning("town %s: no drives of the requested length; trying %.0f-%.0f m", town.name, lo, hi)
    return [RouteGeometry(plan_route(town, r.waypoint_array(), route_id=r.id)) for r in routes]


def _dense_keypoints(g: RouteGeometry, start: int, end: int, spacing_m: float = 2.0) -> list[Location]:
    idx = sorted({*range(start, end + 1, max(int(round(spacing_m)), 1)), end})
    return [Location(*(float(round(v, 3)) for v in g.dense.positions[i])) for i in idx]


def _bench2drive(town: TownMap, count: int, seed: int, types: tuple[str, ...]) -> list[RouteSpec]:
    rng = np.random.default_rng(seed)
    spec = STYLE_SPECS["bench2drive"]
    pool = _base_drives(town, spec.length_m, max(24, min(count, 60)), seed)
    routes: list[RouteSpec] = []
    missing: list[str] = []
    for n in range(count):
        scenario_type = types[n % len(types)]
        placed = _place_one(town, pool, scenario_type, rng, route_id=str(len(routes)), spec=spec)
        if placed is None:
            missing.append(scenario_type)
            continue
        routes.append(placed)
    if missing:
        log.warning("town %s cannot hold %d scenario(s) of type(s): %s", town.name, len(missing), ", ".join(sorted(set(missing))))
    return routes


def _place_one(town: TownMap, pool: list[RouteGeometry], scenario_type: str, rng: np.random.Generator,
               route_id: str, spec: StyleSpec) -> RouteSpec | None:
    order = rng.permutation(len(pool))
    for k in order:
        g = pool[int(k)]
        for index in candidate_indices(g, scenario_type, rng)[:12]:
            found = try_place(scenario_type, f"{scenario_type}_1", g, index, rng)
            if found is None:
                continue
            _, scenario = found
            start = max(index - int(spec.lead_m), 0)
            end = min(scenario.end_index + int(spec.tail_m), len(g) - 1)
            trimmed = plan_route(town, np.array([[p.x, p.y, p.z] for p in _dense_keypoints(g, start, end)]))
            tg = RouteGeometry(trimmed)
            local = int(np.argmin(np.linalg.norm(tg.dense.positions[:, :2] - g.dense.positions[index, :2], axis=1)))
            again = try_place(scenario_type, f"{scenario_type}_1", tg, local, np.random.default_rng(int(rng.integers(1 << 31))), route_id)
            if again is None:
                continue
            return RouteSpec(id=route_id, town=town.name, waypoints=_dense_keypoints(tg, 0, len(tg) - 1),
                             weathers=[_weather(rng)], scenarios=[again[0]])
    return None


def _packed(town: TownMap, count: int, seed: int, style: str, mix: tuple[str, ...]) -> list[RouteSpec]:
    rng = np.random.default_rng(seed)
    spec = STYLE_SPECS[style]
    routes = []
    for g in _base_drives(town, spec.length_m, count, seed):
        scenarios = []
        index, turn = 2, int(rng.integers(len(mix)))
        while index < len(g) - 40 and len(scenarios) < spec.scenarios_per_route:
            placed = None
            for attempt in range(len(mix)):
                scenario_type = mix[(turn + attempt) % len(mix)]
                for candidate in range(index, min(index + 60, len(g) - 20), 4):
                    if g.dense.is_junction[candidate]:
                        continue
                    placed = try_place(scenario_type, f"{scenario_type}_{len(scenarios) + 1}", g, candidate, rng)
                    if placed is not None:
                        break
                if placed is not None:
                    turn += attempt + 1
                    break
            if placed is None:
                index = g.index_after(index, 40.0)
                continue
            scenarios.append(placed[0])
            index = g.index_after(max(placed[1].end_index, placed[1].trigger_index), spec.gap_m)
        keypoints = [Location(*(float(round(v, 3)) for v in g.dense.positions[i])) for i in g.dense.keypoint_indices]
        routes.append(RouteSpec(id=str(len(routes)), town=town.name, waypoints=keypoints, weathers=[_weather(rng)], scenarios=scenarios))
    return routes


def generate_scenario_routes(town: str | TownMap, style: str, count: int, seed: int = 0,
                             *, types: tuple[str, ...] | None = None) -> list[RouteSpec]:
    """``count`` seeded routes of ``style`` ('bench2drive', 'longest6', 'town13') on ``town``.

    ``types`` restricts the scenario types (default: the style's own set). Bench2Drive routes for
    types the town cannot hold are left out with a warning, so fewer than ``count`` may return.
    """
    if style not in STYLES:
        raise RouteGenerationError(f"unknown route style {style!r}; styles: {', '.join(STYLES)}")
    if count < 1:
        raise RouteGenerationError(f"count must be >= 1, got {count}")
    town = load_town(town) if isinstance(town, str) else town
    if style == "bench2drive":
        return _bench2drive(town, count, seed, types or BENCH2DRIVE_TYPES)
    return _packed(town, count, seed, style, types or (LONGEST6_MIX if style == "longest6" else LEADERBOARD_TYPES))
