"""The tensors TFv6 consumes and produces, the shared preprocessing, and synthetic batches.

Input keys (B = batch size; sizes from ``TFv6Config``; ego frame: x forward, y right, metres):

============================  ==========================  =======  ==========================================
key                           shape                       dtype    meaning
============================  ==========================  =======  ==========================================
rgb                           B, 3, image_h, image_w      float32  stitched cameras, ``normalize_camera``
lidar                         B, 1, lidar_h, lidar_w      float32  ``lidar_to_histogram`` (rows y, cols x)
radar                         B, num_radar_points, 5      float32  x, y, z, v, sensor_id (-1 = padding)
speed                         B                           float32  ego speed, m/s
command                       B, num_commands             float32  one-hot navigation command
target_points                 B, 3, 2                     float32  previous, current, next target point
============================  ==========================  =======  ==========================================

Label keys (for ``compute_loss``; h, w = ``config.bev_grid``; persp_h, persp_w =
``config.perspective_size``, the image size unless ``perspective_output_stride`` > 1;
Q = ``num_radar_queries``):

============================  ==========================  =======  ==========================================
semantics                     B, persp_h, persp_w         int64    camera semantic class
depth                         B, persp_h, persp_w         float32  depth / ``depth_max_m``, in [0, 1]
bev_semantics                 B, lidar_h, lidar_w         int64    BEV class (rows y, cols x)
center_heatmap                B, num_box_classes, h, w    float32  ``heads.centernet_targets`` maps ...
center_wh, center_offset      B, 2, h, w                  float32
center_yaw_class              B, h, w                     int64
center_yaw_res                B, 1, h, w                  float32
center_velocity               B, 1, h, w                  float32
center_pixel_weight           B, 2, h, w                  float32
center_avg_factor             B                           float32  number of boxes (>= 1)
radar_detections              B, Q, 4                     float32  x, y, speed, valid (0/1)
route                         B, num_route_points, 2      float32  posttrain: route points, 1 m apart
waypoints                     B, num_waypoints, 2         float32  posttrain: future positions at 4 Hz
target_speed                  B                           float32  posttrain: expert target speed, m/s
brake                         B                           bool     posttrain: expert brakes (class 0)
light_state                   B                           int64    ``light_state_head``: index in LIGHT_STATES
stop_sign                     B                           int64    ``stop_sign_head``: index in STOP_SIGN_ZONES
============================  ==========================  =======  ==========================================

Outputs of ``TFv6.forward``: ``semantics_logits`` (B, classes, persp_h, persp_w), ``depth``
(B, persp_h, persp_w), ``bev_semantics_logits`` (B, bev classes, lidar_h, lidar_w), the CenterNet
maps ``center_heatmap_logits``, ``center_wh``, ``center_offset``, ``center_yaw_class_logits``,
``center_yaw_res``, ``center_velocity`` (B, *, h, w), ``radar_features`` (B, Q, radar_token_dim),
``radar_predictions`` (B, Q, 4: x, y, speed, valid logit) and, in ``posttrain``, ``route``,
``waypoints``, ``target_speed_logits`` (B, speed classes) and ``target_speed`` (B, expected m/s);
with ``light_state_head``, ``light_state_logits`` (B, len(LIGHT_STATES)); with ``stop_sign_head``,
``stop_sign_logits`` (B, len(STOP_SIGN_ZONES)).
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

from lead_tfv6.config import TFv6Config
from lead_tfv6.heads.centernet import centernet_targets
from lead_tfv6.heads.light_state import LIGHT_STATES
from lead_tfv6.heads.stop_sign import STOP_SIGN_ZONES

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
NUM_TARGET_POINTS = 3
ROUTE_START_M, ROUTE_SPACING_M, WAYPOINT_DT_S = 2.5, 1.0, 0.25

FLOAT, INT, BOOL = "float", "int", "bool"


class BatchError(ValueError):
    """A batch tensor that is missing or has the wrong shape or dtype."""


def batch_spec(config: TFv6Config, labels: bool = True) -> dict[str, tuple[tuple[int | None, ...], str]]:
    """Expected ``key -> (shape with None for the batch dimension, dtype kind)``."""
    image = (config.image_height, config.image_width)
    lidar = (config.lidar_height, config.lidar_width)
    grid = config.bev_grid
    spec: dict[str, tuple[tuple[int | None, ...], str]] = {
        "rgb": ((None, 3, *image), FLOAT),
        "lidar": ((None, 1, *lidar), FLOAT),
        "radar": ((None, config.num_radar_points, 5), FLOAT),
        "speed": ((None,), FLOAT),
        "command": ((None, config.num_commands), FLOAT),
        "target_points": ((None, NUM_TARGET_POINTS, 2), FLOAT),
    }
    if not labels:
        return spec
    spec.update(
        {
            "semantics": ((None, *config.perspective_size), INT),
            "depth": ((None, *config.perspective_size), FLOAT),
            "bev_semantics": ((None, *lidar), INT),
            "center_heatmap": ((None, config.num_box_classes, *grid), FLOAT),
            "center_wh": ((None, 2, *grid), FLOAT),
            "center_offset": ((None, 2, *grid), FLOAT),
            "center_yaw_class": ((None, *grid), INT),
            "center_yaw_res": ((None, 1, *grid), FLOAT),
            "center_velocity": ((None, 1, *grid), FLOAT),
            "center_pixel_weight": ((None, 2, *grid), FLOAT),
            "center_avg_factor": ((None,), FLOAT),
            "radar_detections": ((None, config.num_radar_queries, 4), FLOAT),
        }
    )
    if config.light_state_head:
        spec["light_state"] = ((None,), INT)
    if config.stop_sign_head:
        spec["stop_sign"] = ((None,), INT)
    if config.uses_planner:
        spec.update(
            {
                "route": ((None, config.num_route_points, 2), FLOAT),
                "waypoints": ((None, config.num_waypoints, 2), FLOAT),
                "target_speed": ((None,), FLOAT),
                "brake": ((None,), BOOL),
            }
        )
    return spec


def _kind(tensor: torch.Tensor) -> str:
    if tensor.dtype == torch.bool:
        return BOOL
    return FLOAT if tensor.is_floating_point() else INT


def check_batch(batch: dict[str, torch.Tensor], config: TFv6Config, labels: bool) -> None:
    """Raise ``BatchError`` naming the first key that is missing or malformed."""
    batch_size = None
    for key, (shape, kind) in batch_spec(config, labels).items():
        if key not in batch:
            raise BatchError(f"batch is missing {key!r} (expected shape {_show(shape)}, {kind}); see lead_tfv6.batch")
        tensor = batch[key]
        if not isinstance(tensor, torch.Tensor):
            raise BatchError(f"batch[{key!r}] must be a torch.Tensor, got {type(tensor).__name__}")
        batch_size = tensor.shape[0] if batch_size is None and tensor.dim() else batch_size
        expected = (batch_size, *shape[1:])
        if tuple(tensor.shape) != expected:
            raise BatchError(f"batch[{key!r}] has shape {tuple(tensor.shape)}, expected {_show(expected)} for this TFv6Config")
        if _kind(tensor) != kind:
            raise BatchError(f"batch[{key!r}] has dtype {tensor.dtype}, expected a {kind} tensor")


def _show(shape: tuple[int | None, ...]) -> str:
    return "(" + ", ".join("B" if size is None else str(size) for size in shape) + ")"


# -- preprocessing shared by the data pipeline and the driving agent ------------------------------
def lidar_to_histogram(points: np.ndarray, config: TFv6Config) -> np.ndarray:
    """Rasterise ego-frame points (N, >=3: x, y, z, ...) into a (1, lidar_h, lidar_w) histogram.

    Points outside [min_x, max_x) x [min_y, max_y) x [min_z, max_z] are dropped; a cell holds
    min(count, hist_max_per_pixel) / hist_max_per_pixel. Row r covers y in
    [min_y + r / ppm, min_y + (r + 1) / ppm); column c covers x likewise from min_x.
    """
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] < 3:
        raise ValueError(f"lidar_to_histogram: points must have shape (N, >=3) as x, y, z; got {points.shape}")
    x, y, z = points[:, 0], points[:, 1], points[:, 2]
    inside = (x >= config.min_x) & (x < config.max_x) & (y >= config.min_y) & (y < config.max_y)
    inside &= (z >= config.min_z) & (z <= config.max_z)
    rows = np.floor((y[inside] - config.min_y) * config.pixels_per_meter).astype(np.int64)
    cols = np.floor((x[inside] - config.min_x) * config.pixels_per_meter).astype(np.int64)
    height, width = config.lidar_height, config.lidar_width
    rows, cols = np.minimum(rows, height - 1), np.minimum(cols, width - 1)
    counts = np.bincount(rows * width + cols, minlength=height * width).reshape(height, width)
    histogram = np.minimum(counts, config.hist_max_per_pixel) / config.hist_max_per_pixel
    return histogram.astype(np.float32)[None]


def normalize_camera(image: np.ndarray, config: TFv6Config) -> np.ndarray:
    """Stitched RGB (not BGR) image (H, W, 3) uint8 -> (3, image_h, image_w) float32, ImageNet-normalised.

    Images of another size are resized with area interpolation first.
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"normalize_camera: expected an (H, W, 3) uint8 RGB image, got {image.shape} {image.dtype}")
    if image.shape[:2] != (config.image_height, config.image_width):
        image = cv2.resize(image, (config.image_width, config.image_height), interpolation=cv2.INTER_AREA)
    normalized = (image.astype(np.float32) / 255.0 - IMAGENET_MEAN) / IMAGENET_STD
    return np.ascontiguousarray(normalized.transpose(2, 0, 1))


def perspective_labels(semantics: np.ndarray, depth: np.ndarray, config: TFv6Config) -> tuple[np.ndarray, np.ndarray]:
    """Camera labels at the image size -> int64 semantics and float32 depth at ``perspective_size``.

    Nearest-neighbour resampling, so classes stay classes and depth values stay measured values.
    """
    height, width = config.perspective_size
    if semantics.shape != (height, width):
        semantics = cv2.resize(semantics.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST)
    if depth.shape != (height, width):
        depth = cv2.resize(np.ascontiguousarray(depth, dtype=np.float32), (width, height), interpolation=cv2.INTER_NEAREST)
    return semantics.astype(np.int64), depth.astype(np.float32)


# -- synthetic batches ---------------------------------------------------------------------------
def _box_points(box: np.ndarray, rng: np.random.Generator, count: int) -> np.ndarray:
    x, y, length, width, yaw = box[:5]
    local = rng.uniform(-0.5, 0.5, (count, 2)) * (length, width)
    cos, sin = np.cos(yaw), np.sin(yaw)
    world = np.stack([x + cos * local[:, 0] - sin * local[:, 1], y + sin * local[:, 0] + cos * local[:, 1]], axis=1)
    return np.concatenate([world, rng.uniform(0.0, 1.6, (count, 1))], axis=1)


def _bev_cells_in_box(box: np.ndarray, config: TFv6Config) -> np.ndarray:
    rows = config.min_y + (np.arange(config.lidar_height) + 0.5) / config.pixels_per_meter
    cols = config.min_x + (np.arange(config.lidar_width) + 0.5) / config.pixels_per_meter
    y, x = np.meshgrid(rows, cols, indexing="ij")
    dx, dy = x - box[0], y - box[1]
    cos, sin = np.cos(box[4]), np.sin(box[4])
    along, across = cos * dx + sin * dy, -sin * dx + cos * dy
    return (np.abs(along) <= box[2] / 2) & (np.abs(across) <= box[3] / 2)


def _arc(distances: np.ndarray, curvature: float) -> np.ndarray:
    if abs(curvature) < 1e-6:
        return np.stack([distances, np.zeros_like(distances)], axis=1)
    angle = distances * curvature
    return np.stack([np.sin(angle) / curvature, (1 - np.cos(angle)) / curvature], axis=1)


def _synthetic_sample(config: TFv6Config, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One coherent random scene: boxes seen by LiDAR and radar, a banded camera view, a curved plan."""
    num_boxes = int(rng.integers(1, 6))
    boxes = np.stack(
        [
            rng.uniform(-10.0, 0.8 * config.max_x, num_boxes),
            rng.uniform(0.7 * config.min_y, 0.7 * config.max_y, num_boxes),
            rng.uniform(3.5, 5.5, num_boxes),
            rng.uniform(1.6, 2.2, num_boxes),
            rng.uniform(-np.pi, np.pi, num_boxes),
            rng.uniform(0.0, 12.0, num_boxes),
            rng.integers(0, config.num_box_classes, num_boxes),
        ],
        axis=1,
    )
    clutter = np.stack(
        [rng.uniform(config.min_x, config.max_x, 300), rng.uniform(config.min_y, config.max_y, 300), rng.uniform(0, 3, 300)], axis=1
    )
    points = np.concatenate([clutter, *[_box_points(box, rng, 150) for box in boxes]])
    bev = np.zeros((config.lidar_height, config.lidar_width), np.int64)
    road_rows = np.abs(config.min_y + (np.arange(config.lidar_height) + 0.5) / config.pixels_per_meter) < 7.0
    bev[road_rows] = 1
    for box in boxes:
        bev[_bev_cells_in_box(box, config)] = 4

    radar = np.zeros((config.num_radar_points, 5), np.float32)
    radar[:, 4] = -1.0
    hits = [(box[0] + rng.normal(0, 0.3), box[1] + rng.normal(0, 0.3), 0.5, box[5], rng.integers(0, config.num_radar_sensors))
            for box in boxes for _ in range(3)][: config.num_radar_points]
    if hits:
        radar[: len(hits)] = np.array(hits, np.float32)
    detections = np.zeros((config.num_radar_queries, 4), np.float32)
    for index, box in enumerate(boxes[: config.num_radar_queries]):
        detections[index] = (box[0], box[1], box[5], 1.0)

    height, width = config.image_height, config.image_width
    semantics = np.zeros((height, width), np.int64)
    semantics[height // 2 :] = 1
    for _ in range(int(rng.integers(1, 4))):
        top, left = int(rng.integers(0, height * 3 // 4)), int(rng.integers(0, width * 7 // 8))
        semantics[top : top + height // 4, left : left + width // 8] = rng.integers(2, config.num_semantic_classes)
    palette = np.random.default_rng(12345).integers(0, 256, (config.num_semantic_classes, 3)).astype(np.float32)
    image = np.clip(palette[semantics] + rng.normal(0, 8, (height, width, 3)), 0, 255).astype(np.uint8)
    row_depth = np.clip(np.linspace(1.5, -0.2, height), 0.02, 1.0)
    depth = np.broadcast_to(row_depth[:, None], (height, width)).astype(np.float32)
    semantics, depth = perspective_labels(semantics, depth, config)

    speed = float(rng.uniform(0.0, 15.0))
    curvature = float(rng.uniform(-0.03, 0.03))
    target_speed = float(rng.choice(config.target_speed_classes))
    route = _arc(ROUTE_START_M + ROUTE_SPACING_M * np.arange(config.num_route_points), curvature)
    waypoints = _arc(speed * WAYPOINT_DT_S * np.arange(1, config.num_waypoints + 1), curvature)
    target_points = _arc(np.array([-5.0, 30.0, 80.0]), curvature)
    command = np.zeros(config.num_commands, np.float32)
    command[int(rng.integers(0, config.num_commands))] = 1.0
    states = int(rng.integers(0, len(LIGHT_STATES) * len(STOP_SIGN_ZONES)))
    return {
        "rgb": normalize_camera(image, config),
        "lidar": lidar_to_histogram(points, config),
        "radar": radar,
        "speed": np.float32(speed),
        "command": command,
        "target_points": target_points.astype(np.float32),
        "semantics": semantics,
        "depth": depth,
        "bev_semantics": bev,
        **centernet_targets(boxes, config),
        "radar_detections": detections,
        "route": route.astype(np.float32),
        "waypoints": waypoints.astype(np.float32),
        "target_speed": np.float32(target_speed),
        "brake": np.bool_(target_speed == 0.0),
        # one draw for both states, so that the other samples of a batch do not depend on the heads
        "light_state": np.int64(states // len(STOP_SIGN_ZONES)),
        "stop_sign": np.int64(states % len(STOP_SIGN_ZONES)),
    }


def make_synthetic_batch(config: TFv6Config, batch_size: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """A valid batch (inputs and all labels of ``config.phase``) of random but coherent scenes.

    Deterministic for a given seed. Meant for tests and benchmarks, not for learning to drive.
    """
    if batch_size < 1:
        raise ValueError(f"make_synthetic_batch: batch_size must be >= 1, got {batch_size}")
    rng = np.random.default_rng(seed)
    samples = [_synthetic_sample(config, rng) for _ in range(batch_size)]
    keys = batch_spec(config, labels=True)
    return {key: torch.from_numpy(np.stack([sample[key] for sample in samples])) for key in keys}
