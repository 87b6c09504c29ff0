"""Sample members from CARLA-layout sensor readings, and labels in an ego frame.

Pure functions used by the ``collect`` stage. Sensor layouts are CARLA's (what the leaderboard's
sensors and the embedded world return): cameras BGRA with semantic tags in the red channel and
depth in the 24-bit encoding; semantic LiDAR rows (x, y, z, cos, object, tag) and radar rows
in the leaderboard's layout (``lead_framework.sensors.RADAR_COLUMNS``) in the sensor frame. See ``docs/data-format.md``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from lead_framework.sensors import Pose, radar_fields

#: CARLA semantic tag -> TFv6 perspective class (0 unlabeled, 1 road, 2 sidewalk, 3 lane marking,
#: 4 vehicle, 5 pedestrian, 6 bicycle/rider, 7 traffic light, 8 traffic sign, 9 static obstacle).
TAG_TO_SEMANTIC = np.zeros(256, dtype=np.uint8)
for _tags, _cls in (((1,), 1), ((2,), 2), ((24,), 3), ((14, 15, 16, 17), 4), ((12,), 5), ((13, 18, 19), 6),
                    ((7,), 7), ((8,), 8), ((20, 21),  9)):
    TAG_TO_SEMANTIC[list(_tags)] = _cls
DEPTH_RANGE_M = 50.0
CARLA_DEPTH_FAR_M = 1000.0
RADAR_POINTS_PER_SENSOR = 75


def carla_rotation(pose: Pose) -> np.ndarray:
    """3x3 rotation of a CARLA (roll, pitch, yaw) in degrees, as ``carla.Transform.get_matrix``."""
    cr, sr = math.cos(math.radians(pose.roll)), math.sin(math.radians(pose.roll))
    cp, sp = math.cos(math.radians(pose.pitch)), math.sin(math.radians(pose.pitch))
    cy, sy = math.cos(math.radians(pose.yaw)), math.sin(math.radians(pose.yaw))
    return np.array([
        [cp * cy, cy * sp * sr - sy * cr, -cy * sp * cr - sy * sr],
        [cp * sy, sy * sp * sr + cy * cr, -sy * sp * cr + cy * sr],
        [sp, -cp * sr, cp * cr],
    ])


def mount_to_ego(points: np.ndarray, pose: Pose) -> np.ndarray:
    """Sensor-frame points (N, 3) into the ego frame (origin on the ground below the box centre)."""
    return points @ carla_rotation(pose).T + np.array([pose.x, pose.y, pose.z])


def stitch_rgb(images: Sequence[np.ndarray]) -> np.ndarray:
    """BGRA camera images side by side as one RGB image."""
    return np.hstack([cv2.cvtColor(image, cv2.COLOR_BGRA2RGB) for image in images])


def stitch_semantics(images: Sequence[np.ndarray]) -> np.ndarray:
    """Semantic camera images (tag in the red channel) as TFv6 classes, side by side."""
    return np.hstack([cv2.LUT(cv2.extractChannel(image, 2), TAG_TO_SEMANTIC) for image in images])


#: ``boxes.json`` class names in the order of the box classes (index = class id of learned models).
BOX_CLASS_NAMES: tuple[str, ...] = ("vehicle", "walker", "traffic_light", "stop_sign", "special", "obstacle", "parking", "biker")


def box_class_id(name: str) -> int:
    """The class id of a ``boxes.json`` class name (docs/data-format.md)."""
    try:
        return BOX_CLASS_NAMES.index(name)
    except ValueError:
        raise ValueError(f"unknown box class {name!r}; known: {', '.join(BOX_CLASS_NAMES)}") from None


#: Metres per step of CARLA's 24-bit depth code.
_DEPTH_CODE_M = np.float32(CARLA_DEPTH_FAR_M / (256.0**3 - 1))


def carla_depth_codes(image: np.ndarray) -> np.ndarray:
    """(H, W) float32 24-bit codes ``R + G*256 + B*65536`` of a BGRA CARLA depth image (read as big-endian words,
    the B, G, R bytes are the code's high, middle and low bytes)."""
    words = np.ascontiguousarray(image).view(">u4")[..., 0]
    return np.right_shift(words, 8).astype(np.float32)


def stitch_depth(images: Sequence[np.ndarray]) -> np.ndarray:
    """CARLA depth images as 8-bit linear 0-50 m at a quarter of the resolution (area mean), side by side.

    Depth is linear in the 24-bit code, so averaging the codes then scaling equals averaging the depth.
    """
    out = []
    for image in images:
        codes = carla_depth_codes(image)
        mean = cv2.resize(codes, (image.shape[1] // 4, image.shape[0] // 4), interpolation=cv2.INTER_AREA)
        out.append(cv2.convertScaleAbs(np.minimum(mean * _DEPTH_CODE_M, np.float32(DEPTH_RANGE_M)), alpha=255.0 / DEPTH_RANGE_M))
    return np.hstack(out)


def lidar_points(readings: Sequence[tuple[Pose, np.ndarray]]) -> np.ndarray:
    """Semantic LiDAR readings (rows x, y, z, cos, object, tag) as (N, 4) float32 x, y, z, tag in the ego frame."""
    out = np.zeros((sum(len(data) for _, data in readings), 4), np.float32)
    start = 0
    for pose, data in readings:
        rows = slice(start, start + len(data))
        out[rows, :3] = mount_to_ego(np.asarray(data[:, :3], np.float64), pose)
        if data.shape[1] >= 6:
            out[rows, 3] = data[:, 5]
        start = rows.stop
    return out


def radar_points(readings: Sequence[tuple[Pose, np.ndarray]], per_sensor: int = RADAR_POINTS_PER_SENSOR) -> np.ndarray:
    """Radar detections as (sensors * per_sensor, 5) float32 x, y, z, velocity, sensor id (-1 = padding)."""
    out = np.zeros((len(readings) * per_sensor, 5), np.float32)
    out[:, 4] = -1.0
    for number, (pose, data) in enumerate(readings):
        data = np.asarray(data, np.float64)[:per_sensor]
        fields = radar_fields(data)
        depth, azimuth, altitude, velocity = fields["depth"], fields["azimuth"], fields["altitude"], fields["velocity"]
        local = np.column_stack([depth * np.cos(altitude) * np.cos(azimuth), depth * np.cos(altitude) * np.sin(azimuth),
                                 depth * np.sin(altitude)])
        rows = slice(number * per_sensor, number * per_sensor + len(data))
        out[rows, :3] = mount_to_ego(local, pose)
        out[rows, 3] = velocity
        out[rows, 4] = number
    return out


def to_ego_frame(xy: np.ndarray, origin: Sequence[float], yaw: float) -> np.ndarray:
    """World points (..., 2) in the ego frame at ``origin`` heading ``yaw`` (x forward, y right)."""
    c, s = math.cos(yaw), math.sin(yaw)
    d = np.asarray(xy, np.float64)[..., :2] - np.asarray(origin, np.float64)[:2]
    return np.stack([d[..., 0] * c + d[..., 1] * s, -d[..., 0] * s + d[..., 1] * c], axis=-1)


def wrap(angle: np.ndarray | float) -> np.ndarray | float:
    return (np.asarray(angle) + np.pi) % (2.0 * np.pi) - np.pi


def shifted_pose(x: float, y: float, yaw: float, lateral_m: float, yaw_rad: float) -> tuple[float, float, float]:
    """The pose ``lateral_m`` to the right (CARLA's y) of (x, y, yaw), turned by ``yaw_rad``."""
    return x - lateral_m * math.sin(yaw), y + lateral_m * math.cos(yaw), float(wrap(yaw + yaw_rad))


def weather_name(cloudiness: float, precipitation: float, sun_altitude: float) -> str:
    """A CARLA-preset-like name such as ``clear_noon`` or ``hardrain_night``."""
    sky = "hardrain" if precipitation > 60 else "softrain" if precipitation > 20 else "cloudy" if cloudiness > 50 else "clear"
    time_of_day = "night" if sun_altitude < 0 else "sunset" if sun_altitude < 15 else "noon"
    return f"{sky}_{time_of_day}"
