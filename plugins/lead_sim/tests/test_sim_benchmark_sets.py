"""The embedded benchmarks: generated route sets, protocols, metric wiring, the `routes generate`
command, and one short end-to-end evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from lead_framework.cli import main as leadfw_main
from lead_framework.plugins import get_registry
from lead_framework.route_xml import read_routes, write_routes
from lead_framework.scoring.bench2drive import SCENARIO_TYPES
from lead_framework.scoring.record import Infraction, RouteRecord
from lead_framework.testing import run_leadfw
from lead_sim.benchmarks import (
    Bench2DriveBenchmark,
    Bench2DriveConfig,
    BenchmarkConfigError,
    Longest6Benchmark,
    SimBenchmarkConfig,
    Town13Benchmark,
    generate_bench2drive_routes,
)
from lead_sim.benchmarks.bench2drive import MINI_TYPES
from lead_sim.routes import plan_route
from lead_sim.scene import ActorArrays, ActorKind, Scene
from lead_sim.scenarios import SCENARIO_CLASSES, ScenarioRunner, ScenarioState
from lead_sim.scenarios.generate import BENCH2DRIVE_TYPES, generate_scenario_routes, route_problems

REPO = Path(__file__).resolve().parents[3]


def route_length(route) -> float:
    return float(np.sum(np.linalg.norm(np.diff(route.waypoint_array()[:, :2], axis=0), axis=1)))


@pytest.fixture(scope="module")
def one_per_type():
    return generate_bench2drive_routes(("grid_small", "grid_medium"), BENCH2DRIVE_TYPES, 1, seed=0)


def test_generated_bench2drive_set_has_one_valid_route_per_type(one_per_type, tmp_path):
    routes = one_per_type
    assert len(routes) == 44 and {r.scenarios[0].type for r in routes} == SCENARIO_TYPES
    assert all(len(r.scenarios) == 1 for r in routes)
    assert all(30.0 <= route_length(r) <= 230.0 for r in routes)
    assert all(not route_problems(r) for r in routes)
    path = write_routes(tmp_path / "b2d.xml", routes, weathers_last=True)
    text = path.read_text()
    assert text.index("</scenarios>") < text.index("<weathers>")
    again = read_routes(path)
    assert [r.scenarios[0].trigger for r in again] == [r.scenarios[0].trigger for r in routes]
    assert [r.scenarios[0].params for r in again] == [r.scenarios[0].params for r in routes]


#: Types whose scenario adds no actor of its own (traffic-rule checks, held lights, lane changes).
NO_ACTOR_TYPES = {
    "T_Junction", "VanillaNonSignalizedTurn", "VanillaSignalizedTurnEncounterGreenLight",
    "VanillaSignalizedTurnEncounterRedLight", "VanillaNonSignalizedTurnEncounterStopsign", "SequentialLaneChange",
}


def scripted_scene(dense, index: int, tick: int, speed: float) -> Scene:
    """A scene whose only world actor is the ego, standing on dense point ``index``."""
    position = dense.positions[index] + [0.0, 0.0, 0.76]
    yaw = float(dense.yaws[index])
    actors = ActorArrays(
        ids=np.array([0]), kinds=np.array([int(ActorKind.VEHICLE)], dtype=np.int8), position=position[None, :],
        yaw=np.array([yaw]), extent=np.array([[2.45, 1.06, 0.76]]),
        velocity=np.array([[speed * np.cos(yaw), speed * np.sin(yaw), 0.0]]), blueprints=["vehicle.lincoln.mkz_2020"],
    )
    return Scene(tick=tick, time_s=tick / 20.0, actors=actors)


def test_every_type_triggers_spawns_and_resolves_along_its_route(one_per_type):
    """Per type: an ego moved along the route at 10 m/s from just before the trigger triggers the
    scenario, which spawns its actors (those with a body are offered to the world) and ends
    resolved, not timed out."""
    for route in one_per_type:
        dense = plan_route(route.town, route.waypoint_array(), route_id=route.id)
        runner = ScenarioRunner(route, dense, builders=SCENARIO_CLASSES)
        scenario = runner.scenarios[0]
        spawned, offered = 0, 0
        position, tick = max(float(dense.distances[scenario.trigger_index]) - 5.0, 0.0), 0
        while position < dense.length_m - 1.0 and not scenario.done:
            index = int(np.searchsorted(dense.distances, position))
            runner.tick(scripted_scene(dense, index, tick, 10.0))
            spawned = max(spawned, len(scenario.actors))
            offered = max(offered, len(runner.actors()))
            position += 10.0 / 20.0
            tick += 1
        kind = route.scenarios[0].type
        assert scenario.state is ScenarioState.SUCCESS, f"{kind}: {scenario.state}"
        assert (spawned > 0) == (kind not in NO_ACTOR_TYPES), f"{kind}: spawned {spawned}"
        assert offered == (0 if kind == "ControlLoss" else spawned), f"{kind}: offered {offered} of {spawned}"


def test_generation_is_seeded():
    a = generate_scenario_routes("grid_small", "bench2drive", 2, seed=11)
    b = generate_scenario_routes("grid_small", "bench2drive", 2, seed=11)
    c = generate_scenario_routes("grid_small", "bench2drive", 2, seed=12)
    assert a == b and a != c


def test_mini_with_more_routes_than_types_starts_over_with_new_placements():
    routes = Bench2DriveBenchmark(Bench2DriveConfig(subset="mini", count=46)).routes(None, seed=1)
    assert len(routes) == 46 and len({r.id for r in routes}) == 46
    types = [r.scenarios[0].type for r in routes]
    assert [types.count(t) for t in BENCH2DRIVE_TYPES[:3]] == [2, 2, 1]  # the 45th and 46th start over
    first, second = (r for r in routes if r.scenarios[0].type == BENCH2DRIVE_TYPES[0])
    assert first.scenarios[0].trigger != second.scenarios[0].trigger


def test_types_narrow_both_subsets():
    mini = Bench2DriveBenchmark(Bench2DriveConfig(subset="mini", types=["HazardAtSideLane", "ParkedObstacle"])).routes(None, seed=1)
    assert [r.scenarios[0].type for r in mini] == ["HazardAtSideLane", "ParkedObstacle"]
    cycled = Bench2DriveBenchmark(Bench2DriveConfig(subset="mini", types=["ParkedObstacle"], count=3)).routes(None, seed=1)
    assert [r.scenarios[0].type for r in cycled] == ["ParkedObstacle"] * 3
    assert len({r.scenarios[0].trigger for r in cycled}) == 3
    full = Bench2DriveBenchmark(Bench2DriveConfig(subset="full", types=["Accident"])).routes(None, seed=1)
    assert {r.scenarios[0].type for r in full} == {"Accident"} and 1 < len(full) <= 5  # as many as the town holds
    with pytest.raises(BenchmarkConfigError, match="benchmark.types: 'Parked' is not a Bench2Drive scenario type"):
        Bench2DriveConfig(types=["Parked"])
    with pytest.raises(BenchmarkConfigError, match="benchmark.types: give one or more scenario types"):
        Bench2DriveConfig(types=[])


def test_long_styles_pack_scenarios_without_overlap():
    routes = generate_scenario_routes("grid_small", "longest6", 1, seed=2, length_m=(400.0, 600.0))
    route = routes[0]
    assert len(route.scenarios) >= 4 and all(not route_problems(r) for r in routes)
    assert {s.type for s in route.scenarios} <= {
        "DynamicObjectCrossing", "ControlLoss", "SignalizedJunctionLeftTurn", "SignalizedJunctionRightTurn",
        "OppositeVehicleRunningRedLight", "VehicleTurningRoute"}


def test_protocols_and_registration():
    registry = get_registry()
    b2d = registry.create("benchmarks", "bench2drive")
    assert (b2d.protocol.min_speed_penalty, b2d.protocol.blocked_timeout_s, b2d.protocol.max_ticks) == (False, 60.0, 4000)
    l6 = registry.create("benchmarks", "longest6")
    assert (l6.protocol.min_speed_penalty, l6.protocol.blocked_timeout_s, l6.protocol.max_ticks) == (True, 180.0, None)
    assert isinstance(registry.create("benchmarks", "town13"), Town13Benchmark)
    with pytest.raises(BenchmarkConfigError, match="benchmark.subset: 'huge' is not one of mini, full"):
        SimBenchmarkConfig(subset="huge")
    with pytest.raises(BenchmarkConfigError, match="benchmark.count: must be >= 1, got 0"):
        SimBenchmarkConfig(count=0)
    missing = Longest6Benchmark(SimBenchmarkConfig(routes_file="/nonexistent/routes.xml"))
    with pytest.raises(BenchmarkConfigError, match="routes_file: '/nonexistent/routes.xml' does not exist"):
        missing.routes(None, 0)


def test_routes_file_is_read_limited_and_retargeted(tmp_path):
    routes = generate_scenario_routes("grid_small", "bench2drive", 2, seed=8)
    path = write_routes(tmp_path / "official.xml", routes, weathers_last=True)
    benchmark = Bench2DriveBenchmark(Bench2DriveConfig(routes_file=str(path), count=1, town="grid_small"))
    loaded = benchmark.routes(None, seed=0)
    assert len(loaded) == 1 and loaded[0].scenarios == routes[0].scenarios and loaded[0].town == "grid_small"


def write_steps(directory, speeds, yaw_rate=0.0):
    directory.mkdir(parents=True)
    rows = [{"tick": i, "yaw": yaw_rate * i / 20.0, "speed": s} for i, s in enumerate(speeds)]
    (directory / "steps.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return directory


def test_bench2drive_metrics_from_hand_made_records(tmp_path):
    benchmark = Bench2DriveBenchmark(Bench2DriveConfig(subset="mini"))
    routes = benchmark.routes(None, seed=0)
    assert [r.scenarios[0].type for r in routes] == list(MINI_TYPES)
    ids = {r.scenarios[0].type: r.id for r in routes}
    collision = Infraction("collisions_pedestrian", "hit", tick=10)
    min_speed = Infraction("min_speed_infractions", "slow", value=80.0)
    records = [
        RouteRecord(ids["Accident"], status="Perfect", score_route=100.0, score_penalty=1.0, score_composed=100.0,
                    infractions=[Infraction("min_speed_infractions", "fast", value=120.0)]),
        RouteRecord(ids["DynamicObjectCrossing"], status="Completed", score_route=100.0, score_penalty=0.5,
                    score_composed=50.0, infractions=[collision, min_speed]),
        RouteRecord(ids["HardBreakRoute"], status="Completed", score_route=100.0, score_penalty=1.0,
                    score_composed=100.0, infractions=[min_speed]),
        RouteRecord(ids["YieldToEmergencyVehicle"], status="Failed - Agent got blocked", score_route=40.0,
                    score_composed=40.0),
    ]  # two routes have no record: they count as 0 in DS and SR
    steady = write_steps(tmp_path / "000", [5.0] * 200)
    jerky = write_steps(tmp_path / "001", [5.0 + 4.0 * (i // 10 % 2) for i in range(200)])
    metrics = benchmark.metrics(records, [steady, jerky, tmp_path / "missing"])
    assert metrics["B2D DS"] == pytest.approx((100 + 50 + 100 + 40) / 6)
    assert metrics["SR"] == pytest.approx(100 * 2 / 6)
    assert metrics["Efficiency"] == pytest.approx((120 + 80 + 80) / 3)
    assert metrics["Comfortness"] == pytest.approx(50.0)
    assert metrics["Ability Overtaking"] == 100.0
    assert metrics["Ability Emergency_Brake"] == pytest.approx(50.0)  # crossing failed, hard brake passed
    assert metrics["Ability Give_Way"] == 0.0
    assert metrics["Ability Merging"] is None  # no record of the left turn


def test_town13_adds_nds_and_longest6_km(tmp_path):
    records = [
        RouteRecord("0", status="Completed", score_route=100.0, score_penalty=0.6, score_composed=60.0,
                    route_length_m=2000.0, infractions=[Infraction("collisions_vehicle", "hit")]),
        RouteRecord("1", status="Failed", score_route=50.0, score_penalty=1.0, score_composed=50.0, route_length_m=1000.0),
    ]
    town13 = Town13Benchmark().metrics(records, [tmp_path / "a", tmp_path / "b"])
    assert town13["km driven"] == pytest.approx(2.5)
    assert town13["NDS"] == pytest.approx((100 * (0.2 * 0.6) ** (1 / 2.0) + 50.0) / 2)
    assert Longest6Benchmark().metrics(records, [])["km driven"] == pytest.approx(2.5)


def test_routes_generate_command_writes_a_valid_file(tmp_path, capsys):
    out = tmp_path / "routes.xml"
    status = leadfw_main(["routes", "generate", "--town", "grid_small", "--style", "bench2drive", "--count", "3",
                          "--seed", "4", "--out", str(out)])
    assert status == 0
    assert "3 route(s), 3 scenario(s) on grid_small" in capsys.readouterr().out
    routes = read_routes(out)
    assert len(routes) == 3 and all(len(r.scenarios) == 1 and not route_problems(r) for r in routes)
    assert leadfw_main(["routes", "generate", "--town", "nowhere", "--style", "town13", "--count", "1", "--out", str(out)]) == 2
    assert "unknown town 'nowhere'" in capsys.readouterr().err


def test_baseline_experiment_runs_44_bench2drive_routes_and_longest6_end_to_end(tmp_path):
    """The shipped ``baseline_benchmarks`` experiment, without background traffic and with the
    Longest6 mini set, runs end to end: every route gets its record, every stage its table."""
    experiment = yaml.safe_load((REPO / "experiments" / "baseline_benchmarks.yaml").read_text(encoding="utf-8"))
    experiment["output"] = str(tmp_path / "run")
    experiment["world"].update(vehicles=0, walkers=0)
    experiment["stages"][1]["evaluate"]["benchmark"]["subset"] = "mini"
    path = tmp_path / "baseline.yaml"
    path.write_text(yaml.safe_dump(experiment), encoding="utf-8")
    result = run_leadfw("run", str(path), env_extra={"OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-2000:]

    b2d = tmp_path / "run" / "bench2drive44"
    records = json.loads((b2d / "results.json").read_text())["_checkpoint"]["records"]
    assert len(records) == 44
    folders = sorted((b2d / "routes").iterdir())
    route_ids = [json.loads((folder / "record.json").read_text())["route_id"] for folder in folders]
    assert sorted(route_id.split("_", 1)[1] for route_id in route_ids) == sorted(BENCH2DRIVE_TYPES)
    assert all((folder / "record.json").is_file() and (folder / "steps.jsonl").stat().st_size > 0 for folder in folders)
    assert {"table.md", "table.json", "table.csv"} <= {p.name for p in b2d.iterdir()}
    row = json.loads((b2d / "table.json").read_text())["rows"][0]
    # Blind to other road users, the follower hits the obstacles it should overtake, yet it obeys
    # the signals it is shown.
    assert row["Ability Overtaking"] == 0.0 and row["Veh/km"] > 0 and row["Ability Traffic_Signs"] > 50.0
    assert 0.0 < row["B2D DS"] < 100.0 and row["B2D DS"] == pytest.approx(row["DS"])

    longest6 = tmp_path / "run" / "longest6"
    records = json.loads((longest6 / "results.json").read_text())["_checkpoint"]["records"]
    assert len(records) == 2 and all(r["meta"]["route_length"] > 250.0 for r in records)
    row = json.loads((longest6 / "table.json").read_text())["rows"][0]
    assert row["km driven"] > 0.5 and "bench2drive44" in result.stdout and "longest6" in result.stdout
