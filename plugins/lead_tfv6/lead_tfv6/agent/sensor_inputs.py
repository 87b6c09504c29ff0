"""Live sensor data (CARLA leaderboard layouts) -> the per-sample arrays of the training data.

The data format (docs/data-format.md) stores per sample: the cameras stitched left to right, the
LiDAR points of the last 10 ticks in the current ego frame, and the radar points in the ego frame
as (x, y, z, v, sensor id). This module makes exactly those arrays from one tick's
``input_data`` plus the ego pose, so recording and driving share one conversion.

Input layouts: cameras BGRA (H, W, 4) uint8; LiDAR (N, 4) x, y, z, intensity in the sensor frame;
radar (N, 4) depth, azimuth, altitude (radians), velocity; gnss [lat, lon, alt];
imu [acc xyz, gyro xyz, compass]; speedometer {"speed": m/s}.
"""

from __future__ import annotations

import collections
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import cv2
import numpy as np

from lead_framework.sensors import SensorSpec
from lead_tfv6.agent.errors import SensorInputError
from lead_tfv6.agent.geometry import EgoPose, mount_matrix, relative_transform
from lead_tfv6.data.geometry import GROUND_HEIGHT_M

#: LEAD accumulates the LiDAR sweeps of the last 10 ticks (0.5 s at 20 Hz).
LIDAR_HISTORY_TICKS = 10


def stitch_cameras(images: Sequence[np.ndarray]) -> np.ndarray:
    """BGRA or BGR camera images (left to right) -> one RGB uint8 image, side by side."""
    if not images:
        raise SensorInputError("stitch_cameras: no camera images given")
    heights = {image.shape[0] for image in images}
    if len(heights) != 1 or any(image.ndim != 3 or image.shape[2] not in (3, 4) or image.dtype != np.uint8 for image in images):
        shapes = [(image.shape, str(image.dtype)) for image in images]
        raise SensorInputError(f"stitch_cameras: cameras must be uint8 (H, W, 3 or 4) of one height, got {shapes}")
    stitched = np.concatenate(images, axis=1)
    return cv2.cvtColor(stitched, cv2.COLOR_BGRA2RGB if stitched.shape[2] == 4 else cv2.COLOR_BGR2RGB)


def transform_points(points: np.ndarray, matrix: np.ndarray, min_z: float | None = None) -> np.ndarray:
    """(N, >=3) points: x, y, z moved by a 4x4 rigid transform, other columns kept; float32.

    With ``min_z`` only the points whose new z is above it are kept (decided before moving x, y).
    """
    points = np.asarray(points, dtype=np.float32)
    if points.ndim != 2 or points.shape[1] < 3:
        raise SensorInputError(f"points must have shape (N, >=3), got {points.shape}")
    rotation, offset = matrix[:3, :3].astype(np.float32), matrix[:3, 3].astype(np.float32)
    if min_z is not None:
        points = points[points[:, :3] @ rotation[2] + offset[2] > min_z]
    moved = points.copy()
    moved[:, :3] = points[:, :3] @ rotation.T + offset
    return moved


def radar_to_points(detections: np.ndarray, mount: np.ndarray, sensor_id: int) -> np.ndarray:
    """Radar rows (depth, azimuth, altitude, velocity) -> (N, 5) x, y, z, v, sensor id in the vehicle frame."""
    detections = np.asarray(detections, dtype=np.float64).reshape(-1, 4)
    depth, azimuth, altitude = detections[:, 0], detections[:, 1], detections[:, 2]
    sensor_xyz = depth[:, None] * np.stack(
        [np.cos(altitude) * np.cos(azimuth), np.cos(altitude) * np.sin(azimuth), np.sin(altitude)], axis=1
    )
    vehicle_xyz = sensor_xyz @ mount[:3, :3].T + mount[:3, 3]
    ids = np.full((len(detections), 1), float(sensor_id))
    return np.concatenate([vehicle_xyz, detections[:, 3:4], ids], axis=1).astype(np.float32)


class LidarAccumulator:
    """Keeps the last ``history_ticks`` sweeps with the pose they were taken at and returns them all
    in the current ego frame (ego-motion compensated; the world is treated as level, so only x, y
    move). With ``keep_ground=False`` points at most ``GROUND_HEIGHT_M`` high are dropped on entry;
    the training pipeline drops them too, so the LiDAR histogram is unchanged and work is saved.
    """

    def __init__(self, history_ticks: int = LIDAR_HISTORY_TICKS, keep_ground: bool = True):
        self.keep_ground = keep_ground
        self.sweeps: collections.deque[tuple[EgoPose, np.ndarray]] = collections.deque(maxlen=history_ticks)

    def add(self, points_vehicle: np.ndarray, pose: EgoPose) -> None:
        points = np.asarray(points_vehicle, dtype=np.float32)
        if not self.keep_ground:
            points = points[points[:, 2] > GROUND_HEIGHT_M]
        self.sweeps.append((pose, points))

    def points(self, pose: EgoPose) -> np.ndarray:
        """All kept points in the ego frame of ``pose``: (N, C) float32, oldest sweep first."""
        if not self.sweeps:
            raise SensorInputError("LidarAccumulator.points: no sweep added yet")
        moved = []
        for source, points in self.sweeps:
            rotation, offset = relative_transform(source, pose)
            out = points.copy()
            out[:, :2] = points[:, :2] @ rotation.T.astype(np.float32) + offset.astype(np.float32)
            moved.append(out)
        return np.concatenate(moved)

    def reset(self) -> None:
        self.sweeps.clear()


@attrs.define(frozen=True)
class SensorLayout:
    """Which sensor ids of a rig feed which model input, in the order the data format uses."""

    cameras: tuple[str, ...]  # rgb cameras, left to right (by mounting yaw)
    lidars: tuple[str, ...]
    radars: tuple[str, ...]  # the radar's index here is its sensor id in radar.npy
    gnss: str
    imu: str
    speedometer: str
    mounts: Mapping[str, np.ndarray]

    @classmethod
    def from_specs(cls, specs: Sequence[SensorSpec]) -> SensorLayout:
        by_kind: dict[str, list[SensorSpec]] = collections.defaultdict(list)
        for spec in specs:
            by_kind[spec.kind].append(spec)
        for kind in ("rgb", "lidar", "gnss", "imu", "speedometer"):
            if not by_kind[kind]:
                have = sorted(f"{spec.id} ({spec.kind})" for spec in specs)
                raise SensorInputError(f"the TFv6 agent needs a {kind!r} sensor; the rig has {have}")
        cameras = sorted(by_kind["rgb"], key=lambda spec: spec.pose.yaw)
        return cls(
            cameras=tuple(spec.id for spec in cameras),
            lidars=tuple(spec.id for spec in by_kind["lidar"]),
            radars=tuple(spec.id for spec in by_kind["radar"]),
            gnss=by_kind["gnss"][0].id,
            imu=by_kind["imu"][0].id,
            speedometer=by_kind["speedometer"][0].id,
            mounts={spec.id: mount_matrix(spec.pose) for spec in specs},
        )


def sensor_data(input_data: Mapping[str, tuple[int, Any]], sensor_id: str) -> Any:
    """The data of one sensor from ``{sensor_id: (frame, data)}``, or a clear error."""
    entry = input_data.get(sensor_id)
    if entry is None:
        raise SensorInputError(f"input_data has no sensor {sensor_id!r} (got {sorted(input_data)}); "
                               "the world must render every sensor of agent.sensors()")
    return entry[1]


@attrs.define
class SensorSample:
    """One tick's inputs in the data format's layout (what ``rgb.jpg``, ``lidar.npy``, ``radar.npy`` hold)."""

    rgb: np.ndarray  # (H, W x cameras, 3) uint8 RGB
    lidar: np.ndarray  # (N, 4) float32 x, y, z, intensity in the ego frame, last 10 ticks
    radar: np.ndarray  # (M, 5) float32 x, y, z, v, sensor id in the ego frame


class SensorSampleBuilder:
    """Turns each tick's ``input_data`` and ego pose into a :class:`SensorSample`."""

    def __init__(self, layout: SensorLayout, keep_ground: bool = True, history_ticks: int = LIDAR_HISTORY_TICKS):
        self.layout = layout
        self.accumulator = LidarAccumulator(history_ticks, keep_ground)

    def speed(self, input_data: Mapping[str, tuple[int, Any]]) -> float:
        reading = sensor_data(input_data, self.layout.speedometer)
        try:
            return float(reading["speed"])
        except (KeyError, TypeError) as error:
            raise SensorInputError(f"speedometer {self.layout.speedometer!r} must give {{'speed': m/s}}, got {reading!r}") from error

    def compass(self, input_data: Mapping[str, tuple[int, Any]]) -> float:
        imu = np.asarray(sensor_data(input_data, self.layout.imu), dtype=np.float64).ravel()
        if imu.shape != (7,):
            raise SensorInputError(f"imu {self.layout.imu!r} must give 7 values [acc xyz, gyro xyz, compass], got {imu.shape}")
        return float(imu[6])

    def gnss(self, input_data: Mapping[str, tuple[int, Any]]) -> np.ndarray:
        gnss = np.asarray(sensor_data(input_data, self.layout.gnss), dtype=np.float64).ravel()
        if gnss.shape[0] < 2:
            raise SensorInputError(f"gnss {self.layout.gnss!r} must give [lat, lon, alt], got {gnss.shape}")
        return gnss

    def build(self, input_data: Mapping[str, tuple[int, Any]], pose: EgoPose) -> SensorSample:
        layout = self.layout
        rgb = stitch_cameras([np.asarray(sensor_data(input_data, cid)) for cid in layout.cameras])
        sweeps = []
        for lidar_id in layout.lidars:
            points = np.asarray(sensor_data(input_data, lidar_id), dtype=np.float32)
            if points.ndim != 2 or points.shape[1] != 4:
                raise SensorInputError(f"lidar {lidar_id!r} must give (N, 4) x, y, z, intensity, got {points.shape}")
            ground_cut = None if self.accumulator.keep_ground else GROUND_HEIGHT_M
            sweeps.append(transform_points(points, layout.mounts[lidar_id], min_z=ground_cut))
        self.accumulator.add(np.concatenate(sweeps), pose)
        radar = [radar_to_points(sensor_data(input_data, rid), layout.mounts[rid], index) for index, rid in enumerate(layout.radars)]
        radar_points = np.concatenate(radar) if radar else np.zeros((0, 5), np.float32)
        return SensorSample(rgb=rgb, lidar=self.accumulator.points(pose), radar=radar_points)

    def reset(self) -> None:
        self.accumulator.reset()
