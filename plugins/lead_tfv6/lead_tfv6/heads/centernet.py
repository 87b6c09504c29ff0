"""CenterNet box head on the dense BEV grid, and the targets it learns from.

Boxes are rows ``(x, y, length, width, yaw, speed, class)`` in the ego frame (metres, radians,
m/s; length along the box's heading). Targets live on the BEV head grid (``config.bev_grid``):
a Gaussian peak per box centre in its class channel, and at the centre cell the box size, the
sub-cell offset of the centre, the yaw as bin + residual, and the speed.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from lead_tfv6.config import TFv6Config

#: Heatmap bias so that initial peak probabilities are ~0.1 (the CenterNet prior).
HEATMAP_PRIOR_BIAS = -2.19
#: IoU a box shifted within the Gaussian radius keeps with the true box (LEAD uses 0.1).
HEATMAP_MIN_OVERLAP = 0.1
BOX_FIELDS = ("x", "y", "length", "width", "yaw", "speed", "class")


def _head(channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(channels, channels, kernel_size=3, padding=1),
        nn.ReLU(inplace=True),
        nn.Conv2d(channels, out_channels, kernel_size=1),
    )


class CenterNetHead(nn.Module):
    """One small conv head per output map; returns a dict of ``center_*`` tensors."""

    def __init__(self, config: TFv6Config):
        super().__init__()
        channels = config.bev_channels
        outputs = {
            "center_heatmap_logits": config.num_box_classes,
            "center_wh": 2,
            "center_offset": 2,
            "center_yaw_class_logits": config.num_yaw_bins,
            "center_yaw_res": 1,
        }
        if config.predict_box_velocity:
            outputs["center_velocity"] = 1
        self.heads = nn.ModuleDict({name: _head(channels, size) for name, size in outputs.items()})
        nn.init.constant_(self.heads["center_heatmap_logits"][-1].bias, HEATMAP_PRIOR_BIAS)

    def forward(self, bev_grid: torch.Tensor) -> dict[str, torch.Tensor]:
        return {name: head(bev_grid) for name, head in self.heads.items()}


def yaw_to_bin(yaw: np.ndarray, num_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Split angles into a bin index (bin 0 centred on 0 rad) and a residual in [-bin/2, bin/2)."""
    bin_size = 2 * np.pi / num_bins
    shifted = np.mod(yaw + bin_size / 2, 2 * np.pi)
    index = np.floor(shifted / bin_size).astype(np.int64) % num_bins
    residual = shifted - index * bin_size - bin_size / 2
    return index, residual


def bin_to_yaw(index: torch.Tensor, residual: torch.Tensor, num_bins: int) -> torch.Tensor:
    """Inverse of ``yaw_to_bin``, wrapped to [-pi, pi)."""
    angle = index.float() * (2 * math.pi / num_bins) + residual
    return torch.remainder(angle + math.pi, 2 * math.pi) - math.pi


def gaussian_radius(height: float, width: float, min_overlap: float = 0.7) -> float:
    """Largest centre displacement keeping IoU >= min_overlap (CornerNet's three cases)."""
    b1 = height + width
    c1 = width * height * (1 - min_overlap) / (1 + min_overlap)
    r1 = (b1 + math.sqrt(b1**2 - 4 * c1)) / 2
    b2 = 2 * (height + width)
    c2 = (1 - min_overlap) * width * height
    r2 = (b2 + math.sqrt(b2**2 - 16 * c2)) / 2
    a3 = 4 * min_overlap
    b3 = -2 * min_overlap * (height + width)
    c3 = (min_overlap - 1) * width * height
    r3 = (b3 + math.sqrt(b3**2 - 4 * a3 * c3)) / 2
    return min(r1, r2, r3)


def _draw_gaussian(heatmap: np.ndarray, row: int, col: int, radius: int) -> None:
    offsets = np.arange(-radius, radius + 1)
    sigma = (2 * radius + 1) / 6
    kernel = np.exp(-(offsets[:, None] ** 2 + offsets[None, :] ** 2) / (2 * sigma**2))
    height, width = heatmap.shape
    top, bottom = max(0, row - radius), min(height, row + radius + 1)
    left, right = max(0, col - radius), min(width, col + radius + 1)
    patch = kernel[top - row + radius : bottom - row + radius, left - col + radius : right - col + radius]
    np.maximum(heatmap[top:bottom, left:right], patch, out=heatmap[top:bottom, left:right])


def centernet_targets(boxes: np.ndarray, config: TFv6Config) -> dict[str, np.ndarray]:
    """Rasterise boxes (N, 7) into the CenterNet target maps of one sample.

    Boxes whose centre falls outside the BEV area are dropped; at most ``config.max_boxes`` are
    kept. Returns float32 maps (int64 for the yaw class) with the batch keys of ``batch.py``.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, len(BOX_FIELDS))
    rows, cols = config.bev_grid
    cell = config.bev_output_stride / config.pixels_per_meter  # metres per grid cell
    targets = {
        "center_heatmap": np.zeros((config.num_box_classes, rows, cols), np.float32),
        "center_wh": np.zeros((2, rows, cols), np.float32),
        "center_offset": np.zeros((2, rows, cols), np.float32),
        "center_yaw_class": np.zeros((rows, cols), np.int64),
        "center_yaw_res": np.zeros((1, rows, cols), np.float32),
        "center_velocity": np.zeros((1, rows, cols), np.float32),
        "center_pixel_weight": np.zeros((2, rows, cols), np.float32),
    }
    kept = 0
    for x, y, length, width, yaw, speed, clazz in boxes:
        col_f, row_f = (x - config.min_x) / cell, (y - config.min_y) / cell
        row, col = int(math.floor(row_f)), int(math.floor(col_f))
        if not (0 <= row < rows and 0 <= col < cols) or kept >= config.max_boxes:
            continue
        class_index = int(clazz)
        if not 0 <= class_index < config.num_box_classes:
            raise ValueError(f"box class {class_index} is outside [0, {config.num_box_classes}); check the box labels")
        radius = max(0, int(gaussian_radius(length / cell, width / cell, HEATMAP_MIN_OVERLAP)))
        _draw_gaussian(targets["center_heatmap"][class_index], row, col, radius)
        targets["center_heatmap"][class_index, row, col] = 1.0
        yaw_bin, yaw_res = yaw_to_bin(np.array([yaw]), config.num_yaw_bins)
        targets["center_wh"][:, row, col] = (length, width)
        targets["center_offset"][:, row, col] = (col_f - col, row_f - row)
        targets["center_yaw_class"][row, col] = yaw_bin[0]
        targets["center_yaw_res"][0, row, col] = yaw_res[0]
        targets["center_velocity"][0, row, col] = speed
        targets["center_pixel_weight"][:, row, col] = 1.0
        kept += 1
    targets["center_avg_factor"] = np.float32(max(1, kept))
    return targets
