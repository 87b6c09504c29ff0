"""BEV semantic segmentation head and the camera-visibility mask its loss uses."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from lead_tfv6.config import TFv6Config


def bev_visibility_mask(config: TFv6Config) -> np.ndarray:
    """(H, W) bool: BEV cells whose centre lies inside some camera's horizontal field of view.

    Cameras are treated as sitting at the ego origin (they are within 0.35 m of it), so a cell is
    visible when its bearing is within half a field of view of a camera's yaw. Labels outside are
    ignored by the BEV semantics loss: the cameras cannot see there.
    """
    rows = config.min_y + (np.arange(config.lidar_height) + 0.5) / config.pixels_per_meter
    cols = config.min_x + (np.arange(config.lidar_width) + 0.5) / config.pixels_per_meter
    y, x = np.meshgrid(rows, cols, indexing="ij")
    bearing = np.degrees(np.arctan2(y, x))
    visible = np.zeros(bearing.shape, dtype=bool)
    for yaw in config.camera_yaws_deg:
        offset = (bearing - yaw + 180.0) % 360.0 - 180.0
        visible |= np.abs(offset) <= config.camera_fov_deg / 2
    return visible


class BevSemanticsHead(nn.Module):
    """3x3 conv, ReLU, 1x1 conv to classes, upsampled to the LiDAR raster size."""

    def __init__(self, config: TFv6Config):
        super().__init__()
        channels = config.bev_channels
        self.net = nn.Sequential(
            nn.Conv2d(channels, channels, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, config.num_bev_classes, kernel_size=1, bias=False),
            nn.Upsample(size=(config.lidar_height, config.lidar_width), mode="bilinear", align_corners=False),
        )

    def forward(self, bev_grid: torch.Tensor) -> torch.Tensor:
        return self.net(bev_grid)
