"""The embedded world end to end: ego model, route loop, records, determinism, registration."""

from __future__ import annotations


import numpy as np
import pytest

from lead_framework.agent import Agent, VehicleControl
from lead_framework.plugins import get_registry
from lead_framework.route import Location, RouteSpec
from lead_framework.world import EvaluationProtocol, Observer
from lead_sim.ego import EgoParameters, EgoState, KinematicBicycle
from lead_sim.agents import RouteFollower, RouteFollowerConfig
from lead_sim.routes import generate_routes
from lead_sim.scene import Scene
from lead_sim.world import LeadSimConfig, LeadSimWorld, WorldConfigError


class Trace(Observer):
    def __init__(self) -> None:
        self.poses: list[tuple[float, float, float, float]] = []
        self.traffic: list[np.ndarray] = []

    def on_tick(self, info) -> None:
        ego = info.privileged.ego
        self.poses.append((ego.x, ego.y, ego.yaw, ego.speed))
        self.traffic.append(info.privileged.scene.actors.position.copy())


@pytest.fixture(scope="module")
def grid_routes():
    return generate_routes("grid_small", 2, (120.0, 200.0), seed=3)


# ---------------------------------------------------------------- ego model
def test_ego_full_throttle_accelerates_less_at_speed():
    model = KinematicBicycle()
    rest = EgoState(0.0, 0.0, 0.0, 0.0, speed=0.0)
    fast = EgoState(0.0, 0.0, 0.0, 0.0, speed=25.0)
    a0 = model.step(rest, VehicleControl(throttle=1.0), 0.05).accel
    a25 = model.step(fast, VehicleControl(throttle=1.0), 0.05).accel
    assert 3.0 < a0 <= 4.0 and 0.0 < a25 < a0 - 1.0


def test_ego_full_brake_decelerates_8_and_never_reverses():
    model = KinematicBicycle()
    state = model.step(EgoState(0.0, 0.0, 0.0, 0.0, speed=10.0), VehicleControl(brake=1.0), 0.05)
    assert state.accel == pytest.approx(-(8.0 + 0.15 + 0.0004 * 100), rel=0.05)
    slow = EgoState(0.0, 0.0, 0.0, 0.0, speed=0.1)
    assert model.step(slow, VehicleControl(brake=1.0), 0.05).speed == 0.0


def test_ego_steering_turns_right_on_positive_steer_within_grip():
    model = KinematicBicycle()
    state = EgoState(0.0, 0.0, 0.0, 0.0, speed=10.0)
    for _ in range(20):
        state = model.step(state, VehicleControl(throttle=0.3, steer=1.0), 0.05)
    # CARLA: positive steer turns right = towards +y (left-handed frame); lateral accel <= grip
    assert state.y > 0.0 and state.yaw > 0.0
    assert abs(state.yaw_rate * state.speed) <= EgoParameters().max_lateral_accel + 1e-6


def test_ego_reverse_is_limited_and_hand_brake_stops():
    model = KinematicBicycle()
    state = EgoState(0.0, 0.0, 0.0, 0.0)
    for _ in range(200):
        state = model.step(state, VehicleControl(throttle=1.0, reverse=True), 0.05)
    assert -4.0 < state.speed < -3.0 and state.x < -10.0
    moving = EgoState(0.0, 0.0, 0.0, 0.0, speed=8.0)
    for _ in range(40):
        moving = model.step(moving, VehicleControl(throttle=0.5, hand_brake=True), 0.05)
    assert moving.speed == 0.0


# ---------------------------------------------------------------- route loop
def test_perfect_drive_is_perfect(grid_routes):
    world = LeadSimWorld(LeadSimConfig(town="grid_small", vehicles=0, walkers=0))
    record = world.run_route(grid_routes[0], RouteFollower(), seed=0)
    assert record.status == "Perfect"
    assert record.score_route == 100.0 and record.score_penalty == 1.0 and record.score_composed == 100.0
    assert record.route_length_m > 100.0 and record.duration_game_s > 10.0
    assert record.extra["metres_driven"] == pytest.approx(record.route_length_m, rel=0.1)


def test_follower_completes_a_real_town_route_without_nan():
    route = generate_routes("Town10HD", 1, (60.0, 120.0), seed=5)[0]
    world = LeadSimWorld(LeadSimConfig(vehicles=10, walkers=4))
    trace = Trace()
    record = world.run_route(route, RouteFollower(), seed=1, observers=[trace])
    assert record.score_route == 100.0, record.to_json()
    assert record.status in ("Perfect", "Completed")
    assert np.isfinite(np.asarray(trace.poses)).all()
    assert all(np.isfinite(p).all() for p in trace.traffic)


def test_same_seed_same_episode(grid_routes):
    def run(seed: int):
        trace = Trace()
        world = LeadSimWorld(LeadSimConfig(town="grid_small", vehicles=15, walkers=5, bicycles=2, props=2))
        record = world.run_route(grid_routes[1], RouteFollower(), seed=seed, observers=[trace])
        record.duration_system_s = 0.0
        return np.asarray(trace.poses), np.asarray(trace.traffic), record.to_json(), record.infraction_events()

    first, second, other = run(4), run(4), run(5)
    assert np.array_equal(first[0], second[0]) and np.array_equal(first[1], second[1])
    assert first[2] == second[2] and first[3] == second[3]
    assert not np.array_equal(first[1][0], other[1][0])  # another seed spawns other traffic


class Stands(Agent):
    def run_step(self, input_data, timestamp):
        return VehicleControl(brake=1.0)


class Crashes(Agent):
    def run_step(self, input_data, timestamp):
        if timestamp > 0.5:
            raise RuntimeError("boom")
        return VehicleControl()


def test_blocked_agent_fails_and_keeps_its_completion(grid_routes):
    world = LeadSimWorld(LeadSimConfig(town="grid_small", vehicles=0, walkers=0))
    record = world.run_route(grid_routes[0], Stands(), protocol=EvaluationProtocol(blocked_timeout_s=2.0))
    assert record.status == "Failed - Agent got blocked"
    assert record.score_route == 0.0 and record.infractions[-1].key == "vehicle_blocked"
    assert record.infractions[-1].tick == 41


def test_tick_cap_and_agent_errors_end_the_route(grid_routes):
    world = LeadSimWorld(LeadSimConfig(town="grid_small", vehicles=0, walkers=0))
    capped = world.run_route(grid_routes[0], RouteFollower(), protocol=EvaluationProtocol(max_ticks=100))
    assert capped.status == "Failed - Agent timed out" and capped.extra["ticks"] == 100
    assert 0.0 < capped.score_route < 100.0
    crashed = world.run_route(grid_routes[0], Crashes())
    assert crashed.status == "Failed - Agent crashed" and "boom" in crashed.extra["error"]


def test_bad_sensor_rig_fails_the_set_up(grid_routes):
    from lead_framework.sensors import SensorSpec

    class WantsSonar(Stands):
        def sensors(self):
            return [SensorSpec("sonar", "sonar")]

    record = LeadSimWorld(LeadSimConfig(town="grid_small", vehicles=0, walkers=0)).run_route(grid_routes[0], WantsSonar())
    assert record.status == "Failed - Agent couldn't be set up"
    assert "sonar" in record.extra["error"] and record.extra["ticks"] == 0


def test_privileged_view_snapshot_is_a_copy(grid_routes):
    world = LeadSimWorld(LeadSimConfig(town="grid_small", vehicles=5, walkers=0))

    class Snapshots(Observer):
        def on_tick(self, info):
            if info.tick == 1:
                self.first = info.privileged.snapshot()
                self.paths = info.privileged.vehicle_paths()
            self.last = info.privileged.scene

    seen = Snapshots()
    world.run_route(grid_routes[0], RouteFollower(), observers=[seen], protocol=EvaluationProtocol(max_ticks=40))
    assert isinstance(seen.first, Scene) and seen.first.tick == 1 and seen.last.tick == 40
    assert not np.array_equal(seen.first.actors.position[0], seen.last.actors.position[0])
    assert seen.paths.paths.shape == (5, 60, 2)
    start = seen.first.actors.position[seen.paths.rows, :2]
    assert np.allclose(seen.paths.paths[:, 0], start, atol=1.0)


def test_world_is_registered_and_validates_its_config():
    component = get_registry().get("worlds", "leadsim")
    world = component.create(component.config_class(town="grid_small"))
    assert isinstance(world, LeadSimWorld)
    with pytest.raises(WorldConfigError, match="world.vehicles: must be >= 0, got -3"):
        LeadSimConfig(vehicles=-3)
    with pytest.raises(WorldConfigError, match="world.target_point_spacing_m: must be > 0, got 0"):
        LeadSimConfig(target_point_spacing_m=0)


def test_route_on_unknown_town_names_it():
    route = RouteSpec(id="x", town="NoSuchTown", waypoints=[Location(0, 0, 0), Location(10, 0, 0)])
    with pytest.raises(Exception, match="NoSuchTown"):
        LeadSimWorld().run_route(route, RouteFollower())


def test_privileged_view_finds_the_lights_and_stops_on_the_route(grid_routes):
    world = LeadSimWorld(LeadSimConfig(town="grid_small", vehicles=0, walkers=0))
    seen = {}

    class Grab(Observer):
        def on_tick(self, info):
            if info.tick == 1:
                view = info.privileged
                seen.update(lights=view.lights_on_route(), stops=view.stops_on_route(), route=view.dense_route)

    world.run_route(grid_routes[1], RouteFollower(), observers=[Grab()], protocol=EvaluationProtocol(max_ticks=2))
    route = seen["route"]
    assert seen["stops"], "this route crosses junctions with stop signs"
    for index, stop in seen["stops"]:
        assert np.linalg.norm(stop.trigger_center[:2] - route.positions[index, :2]) < 2.0
    assert [index for index, _ in seen["stops"]] == sorted(index for index, _ in seen["stops"])
    assert seen["lights"] == []  # no signalised junction on it


def test_stopping_at_red_lights_is_perfect_and_running_them_is_not():
    route = generate_routes("Town10HD", 1, (150.0, 300.0), seed=2)[0]
    world = LeadSimWorld(LeadSimConfig(vehicles=0, walkers=0))
    lights_seen = []

    class Lights(Observer):
        def on_tick(self, info):
            if info.tick == 1:
                lights_seen.extend(info.privileged.lights_on_route())

    careful = world.run_route(route, RouteFollower(), observers=[Lights()])
    assert lights_seen and careful.status == "Perfect"

    reckless = world.run_route(route, RouteFollower(RouteFollowerConfig(obey_signals=False)))
    keys = [event.key for event in reckless.infractions]
    assert "red_light" in keys and reckless.status == "Completed"
    assert reckless.score_penalty == pytest.approx(0.7 ** keys.count("red_light") * 0.8 ** keys.count("stop_infraction"))
