"""The ``collect`` stage end to end on the embedded world with the PDM expert (both plugins needed)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

pytest.importorskip("lead_sim")
pytest.importorskip("lead_expert_pdm")

from lead_sim.maps.towns import load_town  # noqa: E402
from lead_sim.routes import generate_routes, plan_route  # noqa: E402

from lead_framework.config import ExperimentError, parse_experiment  # noqa: E402
from lead_framework.data import CorruptShardError, ShardDataset, load_index  # noqa: E402
from lead_framework.route_tasks import GenerateRoutes, RouteSource, load_routes  # noqa: E402
from lead_framework.route_xml import write_routes  # noqa: E402
from lead_framework.runner import run_experiment  # noqa: E402
from lead_framework.stages import StageError  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WORLD = {"name": "leadsim", "town": "grid_small", "vehicles": 4, "walkers": 2}


def short_routes(count: int, seed: int) -> list:
    """The ``count`` shortest of a batch of generated routes (a random drive may overshoot its target length)."""
    town = load_town("grid_small")
    batch = generate_routes(town, 12, (30.0, 45.0), seed=seed)
    return sorted(batch, key=lambda route: plan_route(town, route.waypoint_array()).length_m)[:count]


@pytest.fixture(scope="module")
def routes_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("routes") / "routes.xml"
    write_routes(path, short_routes(3, seed=5))
    return path


def experiment(tmp: Path, routes: Path, name: str = "run", **collect) -> dict:
    options = {"routes": {"file": str(routes)}, "rig": "privileged_minimal", **collect}
    return {"name": "collect_test", "seed": 3, "output": str(tmp / name), "world": WORLD, "stages": [{"collect": options}]}


def run(data: dict) -> Path:
    run_experiment(parse_experiment(data, "test.yaml"), echo=lambda *_: None, interactive=False)
    return Path(data["output"]) / "collect"


def index_summary(folder: Path) -> dict[str, tuple[str, int]]:
    routes = load_index(folder)["routes"]
    return {route_id: (entry["status"], entry["samples"]) for route_id, entry in routes.items()}


def metas(folder: Path) -> dict[str, dict]:
    return {sample["__key__"]: sample["meta.json"] for sample in ShardDataset(folder, members=["meta.json"])}


@pytest.fixture(scope="module")
def lead_rig_data(tmp_path_factory, routes_file) -> Path:
    """One route collected with LEAD's rig and the perturbated second rig."""
    tmp = tmp_path_factory.mktemp("lead_rig")
    return run(experiment(tmp, routes_file, rig="lead_rig", max_routes=1))


def test_samples_match_the_documented_format(lead_rig_data):
    dataset = ShardDataset(lead_rig_data)
    samples = list(dataset)
    assert len(samples) > 10
    sample = samples[3]
    assert sample["__key__"] == "route_0000/frame_000004"
    assert sample["rgb.jpg"].shape == (384, 1152, 3) and sample["rgb.jpg"].dtype.name == "uint8"
    assert sample["semantics.png"].shape == (384, 1152) and sample["semantics.png"].max() <= 9
    assert sample["depth.png"].shape == (96, 288) and sample["depth.png"].dtype.name == "uint8"
    lidar = sample["lidar.npy"]
    assert lidar.ndim == 2 and lidar.shape[1] == 4 and lidar.dtype.name == "float32" and len(lidar) > 1000
    assert abs(float(lidar[:, 2].min())) < 0.3  # ground returns lie at z = 0 of the ego frame
    assert sample["radar.npy"].shape == (300, 5) and sample["radar.npy"].dtype.name == "float32"
    assert set(sample["radar.npy"][:, 4].tolist()) <= {-1.0, 0.0, 1.0, 2.0, 3.0}
    assert sample["bev.png"].shape == (256, 256) and sample["bev.png"].max() <= 12
    for member in ("rgb", "semantics", "depth", "bev"):
        assert sample[f"{member}_perturbated.{'jpg' if member == 'rgb' else 'png'}"].shape == sample[f"{member}.{'jpg' if member == 'rgb' else 'png'}"].shape
    meta = sample["meta.json"]
    for field in ("route_id", "town", "tick", "frame", "time_s", "ego", "control", "target_speed", "brake", "speed_limit",
                  "route", "route_original", "route_shifted", "target_points", "commands", "future_positions", "future_yaws", "future_speeds", "scenario",
                  "junction", "hazard", "weather", "perturbation", "camera"):
        assert field in meta, field
    assert meta["tick"] == 20 and meta["frame"] == 4 and meta["route_id"] == "route_0000"
    assert set(meta["ego"]) == {"x", "y", "z", "yaw", "speed", "accel", "yaw_rate"}
    assert set(meta["control"]) == {"throttle", "steer", "brake"}
    assert len(meta["route"]) == 50 and meta["route"][0][0] == pytest.approx(0.0, abs=1.5)
    assert len(meta["target_points"]) == 3 and len(meta["commands"]) == 3
    assert len(meta["future_positions"]) == 60 and len(meta["future_yaws"]) == 60 and len(meta["future_speeds"]) == 60
    # the ego drives forward: its future lies ahead in its own frame
    assert meta["future_positions"][-1][0] > meta["future_positions"][0][0] > 0.0
    assert set(meta["camera"]) == {"rgb_left", "rgb_front", "rgb_right"}
    assert meta["camera"]["rgb_front"]["width"] == 384
    shifted = sample["meta_perturbated.json"]
    perturbation = meta["perturbation"]
    assert 0.1 <= abs(perturbation["lateral_m"]) <= 1.0 and abs(perturbation["yaw_rad"]) <= 0.2182
    assert shifted["perturbation"] == perturbation
    # the first route point (on the ego) seen from the shifted rig sits about -lateral to the side
    assert shifted["route"][0][1] == pytest.approx(meta["route"][0][1] - perturbation["lateral_m"], abs=0.4)
    boxes = sample["boxes.json"]
    assert boxes and {"class", "id", "position", "extent", "yaw", "speed", "lidar_points", "visible_pixels", "future"} <= set(boxes[0])
    vehicles = [b for b in boxes if b["class"] == "vehicle"]
    assert vehicles and all(len(b["future"]) <= 8 for b in vehicles) and any(len(b["future"]) == 8 for b in vehicles)
    assert len(sample["boxes_perturbated.json"]) == len(boxes)
    attributes = dataset.catalog.attributes
    for name in ("route_id", "town", "scenario", "weather", "sun_altitude", "curvature", "speed", "junction", "hazard", "brake", "route_shifted",
                 "command"):
        assert name in attributes and len(attributes[name]) == len(samples), name
    assert attributes["weather"][0] == "clear_noon"
    assert attributes["brake"] == [sample["meta.json"]["brake"] for sample in samples]
    assert attributes["route_shifted"] == [sample["meta.json"]["route_shifted"] for sample in samples]
    record = load_index(lead_rig_data)["routes"]["route_0000"]["record"]
    assert record["scores"]["score_route"] == 100.0


@pytest.mark.parametrize("damage", ["truncated", "overwritten header"])
def test_corrupted_shard_is_named(lead_rig_data, tmp_path, damage):
    copy = tmp_path / "copy"
    shutil.copytree(lead_rig_data, copy)
    shard = sorted(copy.glob("shard-*.tar"))[0]
    data = bytearray(shard.read_bytes())
    if damage == "truncated":
        data = data[: len(data) // 2]
    else:
        data[:512] = b"\xff" * 512  # the first member's tar header: same size, unreadable stream
    shard.write_bytes(bytes(data))
    with pytest.raises(CorruptShardError, match=shard.name):
        for _ in ShardDataset(copy, members=["meta.json"]):
            pass


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory, routes_file) -> Path:
    """The three routes collected in one uninterrupted local run."""
    return run(experiment(tmp_path_factory.mktemp("clean"), routes_file))


def test_kill_and_resume_loses_and_duplicates_nothing(tmp_path, routes_file, clean_run):
    clean = clean_run
    data = experiment(tmp_path, routes_file, name="killed")
    config = tmp_path / "killed.yaml"
    config.write_text(yaml.safe_dump(data))
    command = [sys.executable, "-m", "lead_framework.cli", "run", str(config)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    index_path = Path(data["output"]) / "collect" / "index.json"
    deadline = time.time() + 60
    while time.time() < deadline and process.poll() is None:
        if index_path.exists() and len(json.loads(index_path.read_text())["routes"]) >= 1:
            break
        time.sleep(0.05)
    time.sleep(0.3)  # into the next route
    assert process.poll() is None, "the collection finished before it could be killed; make the routes longer"
    process.send_signal(signal.SIGKILL)
    process.wait()
    partial = index_summary(index_path.parent)
    assert 1 <= len(partial) < 3
    run(data)  # the same experiment again resumes the stage
    assert index_summary(index_path.parent) == index_summary(clean)
    assert metas(index_path.parent) == metas(clean)
    assert not list((index_path.parent / ".tmp").glob("*.tar"))


def test_ray_executor_gives_the_same_data(tmp_path, routes_file, clean_run):
    ray = pytest.importorskip("ray")
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    except Exception as error:  # noqa: BLE001 - Ray's raylet gives up when its agents start slowly on a loaded machine
        pytest.skip(f"a local Ray cluster could not start here: {error}")
    try:
        distributed = run(experiment(tmp_path, routes_file, name="ray", max_routes=2, executor="ray", workers=2))
    finally:
        ray.shutdown()
    local = {route: entry for route, entry in index_summary(clean_run).items() if route in ("route_0000", "route_0001")}
    assert index_summary(distributed) == local
    assert metas(distributed) == {key: meta for key, meta in metas(clean_run).items() if meta["route_id"] in local}


def test_a_crashing_route_is_recorded_failed_and_the_others_go_on(tmp_path, routes_file):
    routes = short_routes(1, seed=5)
    broken = short_routes(1, seed=6)[0]
    broken.town = "no_such_town"
    path = tmp_path / "mixed.xml"
    write_routes(path, [broken, *routes])
    folder = run(experiment(tmp_path, path))
    summary = index_summary(folder)
    assert summary["route_0000"] == ("failed", 0) and summary["route_0001"][0] == "committed"
    assert "no_such_town" in load_index(folder)["routes"]["route_0000"]["error"]
    assert {sample["__route__"] for sample in ShardDataset(folder, members=["meta.json"])} == {"route_0001"}


def test_generated_routes_come_from_the_world(tmp_path):
    from lead_framework.plugins import get_registry

    world = get_registry().get("worlds", "leadsim").create(None)
    source = RouteSource(generate=GenerateRoutes(count=2, length_m=(60.0, 80.0)))
    routes = load_routes(source, world, seed=4, stage="collect")
    assert [r.waypoints for r in routes] == [r.waypoints for r in world.generate_routes(count=2, length_m=(60.0, 80.0), seed=4)]
    with pytest.raises(StageError, match="does not exist"):
        load_routes(RouteSource(file=str(tmp_path / "missing.xml")), world, seed=0, stage="collect")


def test_generated_routes_spread_over_towns(tmp_path, routes_file):
    data = experiment(tmp_path, routes_file)
    data["stages"][0]["collect"]["routes"] = {"generate": {"count": 3, "length_m": [40, 60], "towns": ["grid_small", "irregular_small"]}}
    folder = run(data)
    routes = load_index(folder)["routes"]
    assert [routes[f"route_{i:04d}"]["metadata"]["town"] for i in range(3)] == ["grid_small", "irregular_small", "grid_small"]
    samples = list(ShardDataset(folder, members=["meta.json"]))
    assert {sample["__route__"] for sample in samples} == set(routes)
    assert {sample["meta.json"]["town"] for sample in samples} == {"grid_small", "irregular_small"}
    data["stages"][0]["collect"]["routes"]["generate"]["towns"] = "grid_small"
    with pytest.raises(ExperimentError, match="towns must be a list of town names"):
        parse_experiment(data, "test.yaml")


def test_towns_need_a_world_that_generates_on_any_town():
    class OneTownWorld:
        def generate_routes(self, count, length_m, seed):
            return []

    source = RouteSource(generate=GenerateRoutes(count=2, towns=("grid_small",)))
    with pytest.raises(StageError, match="remove routes.generate.towns"):
        load_routes(source, OneTownWorld(), seed=0, stage="collect")


def test_route_sources_are_interleaved_and_one_is_needed(tmp_path, routes_file):
    with pytest.raises(ValueError, match="one or more of generate, file, benchmark"):
        RouteSource()
    data = experiment(tmp_path, routes_file)
    data["stages"][0]["collect"]["routes"] = {}
    with pytest.raises(ExperimentError, match="one or more of"):
        parse_experiment(data, "test.yaml")
    data["stages"][0]["collect"]["routes"] = {"file": str(routes_file), "generate": {"count": 2, "length_m": [60, 80]}}
    source = parse_experiment(data, "test.yaml").stages[0].config.routes
    from lead_framework.plugins import get_registry

    world = get_registry().get("worlds", "leadsim").create(None)
    generated = world.generate_routes(count=2, length_m=(60.0, 80.0), seed=4)
    from_file = short_routes(3, seed=5)
    routes = load_routes(source, world, seed=4, stage="collect")
    expected = [generated[0], from_file[0], generated[1], from_file[1], from_file[2]]
    assert [route.waypoints for route in routes] == [route.waypoints for route in expected]


def test_benchmark_routes_take_the_benchmark_options(tmp_path, routes_file):
    """Scenario routes for training data: ``routes: {benchmark: {name: ..., <options>}}``."""
    from lead_sim.benchmarks.bench2drive import BENCH2DRIVE_TYPES

    data = experiment(tmp_path, routes_file)
    data["stages"][0]["collect"]["routes"] = {"benchmark": {"name": "bench2drive", "subset": "mini", "count": 3, "town": "irregular_small"}}
    source = parse_experiment(data, "test.yaml").stages[0].config.routes
    routes = load_routes(source, None, seed=7, stage="collect")
    assert [route.town for route in routes] == ["irregular_small"] * 3
    assert [[scenario.type for scenario in route.scenarios] for route in routes] == [[name] for name in BENCH2DRIVE_TYPES[:3]]
    data["stages"][0]["collect"]["routes"]["benchmark"]["cout"] = 3
    with pytest.raises(ExperimentError, match=r"routes\.benchmark.*cout"):
        parse_experiment(data, "test.yaml")


def test_a_list_of_benchmarks_adds_their_routes_one_after_the_other(tmp_path, routes_file):
    """``routes: {benchmark: [<whole set>, <extra routes of some types>]}``; each entry is checked."""
    data = experiment(tmp_path, routes_file)
    data["stages"][0]["collect"]["routes"] = {"benchmark": [
        {"name": "bench2drive", "subset": "mini", "count": 2, "town": "grid_small"},
        {"name": "bench2drive", "subset": "mini", "types": ["ParkedObstacle", "Accident"], "count": 3, "town": "irregular_small"},
    ]}
    source = parse_experiment(data, "test.yaml").stages[0].config.routes
    routes = load_routes(source, None, seed=7, stage="collect")
    assert [(route.town, route.scenarios[0].type) for route in routes] == [
        ("grid_small", "Accident"), ("grid_small", "AccidentTwoWays"),
        ("irregular_small", "ParkedObstacle"), ("irregular_small", "Accident"), ("irregular_small", "ParkedObstacle"),
    ]
    data["stages"][0]["collect"]["routes"]["benchmark"][1]["types"] = ["Acident"]
    with pytest.raises(ExperimentError, match=r"routes\.benchmark\[1\].*'Acident' is not a Bench2Drive scenario type; did you mean 'Accident'"):
        parse_experiment(data, "test.yaml")
