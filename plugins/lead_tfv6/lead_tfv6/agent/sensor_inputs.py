"""Live sensor data (CARLA leaderboard layouts) -> the per-sample arrays of the training data.

The data format (docs/data-format.md) stores per sample: the cameras stitched left to right, the
LiDAR points of the last 10 ticks in the current ego frame, and the radar points in the ego frame
as (x, y, z, v, sensor id), 75 slots per radar. The recording code's own functions
(``lead_framework.frame_labels``: ``stitch_rgb``, ``lidar_points``, ``radar_points``) turn one tick's
readings into these arrays; this module adds the LiDAR history (``LidarAccumulator``) and takes the
sensors in the recorder's order (cameras and radars by mounting yaw, LiDARs in rig order).

Input layouts: cameras BGRA (H, W, 4) uint8; LiDAR (N, 4) x, y, z, intensity in the sensor frame;
radar (N, 4) depth, azimuth, altitude (radians), velocity; gnss [lat, lon, alt];
imu [acc xyz, gyro xyz, compass]; speedometer {"speed": m/s}.
"""

from __future__ import annotations

import collections
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from lead_framework.frame_labels import (
    carla_rotation,
    lidar_points,
    radar_points,
    stitch_rgb,
)
from lead_framework.sensors import Pose, SensorSpec
from lead_tfv6.agent.config import LIDAR_HISTORY_TICKS
from lead_tfv6.agent.errors import SensorInputError
from lead_tfv6.agent.geometry import EgoPose, relative_transform
from lead_tfv6.data.geometry import GROUND_HEIGHT_M

#: Rounding margin (metres) of the cheap float32 height test that pre-selects points before the exact transform.
_GROUND_MARGIN_M = 0.01


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
    radars: tuple[str, ...]  # by mounting yaw; the index here is the sensor id in radar.npy
    gnss: str
    imu: str
    speedometer: str
    poses: Mapping[str, Pose]

    @classmethod
    def from_specs(cls, specs: Sequence[SensorSpec]) -> SensorLayout:
        by_kind: dict[str, list[SensorSpec]] = collections.defaultdict(list)
        for spec in specs:
            by_kind[spec.kind].append(spec)
        for kind in ("rgb", "lidar", "gnss", "imu", "speedometer"):
            if not by_kind[kind]:
                have = sorted(f"{spec.id} ({spec.kind})" for spec in specs)
                raise SensorInputError(f"the TFv6 agent needs a {kind!r} sensor; the rig has {have}")
        def by_yaw(kind: str) -> tuple[str, ...]:
            return tuple(spec.id for spec in sorted(by_kind[kind], key=lambda spec: spec.pose.yaw))

        return cls(
            cameras=by_yaw("rgb"),
            lidars=tuple(spec.id for spec in by_kind["lidar"]),
            radars=by_yaw("radar"),
            gnss=by_kind["gnss"][0].id,
            imu=by_kind["imu"][0].id,
            speedometer=by_kind["speedometer"][0].id,
            poses={spec.id: spec.pose for spec in specs},
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
    lidar: np.ndarray  # (N, 4) float32 x, y, z, tag (0: a plain LiDAR has none) in the ego frame, last ticks
    radar: np.ndarray  # (radars x 75, 5) float32 x, y, z, v, sensor id (-1 = padding) in the ego frame


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
        rgb = stitch_rgb([_camera(sensor_data(input_data, cid), cid) for cid in layout.cameras])
        sweeps = []
        for lidar_id in layout.lidars:
            points = np.asarray(sensor_data(input_data, lidar_id), dtype=np.float32)
            if points.ndim != 2 or points.shape[1] != 4:
                raise SensorInputError(f"lidar {lidar_id!r} must give (N, 4) x, y, z, intensity, got {points.shape}")
            if not self.accumulator.keep_ground:
                points = _above_ground_candidates(points, layout.poses[lidar_id])
            sweeps.append((layout.poses[lidar_id], points))
        self.accumulator.add(lidar_points(sweeps), pose)
        radar = radar_points([(layout.poses[rid], _radar(sensor_data(input_data, rid), rid)) for rid in layout.radars])
        return SensorSample(rgb=rgb, lidar=self.accumulator.points(pose), radar=radar)

    def reset(self) -> None:
        self.accumulator.reset()


def _camera(image: Any, sensor_id: str) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 4 or image.dtype != np.uint8:
        raise SensorInputError(f"camera {sensor_id!r} must give a BGRA (H, W, 4) uint8 image, got {image.shape} {image.dtype}")
    return image


def _radar(detections: Any, sensor_id: str) -> np.ndarray:
    detections = np.asarray(detections, dtype=np.float64)
    if detections.ndim != 2 or detections.shape[1] != 4:
        raise SensorInputError(f"radar {sensor_id!r} must give (N, 4) depth, azimuth, altitude, velocity, got {detections.shape}")
    return detections


def _above_ground_candidates(points: np.ndarray, pose: Pose) -> np.ndarray:
    """Sensor-frame points whose ego-frame height may exceed the ground cut (a superset, by a margin).

    ``lidar_points`` then moves only these; the accumulator's exact cut gives what cutting all
    points would, at a fraction of the work (most returns are ground).
    """
    height = points[:, :3] @ carla_rotation(pose)[2].astype(np.float32) + np.float32(pose.z)
    return points[height > GROUND_HEIGHT_M - _GROUND_MARGIN_M]
