"""The TFv6 planning decoder: learned queries read BEV and status tokens and emit the plan.

Queries: ``num_route_points`` route points, ``num_waypoints`` future waypoints and one
target-speed query. Memory: the BEV feature map (1x1 conv + sine positional embedding) followed by
status tokens (speed, command, the previous/current/next target points normalised by
``target_point_scale``, and the radar query features with a sine embedding of their predicted
positions), which carry a learned positional embedding. With ``planner_status_queries`` an MLP of
the same status values is also added to every query, and with ``planner_target_line_status`` that
MLP also reads :func:`target_line_status`. Route and waypoints are cumulative sums of
per-query offsets; the target speed is a distribution over ``target_speed_classes``. With
``light_state_head`` the memory ends with the light-state embedding (one more token), and the
status-query MLP also reads the predicted light-state probabilities (without gradient, so they keep
their meaning).
"""

from __future__ import annotations

import torch
from torch import nn

from lead_tfv6.config import TFv6Config
from lead_tfv6.embeddings import (
    normalize_bev_points,
    sine_embedding_grid,
    sine_embedding_points,
)
from lead_tfv6.heads.light_state import LIGHT_STATES

NUM_TARGET_POINTS = 3  # previous, current, next
#: Lateral offsets beyond this (metres) are clipped: a chord across a bend says little about the lane.
TARGET_LINE_MAX_OFFSET_M = 4.0
#: Previous and current target points closer than this (metres) give no line (start of a route).
TARGET_LINE_MIN_LENGTH_M = 1.0


def target_line_status(target_points: torch.Tensor) -> torch.Tensor:
    """(B, 3, 2) ego-frame target points in metres -> (B, 2): the ego's signed lateral offset (metres,
    positive = right of the line, clipped to +-``TARGET_LINE_MAX_OFFSET_M``) from the line through the
    previous and current target points, and the line's heading in the ego frame (radians).

    Both are zero where the two points are less than ``TARGET_LINE_MIN_LENGTH_M`` apart. The ego drives
    between these two points, so on a straight street the offset is its distance from the lane centre.
    """
    previous, current = target_points[:, 0].float(), target_points[:, 1].float()
    direction = current - previous
    length = direction.norm(dim=1)
    valid = length >= TARGET_LINE_MIN_LENGTH_M
    unit = direction / length.clamp(min=TARGET_LINE_MIN_LENGTH_M).unsqueeze(1)
    # ego (the origin) relative to the previous point, crossed with the line direction
    offset = unit[:, 0] * -previous[:, 1] - unit[:, 1] * -previous[:, 0]
    offset = offset.clamp(-TARGET_LINE_MAX_OFFSET_M, TARGET_LINE_MAX_OFFSET_M)
    heading = torch.atan2(direction[:, 1], direction[:, 0])
    zero = torch.zeros_like(offset)
    return torch.stack([torch.where(valid, offset, zero), torch.where(valid, heading, zero)], dim=1)


def encode_two_hot(speed: torch.Tensor, classes: tuple[float, ...], brake: torch.Tensor | None = None) -> torch.Tensor:
    """(B,) speeds -> (B, C) labels splitting mass linearly between the two nearest classes.

    Speeds at or above the last class go to the last class; ``brake`` forces class 0.
    """
    values = torch.tensor(classes, dtype=torch.float32, device=speed.device)
    speed = speed.float().clamp(min=0.0, max=values[-1].item())
    upper = torch.searchsorted(values, speed, right=True).clamp(1, len(classes) - 1)
    lower = upper - 1
    upper_weight = ((speed - values[lower]) / (values[upper] - values[lower])).clamp(0.0, 1.0)
    labels = torch.zeros(speed.shape[0], len(classes), device=speed.device)
    labels.scatter_(1, lower[:, None], (1 - upper_weight)[:, None])
    labels.scatter_add_(1, upper[:, None], upper_weight[:, None])
    if brake is not None:
        braking = brake.bool()
        labels[braking] = 0.0
        labels[braking, 0] = 1.0
    return labels


def decode_two_hot(probabilities: torch.Tensor, classes: tuple[float, ...]) -> torch.Tensor:
    """Expected speed (B,) of a distribution (B, C) over the speed classes."""
    values = torch.tensor(classes, dtype=probabilities.dtype, device=probabilities.device)
    return (probabilities * values).sum(dim=-1)


class PlanningDecoder(nn.Module):
    def __init__(self, bev_channels: int, config: TFv6Config):
        super().__init__()
        self.config = config
        dim = config.transfuser_token_dim
        self.num_status_tokens = 2 + NUM_TARGET_POINTS + config.num_radar_queries + (1 if config.light_state_head else 0)
        self.bev_projection = nn.Conv2d(bev_channels, dim, kernel_size=1)
        self.speed_encoder = nn.Linear(1, dim)
        self.command_encoder = nn.Linear(config.num_commands, dim)
        self.target_point_encoder = nn.Linear(2, dim)
        self.radar_encoder = nn.Linear(config.radar_token_dim, dim)
        self.status_position = nn.Parameter(torch.empty(1, self.num_status_tokens, dim))
        self.queries = nn.Parameter(torch.empty(1, config.num_route_points + config.num_waypoints + 1, dim))
        nn.init.uniform_(self.status_position)
        nn.init.uniform_(self.queries)
        layer = nn.TransformerDecoderLayer(
            dim, config.planner_heads, dim_feedforward=config.planner_ff_dim, dropout=config.planner_dropout,
            activation="gelu", batch_first=True,
        )
        self.decoder = nn.TransformerDecoder(layer, num_layers=config.planner_layers, norm=nn.LayerNorm(dim))
        self.route_decoder = nn.Linear(dim, 2)
        self.waypoint_decoder = nn.Linear(dim, 2)
        self.target_speed_decoder = nn.Sequential(
            nn.Linear(dim, dim), nn.ReLU(inplace=True), nn.Linear(dim, len(config.target_speed_classes))
        )
        status_size = (1 + config.num_commands + 2 * NUM_TARGET_POINTS + (2 if config.planner_target_line_status else 0)
                       + (len(LIGHT_STATES) if config.light_state_head else 0))
        self.status_queries = (
            nn.Sequential(nn.Linear(status_size, dim), nn.GELU(), nn.Linear(dim, dim)) if config.planner_status_queries else None
        )
        self.register_buffer("target_point_scale", torch.tensor(config.target_point_scale, dtype=torch.float32), persistent=False)

    def forward(
        self,
        bev_features: torch.Tensor,
        radar_features: torch.Tensor,
        radar_predictions: torch.Tensor,
        batch: dict[str, torch.Tensor],
        light: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> dict[str, torch.Tensor]:
        """``light``: the light-state embedding (B, dim) and logits (B, states), given exactly when
        ``light_state_head`` is on."""
        config = self.config
        if (light is not None) != config.light_state_head:
            raise ValueError(f"PlanningDecoder: light_state_head={config.light_state_head} but the light state was "
                             f"{'given' if light is not None else 'not given'}")
        speed, command, target_points = self._normalized_status(batch)
        status_tokens = self._status_tokens(speed, command, target_points, radar_features, radar_predictions,
                                            None if light is None else light[0])
        memory = torch.cat([self._bev_tokens(bev_features), status_tokens], dim=1)
        queries = self.queries.expand(memory.shape[0], -1, -1)
        if self.status_queries is not None:
            parts = [speed, command, target_points.flatten(1)]
            if config.planner_target_line_status:
                parts.append(target_line_status(batch["target_points"]))
            if light is not None:
                parts.append(light[1].detach().float().softmax(dim=-1))
            queries = queries + self.status_queries(torch.cat(parts, dim=1)).unsqueeze(1)
        queries = self.decoder(queries, memory)
        route_queries = queries[:, : config.num_route_points]
        waypoint_queries = queries[:, config.num_route_points : config.num_route_points + config.num_waypoints]
        speed_logits = self.target_speed_decoder(queries[:, -1])
        return {
            "route": torch.cumsum(self.route_decoder(route_queries), dim=1),
            "waypoints": torch.cumsum(self.waypoint_decoder(waypoint_queries), dim=1),
            "target_speed_logits": speed_logits,
            "target_speed": decode_two_hot(speed_logits.float().softmax(dim=-1), config.target_speed_classes),
        }

    def _bev_tokens(self, bev_features: torch.Tensor) -> torch.Tensor:
        tokens = self.bev_projection(bev_features)
        height, width = tokens.shape[2:]
        tokens = tokens + sine_embedding_grid(height, width, tokens.shape[1], tokens.device).to(tokens.dtype)
        return tokens.flatten(2).transpose(1, 2)

    def _normalized_status(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Speed (B, 1) over ``max_speed``, command one-hot (B, C), target points (B, 3, 2) over ``target_point_scale``."""
        speed = (batch["speed"].float() / self.config.max_speed).reshape(-1, 1)
        return speed, batch["command"].float(), batch["target_points"].float() / self.target_point_scale

    def _status_tokens(self, speed: torch.Tensor, command: torch.Tensor, target_points: torch.Tensor,
                       radar_features: torch.Tensor, radar_predictions: torch.Tensor,
                       light_embedding: torch.Tensor | None) -> torch.Tensor:
        config = self.config
        speed = self.speed_encoder(speed.unsqueeze(1))
        command = self.command_encoder(command).unsqueeze(1)
        target_points = self.target_point_encoder(target_points)
        radar_positions = normalize_bev_points(radar_predictions[..., :2], config)
        radar = self.radar_encoder(radar_features) + sine_embedding_points(radar_positions, config.transfuser_token_dim)
        tokens = [speed, command, target_points, radar] + ([] if light_embedding is None else [light_embedding.unsqueeze(1)])
        return torch.cat(tokens, dim=1) + self.status_position
