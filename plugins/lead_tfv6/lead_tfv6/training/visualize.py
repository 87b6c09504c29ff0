"""Pictures of a training batch for TensorBoard: camera, BEV prediction vs label, waypoints."""

from __future__ import annotations

import math

import cv2
import numpy as np
import torch

from lead_tfv6.batch import IMAGENET_MEAN, IMAGENET_STD
from lead_tfv6.config import TFv6Config

#: BEV class colours (RGB), class 0..12; ignored cells are black.
BEV_COLOURS = np.array(
    [(40, 40, 40), (110, 110, 110), (255, 255, 255), (255, 0, 255), (0, 90, 255), (255, 60, 60), (255, 160, 0),
     (0, 200, 255), (160, 0, 255), (0, 255, 120), (255, 0, 0), (255, 230, 0), (0, 255, 0)],
    dtype=np.uint8,
)
#: Front camera height above ground and distance ahead of the ego origin (m), LEAD's rig.
CAMERA_HEIGHT_M, CAMERA_X_M = 2.25, 0.35


def camera_image(rgb: torch.Tensor) -> np.ndarray:
    """(3, H, W) normalised camera tensor -> (H, W, 3) uint8 RGB."""
    image = rgb.detach().float().cpu().numpy().transpose(1, 2, 0) * IMAGENET_STD + IMAGENET_MEAN
    return np.ascontiguousarray(np.clip(image * 255.0, 0, 255).astype(np.uint8))


def bev_image(classes: np.ndarray) -> np.ndarray:
    """(rows y, cols x) class raster -> RGB picture with forward up and right to the right."""
    picture = np.zeros((*classes.shape, 3), np.uint8)
    valid = (classes >= 0) & (classes < len(BEV_COLOURS))
    picture[valid] = BEV_COLOURS[classes[valid]]
    return np.ascontiguousarray(picture.transpose(1, 0, 2)[::-1])


def bev_comparison(logits: torch.Tensor, labels: torch.Tensor) -> np.ndarray:
    """Predicted (left) and true (right) BEV classes of one sample side by side."""
    predicted = logits.detach().float().argmax(0).cpu().numpy()
    true = labels.detach().cpu().numpy()
    gap = np.full((predicted.shape[1], 4, 3), 255, np.uint8)
    return np.concatenate([bev_image(predicted), gap, bev_image(true)], axis=1)


def project_to_front_camera(points: np.ndarray, config: TFv6Config, size: tuple[int, int]) -> np.ndarray:
    """Ground points (N, 2) in the ego frame -> pixel (u, v) in the stitched image's middle camera.

    Points behind the camera come back as NaN.
    """
    height, width = size
    cameras = max(1, len(config.camera_yaws_deg))
    camera_width = width / cameras
    focal = camera_width / (2.0 * math.tan(math.radians(config.camera_fov_deg) / 2.0))
    depth = points[:, 0] - CAMERA_X_M
    with np.errstate(divide="ignore", invalid="ignore"):
        u = width / 2.0 + focal * points[:, 1] / depth
        v = height / 2.0 + focal * CAMERA_HEIGHT_M / depth
    behind = depth <= 0.5
    u[behind], v[behind] = np.nan, np.nan
    return np.stack([u, v], axis=1)


def draw_waypoints(image: np.ndarray, config: TFv6Config, true: torch.Tensor, predicted: torch.Tensor | None) -> np.ndarray:
    """The camera image with true (green) and predicted (red) waypoints drawn on the ground."""
    picture = image.copy()
    for points, colour in ((true, (0, 255, 0)), (predicted, (255, 0, 0))):
        if points is None:
            continue
        pixels = project_to_front_camera(points.detach().float().cpu().numpy(), config, picture.shape[:2])
        for u, v in pixels:
            if np.isfinite(u) and np.isfinite(v):
                cv2.circle(picture, (int(u), int(v)), 3, colour, thickness=-1)
    return picture
