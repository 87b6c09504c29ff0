"""A small synthetic data set in the real shard format, for tests and benchmarks.

``write_synthetic_dataset`` drives no simulator: it draws coherent random scenes (a curved road,
a few actors, LiDAR and radar hits on them, a panorama whose pixels follow the semantics) and
writes them with ``lead_framework.data.DatasetWriter`` exactly as the expert's collect stage does
(docs/data-format.md), including the perturbated second view.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from lead_framework.data import DatasetWriter
from lead_framework.frame_labels import BOX_CLASS_NAMES, box_class_id
from lead_tfv6.data.geometry import to_perturbated_frame

BEV_SIZE, BEV_PPM = 256, 4.0
CAMERA_SPAN_DEG = 170.0  # the three stitched 60 deg cameras at -54.5, 0, 54.5 deg
#: Box class -> BEV class (vehicle, walker, traffic light (green), stop sign, special, obstacle, parking, biker).
BOX_TO_BEV = (4, 5, 12, 3, 8, 6, 7, 9)
#: Box class -> perspective semantic class.
BOX_TO_SEMANTICS = (4, 5, 7, 8, 4, 9, 4, 6)
PALETTE = np.random.default_rng(7).integers(0, 256, (10, 3)).astype(np.float32)


def _arc(distances: np.ndarray, curvature: float) -> np.ndarray:
    if abs(curvature) < 1e-6:
        return np.stack([distances, np.zeros_like(distances)], axis=1)
    angle = distances * curvature
    return np.stack([np.sin(angle) / curvature, (1 - np.cos(angle)) / curvature], axis=1)


def _random_boxes(rng: np.random.Generator, curvature: float) -> list[dict[str, Any]]:
    boxes = []
    for _ in range(int(rng.integers(1, 7))):
        clazz = int(rng.integers(0, 8))
        along = float(rng.uniform(-10.0, 40.0))
        x, y = _arc(np.array([along]), curvature)[0] + (0.0, float(rng.uniform(-8.0, 8.0)))
        half = (0.4, 0.4) if clazz in (1, 2, 3) else (float(rng.uniform(1.8, 2.6)), float(rng.uniform(0.8, 1.1)))
        yaw = float(rng.uniform(-math.pi, math.pi)) if clazz in (1, 7) else float(along * curvature + rng.normal(0, 0.1))
        speed = 0.0 if clazz in (2, 3, 5, 6) else float(rng.uniform(0.0, 12.0))
        future = [[x + speed * 0.25 * k * math.cos(yaw), y + speed * 0.25 * k * math.sin(yaw), yaw] for k in range(1, 9)]
        boxes.append({
            "class": BOX_CLASS_NAMES[clazz], "id": len(boxes) + 1, "position": [x, y, half[0] * 0.8], "extent": [half[0], half[1], 0.8],
            "yaw": yaw, "speed": speed, "lidar_points": int(rng.integers(0, 200)), "visible_pixels": int(rng.integers(1, 500)),
            "future": future,
        })
    return boxes


def _box_surface_points(box: dict[str, Any], rng: np.random.Generator, count: int = 60) -> np.ndarray:
    (x, y, _), (hx, hy, hz), yaw = box["position"], box["extent"], box["yaw"]
    local = rng.uniform(-1.0, 1.0, (count, 2)) * (hx, hy)
    cos, sin = math.cos(yaw), math.sin(yaw)
    return np.column_stack([
        x + cos * local[:, 0] - sin * local[:, 1], y + sin * local[:, 0] + cos * local[:, 1],
        rng.uniform(0.3, 2 * hz, count), np.full(count, 14.0),
    ])


def _transform_boxes(boxes: list[dict[str, Any]], perturbation: dict[str, float]) -> list[dict[str, Any]]:
    moved = []
    for box in boxes:
        position = to_perturbated_frame(np.array([box["position"]], np.float64), perturbation)[0]
        future = to_perturbated_frame(np.array(box["future"], np.float64), perturbation)
        future[:, 2] -= perturbation["yaw_rad"]
        moved.append({**box, "position": position.tolist(), "yaw": box["yaw"] - perturbation["yaw_rad"], "future": future.tolist()})
    return moved


def _render_bev(road: np.ndarray, boxes: list[dict[str, Any]]) -> np.ndarray:
    """Class map (forward up, right to the right, ego at the centre) of the road polyline and boxes."""
    import cv2

    bev = np.zeros((BEV_SIZE, BEV_SIZE), np.uint8)

    def pixels(xy: np.ndarray) -> np.ndarray:
        return np.column_stack([BEV_SIZE / 2 + xy[:, 1] * BEV_PPM, BEV_SIZE / 2 - xy[:, 0] * BEV_PPM]).round().astype(np.int32)

    cv2.polylines(bev, [pixels(road)], False, 1, thickness=int(7 * BEV_PPM))
    cv2.polylines(bev, [pixels(road)], False, 2, thickness=1)
    for box in boxes:
        (x, y, _), (hx, hy, _), yaw = box["position"], box["extent"], box["yaw"]
        corners = np.array([[hx, hy], [hx, -hy], [-hx, -hy], [-hx, hy]])
        rotation = np.array([[math.cos(yaw), -math.sin(yaw)], [math.sin(yaw), math.cos(yaw)]])
        cv2.fillPoly(bev, [pixels(corners @ rotation.T + (x, y))], BOX_TO_BEV[box_class_id(box["class"])])
    return bev


def _render_camera(boxes: list[dict[str, Any]], size: tuple[int, int], rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Panorama semantics (road below the horizon, boxes as rectangles by bearing), RGB and depth."""
    height, width = size
    semantics = np.zeros((height, width), np.uint8)
    semantics[height // 2 :] = 1
    rows = np.arange(height, dtype=np.float32)[:, None]
    depth_m = np.broadcast_to(np.where(rows > height / 2, 2.25 * height / np.maximum(rows - height / 2, 1.0), 50.0), (height, width)).copy()
    for box in sorted(boxes, key=lambda b: -math.hypot(*b["position"][:2])):
        x, y = box["position"][:2]
        distance = math.hypot(x, y)
        bearing = math.degrees(math.atan2(y, x))
        if x <= 0.5 or abs(bearing) > CAMERA_SPAN_DEG / 2:
            continue
        column = int((bearing / CAMERA_SPAN_DEG + 0.5) * width)
        half = max(1, int(width * math.degrees(math.atan2(box["extent"][1] + 0.5, distance)) / CAMERA_SPAN_DEG))
        tall = max(1, int(height * 2.0 / max(distance, 1.0)))
        top, left = max(0, height // 2 - tall), max(0, column - half)
        semantics[top : height // 2 + tall // 2, left : column + half] = BOX_TO_SEMANTICS[box_class_id(box["class"])]
        depth_m[top : height // 2 + tall // 2, left : column + half] = distance
    rgb = np.clip(PALETTE[semantics] + rng.normal(0, 6, (height, width, 3)), 0, 255).astype(np.uint8)
    depth = np.clip(depth_m[::4, ::4] / 50.0 * 255.0, 0, 255).astype(np.uint8)
    return rgb, semantics, depth


def _view(boxes, road, route, target_points, future, size, rng, extra_meta) -> dict[str, Any]:
    rgb, semantics, depth = _render_camera(boxes, size, rng)
    meta = {**extra_meta, "route": route.tolist(), "target_points": target_points.tolist(), "future_positions": future.tolist()}
    return {"rgb.jpg": rgb, "semantics.png": semantics, "depth.png": depth, "bev.png": _render_bev(road, boxes),
            "boxes.json": boxes, "meta.json": meta}


def _frame(rng: np.random.Generator, route_id: str, frame: int, curvature: float, perturbation: dict[str, float],
           size: tuple[int, int]) -> tuple[dict[str, Any], dict[str, Any]]:
    speed = float(rng.uniform(0.0, 12.0))
    target_speed = float(rng.choice([0.0, 4.0, 8.0, 10.0]))
    boxes = _random_boxes(rng, curvature)
    road = _arc(np.linspace(-40.0, 80.0, 61), curvature)
    route = _arc(1.0 + np.arange(50, dtype=np.float64), curvature)
    target_points = _arc(np.array([-4.0, 25.0, 70.0]), curvature)
    future = _arc(speed / 20.0 * np.arange(1, 61), curvature)
    ground = np.column_stack([rng.uniform(-30, 60, (800, 2)) * (1, 0.4), rng.normal(0.0, 0.03, 800), np.ones(800)])
    lidar = np.concatenate([ground, *[_box_surface_points(b, rng) for b in boxes]]).astype(np.float32)
    radar = np.zeros((300, 5), np.float32)
    radar[:, 4] = -1
    hits = [[b["position"][0], b["position"][1], 0.5, b["speed"], k % 4] for b in boxes if b["speed"] > 0 for k in range(3)]
    radar[: len(hits)] = np.asarray(hits, np.float32).reshape(-1, 5)
    command = int(rng.choice([3, 4])) if abs(curvature) < 0.02 else (1 if curvature < 0 else 2)
    meta = {
        "route_id": route_id, "town": "synthetic", "tick": frame * 5, "frame": frame, "time_s": frame * 0.25,
        "ego": {"x": 0.0, "y": 0.0, "z": 0.0, "yaw": 0.0, "speed": speed, "accel": [0.0, 0.0, 0.0], "yaw_rate": 0.0},
        "control": {"throttle": 0.5, "steer": float(curvature * 2), "brake": float(target_speed == 0.0)},
        "target_speed": target_speed, "brake": target_speed == 0.0, "speed_limit": 13.9,
        "commands": [4, command, 4], "future_yaws": [0.0] * 60, "future_speeds": [speed] * 60,
        "scenario": "", "junction": False, "hazard": "", "weather": {"sun_altitude_angle": 45.0},
        "perturbation": perturbation, "bev": {"pixels_per_meter": BEV_PPM, "ego_offset_m": 0.0},
    }
    members = {"lidar.npy": lidar, "radar.npy": radar,
               **_view(boxes, road, route, target_points, future, size, rng, meta)}
    moved = {name: to_perturbated_frame(value, perturbation).astype(np.float64) for name, value in
             (("road", road), ("route", route), ("target_points", target_points), ("future", future))}
    perturbated = _view(_transform_boxes(boxes, perturbation), moved["road"], moved["route"], moved["target_points"],
                        moved["future"], size, rng, meta)
    members.update({name.replace(".", "_perturbated.", 1): value for name, value in perturbated.items()})
    attributes = {"route_id": route_id, "town": "synthetic", "scenario": "", "weather": "clear_noon", "sun_altitude": 45.0,
                  "curvature": curvature, "speed": speed, "junction": False, "hazard": "", "command": command}
    return members, attributes


def write_synthetic_dataset(root: Path | str, *, routes: int = 2, frames_per_route: int = 8, seed: int = 0,
                            image_size: tuple[int, int] = (128, 384), shard_max_samples: int = 1000) -> Path:
    """Write ``routes`` routes of ``frames_per_route`` samples each into ``root``; returns ``root``.

    ``image_size`` is the stitched camera image (height, width); depth is stored at a quarter of it.
    Deterministic for a given seed. Routes already in the folder are kept (resume-safe).
    """
    root = Path(root)
    rng = np.random.default_rng(seed)
    with DatasetWriter(root, shard_max_samples=shard_max_samples, writer_id="synthetic") as writer:
        for number in range(routes):
            route_id = f"route_{number:04d}"
            curvature = float(rng.uniform(-0.03, 0.03))
            perturbation = {"lateral_m": float(rng.choice([-1, 1]) * rng.uniform(0.1, 1.0)), "yaw_rad": float(rng.uniform(-0.2, 0.2))}
            route_rng = np.random.default_rng([seed, number])
            if writer.is_done(route_id):
                continue
            with writer.route(route_id, metadata={"town": "synthetic"}) as route:
                for frame in range(frames_per_route):
                    members, attributes = _frame(route_rng, route_id, frame, curvature, perturbation, image_size)
                    route.add(frame, members, attributes)
    return root


#: Overrides of the ``tiny`` preset for seconds-long CPU runs on synthetic data (tests, smoke runs):
#: a 32x96 camera image and a 16 m x 16 m LiDAR raster.
FAST_OVERRIDES: dict[str, Any] = {
    "image_height": 32, "image_width": 96, "min_x": -8.0, "max_x": 8.0, "min_y": -8.0, "max_y": 8.0,
    "num_radar_points": 64,
}
