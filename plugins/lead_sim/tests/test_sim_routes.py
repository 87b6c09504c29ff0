"""Route planning on the lane graph: dense routes, road options, global plans, random routes."""

from __future__ import annotations

import re

import carla
import numpy as np
import pytest

from lead_framework.route import RoadOption
from lead_sim.maps import load_town
from lead_sim.routes import (
    DenseRoute,
    RouteError,
    downsample_indices,
    generate_routes,
    plan_route,
    target_points,
)


@pytest.fixture(scope="module")
def grid():
    return load_town("grid_small")


def _loc(wp: carla.Waypoint) -> list[float]:
    loc = wp.transform.location
    return [loc.x, loc.y, loc.z]


def _assert_continuous(dense: DenseRoute) -> None:
    steps = np.linalg.norm(np.diff(dense.positions, axis=0), axis=1)
    assert steps.max() <= 1.5
    assert np.all(steps[:-1] > 0.9)  # every metre, the last step may be shorter
    assert np.allclose(np.diff(dense.distances)[:-1], 1.0)
    n = len(dense)
    for array in (dense.yaws, dense.options, dense.road_ids, dense.lane_ids, dense.is_junction):
        assert array.shape == (n,)


def _heading_change(dense: DenseRoute, first: int, last: int) -> float:
    """Signed cross product of the travel directions (CARLA frame: negative means a left turn)."""
    a = dense.positions[first + 1, :2] - dense.positions[first, :2]
    b = dense.positions[last, :2] - dense.positions[last - 1, :2]
    return float(a[0] * b[1] - a[1] * b[0])


def _turn_keypoints(grid, option: RoadOption) -> np.ndarray:
    seg = next(s for s in grid.lane_graph.segments if s.is_junction and s.option == option)
    before = seg.waypoint.previous(15.0)[0]
    exit_wp = grid.map.get_waypoint(carla.Location(*seg.points[-1]))
    after = exit_wp.next(15.0)[0]
    assert not before.is_junction and not after.is_junction
    return np.array([_loc(before), _loc(after)])


@pytest.mark.parametrize("option, sign", [(RoadOption.LEFT, -1.0), (RoadOption.RIGHT, 1.0)])
def test_turns_get_their_road_option_inside_the_junction(grid, option, sign):
    dense = plan_route(grid, _turn_keypoints(grid, option))
    _assert_continuous(dense)
    inside = np.flatnonzero(dense.is_junction)
    assert len(inside) > 5
    assert set(dense.options[inside].tolist()) == {int(option)}
    assert set(dense.options[~dense.is_junction].tolist()) == {int(RoadOption.LANEFOLLOW)}
    assert np.sign(_heading_change(dense, 0, len(dense) - 1)) == sign
    assert 25.0 < dense.length_m < 60.0


def test_lane_change_gets_change_lane_option_and_switches_lane(grid):
    graph = grid.lane_graph
    for seg in graph.segments:
        right = seg.waypoint.get_right_lane() if not seg.is_junction else None
        if right is not None and right.lane_type == carla.LaneType.Driving and seg.length > 35.0:
            break
    else:
        pytest.fail("grid_small has no two-lane road")
    start = seg.points[seg.offset_index(2.0)]
    target = next(s for s in graph.segments if (s.road_id, s.lane_id) == (right.road_id, right.lane_id))
    end = target.points[target.offset_index(target.length - 2.0)]
    dense = plan_route(grid, np.array([start, end]))
    _assert_continuous(dense)
    options = set(dense.options.tolist())
    assert options == {int(RoadOption.LANEFOLLOW), int(RoadOption.CHANGELANERIGHT)}
    assert dense.lane_ids[0] == seg.lane_id and dense.lane_ids[-1] == target.lane_id
    assert not dense.is_junction.any()
    assert dense.length_m < seg.length  # changed lanes on the way, no detour round the block


def test_routes_between_random_spawn_points_are_continuous_and_end_at_the_keypoint(grid):
    rng = np.random.default_rng(3)
    spawns = grid.spawn_points(10.0)
    for _ in range(15):
        a, b, c = rng.choice(len(spawns), 3, replace=False)
        keypoints = np.array([spawns[a][:3], spawns[b][:3], spawns[c][:3]])
        dense = plan_route(grid, keypoints, route_id="r")
        _assert_continuous(dense)
        assert np.linalg.norm(dense.positions[0, :2] - keypoints[0, :2]) < 0.6
        assert np.linalg.norm(dense.positions[-1, :2] - keypoints[-1, :2]) < 0.6
        hit = dense.positions[dense.keypoint_indices, :2]
        assert np.all(np.linalg.norm(hit - keypoints[:, :2], axis=1) < 1.0)
        # the planned path is at least as long as the straight lines between keypoints
        assert dense.length_m >= np.linalg.norm(np.diff(keypoints[:, :2], axis=0), axis=1).sum() - 1.0


def test_keypoint_off_the_road_names_index_and_distance(grid):
    spawns = grid.spawn_points(10.0)
    far = np.array([-60.0, -45.0, 0.0])  # outside the town's south-west corner
    with pytest.raises(RouteError) as info:
        plan_route(grid, np.array([spawns[0][:3], spawns[5][:3], far]))
    message = str(info.value)
    assert "route waypoint 2" in message
    reported = float(re.search(r"is ([0-9.]+) m from the nearest driving lane", message).group(1))
    lanes = np.array([_loc(w)[:2] for w in grid.drivable_waypoints(0.5)])
    expected = np.linalg.norm(lanes - far[:2], axis=1).min()
    assert abs(reported - expected) < 0.6


def test_keypoint_a_little_behind_the_previous_one_is_the_same_place(grid):
    seg = next(s for s in grid.lane_graph.segments if not s.is_junction and s.length > 30.0)
    keypoints = np.array([seg.points[10], seg.points[10] - 0.4 * (seg.points[11] - seg.points[10]), seg.points[25]])
    dense = plan_route(grid, keypoints)
    assert dense.length_m == pytest.approx(seg.cum[25] - seg.cum[10], abs=0.6)


def test_too_few_keypoints_is_an_error(grid):
    with pytest.raises(RouteError, match="N >= 2"):
        plan_route(grid, np.zeros((1, 3)))


def test_target_points_follow_the_leaderboard_downsampling(grid):
    dense = plan_route(grid, _turn_keypoints(grid, RoadOption.LEFT), route_id="7")
    dense_long = plan_route(
        grid, np.array([grid.spawn_points(10.0)[0][:3], grid.spawn_points(10.0)[-1][:3]])
    )
    for route in (dense, dense_long):
        kept = downsample_indices(route, 50.0)
        assert kept[0] == 0 and kept[-1] == len(route) - 1
        changes = [i for i in range(1, len(route)) if route.options[i] != route.options[i - 1]]
        assert set(changes) <= set(kept)
        gaps = np.diff(route.distances[kept])
        assert gaps.max() <= 52.0
    plan = target_points(dense, 50.0)
    assert plan.route_id == "7"
    assert plan.world_points.shape == plan.gps_points.shape == (len(plan.commands), 3)
    assert RoadOption.LEFT in plan.commands
    x, y, z = plan.world_points[1]
    geo = grid.map.transform_to_geolocation(carla.Location(float(x), float(y), float(z)))
    assert plan.gps_points[1, 0] == pytest.approx(geo.latitude) and plan.gps_points[1, 1] == pytest.approx(geo.longitude)
    assert 48.9 < plan.gps_points[0, 0] < 49.1  # the generated towns sit at lat 49, lon 8


def test_generated_routes_are_deterministic_and_plannable(grid):
    routes = generate_routes(grid, 4, (150.0, 300.0), seed=11)
    assert routes == generate_routes("grid_small", 4, (150.0, 300.0), seed=11)
    assert routes != generate_routes(grid, 4, (150.0, 300.0), seed=12)
    for route in routes:
        assert route.town == "grid_small" and route.weathers
        keypoints = route.waypoint_array()
        gaps = np.linalg.norm(np.diff(keypoints[:, :2], axis=0), axis=1)
        assert gaps.max() <= 51.5
        dense = plan_route(grid, keypoints)
        _assert_continuous(dense)
        assert 140.0 <= dense.length_m <= 310.0
        assert dense.is_junction.any()


def test_generate_routes_validates_lengths(grid):
    with pytest.raises(ValueError, match="length_m"):
        generate_routes(grid, 1, (300.0, 100.0))
