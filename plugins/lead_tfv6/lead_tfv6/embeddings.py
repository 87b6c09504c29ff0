"""Sine positional embeddings and BEV coordinate helpers shared by the radar and planning heads.

BEV convention everywhere in this package: ego frame, x forward and y right in metres; a BEV raster
has rows along y (row 0 at ``min_y``) and columns along x (column 0 at ``min_x``).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from lead_tfv6.config import TFv6Config

TEMPERATURE = 10000.0


def _sine_features(values: torch.Tensor, num_features: int) -> torch.Tensor:
    """Interleaved sin/cos of ``values`` (scaled to [0, 2 pi]) at ``num_features`` frequencies."""
    index = torch.arange(num_features, dtype=torch.float32, device=values.device)
    frequencies = TEMPERATURE ** (2 * torch.div(index, 2, rounding_mode="floor") / num_features)
    angles = values.float()[..., None] * (2 * math.pi) / frequencies
    return torch.stack((angles[..., 0::2].sin(), angles[..., 1::2].cos()), dim=-1).flatten(-2)


def sine_embedding_points(points: torch.Tensor, dim: int) -> torch.Tensor:
    """Embed points (..., 2) with coordinates in [0, 1] into (..., dim): half for y, half for x."""
    half = dim // 2
    return torch.cat([_sine_features(points[..., 1], half), _sine_features(points[..., 0], half)], dim=-1)


def sine_embedding_grid(height: int, width: int, dim: int, device: torch.device) -> torch.Tensor:
    """(dim, height, width) embedding of normalised cell positions of a grid (DETR-style)."""
    rows = torch.arange(1, height + 1, dtype=torch.float32, device=device) / height
    cols = torch.arange(1, width + 1, dtype=torch.float32, device=device) / width
    grid_y, grid_x = torch.meshgrid(rows, cols, indexing="ij")
    points = torch.stack([grid_x, grid_y], dim=-1)
    return sine_embedding_points(points, dim).permute(2, 0, 1)


def normalize_bev_points(points: torch.Tensor, config: TFv6Config) -> torch.Tensor:
    """Ego-frame points (..., 2) in metres to [0, 1] over the BEV area (clamped)."""
    x = (points[..., 0] - config.min_x) / (config.max_x - config.min_x)
    y = (points[..., 1] - config.min_y) / (config.max_y - config.min_y)
    return torch.stack([x, y], dim=-1).clamp(0.0, 1.0)


def sample_bev(features: torch.Tensor, points: torch.Tensor, config: TFv6Config) -> torch.Tensor:
    """Bilinearly sample BEV features (B, D, H, W) at ego-frame points (B, N, 2) -> (B, N, D)."""
    unit = normalize_bev_points(points, config)
    grid = (unit * 2 - 1).unsqueeze(2)  # (B, N, 1, 2) as (column=x, row=y)
    sampled = F.grid_sample(features, grid.to(features.dtype), mode="bilinear", align_corners=False)
    return sampled.squeeze(-1).transpose(1, 2)
