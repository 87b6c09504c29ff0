"""Leaderboard 2.0 criteria on constructed situations: each triggers, and a near miss does not."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lead_framework.scoring import finalize_record
from lead_framework.scoring.record import RouteRecord
from lead_framework.world import EvaluationProtocol
from lead_sim.criteria import CriteriaSuite, RouteGeometry, TickContext
from lead_sim.criteria.collisions import CollisionCriterion
from lead_sim.criteria.geometry import obb_overlaps, segments_intersect
from lead_sim.criteria.min_speed import MinSpeedCriterion
from lead_sim.criteria.outside_lanes import OutsideRouteLanesCriterion
from lead_sim.criteria.red_light import RedLightCriterion
from lead_sim.criteria.route_progress import (
    AgentBlocked,
    RouteCompletion,
    RouteDeviation,
    RouteTimeout,
    route_timeout_budget_s,
)
from lead_sim.criteria.scenario_events import ScenarioTimeoutCriterion, YieldEmergencyVehicleCriterion
from lead_sim.criteria.stop_sign import StopSignCriterion, lane_points_on
from lead_sim.maps import load_town
from lead_sim.scene import ActorArrays, ActorKind, LightState, Scene, TrafficLight
from lead_sim.traffic.lanes import lane_graph_for
from lead_sim.traffic.stops import build_stop_signs

EGO_EXTENT = (2.45, 1.06, 0.76)
DT = 0.05


def make_scene(ego_xy, ego_yaw=0.0, ego_speed=0.0, others=(), tick=0) -> Scene:
    """Ego at row 0; ``others`` are (kind, x, y, yaw, (ex, ey, ez), speed)."""
    rows = [(ActorKind.VEHICLE, ego_xy[0], ego_xy[1], ego_yaw, EGO_EXTENT, ego_speed), *others]
    n = len(rows)
    actors = ActorArrays(
        ids=np.arange(n, dtype=np.int64),
        kinds=np.array([int(r[0]) for r in rows], dtype=np.int8),
        position=np.array([[r[1], r[2], r[4][2]] for r in rows], dtype=np.float64),
        yaw=np.array([r[3] for r in rows], dtype=np.float64),
        extent=np.array([r[4] for r in rows], dtype=np.float64),
        velocity=np.array([[r[5] * math.cos(r[3]), r[5] * math.sin(r[3]), 0.0] for r in rows]),
        blueprints=["vehicle.lincoln.mkz_2020"] + [f"bp.{int(r[0])}" for r in others],
    )
    return Scene(tick=tick, time_s=tick * DT, actors=actors)


def ctx_for(scene: Scene, speed: float, moved: float = 0.0, metres: float = 0.0, completion: float = 0.0) -> TickContext:
    return TickContext(
        tick=scene.tick, time_s=scene.time_s, scene=scene, ego_speed=speed, metres_driven=metres, moved_m=moved,
        completion_pct=completion,
    )


# ---------------------------------------------------------------- geometry
def test_obb_overlap_and_near_miss():
    centre, extent = np.array([0.0, 0.0]), np.array([2.0, 1.0])
    others = np.array([[4.05, 0.0], [3.9, 0.0], [0.0, 2.05], [2.9, 2.9]])
    extents = np.array([[2.0, 1.0], [2.0, 1.0], [2.0, 1.0], [1.0, 1.0]])
    yaws = np.array([0.0, 0.0, 0.0, math.pi / 4])
    assert obb_overlaps(centre, 0.0, extent, others, yaws, extents).tolist() == [False, True, False, False]
    diamond = obb_overlaps(centre, 0.0, extent, np.array([[2.5, 1.5]]), np.array([math.pi / 4]), np.array([[1.0, 1.0]]))
    assert diamond.tolist() == [True]


def test_segments_intersect():
    a, b = np.array([0.0, 0.0]), np.array([2.0, 0.0])
    assert segments_intersect(a, b, np.array([1.0, -1.0]), np.array([1.0, 1.0]))
    assert not segments_intersect(a, b, np.array([2.5, -1.0]), np.array([2.5, 1.0]))


# ---------------------------------------------------------------- collisions
def _crash_scene(speed, tick=0, other_kind=ActorKind.VEHICLE, gap=-0.3, ego_x=0.0):
    other = (other_kind, ego_x + 2.45 + 2.0 + gap, 0.0, 0.0, (2.0, 1.0, 0.7), 0.0)
    return make_scene((ego_x, 0.0), 0.0, speed, [other], tick=tick)


def test_collision_counts_when_moving():
    crit = CollisionCriterion()
    scene = _crash_scene(1.0)
    crit.update(ctx_for(scene, 1.0))
    assert [e.key for e in crit.events] == ["collisions_vehicle"]
    assert "type=bp.0 and id=1" in crit.events[0].message


def test_collision_ignored_below_threshold_speed_and_on_near_miss():
    crit = CollisionCriterion()
    crit.update(ctx_for(_crash_scene(0.05), 0.05))
    crit.update(ctx_for(_crash_scene(1.0, gap=0.1), 1.0))
    assert crit.events == []


def test_collision_deduplicated_within_5s_and_5m():
    crit = CollisionCriterion()
    for tick in range(60):  # 3 s of continuous contact
        crit.update(ctx_for(_crash_scene(1.0, tick=tick), 1.0))
    assert len(crit.events) == 1
    # 6 s later but at the same place: still the same collision
    crit.update(ctx_for(_crash_scene(1.0, tick=180), 1.0))
    assert len(crit.events) == 1
    # 6 s later and 10 m away: a new collision with the same actor
    crit.update(ctx_for(_crash_scene(1.0, tick=200, ego_x=10.0), 1.0))
    assert len(crit.events) == 2


def test_collision_with_a_second_actor_at_the_same_place_is_the_same_crash():
    """Pushing into two touching cars counts once, not once per tick and actor; a car hit after
    the ego has left the place (more than 5 m away) counts again."""
    crit = CollisionCriterion()
    pair = [(ActorKind.VEHICLE, 4.2, 0.8, 0.0, (2.0, 1.0, 0.7), 0.0), (ActorKind.VEHICLE, 4.2, -0.8, 0.0, (2.0, 1.0, 0.7), 0.0)]
    for tick in range(40):
        crit.update(ctx_for(make_scene((0.0, 0.0), 0.0, 0.5, pair, tick=tick), 0.5))
    assert len(crit.events) == 1
    car_ahead = (ActorKind.VEHICLE, 4.2 + 6.0, 0.8, 0.0, (2.0, 1.0, 0.7), 0.0)  # id 1, the registered one
    crit.update(ctx_for(make_scene((6.0, 0.0), 0.0, 0.5, [car_ahead], tick=41), 0.5))
    assert len(crit.events) == 1  # 6 m on, but the remembered actor (1 s ago): the same crash
    walker = (ActorKind.WALKER, 6.0 + 2.6, -0.5, 0.0, (0.3, 0.3, 0.9), 0.0)  # id 2
    crit.update(ctx_for(make_scene((6.0, 0.0), 0.0, 0.5, [(ActorKind.VEHICLE, 90.0, 0.0, 0.0, (2.0, 1.0, 0.7), 0.0), walker], tick=42), 0.5))
    assert [e.key for e in crit.events] == ["collisions_vehicle", "collisions_pedestrian"]


def test_collision_keys_by_actor_kind():
    for kind, key in [(ActorKind.WALKER, "collisions_pedestrian"), (ActorKind.OBSTACLE, "collisions_layout"),
                      (ActorKind.BICYCLE, "collisions_vehicle")]:
        crit = CollisionCriterion()
        crit.update(ctx_for(_crash_scene(2.0, other_kind=kind), 2.0))
        assert [e.key for e in crit.events] == [key]


# ---------------------------------------------------------------- red light
def _light(state=LightState.RED) -> TrafficLight:
    # A stop line across the lane at x = 20 for traffic driving towards +x.
    line = np.array([[[20.0, -1.75, 0.0], [20.0, 1.75, 0.0]]])
    return TrafficLight(id=7, position=np.array([21.0, 3.0, 3.0]), state=state, stop_lines=line, stop_yaws=np.array([0.0]),
                        pole_position=np.array([20.0, 2.75, 0.0]))


def _drive_past(crit, xs, yaw=0.0):
    for tick, x in enumerate(xs):
        crit.update(ctx_for(make_scene((x, 0.0), yaw, 5.0, tick=tick), 5.0))


def test_red_light_crossing_is_an_infraction_once():
    crit = RedLightCriterion([_light()])
    _drive_past(crit, np.arange(10.0, 40.0, 0.25))
    assert [e.key for e in crit.events] == ["red_light"]
    assert crit.events[0].message.startswith("Agent ran a red light 7 at (x=21.0")


def test_stopping_before_the_line_is_not_an_infraction():
    crit = RedLightCriterion([_light()])
    # front bumper 0.5 m before the line: centre at 20 - 0.5 - 2.45
    _drive_past(crit, np.linspace(5.0, 20.0 - 0.5 - 2.45, 80))
    assert crit.events == []


def test_red_light_ignored_when_green_or_driving_the_other_way():
    green = RedLightCriterion([_light(LightState.GREEN)])
    _drive_past(green, np.arange(10.0, 40.0, 0.25))
    opposite = RedLightCriterion([_light()])
    _drive_past(opposite, np.arange(40.0, 10.0, -0.25), yaw=math.pi)
    assert green.events == [] and opposite.events == []


# ---------------------------------------------------------------- stop sign
@pytest.fixture(scope="module")
def grid_stop():
    """A real stop sign of grid_small and the lane it governs."""
    town = load_town("grid_small")
    graph = lane_graph_for(town.map)
    stops, lane_stop = build_stop_signs(graph)
    lane = int(np.flatnonzero(lane_stop >= 0)[0])
    return town, graph, stops, lane


def _drive_through_stop(grid_stop, min_speed: float) -> StopSignCriterion:
    town, graph, stops, lane = grid_stop
    crit = StopSignCriterion(stops, lane_points_on(town.map))
    points = graph.lane_points(lane)
    yaws = graph.yaws[graph.offset[lane] : graph.offset[lane] + graph.count[lane]]
    start = max(0, len(points) - 25)
    # Approach at 5 m/s, slow to min_speed 3 m before the lane end, then leave at 5 m/s.
    tick = 0
    for k in range(start, len(points)):
        speed = min_speed if len(points) - k in (3, 4) else 5.0
        for _ in range(2 if speed < 1 else 1):
            scene = make_scene(points[k, :2], float(yaws[k]), speed, tick=tick)
            crit.update(ctx_for(scene, speed))
            tick += 1
    # continue 10 m straight into the junction along the successor lane
    successor = graph.successors[lane][0]
    after = graph.lane_points(successor)
    for k in range(min(12, len(after))):
        scene = make_scene(after[k, :2], float(graph.yaws[graph.offset[successor] + k]), 5.0, tick=tick)
        crit.update(ctx_for(scene, 5.0))
        tick += 1
    return crit


def test_stop_sign_served_at_0_09_mps(grid_stop):
    assert _drive_through_stop(grid_stop, 0.09).events == []


def test_stop_sign_run_at_0_2_mps(grid_stop):
    events = _drive_through_stop(grid_stop, 0.2).events
    assert [e.key for e in events] == ["stop_infraction"]
    assert events[0].message.startswith("Agent ran a stop with id=")


# ---------------------------------------------------------------- outside lanes
def test_outside_lanes_counts_wrong_direction_and_offroad(grid_stop):
    town, graph, _, lane = grid_stop
    crit = OutsideRouteLanesCriterion(town.map)
    points = graph.lane_points(lane)
    yaw = float(graph.yaws[graph.offset[lane]])
    inside = crit.lane_status(points[5], yaw)
    backwards = crit.lane_status(points[5], yaw + math.pi)
    right = np.array([-math.sin(yaw), math.cos(yaw), 0.0])
    offroad = crit.lane_status(points[5] + 8.0 * right, yaw)
    assert inside == (False, False)
    assert backwards == (False, True)
    assert offroad[0] is True


def test_outside_lanes_percentage_of_completed_route(grid_stop):
    town, graph, _, lane = grid_stop
    crit = OutsideRouteLanesCriterion(town.map)
    points = graph.lane_points(lane)
    yaw = float(graph.yaws[graph.offset[lane]])
    for k in range(1, 11):  # 10 m forwards along the lane, then 10 m wrong way
        crit.update(ctx_for(make_scene(points[k, :2], yaw, 5.0, tick=k), 5.0, moved=1.0))
    for k in range(11, 21):
        crit.update(ctx_for(make_scene(points[k, :2], yaw + math.pi, 5.0, tick=k), 5.0, moved=1.0))
    assert crit.outside_m == pytest.approx(10.0)
    done = ctx_for(make_scene(points[20, :2], yaw), 0.0)
    done.completed_m = 40.0
    crit.finish(done)
    assert crit.events[0].value == pytest.approx(25.0)
    assert "for about 10.0 meters (25.0% of the completed route)" in crit.events[0].message


def test_outside_lanes_paused_while_inactive(grid_stop):
    town, graph, _, lane = grid_stop
    crit = OutsideRouteLanesCriterion(town.map)
    crit.active = False
    points = graph.lane_points(lane)
    yaw = float(graph.yaws[graph.offset[lane]]) + math.pi
    for k in range(1, 11):
        crit.update(ctx_for(make_scene(points[k, :2], yaw, 5.0, tick=k), 5.0, moved=1.0))
    assert crit.outside_m == 0.0


# ---------------------------------------------------------------- route criteria
def straight_route(length=100) -> RouteGeometry:
    xs = np.arange(0.0, length + 1.0)
    return RouteGeometry(np.stack([xs, np.zeros_like(xs), np.zeros_like(xs)], 1), np.zeros_like(xs), xs.copy())


def test_route_completion_passes_points_and_completes_near_the_end():
    route = straight_route(100)
    rc = RouteCompletion(route)
    for tick, x in enumerate(np.arange(0.0, 95.0, 0.3)):
        rc.update(ctx_for(make_scene((x, 0.0), tick=tick), 6.0))
    assert 93.0 < rc.percent < 95.0 and not rc.completed
    for tick, x in enumerate(np.arange(95.0, 100.5, 0.3)):
        rc.update(ctx_for(make_scene((x, 0.0), tick=tick), 6.0))
    assert rc.completed and rc.percent == 100.0


def test_route_completion_needs_the_points_in_order():
    rc = RouteCompletion(straight_route(100))
    rc.update(ctx_for(make_scene((60.0, 0.0)), 6.0))  # a jump: only two points ahead are examined
    assert rc.passed == 1


def test_route_deviation_far_and_accumulated():
    route = straight_route(100)
    far = RouteDeviation(route, RouteCompletion(route))
    far.update(ctx_for(make_scene((10.0, 29.0)), 5.0, moved=1.0))
    assert far.failure is None
    far.update(ctx_for(make_scene((10.0, 30.0)), 5.0, moved=1.0))
    assert far.failure == "route_dev"
    drift = RouteDeviation(route, RouteCompletion(route))
    for k in range(30):
        drift.update(ctx_for(make_scene((10.0, 16.0), tick=k), 5.0, moved=1.0))
    assert drift.failure is None  # 30 m of 100 m: exactly 30 %, not more
    drift.update(ctx_for(make_scene((10.0, 16.0), tick=31), 5.0, moved=1.0))
    assert drift.failure == "route_dev"


def test_agent_blocked_after_timeout_and_paused():
    blocked, paused = AgentBlocked(2.0), AgentBlocked(2.0)
    paused.paused = True
    for tick in range(41):
        scene = make_scene((0.0, 0.0), tick=tick)
        blocked.update(ctx_for(scene, 0.09))
        paused.update(ctx_for(scene, 0.0))
    assert blocked.failure == "vehicle_blocked" and paused.failure is None
    moving = AgentBlocked(2.0)
    for tick in range(41):
        moving.update(ctx_for(make_scene((0.0, 0.0), tick=tick), 0.09 if tick != 30 else 0.2))
    assert moving.failure is None


def test_route_timeout_budget_uses_30_kmh():
    assert route_timeout_budget_s(1000.0) == pytest.approx(300.0 + 1000.0 / (3.0 / 3.6))
    crit = RouteTimeout(0.0)
    crit.update(ctx_for(make_scene((0, 0), tick=6000), 1.0))
    assert crit.failure is None
    crit.update(ctx_for(make_scene((0, 0), tick=6001), 1.0))
    assert crit.failure == "route_timeout"


def test_min_speed_event_below_traffic_speed_only():
    slow, fast = MinSpeedCriterion(), MinSpeedCriterion()
    traffic = [
        (ActorKind.VEHICLE, 50.0, 0.0, 0.0, (2.0, 1.0, 0.7), 8.0),
        (ActorKind.WALKER, 60.0, 0.0, 0.0, (0.3, 0.3, 0.9), 1.0),
    ]
    for tick in range(101):
        scene = make_scene((0.0, 0.0), 0.0, 4.0, traffic, tick=tick)
        slow.update(ctx_for(scene, 4.0, completion=tick))
        fast.update(ctx_for(scene, 9.0, completion=tick))
    slow.finish(ctx_for(scene, 4.0, completion=100.0))
    fast.finish(ctx_for(scene, 9.0, completion=100.0))
    assert [e.value for e in slow.events] == [50.0, 50.0, 50.0, 50.0]
    assert fast.events == []


def test_scenario_events_reported():
    timeout, ev = ScenarioTimeoutCriterion(), YieldEmergencyVehicleCriterion()
    with pytest.raises(RuntimeError, match="once the route has started"):
        timeout.report("Accident_1")
    scene = make_scene((3.0, 4.0), tick=20)
    timeout.update(ctx_for(scene, 0.0))
    ev.update(ctx_for(scene, 0.0))
    timeout.report("Accident_1")
    ev.report((1.0, 2.0, 0.0))
    assert timeout.events[0].key == "scenario_timeouts" and timeout.timed_out == ["Accident_1"]
    assert ev.events[0].key == "yield_emergency_vehicle_infractions" and ev.events[0].location == (1.0, 2.0, 0.0)
    record = finalize_record(RouteRecord("r", infractions=timeout.events + ev.events), route_completion_pct=100.0)
    assert record.score_penalty == pytest.approx(0.49) and record.status == "Completed"


def test_suite_runs_every_criterion_and_orders_events(grid_stop):
    town = grid_stop[0]
    suite = CriteriaSuite(straight_route(50), town.map, [_light()], [], EvaluationProtocol(blocked_timeout_s=1.0))
    for tick in range(30):
        suite.update(tick, tick * DT, make_scene((0.0, 0.0), tick=tick), 0.0, 0.0, 0.0)
    assert suite.failure == "vehicle_blocked"
    assert [e.key for e in suite.infractions()] == ["vehicle_blocked"]
