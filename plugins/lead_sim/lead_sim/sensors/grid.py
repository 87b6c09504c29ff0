"""One picture of every sensor output of a tick (for ``leadfw render`` and debugging)."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from lead_framework.sensors import radar_fields
from lead_sim.sensors.camera import decode_depth
from lead_sim.sensors.tags import BEV_BGR, TAG_BGR

TILE = 256
COLUMNS = 6
TOP_DOWN_RANGE_M = 50.0
BOX_BGR = {"vehicle": (255, 120, 0), "walker": (60, 20, 220), "biker": (0, 140, 255), "obstacle": (200, 200, 0),
           "parking": (160, 80, 80), "special": (255, 0, 255), "traffic_light": (0, 200, 255),
           "stop_sign": (0, 0, 255)}


def _fit(image: np.ndarray) -> np.ndarray:
    return cv2.resize(image, (TILE, TILE), interpolation=cv2.INTER_NEAREST)


def _top_down(points_xy: np.ndarray) -> np.ndarray:
    """Pixel positions of ego/sensor-frame (x forward, y right) points on a top-down tile."""
    scale = TILE / (2.0 * TOP_DOWN_RANGE_M)
    return np.stack([TILE / 2 + points_xy[:, 1] * scale, TILE / 2 - points_xy[:, 0] * scale], 1)


def _camera_tile(data: np.ndarray, kind: str) -> np.ndarray:
    if kind == "semantic":
        return _fit(TAG_BGR[data[..., 2]])
    if kind == "depth":
        depth = decode_depth(data)
        grey = np.clip(255 * (1 - np.log1p(depth) / np.log1p(1000.0)), 0, 255).astype(np.uint8)
        return _fit(cv2.applyColorMap(grey, cv2.COLORMAP_MAGMA))
    return _fit(np.ascontiguousarray(data[..., :3]))


def guess_kind(sensor_id: str, data: Any) -> str:
    """A sensor's kind from its output alone (ids are free text; ``kinds`` should be given when known)."""
    if isinstance(data, dict):
        return "speedometer"
    if isinstance(data, list):
        return "boxes"
    array = np.asarray(data)
    if array.ndim == 3:
        if not array[..., 0].any() and not array[..., 1].any():
            return "semantic"
        return "depth" if "depth" in sensor_id.lower() else "rgb"
    if array.ndim == 2 and array.dtype == np.uint8:
        return "bev"
    if array.ndim == 2:
        return "radar" if "radar" in sensor_id.lower() else "lidar"
    return {3: "gnss", 7: "imu"}.get(array.shape[0], "unknown")


def _points_tile(points: np.ndarray) -> np.ndarray:
    tile = np.zeros((TILE, TILE, 3), np.uint8)
    if len(points):
        pixels = _top_down(points[:, :2]).astype(np.int64)
        inside = (pixels >= 0).all(1) & (pixels < TILE).all(1)
        height = np.clip((points[inside, 2] + 3.0) / 6.0, 0, 1)
        colours = cv2.applyColorMap((height * 255).astype(np.uint8).reshape(-1, 1), cv2.COLORMAP_TURBO)[:, 0]
        tile[pixels[inside, 1], pixels[inside, 0]] = colours
    return tile


def _radar_tile(detections: np.ndarray) -> np.ndarray:
    fields = radar_fields(detections)
    depth, azimuth, altitude, velocity = fields["depth"], fields["azimuth"], fields["altitude"], fields["velocity"]
    xy = np.stack([depth * np.cos(altitude) * np.cos(azimuth), depth * np.cos(altitude) * np.sin(azimuth)], 1)
    tile = np.zeros((TILE, TILE, 3), np.uint8)
    for (u, v), speed in zip(_top_down(xy).astype(int), velocity):
        cv2.circle(tile, (int(u), int(v)), 2, (0, 0, 255) if speed < 0 else (255, 160, 0), -1)
    return tile


def _boxes_tile(boxes: list[dict[str, Any]]) -> np.ndarray:
    tile = np.zeros((TILE, TILE, 3), np.uint8)
    for box in boxes:
        x, y = box["position"][:2]
        ex, ey = box["extent"][:2]
        c, s = np.cos(box["yaw"]), np.sin(box["yaw"])
        corners = np.array([[x + c * ex * a - s * ey * b, y + s * ex * a + c * ey * b] for a, b in ((1, 1), (1, -1), (-1, -1), (-1, 1))])
        cv2.polylines(tile, [np.round(_top_down(corners)).astype(np.int32)], True, BOX_BGR.get(box["class"], (255, 255, 255)), 1)
    cv2.rectangle(tile, (TILE // 2 - 2, TILE // 2 - 5), (TILE // 2 + 2, TILE // 2 + 5), (255, 255, 255), -1)
    return tile


def _text_tile(lines: list[str]) -> np.ndarray:
    tile = np.zeros((TILE, TILE, 3), np.uint8)
    for i, line in enumerate(lines):
        cv2.putText(tile, line, (6, 40 + 22 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (230, 230, 230), 1, cv2.LINE_AA)
    return tile


def _tile(data: Any, kind: str) -> np.ndarray | None:
    if kind in ("rgb", "semantic", "depth"):
        return _camera_tile(np.asarray(data), kind)
    if kind == "bev":
        return _fit(BEV_BGR[np.minimum(np.asarray(data), len(BEV_BGR) - 1)])
    if kind == "lidar":
        return _points_tile(np.asarray(data))
    if kind == "radar":
        return _radar_tile(np.asarray(data))
    if kind == "boxes":
        return _boxes_tile(data)
    if kind == "speedometer":
        return _text_tile([f"speed {data['speed']:.2f} m/s"])
    if kind == "gnss":
        return _text_tile(["lat %.7f" % data[0], "lon %.7f" % data[1], "alt %.2f" % data[2]])
    if kind == "imu":
        return _text_tile(["acc %.2f %.2f %.2f" % tuple(data[:3]), "gyro %.3f %.3f %.3f" % tuple(data[3:6]),
                           "compass %.3f" % data[6]])
    return None


def render_sensor_grid(outputs: dict[str, tuple[int, Any]], kinds: dict[str, str] | None = None) -> np.ndarray:
    """BGR uint8 image with one labelled tile per sensor of a ``SensorSuite.read`` result.

    ``kinds`` maps sensor ids to kinds (``SensorSuite.kinds``); missing ones are guessed from the data.
    """
    tiles = []
    for sensor_id, (_, data) in outputs.items():
        kind = (kinds or {}).get(sensor_id) or guess_kind(sensor_id, data)
        tile = _tile(data, kind)
        if tile is None:
            continue
        tile = np.ascontiguousarray(tile)
        cv2.rectangle(tile, (0, 0), (TILE - 1, 18), (0, 0, 0), -1)
        cv2.putText(tile, sensor_id, (4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
        tiles.append(tile)
    if not tiles:
        return np.zeros((TILE, TILE, 3), np.uint8)
    rows = [tiles[i:i + COLUMNS] for i in range(0, len(tiles), COLUMNS)]
    blank = np.zeros((TILE, TILE, 3), np.uint8)
    return np.vstack([np.hstack(row + [blank] * (COLUMNS - len(row))) for row in rows])
