"""Radar detector: learned queries attend to BEV, ego-speed and radar-point tokens (DETR-style).

Each query predicts one object ``(x, y, speed, valid logit)``; the loss matches queries to labels
with the Hungarian algorithm (``losses.radar_loss``). The query features also feed the planner.
Radar input points are ``(x, y, z, v, sensor_id)``; padding rows have ``sensor_id = -1``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from lead_tfv6.config import TFv6Config
from lead_tfv6.embeddings import normalize_bev_points, sample_bev, sine_embedding_points

RADAR_X, RADAR_Y, RADAR_Z, RADAR_V, RADAR_SENSOR = range(5)


def _mlp(in_dim: int, hidden: int, out_dim: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, out_dim))


class RadarDetector(nn.Module):
    def __init__(self, bev_channels: int, bev_feature_size: tuple[int, int], config: TFv6Config):
        super().__init__()
        self.config = config
        dim = config.radar_token_dim
        self.bev_projection = nn.Conv2d(bev_channels, dim, kernel_size=1)
        self.speed_projection = nn.Linear(1, dim)
        self.point_tokenizer = _mlp(dim + 1 + config.num_radar_sensors, config.radar_hidden_dim, dim)
        self.bev_position = nn.Parameter(torch.zeros(1, bev_feature_size[0] * bev_feature_size[1], dim))
        self.speed_position = nn.Parameter(torch.zeros(1, 1, dim))
        self.queries = nn.Parameter(torch.empty(1, config.num_radar_queries, dim))
        nn.init.xavier_uniform_(self.queries)
        layer = nn.TransformerDecoderLayer(
            dim, config.radar_heads, dim_feedforward=config.radar_ff_dim, dropout=config.radar_dropout,
            activation="gelu", batch_first=True,
        )
        self.decoder = nn.TransformerDecoder(layer, num_layers=config.radar_layers, norm=nn.LayerNorm(dim))
        self.state_decoder = _mlp(dim, config.radar_hidden_dim, 3)
        self.valid_decoder = nn.Linear(dim, 1)

    def forward(self, bev_features: torch.Tensor, radar: torch.Tensor, speed: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns query features (B, Q, D) and predictions (B, Q, 4): x, y, speed, valid logit."""
        config = self.config
        bev = self.bev_projection(bev_features)
        point_tokens, point_valid = self._tokenize(bev, radar)
        bev_tokens = bev.flatten(2).transpose(1, 2) + self.bev_position
        speed_token = self.speed_projection((speed / config.max_speed).reshape(-1, 1, 1)) + self.speed_position
        memory = torch.cat([bev_tokens, speed_token, point_tokens], dim=1)
        always_valid = torch.ones(memory.shape[0], bev_tokens.shape[1] + 1, dtype=torch.bool, device=memory.device)
        padding = ~torch.cat([always_valid, point_valid], dim=1)
        features = self.decoder(self.queries.expand(memory.shape[0], -1, -1), memory, memory_key_padding_mask=padding)
        raw = self.state_decoder(features)
        x_mid, x_half = (config.max_x + config.min_x) / 2, (config.max_x - config.min_x) / 2
        y_mid, y_half = (config.max_y + config.min_y) / 2, (config.max_y - config.min_y) / 2
        predictions = torch.stack(
            [
                torch.tanh(raw[..., 0]) * x_half + x_mid,
                torch.tanh(raw[..., 1]) * y_half + y_mid,
                (torch.tanh(raw[..., 2]) + 1) / 2 * config.max_speed,
                self.valid_decoder(features).squeeze(-1),
            ],
            dim=-1,
        )
        return features, predictions

    def _tokenize(self, bev: torch.Tensor, radar: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Radar point tokens (B, N, D) from sampled BEV features, speed and sensor one-hot."""
        config = self.config
        positions = radar[..., [RADAR_X, RADAR_Y]]
        sensor = radar[..., RADAR_SENSOR].round().long()
        valid = sensor >= 0
        sensor_one_hot = F.one_hot(sensor.clamp(0, config.num_radar_sensors - 1), config.num_radar_sensors)
        sensor_one_hot = sensor_one_hot.to(radar.dtype) * valid.unsqueeze(-1)
        features = torch.cat(
            [sample_bev(bev, positions, config), radar[..., RADAR_V : RADAR_V + 1] / config.max_speed, sensor_one_hot],
            dim=-1,
        )
        tokens = self.point_tokenizer(features)
        tokens = tokens + sine_embedding_points(normalize_bev_points(positions, config), config.radar_token_dim)
        return tokens, valid
