"""Background traffic: lane graph, lights, vehicles (no overlaps, red lights obeyed), walkers, props."""

from __future__ import annotations

import numpy as np
import pytest

from lead_sim.criteria.geometry import obb_overlaps
from lead_sim.maps import load_town
from lead_sim.scene import ActorKind, LightState
from lead_sim.traffic import Traffic, TrafficSpec
from lead_sim.traffic.lanes import lane_graph_for
from lead_sim.traffic.lights import LightTiming, TrafficLightController
from lead_sim.traffic.walkers import Walkers, build_sidewalks, crosswalk_ends

EGO_EXTENT = (2.45, 1.06, 0.76)
DT = 0.05


@pytest.fixture(scope="module")
def grid():
    return load_town("grid_small")


def make_traffic(town, seed=0, **spec) -> Traffic:
    ego = np.array([0.0, 0.0, 0.0])
    return Traffic(town.map, TrafficSpec(**spec), np.random.default_rng(seed), ego, EGO_EXTENT, "vehicle.lincoln.mkz_2020")


def overlapping_pairs(traffic: Traffic, rows: np.ndarray) -> list[tuple[int, int]]:
    a = traffic.actors
    pairs = []
    for i in rows:
        others = rows[rows > i]
        hit = obb_overlaps(
            a.position[i, :2], float(a.yaw[i]), a.extent[i, :2], a.position[others, :2], a.yaw[others], a.extent[others, :2]
        )
        pairs += [(int(i), int(j)) for j in others[hit]]
    return pairs


def test_lane_graph_connects_lane_ends_to_successor_starts(grid):
    graph = lane_graph_for(grid.map)
    assert lane_graph_for(grid.map) is graph  # cached per map
    for lane in range(graph.num_lanes):
        end = graph.lane_points(lane)[-1, :2]
        for successor in graph.successors[lane]:
            assert np.linalg.norm(graph.lane_points(successor)[0, :2] - end) < 0.5
    assert np.all(np.diff(graph.offset) == graph.count[:-1])
    assert (graph.spacing <= 1.0 + 1e-9).all()
    junction_lanes = np.flatnonzero(graph.is_junction)
    assert any(graph.conflicts[lane] for lane in junction_lanes)


def test_lights_cycle_one_green_per_junction(grid):
    graph = lane_graph_for(grid.map)
    timing = LightTiming(green_s=4.0, yellow_s=1.0, all_red_s=0.5)
    lights = TrafficLightController(graph, np.random.default_rng(0), timing)
    assert lights.lights, "grid_small has signalised junctions"
    junction_of = {}
    for lane in np.flatnonzero(lights.lane_light >= 0):
        junction_of[int(lights.lane_light[lane])] = int(graph.junction_id[graph.successors[lane][0]])
    seen = {index: set() for index in range(len(lights.lights))}
    for step in range(1200):  # 60 s: several cycles of every junction
        lights.update(step * DT)
        for index, state in enumerate(lights.states):
            seen[index].add(int(state))
            assert lights.lights[index].state == state
        green = [junction_of[i] for i, s in enumerate(lights.states) if s == int(LightState.GREEN)]
        assert len(green) == len(set(green)), "two greens in one junction"
    assert all(states == {0, 1, 2} for states in seen.values())


@pytest.mark.parametrize("town_name", ["grid_small", "irregular_small", "irregular_medium"])
def test_light_poles_and_stop_signs_stand_clear_of_every_lane(town_name):
    """Poles and signs stand beside the road, also where a lane the light does not govern runs beside
    the governed ones (irregular_medium) and where stop signs govern a multi-lane approach
    (irregular_small); the light housing hangs over the governed lanes."""
    from lead_sim.traffic.lanes import ROADSIDE_CLEARANCE_M
    from lead_sim.traffic.stops import build_stop_signs

    graph = lane_graph_for(load_town(town_name).map)
    lights = TrafficLightController(graph, np.random.default_rng(0)).lights
    signs, _ = build_stop_signs(graph)
    half_width = 0.5 * graph.width[graph.point_lane]
    props = [(f"light {light.id}", light.pole_position) for light in lights]
    props += [(f"stop sign {sign.id}", sign.position) for sign in signs]
    for name, position in props:
        clearance = np.linalg.norm(graph.points[:, :2] - position[:2], axis=1) - half_width
        assert clearance.min() >= ROADSIDE_CLEARANCE_M - 1e-6, f"{name}: {clearance.min():.2f} m from a lane"
    for light in lights:
        np.testing.assert_allclose(light.position, light.stop_lines.reshape(-1, 3).mean(axis=0))


def test_frozen_light_holds_its_state(grid):
    lights = TrafficLightController(lane_graph_for(grid.map), np.random.default_rng(0))
    lights.freeze(0, LightState.GREEN)
    for step in range(800):
        lights.update(step * DT)
        assert lights.states[0] == int(LightState.GREEN)
    lights.release(0)
    lights.update(40.0)
    lights.update(45.0)
    lights.update(50.0)


def test_spawn_is_seeded_and_clear_of_the_ego(grid):
    a, b, c = make_traffic(grid, 1, vehicles=20), make_traffic(grid, 1, vehicles=20), make_traffic(grid, 2, vehicles=20)
    assert np.array_equal(a.actors.position, b.actors.position)
    assert not np.array_equal(a.actors.position, c.actors.position)
    distance = np.linalg.norm(a.actors.position[1:, :2], axis=1)
    assert distance.min() >= 25.0
    assert a.actors.kinds[0] == int(ActorKind.VEHICLE) and len(a.fleet) == 20


def test_vehicles_never_overlap_and_stop_for_red_lights(grid):
    traffic = make_traffic(grid, 0, vehicles=30, bicycles=3, walkers=0, props=3)
    fleet, graph = traffic.fleet, traffic.graph
    start = traffic.actors.position.copy()
    previous_lane = fleet.lane.copy()
    entered_on_red = 0
    for step in range(600):  # 30 s
        traffic.step(DT, step * DT)
        changed = np.flatnonzero(fleet.lane != previous_lane)
        for i in changed:
            light = traffic.lights.lane_light[previous_lane[i]]
            if graph.is_junction[fleet.lane[i]] and light >= 0 and traffic.lights.states[light] == int(LightState.RED):
                entered_on_red += 1
        previous_lane = fleet.lane.copy()
        if step % 20 == 0:
            assert overlapping_pairs(traffic, traffic.fleet_rows) == []
    assert overlapping_pairs(traffic, traffic.fleet_rows) == []
    assert entered_on_red == 0
    travelled = np.linalg.norm(traffic.actors.position[traffic.fleet_rows, :2] - start[traffic.fleet_rows, :2], axis=1)
    assert np.median(travelled) > 30.0, "traffic must flow, not deadlock"
    assert np.isfinite(traffic.actors.position).all()
    bikes = traffic.actors.kinds == int(ActorKind.BICYCLE)
    assert traffic.actors.speed[bikes].max() <= 5.5 + 1e-9


def test_vehicles_stop_behind_the_ego(grid):
    traffic = make_traffic(grid, 0, vehicles=1, walkers=0)
    fleet = traffic.fleet
    # Park the ego on the vehicle's path 20 m ahead of it, across its lane.
    ahead = fleet.buffer_xy[0, int(fleet.odometer[0] - fleet.buffer_start[0]) + 20]
    for step in range(400):
        traffic.set_ego(np.array([ahead[0], ahead[1], 0.76]), float(fleet.yaw[0]) + 1.2, np.zeros(3))
        traffic.step(DT, step * DT)
    gap = np.linalg.norm(traffic.actors.position[1, :2] - ahead)
    assert fleet.speed[0] < 0.1 and 3.0 < gap < 12.0


def test_walkers_walk_sidewalks_and_cross_at_crosswalks():
    town = load_town("Town10HD")
    graph = lane_graph_for(town.map)
    crosswalks = crosswalk_ends(town.map)
    assert crosswalks.shape[1:] == (2, 2) and len(crosswalks) > 5
    walkers = Walkers(build_sidewalks(graph), crosswalks, 40, np.random.default_rng(0), np.zeros(3), cross_probability=1.0)
    crossed = 0
    for _ in range(1200):
        before = walkers.crossing.copy()
        walkers.step(DT)
        crossed += int(np.sum(walkers.crossing & ~before))
    assert crossed > 0
    assert np.all(np.abs(walkers.speed) <= 1.6)
    lanes_xy = graph.points[:, :2]
    walking = ~walkers.crossing
    nearest = np.array([np.min(np.linalg.norm(lanes_xy - p, axis=1)) for p in walkers.position[walking, :2]])
    assert nearest.min() > 1.5  # on the sidewalk, clear of every lane centre


def test_vehicles_stop_for_extra_actors(grid):
    from lead_sim.scene import ActorArrays

    traffic = make_traffic(grid, 0, vehicles=1, walkers=0)
    fleet = traffic.fleet
    block = fleet.buffer_xy[0, int(fleet.odometer[0] - fleet.buffer_start[0]) + 25]
    barrier = ActorArrays(
        ids=np.array([1_000_000]), kinds=np.array([int(ActorKind.OBSTACLE)], dtype=np.int8),
        position=np.array([[block[0], block[1], 0.5]]), yaw=np.zeros(1), extent=np.array([[0.5, 1.5, 0.5]]),
        velocity=np.zeros((1, 3)), blueprints=["static.prop.barrier"],
    )
    traffic.set_extra_actors(barrier)
    for step in range(400):
        traffic.step(DT, step * DT)
    assert len(traffic.scene_actors) == len(traffic.actors) + 1
    assert traffic.scene_actors.ids[-1] == 1_000_000
    assert fleet.speed[0] < 0.1
    assert 2.0 < np.linalg.norm(traffic.actors.position[1, :2] - block) < 10.0
    traffic.set_extra_actors(None)
    for step in range(100):
        traffic.step(DT, (400 + step) * DT)
    assert fleet.speed[0] > 1.0 and traffic.scene_actors is traffic.actors


def _angled_car_beside_the_path(traffic: Traffic, clearance_m: float):
    """A standing car on the first straight stretch at least 20 m along vehicle 0's path, right of
    it, its nose turned 0.3 rad towards the path so that its front corner comes within
    ``clearance_m`` of the vehicle's side (as the crashed cars of an Accident stand); returns the
    car and its distance along the path."""
    from lead_sim.scene import ActorArrays

    fleet = traffic.fleet
    now = int(fleet.odometer[0] - fleet.buffer_start[0])
    yaws = fleet.buffer_yaw[0]
    k = next(k for k in range(now + 20, int(fleet.buffer_valid[0]) - 15) if np.ptp(yaws[k - 15 : k + 16]) < 0.01)
    xy, yaw = fleet.buffer_xy[0, k], float(yaws[k])
    half = np.array([2.45, 1.05])
    turn = 0.3
    corner = half[0] * np.sin(turn) + half[1] * np.cos(turn)  # how far the front corner reaches towards the path
    offset = float(fleet.extent[0, 1]) + clearance_m + corner
    left = np.array([-np.sin(yaw), np.cos(yaw)])
    centre = xy - offset * left
    car = ActorArrays(
        ids=np.array([1_000_000]), kinds=np.array([int(ActorKind.VEHICLE)], dtype=np.int8),
        position=np.array([[centre[0], centre[1], 0.76]]), yaw=np.array([yaw + turn]),
        extent=np.array([[half[0], half[1], 0.76]]), velocity=np.zeros((1, 3)), blueprints=["vehicle.tesla.model3"],
    )
    return car, float(k - now)


@pytest.mark.parametrize(("clearance_m", "passes"), [(0.45, True), (0.1, False)])
def test_vehicles_pass_a_car_standing_at_an_angle_beside_their_lane(grid, clearance_m, passes):
    # Whether a vehicle stops depends on the true clearance (more than the 0.3 m margin passes), not
    # on the car's bounding box grown square, whose corner would reach into the lane beside it.
    traffic = make_traffic(grid, 0, vehicles=1, walkers=0)
    fleet = traffic.fleet
    start = fleet.odometer[0]
    car, ahead_m = _angled_car_beside_the_path(traffic, clearance_m)
    traffic.set_extra_actors(car)
    for step in range(600):
        traffic.step(DT, step * DT)
    driven = fleet.odometer[0] - start
    assert (driven > ahead_m + 10.0) == passes, (driven, ahead_m)


def test_vehicles_at_dead_ends_are_respawned():
    town = load_town("Town03")
    traffic = make_traffic(town, 0, vehicles=5, walkers=0)
    graph, fleet = traffic.graph, traffic.fleet
    dead_end = int(np.flatnonzero(graph.dead_end & (graph.length > 10.0))[0])
    fleet.place(0, dead_end, float(graph.length[dead_end]) - 5.0)
    fleet.speed[0] = 5.0
    respawned_before = fleet.respawned
    for step in range(300):
        traffic.step(DT, step * DT)
    assert fleet.respawned == respawned_before + 1
    assert fleet.lane[0] != dead_end or fleet.odometer[0] < graph.length[dead_end] - 1.0


def test_speed_limits_come_from_signs_and_cap_traffic():
    town = load_town("Town04")
    graph = lane_graph_for(town.map)
    assert set(np.round(graph.speed_limit * 3.6)) >= {30.0, 60.0, 90.0}
    unsigned = lane_graph_for(load_town("grid_small").map)
    assert np.allclose(unsigned.speed_limit, 30.0 / 3.6)
    traffic = make_traffic(town, 0, vehicles=12, walkers=0)
    fleet = traffic.fleet
    over, samples = 0, 0
    for step in range(300):
        traffic.step(DT, step * DT)
        # A vehicle slows down once it is on a slower lane, as CARLA's traffic does.
        over += int(np.sum(fleet.speed > graph.speed_limit[fleet.lane] + 1.0))
        samples += len(fleet)
    assert over / samples < 0.05
    assert fleet.speed.max() > 60.0 / 3.6
