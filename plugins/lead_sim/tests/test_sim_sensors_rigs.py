"""The sensor kinds and named rigs as registered components."""

from __future__ import annotations

import math

import pytest

from lead_framework.plugins import get_registry
from lead_sim.rigs import LeadRigConfig
from lead_sim.sensors import SENSOR_KINDS
from lead_sim.sensors.configs import CameraConfig, LidarConfig


def test_every_sensor_kind_is_registered_with_its_config():
    registry = get_registry()
    for name, kind in SENSOR_KINDS.items():
        component = registry.get("sensors", name)
        assert component.config_class is kind.config_class
        assert component.description
    assert registry.get("sensors", "rgb").config_class is CameraConfig
    lidar = registry.create("sensors", "lidar", LidarConfig(channels=16))
    assert lidar.elevations.shape == (16,)


def test_lead_rig_matches_the_reference_rig():
    specs = get_registry().create("sensors", "lead_rig")
    by_kind: dict[str, list] = {}
    for spec in specs:
        by_kind.setdefault(spec.kind, []).append(spec)
    assert len({s.id for s in specs}) == len(specs)
    cameras = by_kind["rgb"]
    assert [(c.pose.x, c.pose.y, c.pose.z, c.pose.yaw) for c in cameras] == [
        (0.1, -0.35, 2.25, -54.5), (0.35, 0.0, 2.25, 0.0), (0.1, 0.35, 2.25, 54.5)]
    assert all(c.params == {"width": 384, "height": 384, "fov": 60.0} for c in cameras)
    for label_kind in ("semantic", "depth"):
        assert [s.pose for s in by_kind[label_kind]] == [c.pose for c in cameras]
    assert [(s.pose.x, s.pose.y, s.pose.z) for s in by_kind["lidar"]] == [(0.0, 0.0, 2.5)] * 2
    radars = by_kind["radar"]
    assert sorted((r.pose.x, r.pose.yaw % 360) for r in radars) == [(-2.6, 135.0), (-2.6, 225.0), (2.6, 45.0), (2.6, 315.0)]
    assert all(r.pose.z == 0.6 and r.params["horizontal_fov"] == 90.0 for r in radars)
    for kind in ("bev", "boxes", "gnss", "imu", "speedometer"):
        assert len(by_kind[kind]) == 1
    # Every spec that CARLA has a sensor for converts to a leaderboard definition.
    carla_defs = [s.to_carla() for s in specs if s.kind not in ("bev", "boxes")]
    assert {d["type"] for d in carla_defs} >= {"sensor.camera.rgb", "sensor.lidar.ray_cast", "sensor.other.radar"}
    assert all(math.dist((d["x"], d["y"], d["z"]), (0, 0, 0)) <= 3.0 for d in carla_defs)


def test_rig_without_labels_and_privileged_minimal():
    registry = get_registry()
    inputs = registry.create("sensors", "lead_rig", LeadRigConfig(labels=False))
    assert {s.kind for s in inputs} == {"rgb", "lidar", "radar", "gnss", "imu", "speedometer"}
    minimal = registry.create("sensors", "privileged_minimal")
    assert [(s.id, s.kind) for s in minimal] == [("speed", "speedometer")]


def test_unknown_sensor_name_suggests_close_matches():
    with pytest.raises(KeyError, match="lidar"):
        get_registry().get("sensors", "lidr")
