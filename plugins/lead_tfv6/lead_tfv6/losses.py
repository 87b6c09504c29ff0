"""TFv6 training losses: one function per head, combined with normalised weights.

``compute_losses(outputs, batch, config, visibility)`` returns the weighted total and a dict of
the named, unweighted parts (keys of ``config.active_loss_weights``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from lead_tfv6.config import TFv6Config
from lead_tfv6.matching import linear_assignment
from lead_tfv6.planning import encode_two_hot

IGNORE_INDEX = -1


def semantics_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.float(), labels.long())


def depth_loss(prediction: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return F.l1_loss(prediction.float(), labels.float())


def bev_semantics_loss(logits: torch.Tensor, labels: torch.Tensor, visibility: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over BEV cells the cameras can see (``visibility`` (H, W) bool)."""
    masked = torch.where(visibility, labels.long(), torch.full_like(labels.long(), IGNORE_INDEX))
    return F.cross_entropy(logits.float(), masked, ignore_index=IGNORE_INDEX)


def gaussian_focal_loss(logits: torch.Tensor, target: torch.Tensor, alpha: float = 2.0, gamma: float = 4.0) -> torch.Tensor:
    """CenterNet's focal loss on a Gaussian-splatted heatmap, per element (computed from logits for stability)."""
    logits, target = logits.float(), target.float()
    probability = torch.sigmoid(logits)
    positive = target.eq(1.0).float()
    positive_loss = -F.logsigmoid(logits) * (1 - probability).pow(alpha) * positive
    negative_loss = -F.logsigmoid(-logits) * probability.pow(alpha) * (1 - target).pow(gamma) * (1 - positive)
    return positive_loss + negative_loss


def centernet_losses(outputs: dict[str, torch.Tensor], batch: dict[str, torch.Tensor], with_velocity: bool) -> dict[str, torch.Tensor]:
    """Heatmap focal loss, L1 size/offset/velocity, CE yaw bin, smooth-L1 yaw residual.

    Each part is summed over the centre cells of a sample and divided by its box count, then
    averaged over the batch.
    """
    count = batch["center_avg_factor"].float().clamp(min=1.0)
    weight = batch["center_pixel_weight"].float()
    center = weight[:, :1]

    def per_box(values: torch.Tensor, channels: int = 1) -> torch.Tensor:
        return (values.flatten(1).sum(dim=1) / (count * channels)).mean()

    parts = {
        "center_heatmap": per_box(gaussian_focal_loss(outputs["center_heatmap_logits"], batch["center_heatmap"])),
        "center_wh": per_box(F.l1_loss(outputs["center_wh"].float(), batch["center_wh"].float(), reduction="none") * weight, 2),
        "center_offset": per_box(
            F.l1_loss(outputs["center_offset"].float(), batch["center_offset"].float(), reduction="none") * weight, 2
        ),
        "center_yaw_class": per_box(
            F.cross_entropy(outputs["center_yaw_class_logits"].float(), batch["center_yaw_class"].long(), reduction="none")
            * center[:, 0]
        ),
        "center_yaw_res": per_box(
            F.smooth_l1_loss(outputs["center_yaw_res"].float(), batch["center_yaw_res"].float(), reduction="none") * center
        ),
    }
    if with_velocity:
        parts["center_velocity"] = per_box(
            F.l1_loss(outputs["center_velocity"].float(), batch["center_velocity"].float(), reduction="none") * center
        )
    return parts


def radar_loss(predictions: torch.Tensor, labels: torch.Tensor, config: TFv6Config) -> torch.Tensor:
    """Hungarian-matched set loss: L1 on (x, y, speed) of matched valid labels + BCE on validity.

    ``predictions`` (B, Q, 4) = (x, y, speed, valid logit); ``labels`` (B, Q, 4) = (x, y, speed,
    valid in {0, 1}). Errors are scaled by the BEV extent and ``max_speed``; the matching cost uses
    the same weights as the loss.
    """
    scale = torch.tensor(
        [config.max_x - config.min_x, config.max_y - config.min_y, config.max_speed], device=predictions.device
    )
    state, logit = predictions[..., :3].float() / scale, predictions[..., 3].float()
    label_state, valid = labels[..., :3].float() / scale, labels[..., 3].float()
    l1_cost = (state[:, :, None] - label_state[:, None]).abs().sum(-1) * valid[:, None]  # (B, Q, L)
    bce_cost = F.binary_cross_entropy_with_logits(
        logit[:, :, None].expand(-1, -1, valid.shape[1]), valid[:, None].expand(-1, logit.shape[1], -1), reduction="none"
    )
    cost = config.radar_regression_weight * l1_cost + config.radar_classification_weight * bce_cost
    losses = []
    for sample, sample_cost in enumerate(cost.detach().cpu().numpy()):
        rows, cols = linear_assignment(sample_cost)
        rows_t = torch.as_tensor(rows, device=predictions.device)
        cols_t = torch.as_tensor(cols, device=predictions.device)
        matched_valid = valid[sample, cols_t]
        l1 = ((state[sample, rows_t] - label_state[sample, cols_t]).abs().sum(-1) * matched_valid).sum()
        l1 = l1 / matched_valid.sum().clamp(min=1.0)
        bce = F.binary_cross_entropy_with_logits(logit[sample, rows_t], matched_valid)
        losses.append(config.radar_regression_weight * l1 + config.radar_classification_weight * bce)
    return torch.stack(losses).mean()


def planning_losses(outputs: dict[str, torch.Tensor], batch: dict[str, torch.Tensor], config: TFv6Config) -> dict[str, torch.Tensor]:
    """Route L1 (mean + last point), waypoint L1, target-speed CE on a two-hot label."""
    route, route_label = outputs["route"].float(), batch["route"].float()
    speed_label = encode_two_hot(batch["target_speed"], config.target_speed_classes, brake=batch["brake"])
    return {
        "route": F.l1_loss(route, route_label) + F.l1_loss(route[:, -1], route_label[:, -1]),
        "waypoints": F.l1_loss(outputs["waypoints"].float(), batch["waypoints"].float()),
        "target_speed": F.cross_entropy(outputs["target_speed_logits"].float(), speed_label),
    }


def state_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of a one-per-sample state (the light ahead, the stop-sign zone)."""
    return F.cross_entropy(logits.float(), labels.long())


def compute_losses(
    outputs: dict[str, torch.Tensor], batch: dict[str, torch.Tensor], config: TFv6Config, visibility: torch.Tensor
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Weighted total (weights normalised to sum 1) and the unweighted named parts."""
    parts = {
        "semantics": semantics_loss(outputs["semantics_logits"], batch["semantics"]),
        "depth": depth_loss(outputs["depth"], batch["depth"]),
        "bev_semantics": bev_semantics_loss(outputs["bev_semantics_logits"], batch["bev_semantics"], visibility),
        **centernet_losses(outputs, batch, config.predict_box_velocity),
        "radar": radar_loss(outputs["radar_predictions"], batch["radar_detections"], config),
    }
    if config.light_state_head:
        parts["light_state"] = state_loss(outputs["light_state_logits"], batch["light_state"])
    if config.stop_sign_head:
        parts["stop_sign"] = state_loss(outputs["stop_sign_logits"], batch["stop_sign"])
    if config.uses_planner:
        parts.update(planning_losses(outputs, batch, config))
    weights = config.active_loss_weights
    total = sum(weights[name] * parts[name] for name in weights)
    return total, parts
