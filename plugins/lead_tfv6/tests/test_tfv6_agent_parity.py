"""The agent's model inputs equal the training pipeline's, and the sensor conversion's geometry."""

from __future__ import annotations

import math

import numpy as np
import pytest
from lead_tfv6.agent.errors import RoutePlanError
from lead_tfv6.agent.geometry import EgoPose
from lead_tfv6.agent.localization import GnssProjection, PoseEstimator
from lead_tfv6.agent.sensor_inputs import (
    LidarAccumulator,
    SensorLayout,
    SensorSampleBuilder,
)
from lead_tfv6.agent.targets import TargetPointTracker
from lead_tfv6.agent.testing import save_untrained_checkpoint, synthetic_drive, to_gnss
from lead_tfv6.data.sample import SampleOptions, convert_sample

from lead_framework.data.codecs import decode_member, encode_member
from lead_framework.route import RoadOption, RoutePlan

INPUT_KEYS = ("rgb", "lidar", "radar", "speed", "command", "target_points")


def _recorded_sample(rgb, lidar, radar, speed, targets, config) -> dict:
    """The shard members a recording of this tick holds, through the shard codecs where lossless."""
    height, width = rgb.shape[:2]
    meta = {
        "ego": {"speed": speed},
        "target_points": targets.points.tolist(),
        "commands": list(targets.commands),
        "route": [[float(d), 0.0] for d in range(1, 51)],
        "future_positions": [[0.3 * i, 0.0, 0.0] for i in range(1, 61)],
        "target_speed": 6.0,
        "brake": False,
    }
    members = {
        "lidar.npy": lidar,
        "radar.npy": radar,
        "meta.json": meta,
        "semantics.png": np.zeros((height, width), np.uint8),
        "depth.png": np.zeros((height // 4, width // 4), np.uint8),
        "bev.png": np.zeros((256, 256), np.uint8),
        "boxes.json": [],
    }
    sample = {name: decode_member(name, encode_member(name, value)) for name, value in members.items()}
    sample["rgb.jpg"] = rgb  # the decoded image; JPEG's loss is the one difference a recording adds
    return {"__key__": "synthetic/frame_000000", **sample}


def test_agent_inputs_equal_the_training_pipeline_inputs(tmp_path):
    pytest.importorskip("lead_sim", reason="the LEAD rig is registered by the lead-sim plugin")
    from lead_tfv6.agent import TFv6Agent, TFv6AgentConfig

    agent = TFv6Agent(TFv6AgentConfig(checkpoint=str(save_untrained_checkpoint(tmp_path / "model")), optimize=False))
    config = agent.model_config
    drive = synthetic_drive(agent.sensors(), 12, seed=7)
    # the recording path: all points kept (ground included), as lidar.npy stores them
    recorder = SensorSampleBuilder(SensorLayout.from_specs(agent.sensors()), keep_ground=True)
    localizer, tracker = PoseEstimator(GnssProjection.from_plan(drive.plan)), TargetPointTracker(drive.plan)
    agent.setup(drive.plan)
    for tick, data in enumerate(drive.ticks):
        if tick < len(drive.ticks) - 1:
            agent.observe(data)  # run_step without the model: the history and route tracking advance alike
        else:
            agent.run_step(data, tick * 0.05)
        speed = recorder.speed(data)
        pose = localizer.update(recorder.gnss(data), recorder.compass(data), speed, 0.05)
        sample = recorder.build(data, pose)
        targets = tracker.targets(pose)
    assert len(recorder.accumulator.sweeps) == agent.config.lidar_history_ticks
    assert len(sample.lidar) > len(agent.builder.accumulator.points(pose))  # the recording keeps the ground
    recorded = _recorded_sample(sample.rgb, sample.lidar, sample.radar, speed, targets, config)
    trained = convert_sample(recorded, config, SampleOptions(perturbation_probability=0.0, augment=False), np.random.default_rng(0))
    for key in INPUT_KEYS:
        expected, actual = np.asarray(trained[key]), np.asarray(agent.last_inputs[key])
        assert actual.dtype == expected.dtype and actual.shape == expected.shape, key
        assert np.array_equal(actual, expected), f"{key} differs between the agent and the training pipeline"
    assert agent.last_inputs["lidar"].sum() > 0 and (agent.last_inputs["radar"][:, 4] >= 0).sum() == 4 * 75


def test_lidar_accumulation_compensates_ego_motion():
    accumulator = LidarAccumulator(history_ticks=3, keep_ground=False)
    world_point = np.array([[20.0, 5.0]])
    poses = [EgoPose(0.0, 0.0, 0.0), EgoPose(1.0, 0.2, 0.1), EgoPose(2.5, 0.6, 0.25), EgoPose(4.0, 1.2, 0.4)]
    for pose in poses:
        local = pose.to_ego(world_point)
        accumulator.add(np.array([[local[0, 0], local[0, 1], 1.0, 0.5], [local[0, 0], local[0, 1], 0.1, 0.5]]), pose)
    points = accumulator.points(poses[-1])
    assert len(points) == 3  # three sweeps kept, ground points (z <= 0.2) dropped
    np.testing.assert_allclose(points[:, :2], np.repeat(poses[-1].to_ego(world_point), 3, axis=0), atol=1e-4)
    np.testing.assert_array_equal(points[:, 2:], [[1.0, 0.5]] * 3)


def test_gnss_projection_inverts_the_embedded_world_gnss():
    pytest.importorskip("lead_sim")
    import carla
    from lead_sim.maps.towns import load_town

    town = load_town("grid_small").map
    def gnss(xy):
        geo = town.transform_to_geolocation(carla.Location(float(xy[0]), float(xy[1]), 0.0))
        return [geo.latitude, geo.longitude, geo.altitude]
    route = np.array([[0.0, 0.0], [50.0, 10.0], [90.0, 60.0], [100.0, 120.0]])
    plan = RoutePlan("r", np.c_[route, np.zeros(4)], np.array([gnss(p) for p in route]), [RoadOption.LANEFOLLOW] * 4)
    projection = GnssProjection.from_plan(plan)
    probes = np.random.default_rng(0).uniform(-50.0, 150.0, (20, 2))
    errors = np.linalg.norm(projection.to_world(np.array([gnss(p) for p in probes])) - probes, axis=1)
    assert errors.max() < 0.05


@pytest.mark.parametrize("north_is_minus_y", [True, False])
def test_gnss_projection_reads_the_north_convention_off_the_plan(north_is_minus_y):
    route = np.array([[0.0, 0.0], [40.0, 30.0], [80.0, 20.0]])
    plan = RoutePlan("r", np.c_[route, np.zeros(3)], to_gnss(route, north_is_minus_y), [RoadOption.LANEFOLLOW] * 3)
    projection = GnssProjection.from_plan(plan)
    assert projection.mirrored == north_is_minus_y
    np.testing.assert_allclose(projection.to_world(to_gnss(np.array([[10.0, -7.0]]), north_is_minus_y)), [[10.0, -7.0]], atol=0.01)
    bad = RoutePlan("r", plan.world_points, plan.gps_points[::-1], plan.commands)
    with pytest.raises(RoutePlanError, match="do not match world_points"):
        GnssProjection.from_plan(bad)


def test_target_points_advance_as_the_ego_passes_them():
    points = np.array([[0.0, 0.0, 0.0], [50.0, 0.0, 0.0], [100.0, 0.0, 0.0], [150.0, 0.0, 0.0]])
    commands = [RoadOption.VOID, RoadOption.STRAIGHT, RoadOption.LEFT, RoadOption.LANEFOLLOW]
    tracker = TargetPointTracker(RoutePlan("r", points, points, commands))
    assert tracker.update(np.array([1.0, 0.0])) == (0, 1, 2)
    assert tracker.update(np.array([48.5, 2.0])) == (0, 1, 2)  # 1.5 m before the target: keep it
    assert tracker.update(np.array([49.5, -2.0])) == (1, 2, 3)  # within 1 m of it along the route: next target
    targets = tracker.targets(EgoPose(49.5, 0.0, math.pi / 2))  # facing +y (south): east is to the left
    np.testing.assert_allclose(targets.points, [[0.0, -0.5], [0.0, -50.5], [0.0, -100.5]], atol=1e-5)
    assert targets.commands == (3, 1, 4) and targets.command == 1  # VOID is driven as LANEFOLLOW
    assert tracker.update(np.array([152.0, 0.0])) == (2, 3, 3)  # the last point stays the target
    assert tracker.update(np.array([10.0, 0.0])) == (1, 2, 3)  # progress searches at most one segment back
    assert TargetPointTracker(RoutePlan("r", points[:1], points[:1], commands[:1])).targets(EgoPose(0, 0, 0)).commands == (4, 4, 4)
