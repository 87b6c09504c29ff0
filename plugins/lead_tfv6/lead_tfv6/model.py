"""The TransFuser v6 model: fused encoder, perception heads and (in ``posttrain``) the planner."""

from __future__ import annotations

import torch
from torch import nn

from lead_tfv6.batch import check_batch
from lead_tfv6.config import TFv6Config
from lead_tfv6.fusion import TransFuserEncoder
from lead_tfv6.heads import (
    BevSemanticsHead,
    CenterNetHead,
    LightStateHead,
    PerspectiveHead,
    RadarDetector,
    StopSignHead,
    bev_visibility_mask,
)
from lead_tfv6.losses import compute_losses
from lead_tfv6.planning import PlanningDecoder


class TFv6(nn.Module):
    """``forward(batch) -> outputs`` and ``compute_loss(outputs, batch) -> (total, parts)``.

    The batch and output keys, shapes and dtypes are documented in ``lead_tfv6.batch``.
    """

    def __init__(self, config: TFv6Config):
        super().__init__()
        self.config = config
        self.encoder = TransFuserEncoder(config)
        bev_channels = self.encoder.bev_feature_channels
        lidar_stride = self.encoder.lidar_backbone.strides[-1]
        bev_feature_size = (config.lidar_height // lidar_stride, config.lidar_width // lidar_stride)
        self.semantics_head = PerspectiveHead(self.encoder.image_channels, config.num_semantic_classes, config)
        self.depth_head = PerspectiveHead(self.encoder.image_channels, 1, config)
        self.bev_semantics_head = BevSemanticsHead(config)
        self.centernet_head = CenterNetHead(config)
        self.radar_detector = RadarDetector(bev_channels, bev_feature_size, config)
        self.light_state_head = LightStateHead(self.encoder.image_channels, config) if config.light_state_head else None
        self.stop_sign_head = StopSignHead(config) if config.stop_sign_head else None
        self.planner = PlanningDecoder(bev_channels, config) if config.uses_planner else None
        self.register_buffer("bev_visibility", torch.from_numpy(bev_visibility_mask(config)), persistent=False)

    def forward(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        check_batch(batch, self.config, labels=False)
        bev_features, image_features, bev_grid = self.encoder(batch["rgb"].float(), batch["lidar"].float())
        radar_features, radar_predictions = self.radar_detector(bev_features, batch["radar"].float(), batch["speed"].float())
        outputs = {
            "semantics_logits": self.semantics_head(image_features),
            "depth": self.depth_head(image_features),
            "bev_semantics_logits": self.bev_semantics_head(bev_grid),
            **self.centernet_head(bev_grid),
            "radar_features": radar_features,
            "radar_predictions": radar_predictions,
        }
        light, state_logits = self.state_heads(image_features)
        outputs.update(state_logits)
        if self.planner is not None:
            outputs.update(self.planner(bev_features, radar_features, radar_predictions, batch, light))
        return outputs

    def state_heads(
        self, image_features: torch.Tensor
    ) -> tuple[tuple[torch.Tensor, torch.Tensor] | None, dict[str, torch.Tensor]]:
        """The optional state heads on the image features: the light-state (embedding, logits) pair
        the planner reads (None without the head) and the logits by output name, light state first,
        then the stop-sign zone, which reads the light-state embedding."""
        if self.light_state_head is None:
            return None, {}
        light = self.light_state_head(image_features)
        logits = {"light_state_logits": light[1]}
        if self.stop_sign_head is not None:
            logits["stop_sign_logits"] = self.stop_sign_head(light[0])
        return light, logits

    def compute_loss(self, outputs: dict[str, torch.Tensor], batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        check_batch(batch, self.config, labels=True)
        return compute_losses(outputs, batch, self.config, self.bev_visibility)
