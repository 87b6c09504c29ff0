"""The TransFuser encoder: camera and LiDAR backbones exchanging features through transformers.

After each of the four backbone stages both feature maps are average-pooled to a small anchor
grid, the LiDAR tokens are projected to the image width, the concatenated tokens (plus a learned
positional embedding) pass through pre-LN transformer layers, and the result is interpolated back
to each branch's resolution and added to it. The deepest LiDAR map is the BEV feature; a small
top-down path turns it into the dense grid the BEV heads read.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from lead_tfv6.backbones import TimmBackbone, create_backbone
from lead_tfv6.config import TFv6Config, TFv6ConfigError, check_divisible

FUSED_STAGES = 4
LAST_FOUR_LEVELS = (-4, -3, -2, -1)


class FusionLayer(nn.Module):
    """Pre-LN transformer layer: self-attention then an MLP, each with a residual."""

    def __init__(self, width: int, heads: int, mlp_ratio: int, dropout: float):
        super().__init__()
        self.norm_attention = nn.LayerNorm(width)
        self.attention = nn.MultiheadAttention(width, heads, dropout=dropout, batch_first=True)
        self.attention_dropout = nn.Dropout(dropout)
        self.norm_mlp = nn.LayerNorm(width)
        self.mlp = nn.Sequential(
            nn.Linear(width, mlp_ratio * width),
            nn.ReLU(inplace=True),
            nn.Linear(mlp_ratio * width, width),
            nn.Dropout(dropout),
        )

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        normed = self.norm_attention(tokens)
        attended, _ = self.attention(normed, normed, normed, need_weights=False)
        tokens = tokens + self.attention_dropout(attended)
        return tokens + self.mlp(self.norm_mlp(tokens))


class FusionTransformer(nn.Module):
    """Joint attention over image and LiDAR anchor tokens of one stage (token width = image channels)."""

    def __init__(self, width: int, image_anchors: tuple[int, int], lidar_anchors: tuple[int, int], config: TFv6Config):
        super().__init__()
        if width % config.fusion_heads:
            raise TFv6ConfigError(
                f"TFv6Config.fusion_heads={config.fusion_heads} does not divide the image backbone's stage width {width}"
            )
        self.image_anchors, self.lidar_anchors = image_anchors, lidar_anchors
        num_tokens = image_anchors[0] * image_anchors[1] + lidar_anchors[0] * lidar_anchors[1]
        self.position = nn.Parameter(torch.zeros(1, num_tokens, width))
        self.dropout = nn.Dropout(config.fusion_dropout)
        self.layers = nn.Sequential(
            *[FusionLayer(width, config.fusion_heads, config.fusion_mlp_ratio, config.fusion_dropout) for _ in range(config.fusion_layers)]
        )
        self.norm = nn.LayerNorm(width)
        self.apply(_init_transformer_weights)

    def forward(self, image: torch.Tensor, lidar: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``image`` and ``lidar`` are anchor grids (B, C, h, w) of equal width C."""
        batch, width = image.shape[:2]
        image_tokens = image.flatten(2).transpose(1, 2)
        lidar_tokens = lidar.flatten(2).transpose(1, 2)
        tokens = self.dropout(torch.cat([image_tokens, lidar_tokens], dim=1) + self.position)
        tokens = self.norm(self.layers(tokens))
        split = image_tokens.shape[1]
        image_out = tokens[:, :split].transpose(1, 2).reshape(batch, width, *self.image_anchors)
        lidar_out = tokens[:, split:].transpose(1, 2).reshape(batch, width, *self.lidar_anchors)
        return image_out, lidar_out


def _init_transformer_weights(module: nn.Module) -> None:
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.MultiheadAttention):
        nn.init.normal_(module.in_proj_weight, mean=0.0, std=0.02)
        nn.init.zeros_(module.in_proj_bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


class BevTopDown(nn.Module):
    """Top-down path from the deepest LiDAR map to the dense BEV head grid (``bev_channels`` wide)."""

    def __init__(self, in_channels: int, config: TFv6Config):
        super().__init__()
        channels = config.bev_channels
        self.grid = config.bev_grid
        self.lateral = nn.Conv2d(in_channels, channels, kernel_size=1)
        self.refine_coarse = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
        self.refine_fine = nn.Conv2d(channels, channels, kernel_size=3, padding=1)

    def forward(self, bev_features: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.lateral(bev_features), inplace=True)
        x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        x = F.relu(self.refine_coarse(x), inplace=True)
        x = F.interpolate(x, size=self.grid, mode="bilinear", align_corners=False)
        return F.relu(self.refine_fine(x), inplace=True)


class TransFuserEncoder(nn.Module):
    """Two backbones fused after each stage; returns (BEV features, image features, BEV grid)."""

    def __init__(self, config: TFv6Config):
        super().__init__()
        self.image_backbone: TimmBackbone = create_backbone(
            config.image_backbone, in_chans=3, out_indices=LAST_FOUR_LEVELS, weights_path=config.image_weights_path
        )
        self.lidar_backbone: TimmBackbone = create_backbone(
            config.lidar_backbone, in_chans=1, out_indices=LAST_FOUR_LEVELS, weights_path=config.lidar_weights_path
        )
        for backbone in (self.image_backbone, self.lidar_backbone):
            if backbone.num_stages != FUSED_STAGES:
                raise TFv6ConfigError(
                    f"backbone {backbone.name!r} has {backbone.num_stages} feature stages; TransFuser fuses exactly {FUSED_STAGES}"
                )
        check_divisible("image", (config.image_height, config.image_width), self.image_backbone.strides[-1],
                        "image_height and image_width")
        check_divisible("LiDAR raster", (config.lidar_height, config.lidar_width), self.lidar_backbone.strides[-1],
                        "the LiDAR range (min/max_x, min/max_y) times pixels_per_meter")
        image_channels, lidar_channels = self.image_backbone.channels, self.lidar_backbone.channels
        self.image_pool = nn.AdaptiveAvgPool2d(config.image_anchors)
        self.lidar_pool = nn.AdaptiveAvgPool2d(config.lidar_anchors)
        self.lidar_to_image = nn.ModuleList(nn.Conv2d(l, i, kernel_size=1) for l, i in zip(lidar_channels, image_channels))
        self.image_to_lidar = nn.ModuleList(nn.Conv2d(i, l, kernel_size=1) for i, l in zip(image_channels, lidar_channels))
        self.fusion = nn.ModuleList(
            FusionTransformer(width, config.image_anchors, config.lidar_anchors, config) for width in image_channels
        )
        self.top_down = BevTopDown(lidar_channels[-1], config)
        self.image_channels = image_channels[-1]
        self.bev_feature_channels = lidar_channels[-1]  # width of the BEV map the radar and planner read
        self.image_stride = self.image_backbone.strides[-1]

    def forward(self, rgb: torch.Tensor, lidar: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        image_features, lidar_features = rgb, lidar
        for stage in range(FUSED_STAGES):
            image_features = self.image_backbone.forward_stage(stage, image_features)
            lidar_features = self.lidar_backbone.forward_stage(stage, lidar_features)
            image_features, lidar_features = self._fuse(stage, image_features, lidar_features)
        return lidar_features, image_features, self.top_down(lidar_features)

    def _fuse(self, stage: int, image: torch.Tensor, lidar: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        image_anchors = self.image_pool(image)
        lidar_anchors = self.lidar_to_image[stage](self.lidar_pool(lidar))
        image_update, lidar_update = self.fusion[stage](image_anchors, lidar_anchors)
        lidar_update = self.image_to_lidar[stage](lidar_update)
        image_update = F.interpolate(image_update, size=image.shape[2:], mode="bilinear", align_corners=False)
        lidar_update = F.interpolate(lidar_update, size=lidar.shape[2:], mode="bilinear", align_corners=False)
        return image + image_update, lidar + lidar_update
