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
from lead_sim.scenarios.base import ScenarioContext
from lead_sim.scenarios.catalog import LEADERBOARD_TYPES, SCENARIO_CLASSES
from lead_sim.scenarios.errors import ScenarioError
from lead_sim.scenarios.geometry import RouteGeometry, right_of
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
    max_after_trigger_m: float = 190.0


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


def _keypoint_indices(g: RouteGeometry, start: int, end: int, spacing_m: float = 2.0) -> list[int]:
    """Dense indices every ``spacing_m`` from ``start`` to ``end``, none inside junctions (where
    lanes overlap, a point could snap to a crossing lane and bend the route)."""
    idx = sorted({*range(start, end + 1, max(int(round(spacing_m)), 1)), start, end})
    return [i for i in idx if i in (start, end) or not g.dense.is_junction[i]]


def _dense_keypoints(g: RouteGeometry, start: int, end: int) -> list[Location]:
    return [Location(*(float(round(v, 3)) for v in g.dense.positions[i])) for i in _keypoint_indices(g, start, end)]


def _bench2drive(town: TownMap, count: int, seed: int, types: tuple[str, ...], spec: StyleSpec) -> list[RouteSpec]:
    rng = np.random.default_rng(seed)
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


#: A generated route goes on at least this many dense points (metres) past its scenario's end.
END_SLACK_POINTS = 6
#: SequentialLaneChange routes: into the next lane from ``WEAVE_M[0]`` to ``WEAVE_M[1]`` metres after
#: the trigger, back by ``WEAVE_M[2]`` (the keypoints move lanes; the planner adds the changes).
WEAVE_M = (20.0, 50.0, 80.0)


def _weave_keypoints(g: RouteGeometry, index: int, spec: StyleSpec) -> list[Location] | None:
    """Keypoints of the drive around ``index`` that move into a same-direction neighbour lane and
    back; None where the road has no such lane or meets a junction."""
    a, b, c = (g.index_after(index, d) for d in WEAVE_M)
    if g.metres_between(index, c) < WEAVE_M[-1] - 1.0 or g.dense.is_junction[index : c + 1].any():
        return None
    side = next((s for s in ("left", "right") if all(g.same_direction_neighbour(k, s) for k in (a, (a + b) // 2, b))), None)
    if side is None:
        return None
    sign = 1.0 if side == "right" else -1.0
    start, end = max(index - int(spec.lead_m), 0), min(g.index_after(index, WEAVE_M[-1] + spec.tail_m), len(g) - 1)
    keypoints = []
    for location, i in zip(_dense_keypoints(g, start, end), _keypoint_indices(g, start, end)):
        if a - 16 < i < a or b < i < c:
            continue  # room for the lane change
        if a <= i <= b:
            position, yaw = g.pose(i)
            xy = position[:2] + sign * g.lane_width(i) * right_of(yaw)
            location = Location(float(round(xy[0], 3)), float(round(xy[1], 3)), location.z)
        keypoints.append(location)
    return keypoints


def _place_one(town: TownMap, pool: list[RouteGeometry], scenario_type: str, rng: np.random.Generator,
               route_id: str, spec: StyleSpec) -> RouteSpec | None:
    order = rng.permutation(len(pool))
    for k in order:
        g = pool[int(k)]
        for index in candidate_indices(g, scenario_type, rng)[:12]:
            if scenario_type == "SequentialLaneChange":
                keypoints = _weave_keypoints(g, index, spec)
                if keypoints is None:
                    continue
                start, end = max(index - int(spec.lead_m), 0), min(g.index_after(index, WEAVE_M[-1] + spec.tail_m), len(g) - 1)
            else:
                found = try_place(scenario_type, f"{scenario_type}_1", g, index, rng)
                if found is None:
                    continue
                _, scenario = found
                start = max(index - int(spec.lead_m), 0)
                end = min(scenario.end_index + int(spec.tail_m), g.index_after(index, spec.max_after_trigger_m), len(g) - 1)
                keypoints = _dense_keypoints(g, start, end)
            tg = RouteGeometry(plan_route(town, np.array([[p.x, p.y, p.z] for p in keypoints])))
            if tg.dense.length_m > 1.05 * g.metres_between(start, end) + 2.0:
                continue  # the keypoints do not reproduce the drive
            local = int(np.argmin(np.linalg.norm(tg.dense.positions[:, :2] - g.dense.positions[index, :2], axis=1)))
            again = try_place(scenario_type, f"{scenario_type}_1", tg, local, np.random.default_rng(int(rng.integers(1 << 31))), route_id)
            if again is None or again[1].end_index > len(tg) - END_SLACK_POINTS:
                continue  # the route must go on past where the scenario resolves
            route = RouteSpec(id=route_id, town=town.name, waypoints=keypoints, weathers=[_weather(rng)], scenarios=[again[0]])
            if not route_problems(route):
                return route
    return None


def _packed(town: TownMap, count: int, seed: int, spec: StyleSpec, mix: tuple[str, ...]) -> list[RouteSpec]:
    rng = np.random.default_rng(seed)
    routes = []
    for g in _base_drives(town, spec.length_m, count, seed):
        scenarios = []
        used = {t: 0 for t in mix}
        index = 2
        while index < len(g) - 40 and len(scenarios) < spec.scenarios_per_route:
            placed = None
            # The least used types first (seeded tie-break), so the mix stays balanced.
            order = sorted(mix, key=lambda t: (used[t], float(rng.random())))
            for scenario_type in order:
                for candidate in range(index, min(index + 60, len(g) - 20), 4):
                    if g.dense.is_junction[candidate]:
                        continue
                    placed = try_place(scenario_type, f"{scenario_type}_{len(scenarios) + 1}", g, candidate, rng)
                    if placed is not None:
                        break
                if placed is not None:
                    used[scenario_type] += 1
                    break
            if placed is None:
                index = g.index_after(index, 40.0)
                continue
            scenarios.append(placed[0])
            index = g.index_after(max(placed[1].end_index, placed[1].trigger_index), spec.gap_m)
        routes.append(_packed_route(g, town, str(len(routes)), scenarios, _weather(rng)))
    return routes


def _packed_route(g: RouteGeometry, town: TownMap, route_id: str, scenarios: list, weather: Weather) -> RouteSpec:
    """The route file entry of a packed drive: its own sparse keypoints when they reproduce the
    drive for every scenario, else keypoints every 2 m (a sparse point near a junction can snap to
    a crossing lane and send the planner another way); scenarios that still do not fit are dropped."""
    sparse = [Location(*(float(round(v, 3)) for v in g.dense.positions[i])) for i in g.dense.keypoint_indices]
    route = RouteSpec(id=route_id, town=town.name, waypoints=sparse, weathers=[weather], scenarios=scenarios)
    if not route_problems(route):
        return route
    route = attrs.evolve(route, waypoints=_dense_keypoints(g, 0, len(g) - 1))
    problems = route_problems(route)
    if problems:
        log.warning("route %s on %s: dropping %d scenario(s) that do not fit: %s", route_id, town.name, len(problems), "; ".join(problems))
        fits = [spec for spec in scenarios if not route_problems(attrs.evolve(route, scenarios=[spec]))]
        route = attrs.evolve(route, scenarios=fits)
    return route


def route_problems(route: RouteSpec) -> list[str]:
    """Why the scenarios of ``route`` cannot run as written (empty when they all build): unknown
    types, parameter errors, triggers off the route, impossible placements."""
    try:
        dense = plan_route(route.town, route.waypoint_array(), route_id=route.id)
    except RouteError as error:
        return [str(error)]
    problems = []
    context = ScenarioContext(route_id=route.id, geometry=RouteGeometry(dense))
    for spec in route.scenarios:
        cls = SCENARIO_CLASSES.get(spec.type)
        if cls is None:
            problems.append(f"route {route.id!r}: scenario {spec.name!r} has the unknown type {spec.type!r}")
            continue
        try:
            cls(spec, context)
        except ScenarioError as error:
            problems.append(str(error))
    return problems


def generate_scenario_routes(town: str | TownMap, style: str, count: int, seed: int = 0,
                             *, types: tuple[str, ...] | None = None,
                             length_m: tuple[float, float] | None = None) -> list[RouteSpec]:
    """``count`` seeded routes of ``style`` ('bench2drive', 'longest6', 'town13') on ``town``.

    ``types`` restricts the scenario types (default: the style's own set); ``length_m`` overrides
    the style's base-drive length range (long styles on small towns). Bench2Drive routes for
    types the town cannot hold are left out with a warning, so fewer than ``count`` may return.
    """
    if style not in STYLES:
        raise RouteGenerationError(f"unknown route style {style!r}; styles: {', '.join(STYLES)}")
    if count < 1:
        raise RouteGenerationError(f"count must be >= 1, got {count}")
    town = load_town(town) if isinstance(town, str) else town
    spec = STYLE_SPECS[style] if length_m is None else attrs.evolve(STYLE_SPECS[style], length_m=tuple(length_m))
    if style == "bench2drive":
        return _bench2drive(town, count, seed, types or BENCH2DRIVE_TYPES, spec)
    return _packed(town, count, seed, spec, types or (LONGEST6_MIX if style == "longest6" else LEADERBOARD_TYPES))
