"""Scenario families driven in the real embedded world by a scripted ego that ignores them.

Each test takes a generated Bench2Drive-style route of one type on ``grid_small``, drives it with
the baseline ``route_follower`` (blind to actors and signals; it stops where told), watches the
scenario actors through an observer, and checks both their behaviour and the infraction the ego
earns.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lead_framework.world import EvaluationProtocol
from lead_sim.scene import ActorKind, LightState
from lead_sim.scenarios.generate import generate_scenario_routes
from lead_sim.world import LeadSimConfig, LeadSimWorld
from scenario_driving import PROTOCOL, ActorLog, drive, follower, keys, route_heading_at, trigger_tick

TYPES = (
    "Accident", "AccidentTwoWays", "DynamicObjectCrossing", "SignalizedJunctionLeftTurn", "YieldToEmergencyVehicle",
    "HardBreakRoute", "ControlLoss", "ParkingExit", "VanillaSignalizedTurnEncounterRedLight", "InvadingTurn",
)


@pytest.fixture(scope="module")
def routes():
    generated = generate_scenario_routes("grid_small", "bench2drive", len(TYPES), seed=3, types=TYPES)
    return {route.scenarios[0].type: route for route in generated}


def test_obstacle_spawns_at_trigger_stays_in_lane_and_is_hit_by_a_blind_ego(routes):
    route = routes["Accident"]
    record, log = drive(route, follower())
    start = trigger_tick(log)
    assert start > 0, "the accident must not exist before the ego reaches the trigger"
    trigger = route.scenarios[0].trigger
    assert np.hypot(*(log.ticks[start]["ego"] - [trigger.x, trigger.y])) < 4.0
    first = log.ticks[start]["actors"]
    assert len(first) == 3 and all(kind == int(ActorKind.VEHICLE) for kind, *_ in first.values())
    for tick in log.ticks[start:]:
        for actor_id, (_, xy, _, speed) in tick["actors"].items():
            assert speed == 0.0 and np.allclose(xy, first[actor_id][1])  # static
    assert "collisions_vehicle" in keys(record)


def test_two_ways_obstacle_has_an_oncoming_flow_with_gaps_and_lifts_the_lane_check(routes):
    route = routes["AccidentTwoWays"]
    record, log = drive(route, follower())
    start = trigger_tick(log)
    tick = log.ticks[start + 40]
    moving = [(xy, yaw) for kind, xy, yaw, speed in tick["actors"].values() if speed > 1.0]
    assert len(moving) >= 2, "the oncoming lane carries a flow"
    beside = [(xy, yaw) for xy, yaw in moving if np.min(np.linalg.norm(route.waypoint_array()[:, :2] - xy, axis=1)) < 5.0]
    assert beside, "the flow passes beside the route"
    for xy, yaw in beside:  # against the ego's direction of travel
        assert math.cos(yaw - route_heading_at(route, xy)) < -0.5
    xy = np.array([p for p, _ in moving])
    gaps = np.linalg.norm(np.diff(xy[np.argsort(xy[:, 0] + xy[:, 1])], axis=0), axis=1)
    assert gaps.min() > 10.0, "flow vehicles keep gaps"
    assert any(not t["outside_lanes_active"] for t in log.ticks), "overtaking window switches the check off"
    assert log.ticks[0]["outside_lanes_active"]


def test_pedestrian_crosses_from_behind_a_blocker_into_a_blind_ego(routes):
    record, log = drive(routes["DynamicObjectCrossing"], follower())
    start = trigger_tick(log)
    kinds = {kind for kind, *_ in log.ticks[start]["actors"].values()}
    assert kinds == {int(ActorKind.WALKER), int(ActorKind.OBSTACLE)}
    walker = next(i for i, (kind, *_) in log.ticks[start]["actors"].items() if kind == int(ActorKind.WALKER))
    path = np.array([t["actors"][walker][1] for t in log.ticks[start:] if walker in t["actors"]])
    assert np.linalg.norm(path[-1] - path[0]) > 2.0, "the pedestrian walks onto the road"
    assert "collisions_pedestrian" in keys(record)


def test_left_turn_flow_crosses_the_junction_while_the_ego_light_is_held_green(routes):
    record, log = drive(routes["SignalizedJunctionLeftTurn"], follower())
    start = trigger_tick(log)
    tick = log.ticks[start + 20]
    assert sum(speed > 1.0 for *_, speed in tick["actors"].values()) >= 2
    held = [t["lights"] for t in log.ticks[start:start + 40]]
    green = {light for light, state in held[0].items() if state == LightState.GREEN}
    assert any(all(h[light] == LightState.GREEN for h in held) for light in green), "one light stays green"


def test_emergency_vehicle_comes_from_behind_and_a_blind_ego_fails_to_yield(routes):
    record, log = drive(routes["YieldToEmergencyVehicle"], follower())
    start = trigger_tick(log)
    ev_id, (kind, *_ ) = next(iter(log.ticks[start]["actors"].items()))
    assert kind == int(ActorKind.EMERGENCY_VEHICLE)
    gaps = [np.linalg.norm(t["actors"][ev_id][1] - t["ego"]) for t in log.ticks[start:] if ev_id in t["actors"]]
    assert gaps[0] > 30.0 and min(gaps) < 16.0, "it closes in from behind"
    behind = [float((t["actors"][ev_id][1] - t["ego"]) @ [math.cos(t["ego_yaw"]), math.sin(t["ego_yaw"])]) for t in log.ticks[start:] if ev_id in t["actors"]]
    assert max(behind) < 0.0, "a blind ego never lets it pass"
    assert keys(record).count("yield_emergency_vehicle_infractions") == 1


def test_lead_vehicle_brakes_hard_and_a_blind_ego_runs_into_it(routes):
    record, log = drive(routes["HardBreakRoute"], follower())
    start = trigger_tick(log)
    lead = next(iter(log.ticks[start]["actors"]))
    speeds = [t["actors"][lead][3] for t in log.ticks[start:] if lead in t["actors"]]
    assert max(speeds) > 5.0 and min(speeds) == 0.0
    assert "collisions_vehicle" in keys(record)


def test_scenario_times_out_when_the_ego_stops_after_the_trigger(routes):
    route = routes["Accident"]
    protocol = EvaluationProtocol(min_speed_penalty=False, blocked_timeout_s=60.0, scenario_timeout_s=3.0, max_ticks=200)
    record, log = drive(route, follower(stop_after_m=14.0), protocol)
    assert keys(record).count("scenario_timeouts") == 1
    timed_out = next(i for i, t in enumerate(log.ticks) if i > trigger_tick(log) and not t["actors"])
    assert 2.9 <= log.ticks[timed_out]["time"] - log.ticks[trigger_tick(log)]["time"] <= 3.2, "actors leave at the timeout"


def test_control_loss_perturbs_the_ego_controls_only_near_the_debris(routes):
    world = LeadSimWorld(LeadSimConfig(town="grid_small", vehicles=0, walkers=0))
    applied = []
    original = world.scenario_setups[0]

    def recording_setup(episode, route):
        runners = original(episode, route)
        episode.control_filters.append(lambda control: applied.append(control) or control)
        return runners

    world.scenario_setups = [recording_setup]
    log = ActorLog()
    record = world.run_route(routes["ControlLoss"], follower(), seed=0, protocol=PROTOCOL, observers=[log])
    perturbed = [a.steer != t["control"].steer for a, t in zip(applied, log.ticks)]
    assert 5 < sum(perturbed) < len(perturbed) / 2
    assert "collisions_layout" not in keys(record), "flat debris is driven over"


def test_parking_exit_starts_the_ego_between_parked_cars(routes):
    route = routes["ParkingExit"]
    record, log = drive(route, follower(stop_after_m=0.0), EvaluationProtocol(max_ticks=40))
    start = np.array([route.waypoints[0].x, route.waypoints[0].y])
    assert np.linalg.norm(log.ticks[0]["ego"] - start) > 2.5, "the ego starts in the spot beside the lane"
    parked = [xy for kind, xy, _, speed in log.ticks[0]["actors"].values() if kind == int(ActorKind.VEHICLE) and speed == 0.0]
    forward = np.array([math.cos(log.ticks[0]["ego_yaw"]), math.sin(log.ticks[0]["ego_yaw"])])
    along = sorted(float((xy - log.ticks[0]["ego"]) @ forward) for xy in parked)
    assert along[0] < -5.0 and along[-1] > 5.0, "one parked car behind, one in front"


def test_red_light_is_held_as_the_ego_arrives_and_running_it_is_an_infraction(routes):
    record, log = drive(routes["VanillaSignalizedTurnEncounterRedLight"], follower())
    start = trigger_tick(log) if any(t["actors"] for t in log.ticks) else 0
    red_at_trigger = {light for light, state in log.ticks[start]["lights"].items() if state == LightState.RED}
    ran = next(e.tick for e in record.infractions if e.key == "red_light")
    held = [light for light in red_at_trigger if all(t["lights"][light] == LightState.RED for t in log.ticks[start:ran])]
    assert held, "the ego's light stays red from the trigger until the ego runs it"


def test_invading_turn_cars_come_into_the_ego_lane(routes):
    route = routes["InvadingTurn"]
    record, log = drive(route, follower())
    start = trigger_tick(log)
    cars = log.ticks[start]["actors"]
    assert len(cars) == 3
    points = route.waypoint_array()[:, :2]
    for _, xy, _, speed in cars.values():
        assert speed > 5.0
        assert np.min(np.linalg.norm(points - xy, axis=1)) < 3.0, "close enough to the route to invade the ego lane"
    assert "collisions_vehicle" in keys(record)


def test_same_seed_same_episode_with_traffic(routes):
    def run():
        world = LeadSimWorld(LeadSimConfig(town="grid_small", vehicles=6, walkers=2))
        record = world.run_route(routes["AccidentTwoWays"], follower(), seed=5, protocol=PROTOCOL)
        return [(e.key, e.tick, e.message) for e in record.infractions], record.score_composed, record.extra["ticks"]

    assert run() == run()
