"""Test and benchmark support: untrained checkpoints in the train stage's format and synthetic drives.

``synthetic_drive`` makes leaderboard-layout sensor data for any rig along a gentle left curve
(BGRA noise images, LiDAR sweeps of a ground ring and a box-shaped obstacle in each sensor's frame,
radar detections, GNSS from a local conformal projection, IMU compass, speedometer) together with
the matching :class:`RoutePlan` and the true ego poses.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import torch

from lead_framework.frame_labels import carla_rotation
from lead_framework.route import RoadOption, RoutePlan
from lead_framework.sensors import SensorSpec
from lead_tfv6.agent.geometry import EgoPose
from lead_tfv6.agent.localization import EARTH_RADIUS_M
from lead_tfv6.agent.rig import RIG_KEY, rig_to_payload
from lead_tfv6.training.checkpoint import FINAL_MODEL_FILE, model_payload, save_atomic

ORIGIN_DEG = (49.0, 8.0)
LIDAR_POINTS_PER_SWEEP = 4000
RADAR_POINTS = 75


def save_untrained_checkpoint(
    folder: Path, preset: str = "tiny", seed: int = 0, phase: str = "posttrain", rig: Sequence[SensorSpec] | None = None,
    **overrides: Any,
) -> Path:
    """A freshly initialised model (``TFv6Config`` overrides allowed) saved as the train stage saves
    ``model_final.pt`` (optionally with a rig)."""
    import lead_tfv6

    torch.manual_seed(seed)
    model = lead_tfv6.create_model(preset, phase=phase, **overrides)
    payload = model_payload(model, model.config)
    if rig is not None:
        payload[RIG_KEY] = rig_to_payload(list(rig))
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    save_atomic(payload, folder / FINAL_MODEL_FILE)
    return folder / FINAL_MODEL_FILE


def to_gnss(xy: np.ndarray, north_is_minus_y: bool = True) -> np.ndarray:
    """World (N, 2) -> (N, 3) [lat, lon, alt] on a local conformal (equirectangular) projection."""
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    north = -xy[:, 1] if north_is_minus_y else xy[:, 1]
    lat = ORIGIN_DEG[0] + np.degrees(north / EARTH_RADIUS_M)
    lon = ORIGIN_DEG[1] + np.degrees(xy[:, 0] / (EARTH_RADIUS_M * math.cos(math.radians(ORIGIN_DEG[0]))))
    return np.stack([lat, lon, np.zeros(len(xy))], axis=1)


@attrs.define
class SyntheticDrive:
    plan: RoutePlan
    poses: list[EgoPose]
    speeds: list[float]
    ticks: list[dict[str, tuple[int, Any]]]


def _lidar_sweep(spec: SensorSpec, pose: EgoPose, obstacle_xy: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Ground ring and obstacle points in world coordinates, expressed in the LiDAR's frame."""
    half = LIDAR_POINTS_PER_SWEEP // 2
    angle, radius = rng.uniform(-math.pi, math.pi, half), rng.uniform(3.0, 40.0, half)
    ground = np.stack([radius * np.cos(angle), radius * np.sin(angle), np.zeros(half)], axis=1)
    ground[:, :2] = pose.to_world(ground[:, :2])
    box = np.stack([obstacle_xy[0] + rng.uniform(-2, 2, half), obstacle_xy[1] + rng.uniform(-1, 1, half), rng.uniform(0, 1.5, half)], 1)
    world = np.concatenate([ground, box])
    vehicle = np.concatenate([pose.to_ego(world[:, :2]), world[:, 2:3]], axis=1)
    sensor = (vehicle - [spec.pose.x, spec.pose.y, spec.pose.z]) @ carla_rotation(spec.pose)
    intensity = rng.uniform(0.2, 1.0, (len(sensor), 1))
    return np.concatenate([sensor, intensity], axis=1).astype(np.float32)


def synthetic_drive(
    specs: Sequence[SensorSpec], ticks: int, seed: int = 0, speed: float = 6.0, north_is_minus_y: bool = True
) -> SyntheticDrive:
    """``ticks`` ticks of sensor data for ``specs`` while the ego drives a left curve at ``speed``."""
    rng = np.random.default_rng(seed)
    curvature, dt = -0.01, 0.05
    distances = np.arange(0.0, 400.0, 1.0)
    yaws = curvature * distances
    xy = np.stack([np.cumsum(np.cos(yaws)), np.cumsum(np.sin(yaws))], axis=1) - [1.0, 0.0]
    keep = np.arange(0, len(distances), 50)
    commands = [RoadOption.LANEFOLLOW] * len(keep)
    plan = RoutePlan("synthetic", np.concatenate([xy[keep], np.zeros((len(keep), 1))], 1), to_gnss(xy[keep], north_is_minus_y), commands)
    obstacle = xy[25] + [0.0, -3.5]
    drive = SyntheticDrive(plan=plan, poses=[], speeds=[], ticks=[])
    for tick in range(ticks):
        s = speed * dt * tick
        pose = EgoPose(float(np.interp(s, distances, xy[:, 0])), float(np.interp(s, distances, xy[:, 1])), curvature * s)
        data: dict[str, Any] = {}
        for spec in specs:
            if spec.kind == "rgb":
                data[spec.id] = rng.integers(0, 256, (spec.params["height"], spec.params["width"], 4), dtype=np.uint8)
            elif spec.kind == "lidar":
                data[spec.id] = _lidar_sweep(spec, pose, obstacle, rng)
            elif spec.kind == "radar":
                data[spec.id] = np.column_stack([rng.uniform(2, 60, RADAR_POINTS), rng.uniform(-0.7, 0.7, RADAR_POINTS),
                                                 rng.uniform(-0.08, 0.08, RADAR_POINTS), rng.normal(0, 3, RADAR_POINTS)]).astype(np.float32)
            elif spec.kind == "gnss":
                data[spec.id] = to_gnss(np.array([[pose.x, pose.y]]), north_is_minus_y)[0]
            elif spec.kind == "imu":
                data[spec.id] = np.array([0.0, 0.0, 9.81, 0.0, 0.0, 0.0, (pose.yaw + math.pi / 2) % (2 * math.pi)])
            elif spec.kind == "speedometer":
                data[spec.id] = {"speed": speed}
        drive.ticks.append({sid: (tick, value) for sid, value in data.items()})
        drive.poses.append(pose)
        drive.speeds.append(speed)
    return drive
