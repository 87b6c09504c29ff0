"""Towns: procedural presets, OpenDRIVE files, CARLA towns, and the plan-view geometry behind them."""

from __future__ import annotations

import gzip
import math
from collections import Counter

import carla
import numpy as np
import pytest

from lead_sim.maps import TownNotFoundError, load_town, write_town
from lead_sim.maps.geometry import GeometryError, connect, path_length, rounded_polyline
from lead_sim.maps.presets import PRESET_BUILDERS
from lead_sim.maps.towns import find_carla_town
from lead_sim.routes import plan_route

PRESET_NAMES = ["grid_small", "grid_medium", "irregular_small", "irregular_medium", "highway_small"]


@pytest.fixture(scope="module")
def grid():
    return load_town("grid_small")


@pytest.fixture(scope="module", params=PRESET_NAMES)
def preset(request):
    return load_town(request.param)


def _xy(location: carla.Location) -> np.ndarray:
    return np.array([location.x, location.y])


# --- geometry ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "start, start_hdg, end, end_hdg",
    [
        ((0.0, 0.0), 0.0, (30.0, 0.0), 0.0),  # line
        ((0.0, 0.0), 0.0, (20.0, 20.0), math.pi / 2),  # left quarter turn
        ((0.0, 0.0), 0.0, (12.0, -25.0), -math.pi / 2),  # line + right arc + line
        ((0.0, 0.0), 0.0, (30.0, 4.0), 0.0),  # S-curve (lane shift)
        ((5.0, 5.0), 2.0, (-20.0, 30.0), 2.6),  # arbitrary headings
    ],
)
def test_connect_reaches_the_end_pose(start, start_hdg, end, end_hdg):
    segments = connect(start, start_hdg, end, end_hdg)
    x, y, hdg = segments[-1].end_pose()
    assert math.dist((x, y), end) < 1e-6
    assert abs(math.atan2(math.sin(hdg - end_hdg), math.cos(hdg - end_hdg))) < 1e-6
    for before, after in zip(segments, segments[1:]):  # consecutive pieces touch
        assert math.dist(before.end_pose()[:2], (after.x, after.y)) < 1e-6


def test_connect_refuses_targets_behind_the_start():
    with pytest.raises(GeometryError, match="behind"):
        connect((0.0, 0.0), 0.0, (-10.0, 0.0), 0.0)


def test_rounded_polyline_cuts_corners_with_the_given_radius():
    segments = rounded_polyline([(0.0, 0.0), (50.0, 0.0), (50.0, 50.0)], 10.0)
    arcs = [s for s in segments if s.curvature]
    assert len(arcs) == 1 and abs(arcs[0].curvature - 0.1) < 1e-12
    # two legs of 40 m plus a quarter circle of radius 10 m
    assert abs(path_length(segments) - (80.0 + math.pi * 5.0)) < 1e-9


# --- procedural presets -----------------------------------------------------------------------

def test_every_preset_yields_finite_waypoints_and_a_topology(preset):
    waypoints = preset.map.generate_waypoints(1.0)
    assert len(waypoints) > 1000
    coords = np.array([(w.transform.location.x, w.transform.location.y, w.transform.rotation.yaw) for w in waypoints])
    assert np.isfinite(coords).all()
    assert len(preset.map.get_topology()) > 20


def test_every_driving_lane_continues(preset):
    """No lane ends without a successor: vehicles never reach a dead end."""
    dead_ends = [
        (w.road_id, w.lane_id) for w in preset.drivable_waypoints(1.0)
        if not w.next(0.5)
    ]
    assert dead_ends == []


def test_random_routes_exist_between_spawn_points(preset):
    rng = np.random.default_rng(7)
    spawns = preset.spawn_points(15.0)
    for _ in range(6):
        a, b = rng.choice(len(spawns), 2, replace=False)
        dense = plan_route(preset, np.array([spawns[a][:3], spawns[b][:3]]))
        assert np.linalg.norm(dense.positions[-1, :2] - np.array(spawns[b][:2])) < 1.0


def test_grid_small_reports_lights_and_stop_signs_on_incoming_lanes(grid):
    landmarks = grid.map.get_all_landmarks()
    kinds = Counter(lm.type for lm in landmarks)
    assert kinds["1000001"] >= 4 and kinds["206"] >= 3
    for lm in landmarks:
        (lane_from, lane_to), = lm.get_lane_validities()
        for lane in range(lane_from, lane_to + 1):
            wp = grid.map.get_waypoint_xodr(lm.road_id, lane, lm.s)
            assert wp is not None and wp.lane_type == carla.LaneType.Driving
            # the governed lane enters a junction within a few metres of the stop line
            ahead = wp.next(6.0)
            assert ahead and any(n.is_junction for n in ahead), (lm.id, lane)


@pytest.mark.parametrize("name", ["grid_small", "grid_medium", "irregular_small", "irregular_medium"])
def test_street_presets_have_traffic_lights_and_stop_signs(name):
    kinds = Counter(lm.type for lm in load_town(name).map.get_all_landmarks())
    assert kinds["1000001"] > 0 and kinds["206"] > 0


def test_command_line_lists_and_writes_presets(tmp_path, capsys):
    from lead_sim.maps.__main__ import main

    assert main(["list"]) == 0
    assert capsys.readouterr().out.split() == sorted(PRESET_NAMES)
    assert main(["write", "highway_small", str(tmp_path / "hw.xodr")]) == 0
    assert (tmp_path / "hw.xodr").read_text() == load_town("highway_small").xodr


def test_grid_small_has_t_junctions_crosswalks_sidewalks_and_parking(grid):
    topo_entries = Counter()
    for entry, _ in grid.map.get_topology():
        if entry.is_junction:
            topo_entries[(entry.junction_id, entry.road_id)] += 1
    lanes_per_junction = Counter(j for j, _ in topo_entries)
    assert min(lanes_per_junction.values()) < max(lanes_per_junction.values())  # T and four-way junctions
    crosswalk_points = grid.map.get_crosswalks()
    assert crosswalk_points and len(crosswalk_points) % 5 == 0
    polygon = crosswalk_points[:5]
    assert polygon[0].distance(polygon[4]) < 1e-3
    centre = carla.Location(
        x=sum(p.x for p in polygon[:4]) / 4, y=sum(p.y for p in polygon[:4]) / 4, z=0.0
    )
    nearest = grid.map.get_waypoint(centre, project_to_road=True, lane_type=carla.LaneType.Driving)
    assert nearest.transform.location.distance(centre) <= nearest.lane_width / 2 + 0.01  # lies on the carriageway
    along = np.array([math.cos(math.radians(nearest.transform.rotation.yaw)),
                      math.sin(math.radians(nearest.transform.rotation.yaw))])
    extents = [abs(float(np.dot(_xy(p) - _xy(centre), along))) for p in polygon[:4]]
    assert max(extents) == pytest.approx(1.5, abs=0.05)  # 3 m deep along the road, so it spans across
    found_types = set()
    for wp in grid.drivable_waypoints(5.0):
        lane = wp
        for _ in range(4):
            lane = lane.get_right_lane()
            if lane is None:
                break
            found_types.add(lane.lane_type)
    assert carla.LaneType.Sidewalk in found_types and carla.LaneType.Parking in found_types


def test_lane_markings_allow_changes_only_between_same_direction_lanes(grid):
    multi_lane = [w for w in grid.drivable_waypoints(5.0) if not w.is_junction and abs(w.lane_id) == 1
                  and w.get_right_lane() is not None and w.get_right_lane().lane_type == carla.LaneType.Driving]
    assert multi_lane
    for wp in multi_lane:
        assert wp.lane_change & carla.LaneChange.Right
        assert not wp.lane_change & carla.LaneChange.Left  # the centre line is solid


def test_highway_has_ramps_in_junctions_and_no_signals():
    highway = load_town("highway_small")
    assert highway.map.get_all_landmarks() == []
    lanes_per_road: dict[int, set[int]] = {}
    for entry, _ in highway.map.get_topology():
        if not entry.is_junction:
            lanes_per_road.setdefault(entry.road_id, set()).add(entry.lane_id)
    assert {len(lanes) for lanes in lanes_per_road.values()} == {1, 3}  # one-lane ramps, three-lane carriageways
    # on-ramps: a carriageway's rightmost lane is reached from two connecting lanes (merge)
    merges = [seg for seg in highway.lane_graph.segments if seg.is_junction and seg.option.name == "STRAIGHT"]
    ends = Counter(seg.exit_node for seg in merges)
    assert max(ends.values()) == 2


def test_presets_are_deterministic():
    first = PRESET_BUILDERS["irregular_small"]()
    second = PRESET_BUILDERS["irregular_small"]()
    assert first == second


# --- loading ----------------------------------------------------------------------------------

def test_load_town_caches_per_name(grid):
    assert load_town("grid_small") is grid
    assert grid.name == "grid_small" and grid.xodr.startswith("<?xml")


def test_spawn_points_are_spaced_sorted_and_outside_junctions(grid):
    spawns = grid.spawn_points(20.0)
    assert spawns == grid.spawn_points(20.0)
    assert len(spawns) > 20
    for x, y, z, yaw in spawns[:50]:
        wp = grid.map.get_waypoint(carla.Location(x, y, z))
        assert not wp.is_junction
        assert abs(math.remainder(math.radians(wp.transform.rotation.yaw) - yaw, 2 * math.pi)) < 0.01
    assert len(grid.spawn_points(10.0)) > len(spawns)


def test_write_town_saves_a_loadable_file(tmp_path, grid):
    path = write_town("grid_small", tmp_path / "towns" / "grid.xodr")
    loaded = load_town(str(path))
    assert loaded.name == "grid" and loaded.xodr == grid.xodr
    gz_path = tmp_path / "grid_gz.xodr.gz"
    gz_path.write_bytes(gzip.compress(path.read_bytes()))
    assert len(load_town(str(gz_path)).map.get_topology()) == len(grid.map.get_topology())


def test_unknown_town_lists_search_paths_and_presets(monkeypatch, tmp_path):
    monkeypatch.setenv("CARLA_ROOT", str(tmp_path / "carla"))
    with pytest.raises(TownNotFoundError) as info:
        load_town("Town99")
    message = str(info.value)
    assert str(tmp_path / "carla" / "CarlaUE4" / "Content" / "Carla" / "Maps" / "OpenDrive" / "Town99.xodr") in message
    for name in PRESET_NAMES:
        assert name in message


def test_missing_town_file_is_named(tmp_path):
    with pytest.raises(TownNotFoundError, match="does not exist"):
        load_town(str(tmp_path / "nowhere.xodr"))


def test_carla_root_is_searched_first(monkeypatch, tmp_path, grid):
    folder = tmp_path / "CarlaUE4" / "Content" / "Carla" / "Maps" / "OpenDrive"
    folder.mkdir(parents=True)
    (folder / "TownLocal.xodr").write_text(grid.xodr)
    monkeypatch.setenv("CARLA_ROOT", str(tmp_path))
    assert find_carla_town("TownLocal") == folder / "TownLocal.xodr"
    assert len(load_town("TownLocal").map.get_topology()) == len(grid.map.get_topology())


@pytest.mark.parametrize("name", ["Town01", "Town10HD"])
def test_carla_towns_load_from_the_bundled_files(name):
    if find_carla_town(name) is None:
        pytest.skip(f"{name}.xodr(.gz) not found: set CARLA_ROOT or install py123d")
    town = load_town(name)
    kinds = Counter(lm.type for lm in town.map.get_all_landmarks())
    assert kinds["1000001"] > 10
    spawns = town.spawn_points(30.0)
    dense = plan_route(town, np.array([spawns[0][:3], spawns[len(spawns) // 2][:3]]))
    assert np.diff(dense.distances).max() <= 1.0 + 1e-9
