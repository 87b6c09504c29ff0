"""Every scenario type, driven in the embedded world by a scripted ego that ignores it.

For each type not already covered by ``test_sim_scenario_families.py``: a generated Bench2Drive-
style route of that type (on ``grid_small``, or ``highway_small`` for the types that need a
multi-lane road), driven once by the blind ``route_follower``; the checks read the scenario actors'
states from an observer (what spawns where, how it moves, when) and the infractions the ego earns.
A meta-test keeps the two files covering every type of the catalog.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

from lead_framework.route import RoadOption
from lead_sim.routes import plan_route
from lead_sim.scene import ActorKind, LightState
from lead_sim.scenarios.catalog import SCENARIO_CLASSES
from lead_sim.scenarios.generate import generate_scenario_routes
from lead_sim.scenarios.geometry import relation_of
from lead_sim.scenarios.params import parse_params
from scenario_driving import RouteFrame, collided_ids, collisions, drive, follower, keys, trigger_tick

VEHICLE, WALKER, BICYCLE, OBSTACLE = (int(k) for k in (ActorKind.VEHICLE, ActorKind.WALKER, ActorKind.BICYCLE, ActorKind.OBSTACLE))
#: Types that need several same-direction lanes, generated on this town.
HIGHWAY_TOWN = "highway_small"
HIGHWAY_TYPES = ("StaticCutIn", "SequentialLaneChange")


# --- shared readings ---------------------------------------------------------------------------


class Run:
    """One driven route: the spec, the record, the actor log and the route frame."""

    def __init__(self, route, ego_speed: float = 6.0):
        self.route = route
        self.spec = route.scenarios[0]
        self.params = parse_params(SCENARIO_CLASSES[self.spec.type].PARAMS, self.spec.params, route.id)
        self.record, self.log = drive(route, follower(speed=ego_speed))
        self.frame = RouteFrame(route)
        self.ticks = self.log.ticks

    def param(self, name: str):
        """The scenario's parameter ``name`` as the route file gives it (or its default)."""
        return self.params[name]

    @property
    def start(self) -> int:
        """The tick the scenario spawned its actors."""
        return trigger_tick(self.log)

    def tick_at_trigger(self) -> int:
        """The first tick the ego is within 2 m (along the route) of the trigger."""
        trigger_m = self.frame.trigger_m()
        return next(i for i, t in enumerate(self.ticks) if self.frame.along(t["ego"]) >= trigger_m - 2.0)

    def ids(self, kind: int) -> list[int]:
        return self.log.ids_of(kind)

    def path(self, actor_id: int) -> np.ndarray:
        return np.array([row[1] for _, row in self.log.track(actor_id)])

    def speeds(self, actor_id: int) -> np.ndarray:
        return np.array([row[3] for _, row in self.log.track(actor_id)])

    @property
    def collided(self) -> bool:
        return any(k.startswith("collisions") for k in keys(self.record))

    def hit(self, key: str, actor_ids) -> bool:
        return bool(collided_ids(self.record, key) & set(actor_ids))

    def infraction_near(self, key: str, xy, radius: float = 25.0) -> list:
        return [e for e in self.record.infractions if e.key == key and e.location is not None
                and np.hypot(e.location[0] - xy[0], e.location[1] - xy[1]) < radius]

    def spawned_at_trigger(self) -> None:
        start = self.start
        assert start > 0 or self.frame.trigger_m() <= 2.0, "nothing may exist before the ego reaches the trigger"
        trigger = self.spec.trigger
        assert np.hypot(*(self.ticks[start]["ego"] - [trigger.x, trigger.y])) < 4.0, "spawned as the ego reached the trigger"


def assert_static(run: Run, actor_ids) -> None:
    for actor_id in actor_ids:
        track = run.log.track(actor_id)
        first = track[0][1][1]
        assert all(row[3] == 0.0 and np.allclose(row[1], first) for _, row in track), f"actor {actor_id} stays put"


def side_sign(run: Run) -> float:
    return 1.0 if run.param("direction") == "right" else -1.0


# --- obstacles in the ego lane -----------------------------------------------------------------


def obstacle_rows(run: Run, kinds: tuple[int, ...]) -> dict[int, tuple]:
    """The obstacle layout at spawn: the standing actors of ``kinds`` near the route (not the
    oncoming flow of TwoWays variants, which enters at its speed)."""
    first = run.ticks[run.start]["actors"]
    return {i: row for i, row in first.items() if row[0] in kinds and row[3] == 0.0 and abs(run.frame.lateral(row[1])) < 3.0}


def assert_layout_in_lane(run: Run, rows: dict[int, tuple], span_m: float) -> None:
    """The layout stands in the ego lane ``distance`` metres after the trigger (within ``span_m``)."""
    assert_static(run, rows)
    distance = run.param("distance")
    trigger_m = run.frame.trigger_m()
    for _, xy, _, _ in rows.values():
        assert distance - 4.0 <= run.frame.along(xy) - trigger_m <= distance + span_m + 2.0
        assert abs(run.frame.lateral(xy)) < run.frame.lane_half_width(xy), "inside the ego lane"


def on_open_road(run: Run, xy) -> bool:
    """Whether ``xy`` lies beside the route between its ends, outside junctions."""
    k = run.frame.nearest(xy)
    inner = 0 < k < len(run.frame.dense.distances) - 1
    return inner and run.frame.distance_to_route(xy) < 6.0 and not run.frame.geometry.dense.is_junction[k]


def assert_oncoming_flow(run: Run) -> None:
    """TwoWays: the lane on the left carries vehicles against the ego at ``speed`` with gaps of
    ``frequency``, and the outside-lanes check is off while the ego may overtake."""
    flow = [i for i in run.ids(VEHICLE) if run.speeds(i).max() > 1.0]
    assert len(flow) >= 2
    speed = run.param("speed") / 3.6
    for actor_id in flow:
        assert run.speeds(actor_id).max() == pytest.approx(speed, abs=0.05), "at the flow speed"
    # Beside the ego's lane outside junctions (in a junction ahead the flow may come from another arm,
    # and past the route's end the route says nothing), any time while the scenario runs.
    rows = [row for t in run.ticks[run.start :: 5] for i, row in t["actors"].items() if i in flow]
    beside = [(xy, yaw) for _, xy, yaw, _ in rows if -6.0 < run.frame.lateral(xy) < -1.0 and on_open_road(run, xy)]
    assert beside, "the flow passes in the lane left of the ego's"
    assert all(run.frame.heading_gap(xy, yaw) < -0.9 for xy, yaw in beside), "against the ego's direction"
    first = run.ticks[run.start]["actors"]
    xy = np.array([first[i][1] for i in flow if i in first])
    order = np.argsort([run.frame.along(p) for p in xy])
    assert np.linalg.norm(np.diff(xy[order], axis=0), axis=1).min() > run.param("frequency")[0] - 5.0
    active = [t["outside_lanes_active"] for t in run.ticks]
    assert active[0] and not all(active) and active[-1], "the lane check is lifted around the obstacle only"


def check_parked_obstacle(run: Run) -> None:
    run.spawned_at_trigger()
    rows = obstacle_rows(run, (VEHICLE, OBSTACLE))
    cars = [i for i, row in rows.items() if row[0] == VEHICLE]
    cones = [i for i, row in rows.items() if row[0] == OBSTACLE]
    assert len(cars) == 1 and len(cones) == 1, "one broken-down car with a warning cone behind it"
    assert_layout_in_lane(run, rows, span_m=6.0)
    car_m, cone_m = run.frame.along(rows[cars[0]][1]), run.frame.along(rows[cones[0]][1])
    assert 3.0 < car_m - cone_m < 7.0, "the cone stands behind the car"
    assert side_sign(run) * run.frame.lateral(rows[cars[0]][1]) > 0.2, "shifted towards the direction side"
    assert run.hit("collisions_vehicle", cars) and run.hit("collisions_layout", cones)


def check_parked_obstacle_two_ways(run: Run) -> None:
    check_parked_obstacle(run)
    assert_oncoming_flow(run)


def check_construction(run: Run) -> None:
    run.spawned_at_trigger()
    rows = obstacle_rows(run, (OBSTACLE,))
    models = run.ticks[run.start]["models"]
    assert sorted(models[i] for i in rows) == ["static.prop.constructioncone"] * 6 + ["static.prop.trafficwarning"]
    assert_layout_in_lane(run, rows, span_m=12.0)
    cones = sorted((run.frame.along(rows[i][1]), run.frame.lateral(rows[i][1])) for i in rows if models[i].endswith("cone"))
    lateral = side_sign(run) * np.array([lat for _, lat in cones])
    assert lateral[0] < 0.0 < lateral[-1] and np.all(np.diff(lateral) > 0), "a taper of cones across the lane"
    assert run.hit("collisions_layout", rows)


def check_construction_two_ways(run: Run) -> None:
    check_construction(run)
    assert_oncoming_flow(run)


def check_hazard_at_side_lane(run: Run) -> None:
    run.spawned_at_trigger()
    bikes = run.ids(BICYCLE)
    assert len(bikes) == 2
    speed = run.param("bicycle_speed") / 3.6
    trigger_m = run.frame.trigger_m()
    hit_tick = min(tick for tick, actor_id in collisions(run.record, "collisions_vehicle") if actor_id in bikes)
    for bike in bikes:
        track = run.log.track(bike)
        xy0 = track[0][1][1]
        assert run.param("distance") - 2.0 <= run.frame.along(xy0) - trigger_m <= run.param("distance") + 6.0
        lateral = [side_sign(run) * run.frame.lateral(row[1]) for _, row in track]
        half = run.frame.lane_half_width(xy0)
        assert all(0.3 < lat < half for lat in lateral), "riding inside the lane, at its edge"
        # At bicycle_speed until the ego is on them, or until they stop for good at the end of the ride
        # (bicycle_drive_distance, or short of a junction on the way: they do not ride into one).
        before = [row for i, row in track if i < hit_tick - 20]
        stopped = next((k for k, row in enumerate(before) if row[3] < 0.1), len(before))
        assert stopped > 60 and np.allclose([row[3] for row in before[:stopped]], speed, atol=0.05), \
            "riding at bicycle_speed until the ego is on them"
        assert all(row[3] < 0.1 and np.linalg.norm(row[1] - track[-1][1][1]) < 0.1 for row in before[stopped:]), \
            "then standing at the end of the ride"
        ride_m = run.frame.along(track[-1][1][1]) - run.frame.along(xy0)
        assert ride_m <= run.param("bicycle_drive_distance") + 0.5
        junction = run.frame.geometry.next_junction(run.frame.nearest(xy0), ride_m + 1.0)
        assert junction is None, "the ride stops short of any junction"
        assert run.frame.heading_gap(xy0, track[0][1][2]) > 0.9, "in the ego's direction"
    assert run.hit("collisions_vehicle", bikes), "a blind ego rides into the bicycles"


def check_hazard_at_side_lane_two_ways(run: Run) -> None:
    check_hazard_at_side_lane(run)
    assert_oncoming_flow(run)


def check_opens_door(run: Run) -> None:
    run.spawned_at_trigger()
    near = [(i, row) for i, row in run.ticks[run.start]["actors"].items() if row[3] == 0.0]
    assert len(near) == 1
    car, (_, xy, _, _) = near[0]
    side = side_sign(run)
    half = run.frame.lane_half_width(xy)
    closed = run.ticks[run.start]["extents"][car][1]
    assert side * run.frame.lateral(xy) > half - closed - 0.5, "parked at the lane edge"
    track = run.log.track(car)
    opened = next(i for i, row in track if run.ticks[i]["extents"][car][1] > closed + 0.4)
    ego_to_car = run.frame.along(xy) - run.frame.along(run.ticks[opened]["ego"])
    assert 15.0 < ego_to_car < 25.0, "the door opens as the ego comes near"
    assert all(run.ticks[i]["extents"][car][1] == closed for i, _ in track if i < opened)
    moved = side * (run.frame.lateral(run.ticks[opened]["actors"][car][1]) - run.frame.lateral(xy))
    assert moved < -0.4, "the door opens into the lane"
    assert_oncoming_flow(run)
    assert run.hit("collisions_vehicle", [car]), "a blind ego hits the open door"


# --- crossing agents ---------------------------------------------------------------------------


def assert_crosses(run: Run, actor_id: int, speed: float, from_side: float) -> np.ndarray:
    """The actor waits beside the road, then crosses the ego's route at ``speed`` from ``from_side``
    (+1 right, -1 left); returns its path."""
    path = run.path(actor_id)
    lateral = np.array([run.frame.lateral(p) for p in path])
    assert from_side * lateral[0] > run.frame.lane_half_width(path[0]), "waits off the ego lane"
    assert from_side * lateral.min() < 0.0 < from_side * lateral.max() or from_side * lateral[-1] < 1.0, "crosses the route"
    speeds = run.speeds(actor_id)
    assert speeds[0] == 0.0 and np.isclose(speeds.max(), speed), "starts later, at its speed"
    return path


def check_parking_crossing_pedestrian(run: Run) -> None:
    run.spawned_at_trigger()
    cars, walkers = run.ids(VEHICLE), run.ids(WALKER)
    assert len(cars) == 2 and len(walkers) == 1
    assert_static(run, cars)
    side = side_sign(run)
    cars_m = sorted(run.frame.along(run.path(c)[0]) for c in cars)
    for car in cars:
        _, (_, xy, yaw, _) = run.log.track(car)[0]
        half = next(t["extents"][car] for t in run.log.ticks if car in t["extents"])
        forward, left = np.array([math.cos(yaw), math.sin(yaw)]), np.array([-math.sin(yaw), math.cos(yaw)])
        corners = [xy + a * half[0] * forward + b * half[1] * left for a in (-1, 1) for b in (-1, 1)]
        # The whole box, not only its centre, stands beside the lane (on a bend too).
        assert min(side * run.frame.lateral(c) for c in corners) > run.frame.lane_half_width(xy) - 0.05, "parked beside the lane"
    path = assert_crosses(run, walkers[0], 2.0, side)
    assert cars_m[0] < run.frame.along(path[0]) < cars_m[1], "the walker emerges between the parked cars"
    assert run.hit("collisions_pedestrian", walkers)


def assert_crossing_after_junction(run: Run, actor_ids, speed: float, turn_required: bool) -> None:
    junction = run.frame.junction_after_trigger()
    assert junction is not None
    if turn_required:
        assert junction.turn in ("left", "right")
    exit_m = float(run.frame.dense.distances[junction.exit])
    for actor_id in actor_ids:
        path = assert_crosses(run, actor_id, speed, from_side=-1.0)  # from the far side of the road
        assert 0.0 < run.frame.along(path[0]) - exit_m < 10.0, "just after the junction the ego takes"
        _, xy, yaw, _ = next(row for _, row in run.log.track(actor_id) if row[3] > 0.0)
        assert abs(run.frame.heading_gap(xy, yaw)) < 0.35, "straight across the road"


def check_pedestrian_crossing(run: Run) -> None:
    run.spawned_at_trigger()
    walkers = run.ids(WALKER)
    assert len(walkers) == 3, "a group of three"
    assert_crossing_after_junction(run, walkers, 1.4, turn_required=False)
    first_moving = {w: next(i for i, row in run.log.track(w) if row[3] > 0.0) for w in walkers}
    assert len(set(first_moving.values())) == 1, "they set off together"
    assert run.hit("collisions_pedestrian", walkers)


def check_vehicle_turning_route(run: Run) -> None:
    run.spawned_at_trigger()
    bikes = run.ids(BICYCLE)
    assert len(bikes) == 1 and not run.ids(WALKER)
    assert_crossing_after_junction(run, bikes, 4.5, turn_required=True)
    assert run.hit("collisions_vehicle", bikes), "bicycles count as vehicles"


def check_vehicle_turning_route_pedestrian(run: Run) -> None:
    run.spawned_at_trigger()
    walkers = run.ids(WALKER)
    assert len(walkers) == 1
    assert_crossing_after_junction(run, walkers, 2.0, turn_required=True)
    assert run.hit("collisions_pedestrian", walkers)


# --- junctions -------------------------------------------------------------------------------


def ego_light_states(run: Run, junction, until: int) -> list[LightState]:
    """States of the light governing the ego at ``junction`` from the trigger to tick ``until``."""
    light = run.frame.geometry.light_for(junction, run.log.traffic_lights)
    assert light is not None, "a light governs the ego at the junction"
    return [t["lights"][light] for t in run.ticks[run.tick_at_trigger() : until]]


def tick_entering(run: Run, junction) -> int:
    entry_m = float(run.frame.dense.distances[junction.entry])
    return next(i for i, t in enumerate(run.ticks) if run.frame.along(t["ego"]) >= entry_m)


def assert_green_held(run: Run, junction) -> None:
    """The ego's light is green from the trigger until the ego is in the junction, so a blind ego
    runs no red light there."""
    states = ego_light_states(run, junction, tick_entering(run, junction) + 1)
    assert states and all(s == LightState.GREEN for s in states)
    assert not run.infraction_near("red_light", run.frame.dense.positions[junction.entry])


def assert_flow(run: Run, kind: int, speed: float, gaps: tuple[float, float]) -> list[int]:
    """A flow of ``kind`` actors spaced by ``gaps`` at spawn, running at ``speed`` (none faster;
    most reach it: an actor that enters behind a braking one may never get up to it); returns their ids."""
    ids = run.ids(kind)
    assert len(ids) >= 3
    top = np.array([run.speeds(actor_id).max() for actor_id in ids])
    assert np.all(top <= speed + 0.05), "no flow actor is faster than flow_speed"
    assert np.mean(np.isclose(top, speed, atol=0.05)) >= 0.5, "the flow runs at flow_speed"
    first = run.ticks[run.start]["actors"]
    xy = np.array([first[i][1] for i in ids if i in first])
    spacing = np.sort(np.linalg.norm(xy[:, None] - xy[None], axis=2) + np.eye(len(xy)) * 1e9, axis=1)[:, 0]
    assert spacing.min() > 0.7 * gaps[0] and spacing.max() < gaps[1] + 1.0, "entered at source_dist_interval gaps"
    return ids


def entry_relation(run: Run, actor_id: int, junction) -> str:
    """Where ``actor_id`` enters the ego's junction from, seen from the ego."""
    centre = run.frame.dense.positions[(junction.entry + junction.exit) // 2, :2]
    track = run.log.track(actor_id)
    inside = [row for _, row in track if np.linalg.norm(row[1] - centre) < 15.0]
    assert inside, f"actor {actor_id} drives through the ego's junction"
    return relation_of(inside[0][2], junction.entry_yaw)


def flow_outcome(run: Run, flow: list[int], speed: float) -> str:
    """How a blind ego met the flow: 'collision' (it hit a flow actor or was hit), 'yield' (a flow
    actor braked below 70 % of the flow speed within 15 m of the ego: flows keep a gap to anything
    on their path, the ego included) or 'gap' (it slipped through a gap)."""
    if run.hit("collisions_vehicle", flow) or run.hit("collisions_pedestrian", flow):
        return "collision"
    near = [row for actor_id in flow for i, row in run.log.track(actor_id, run.start + 1)
            if np.linalg.norm(row[1] - run.ticks[i]["ego"]) < 15.0]
    return "yield" if any(row[3] < 0.7 * speed for row in near) else "gap"


def meeting_tick(run: Run, points: np.ndarray) -> tuple[int, float]:
    """The tick the ego first enters the flow's path (comes within 1.5 m of its ``points``), else
    the tick of its closest approach to it; and that distance (metres)."""
    distances = np.array([np.min(np.linalg.norm(points - t["ego"], axis=1)) for t in run.ticks[run.start :]])
    inside = np.flatnonzero(distances < 1.5)
    k = int(inside[0]) if inside.size else int(np.argmin(distances))
    return run.start + k, float(distances[k])


def gap_taken(run: Run, flow: list[int], tick_index: int) -> float:
    """The gap (metres between the flow actors either side of the ego) at ``tick_index``; inf when
    no flow actor is on one side of it."""
    tick = run.ticks[tick_index]
    rows = [tick["actors"][i] for i in flow if i in tick["actors"]]
    # The ego's offset along each actor's heading: >= 0 while the actor still comes towards it.
    to_ego = [float(np.dot(tick["ego"] - row[1], [math.cos(row[2]), math.sin(row[2])])) for row in rows]
    approaching = [row[1] for row, d in zip(rows, to_ego) if d >= 0.0]
    passed = [row[1] for row, d in zip(rows, to_ego) if d < 0.0]
    if not approaching or not passed:
        return math.inf
    behind = min(approaching, key=lambda xy: np.linalg.norm(xy - tick["ego"]))
    ahead = min(passed, key=lambda xy: np.linalg.norm(xy - tick["ego"]))
    return float(np.linalg.norm(ahead - behind))


def assert_blind_ego_meets_the_flow(run: Run, flow: list[int], speed: float, enters: bool = True,
                                   lane_path: np.ndarray | None = None) -> None:
    """What holds wherever the flow is placed: the flow runs where the ego meets it (a flow actor
    within one source gap of it), and a blind ego either collides with a flow actor, or a flow actor
    yields to it (and nothing collides), or it passes through a gap of at least
    ``source_dist_interval`` (less the 30 % that curves and braking take off straight-line
    spacing) without any collision. ``enters``: the ego's way enters the flow's path (False for a
    flow that may only pass beside it). ``lane_path``: the flow's path (default: where its actors
    drove)."""
    outcome = flow_outcome(run, flow, speed)
    gaps = run.param("source_dist_interval")
    points = np.vstack([run.path(actor_id) for actor_id in flow]) if lane_path is None else lane_path
    tick_index, distance = meeting_tick(run, points)
    tick = run.ticks[tick_index]
    assert any(np.linalg.norm(tick["actors"][i][1] - tick["ego"]) < gaps[1] + 15.0 for i in flow if i in tick["actors"]), \
        "the flow runs where and when the ego meets it"
    if outcome == "collision":
        return
    assert not run.collided, f"{run.spec.type}: no collision at all when the flow {outcome}s"
    assert distance < 1.5 or not enters, f"{run.spec.type}: the ego's way enters the flow's path"
    if outcome == "gap" and distance < 1.5:
        gap = gap_taken(run, flow, tick_index)
        assert gap >= 0.7 * gaps[0], f"{run.spec.type}: through a gap of {gap:.1f} m"


def junction_flow_check(relation: str, signalized: bool, turn: str):
    def check(run: Run) -> None:
        run.spawned_at_trigger()
        junction = run.frame.junction_after_trigger()
        assert junction.turn == turn
        speed, gaps = run.param("flow_speed"), run.param("source_dist_interval")
        flow = assert_flow(run, VEHICLE, speed, gaps)
        crossing = [i for i in flow if any(np.linalg.norm(row[1] - run.frame.dense.positions[(junction.entry + junction.exit) // 2, :2]) < 15.0
                                           for _, row in run.log.track(i))]
        assert crossing and all(entry_relation(run, i, junction) == relation for i in crossing)
        if signalized:
            assert_green_held(run, junction)
        else:
            assert run.frame.geometry.light_for(junction, run.log.traffic_lights) is None
        assert_blind_ego_meets_the_flow(run, flow, speed)
    return check


def check_blocked_intersection(run: Run) -> None:
    run.spawned_at_trigger()
    junction = run.frame.junction_after_trigger()
    assert junction.turn in ("left", "right")
    cars = run.ids(VEHICLE)
    assert len(cars) == 1
    path = run.path(cars[0])
    exit_m = float(run.frame.dense.distances[junction.exit])
    assert 3.0 < run.frame.along(path[0]) - exit_m < 9.0 and abs(run.frame.lateral(path[0])) < 0.5, "on the exit lane"
    assert_static(run, cars)  # the ego never waits behind it, so it never drives off
    assert run.hit("collisions_vehicle", cars)


def opposite_vehicle_check(signalized: bool):
    def check(run: Run) -> None:
        run.spawned_at_trigger()
        junction = run.frame.junction_after_trigger()
        cars = run.ids(VEHICLE)
        assert len(cars) == 1
        car = cars[0]
        speeds = run.speeds(car)
        moving = speeds[np.argmax(speeds > 0.0):]
        assert moving.size and np.all((moving > 4.9) & (moving < 15.1)), "paced around 10 m/s; it yields to nothing"
        assert entry_relation(run, car, junction) == run.param("direction")
        if signalized:
            assert_green_held(run, junction)  # the ego has green, so the crossing vehicle runs its red
        else:
            assert run.frame.geometry.light_for(junction, run.log.traffic_lights) is None
        gaps = [np.linalg.norm(row[1] - run.ticks[i]["ego"]) for i, row in run.log.track(car)]
        assert min(gaps) < 8.0, "timed to meet the ego at the junction"
        # Paced to reach the conflict point with the ego: a blind ego runs into it.
        assert run.hit("collisions_vehicle", cars)
    return check


def check_priority_at_junction(run: Run) -> None:
    assert not run.ids(VEHICLE) and not run.ticks[-1]["actors"], "a support scenario without actors"
    junction = run.frame.junction_after_trigger()
    assert_green_held(run, junction)
    # The ego is given green: a blind ego crosses without an infraction there.
    assert not run.infraction_near("red_light", run.frame.dense.positions[junction.entry], 40.0)


def check_vanilla_green(run: Run) -> None:
    junction = run.frame.junction_after_trigger()
    assert junction.turn in ("left", "right")
    assert_green_held(run, junction)
    assert run.record.score_route == 100.0 and not run.collided


def check_vanilla_non_signalized(run: Run) -> None:
    junction = run.frame.junction_after_trigger()
    assert junction.turn in ("left", "right")
    assert run.frame.geometry.light_for(junction, run.log.traffic_lights) is None, "no light for the ego"
    assert not any(t["actors"] for t in run.ticks), "no actors: traffic rules only"
    # Nothing to obey there: a blind ego turns without an infraction at this junction.
    at = run.frame.dense.positions[junction.entry]
    assert not any(run.infraction_near(k, at) for k in ("red_light", "stop_infraction", "collisions_vehicle"))
    assert run.record.score_route == 100.0


def check_stop_sign(run: Run) -> None:
    junction = run.frame.junction_after_trigger()
    assert junction.turn in ("left", "right")
    g = run.frame.geometry
    position, yaw = g.pose(junction.entry - 2)
    lane = g.lane_at(position, yaw, junction=False)
    assert lane is not None and g.lanes.stop_landmark[lane], "a stop sign governs the ego's lane"
    assert g.light_for(junction, run.log.traffic_lights) is None
    stops = run.infraction_near("stop_infraction", run.frame.dense.positions[junction.entry], 15.0)
    assert len(stops) == 1, "a blind ego rolls through the stop sign"


def check_t_junction(run: Run) -> None:
    junction = run.frame.junction_after_trigger()
    g = run.frame.geometry
    lanes = np.flatnonzero(g.lanes.junction_id == junction.junction_id)
    arms = {round(float(g.lanes.yaws[g.lanes.offset[k]]) / (math.pi / 2)) % 4 for k in lanes}
    assert len(arms) == 3, "a junction with three arms"
    assert not any(t["actors"] for t in run.ticks)
    # Nothing to meet there: a blind ego drives through without a collision and completes the route.
    assert not run.collided and run.record.score_route == 100.0


# --- flows that meet the route -----------------------------------------------------------------


def route_flow_check(kind: int, meets: str):
    """Flows between ``start_actor_flow`` and ``end_actor_flow``: ``meets`` is how the flow meets
    the route ('along': in the ego's lane and direction, 'beside': in its direction, in its lane or
    the next, 'oncoming': against it in the lane beside, 'cross': across it)."""
    def check(run: Run) -> list[int]:
        run.spawned_at_trigger()
        speed, gaps = run.param("flow_speed"), run.param("source_dist_interval")
        flow = assert_flow(run, kind, speed, gaps)
        source = np.array(run.param("start_actor_flow"))
        sink = np.array(run.param("end_actor_flow"))
        first = [row[1] for i, row in run.ticks[run.start]["actors"].items() if i in flow]
        assert min(np.linalg.norm(xy - source[:2]) for xy in first) < gaps[1] + 1.0, "the flow is filled up to the source"
        late = [i for i in flow if i not in run.ticks[run.start]["actors"]]
        assert all(np.linalg.norm(run.path(i)[0] - source[:2]) < 1.5 for i in late), "new actors enter at the source"
        scenario_end = max(i for i, t in enumerate(run.ticks) if t["actors"])
        ended = [i for i in flow if run.log.track(i)[-1][0] < scenario_end]
        assert ended and all(np.linalg.norm(run.path(i)[-1] - sink[:2]) < 3.0 for i in ended), "and leave at the sink"
        lane_path = flow_lane_path(run)
        for actor_id in flow:
            d = np.linalg.norm(run.path(actor_id)[:, None, :] - lane_path[None, :, :], axis=2).min(axis=1)
            assert d.max() < 1.0, "flow actors keep to the lane path from start_actor_flow to end_actor_flow"
        if meets != "beside":
            assert min(run.frame.distance_to_route(p) for p in lane_path) < 1.0, "the flow meets the ego's route"
        on_route = rows_near_route(run, flow)
        if meets == "along":
            # Some flow vehicle drives in the ego's lane, in its direction (the ego joins or leaves it).
            assert any(sum(abs(run.frame.lateral(r[1])) < 0.5 and run.frame.heading_gap(r[1], r[2]) > 0.9 for r in rows) > 40
                       for rows in on_route)
        elif meets == "beside":
            # Some flow vehicle drives in the ego's direction in its lane or the next one.
            assert any(sum(abs(run.frame.lateral(r[1])) < 4.5 and run.frame.heading_gap(r[1], r[2]) > 0.9 for r in rows) > 40
                       for rows in on_route), "the flow passes along the ego's lane"
        elif meets == "oncoming":
            # Left of the ego's lane: the next lane, or beyond a same-direction lane on a wider road.
            assert any(sum(-9.0 < run.frame.lateral(r[1]) < -2.0 and run.frame.heading_gap(r[1], r[2]) < -0.9 for r in rows) > 10
                       for rows in rows_near_route(run, flow, 10.0)), "the flow comes towards the ego on its left"
        else:
            assert_crosses_route(run, lane_path)
        return flow
    return check


def flow_lane_path(run: Run) -> np.ndarray:
    """(P, 2) points of the lane path the flow takes from start_actor_flow to end_actor_flow."""
    ends = np.array([run.param("start_actor_flow"), run.param("end_actor_flow")])
    return plan_route(run.route.town, ends).positions[:, :2]


def rows_near_route(run: Run, flow: list[int], within_m: float = 6.0) -> list[list[tuple]]:
    """Per flow actor, its rows within ``within_m`` of the route."""
    return [[row for _, row in run.log.track(i) if run.frame.distance_to_route(row[1]) < within_m] for i in flow]


def assert_crosses_route(run: Run, lane_path: np.ndarray) -> None:
    """The flow's ``lane_path`` cuts across the ego's route (at more than 60 degrees to it)."""
    headings = np.arctan2(*np.gradient(lane_path, axis=0).T[::-1])
    assert any(run.frame.distance_to_route(p) < 1.0 and abs(run.frame.heading_gap(p, yaw)) < 0.5
               for p, yaw in zip(lane_path, headings)), "the flow crosses the ego's lane"


def merging_slow_traffic(run: Run) -> None:
    flow = route_flow_check(VEHICLE, "along")(run)
    assert run.param("flow_speed") < 6.0, "slow traffic"
    # The blind ego is faster than the traffic it merges into and rear-ends it.
    assert run.hit("collisions_vehicle", flow)


def merging_flow(run: Run) -> None:
    flow = route_flow_check(VEHICLE, "along")(run)
    assert_blind_ego_meets_the_flow(run, flow, run.param("flow_speed"), lane_path=flow_lane_path(run))


def crossing_flow(kind: int):
    def check(run: Run) -> None:
        flow = route_flow_check(kind, "cross")(run)
        assert_blind_ego_meets_the_flow(run, flow, run.param("flow_speed"), lane_path=flow_lane_path(run))
    return check


def oncoming_flow(run: Run) -> None:
    flow = route_flow_check(VEHICLE, "oncoming")(run)
    # The ego turns off across it.
    assert_crosses_route(run, flow_lane_path(run))
    assert_blind_ego_meets_the_flow(run, flow, run.param("flow_speed"), lane_path=flow_lane_path(run))


def check_highway_exit(run: Run) -> None:
    flow = route_flow_check(VEHICLE, "beside")(run)
    # The flow keeps to its lane (the ego's or the next): a blind ego leaving the road only meets it
    # when it arrives beside a car.
    assert_blind_ego_meets_the_flow(run, flow, run.param("flow_speed"), enters=False, lane_path=flow_lane_path(run))


# --- cut-ins and lane changes ------------------------------------------------------------------


def assert_cuts_in(run: Run, cutter: int) -> None:
    """The cutter comes from beside the ego lane into it, in front of the ego, as the ego comes near."""
    track = run.log.track(cutter)
    lateral = np.array([run.frame.lateral(row[1]) for _, row in track])
    assert abs(lateral[0]) > 2.0 and abs(lateral[-1]) < 0.5, "from beside the lane into it"
    merged = next(k for k, lat in enumerate(lateral) if abs(lat) < 0.5)
    i, row = track[merged]
    ahead = run.frame.along(row[1]) - run.frame.along(run.ticks[i]["ego"])
    assert -3.0 < ahead < 20.0, "alongside or right in front of the ego"


def cut_in_check(run: Run) -> None:
    run.spawned_at_trigger()
    cars = run.ids(VEHICLE)
    moving = [c for c in cars if run.speeds(c).max() > 1.0]
    parked = [c for c in cars if c not in moving]
    assert len(moving) == 1 and parked
    assert_static(run, parked)
    cutter = moving[0]
    speeds = run.speeds(cutter)
    assert speeds[0] == 0.0, "it waits"
    assert_cuts_in(run, cutter)
    assert run.hit("collisions_vehicle", [cutter])


def check_highway_cut_in(run: Run) -> None:
    run.spawned_at_trigger()
    cars = run.ids(VEHICLE)
    assert len(cars) == 1
    location = np.array(run.param("other_actor_location"))
    path = run.path(cars[0])
    assert min(np.linalg.norm(path - location[:2], axis=1)) < 1.0, "comes along the lane through other_actor_location"
    assert_cuts_in(run, cars[0])
    assert run.hit("collisions_vehicle", cars)


def check_sequential_lane_change(run: Run) -> None:
    g = run.frame.geometry
    options = g.dense.options[run.frame.nearest([run.spec.trigger.x, run.spec.trigger.y]):]
    changes = np.isin(options, [int(RoadOption.CHANGELANELEFT), int(RoadOption.CHANGELANERIGHT)])
    runs = np.count_nonzero(np.diff(changes.astype(int)) == 1)
    assert runs >= 2, "the route changes lanes and back"
    lateral = [run.frame.lateral(t["ego"]) for t in run.ticks]
    assert max(abs(v) for v in lateral) < 1.5, "a blind ego follows the lane changes"
    assert not any(t["actors"] for t in run.ticks)
    assert not run.collided and not {"outside_route_lanes", "route_dev"} & set(keys(run.record))
    assert run.record.score_route == 100.0


CHECKS = {
    "ParkedObstacle": check_parked_obstacle,
    "ParkedObstacleTwoWays": check_parked_obstacle_two_ways,
    "ConstructionObstacle": check_construction,
    "ConstructionObstacleTwoWays": check_construction_two_ways,
    "HazardAtSideLane": check_hazard_at_side_lane,
    "HazardAtSideLaneTwoWays": check_hazard_at_side_lane_two_ways,
    "VehicleOpensDoorTwoWays": check_opens_door,
    "PedestrianCrossing": check_pedestrian_crossing,
    "ParkingCrossingPedestrian": check_parking_crossing_pedestrian,
    "VehicleTurningRoute": check_vehicle_turning_route,
    "VehicleTurningRoutePedestrian": check_vehicle_turning_route_pedestrian,
    "BlockedIntersection": check_blocked_intersection,
    "NonSignalizedJunctionLeftTurn": junction_flow_check("oncoming", signalized=False, turn="left"),
    "SignalizedJunctionRightTurn": junction_flow_check("left", signalized=True, turn="right"),
    "NonSignalizedJunctionRightTurn": junction_flow_check("left", signalized=False, turn="right"),
    "SignalizedJunctionLeftTurnEnterFlow": junction_flow_check("right", signalized=True, turn="left"),
    "NonSignalizedJunctionLeftTurnEnterFlow": junction_flow_check("right", signalized=False, turn="left"),
    "OppositeVehicleRunningRedLight": opposite_vehicle_check(signalized=True),
    "OppositeVehicleTakingPriority": opposite_vehicle_check(signalized=False),
    "PriorityAtJunction": check_priority_at_junction,
    "CrossingBicycleFlow": crossing_flow(BICYCLE),
    "InterurbanActorFlow": oncoming_flow,
    "InterurbanAdvancedActorFlow": merging_flow,
    "EnterActorFlow": merging_flow,
    "EnterActorFlowV2": merging_flow,
    "MergerIntoSlowTraffic": merging_slow_traffic,
    "MergerIntoSlowTrafficV2": merging_slow_traffic,
    "HighwayExit": check_highway_exit,
    "ParkingCutIn": cut_in_check,
    "StaticCutIn": cut_in_check,
    "HighwayCutIn": check_highway_cut_in,
    "SequentialLaneChange": check_sequential_lane_change,
    "T_Junction": check_t_junction,
    "VanillaNonSignalizedTurn": check_vanilla_non_signalized,
    "VanillaSignalizedTurnEncounterGreenLight": check_vanilla_green,
    "VanillaNonSignalizedTurnEncounterStopsign": check_stop_sign,
}


#: Blind-ego speeds (m/s) other than 6: cut-in vehicles merge at 7 m/s, so only a faster ego runs into them.
EGO_SPEED = {"ParkingCutIn": 10.0, "StaticCutIn": 10.0}


@pytest.fixture(scope="module")
def routes():
    # One generation per type, so that a change to one type's placement rules does not move the
    # routes of the others.
    generated = [
        generate_scenario_routes(HIGHWAY_TOWN if t in HIGHWAY_TYPES else "grid_small", "bench2drive", 1, seed=3, types=(t,))
        for t in CHECKS
    ]
    return {route.scenarios[0].type: route for routes in generated for route in routes}


@pytest.mark.parametrize("scenario_type", sorted(CHECKS))
def test_scenario_type_behaves_and_a_blind_ego_gets_its_infraction(routes, scenario_type):
    assert scenario_type in routes, f"no {scenario_type} route could be generated"
    CHECKS[scenario_type](Run(routes[scenario_type], EGO_SPEED.get(scenario_type, 6.0)))


def test_every_catalog_type_has_a_test():
    families = Path(__file__).with_name("test_sim_scenario_families.py")
    spec = importlib.util.spec_from_file_location("scenario_families_table", families)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    covered = set(CHECKS) | set(module.TYPES)
    assert not set(CHECKS) & set(module.TYPES), "each type is tested in one place"
    assert covered == set(SCENARIO_CLASSES), f"untested types: {sorted(set(SCENARIO_CLASSES) - covered)}"
