"""Combining the plans of several TFv6 models (e.g. seeds of post-training) into one.

Waypoints and route are averaged; the target-speed distribution is averaged either as logits
(then softmaxed) or as probabilities; the ensemble brakes when the probability of speed class 0
exceeds ``brake_threshold``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from lead_tfv6.planning import decode_two_hot

BRAKE_THRESHOLD = 0.9
AVERAGE_MODES = ("logits", "probabilities")


def combine_plans(
    outputs: Sequence[dict[str, torch.Tensor]],
    speed_classes: Sequence[float],
    average: str = "logits",
    brake_threshold: float = BRAKE_THRESHOLD,
) -> dict[str, torch.Tensor]:
    """Merge the planner outputs of several models.

    Returns ``waypoints``, ``route`` (means), ``target_speed_probabilities`` (B, C), ``brake``
    (B, bool: P(class 0) > threshold) and ``target_speed`` (B, expected m/s; 0 where braking).
    """
    if not outputs:
        raise ValueError("combine_plans needs the outputs of at least one model")
    if average not in AVERAGE_MODES:
        raise ValueError(f"combine_plans: average must be one of {AVERAGE_MODES}, got {average!r}")
    missing = [key for key in ("waypoints", "route", "target_speed_logits") for out in outputs if key not in out]
    if missing:
        raise ValueError(f"combine_plans: outputs lack {sorted(set(missing))}; build the models with phase='posttrain'")
    logits = torch.stack([out["target_speed_logits"].float() for out in outputs])
    if average == "logits":
        probabilities = logits.mean(dim=0).softmax(dim=-1)
    else:
        probabilities = logits.softmax(dim=-1).mean(dim=0)
    brake = probabilities[:, 0] > brake_threshold
    speed = decode_two_hot(probabilities, tuple(speed_classes))
    return {
        "waypoints": torch.stack([out["waypoints"].float() for out in outputs]).mean(dim=0),
        "route": torch.stack([out["route"].float() for out in outputs]).mean(dim=0),
        "target_speed_probabilities": probabilities,
        "brake": brake,
        "target_speed": torch.where(brake, torch.zeros_like(speed), speed),
    }


class Ensemble(nn.Module):
    """Runs several post-trained models on one batch and combines their plans."""

    def __init__(self, models: Sequence[nn.Module], average: str = "logits", brake_threshold: float = BRAKE_THRESHOLD):
        super().__init__()
        if not models:
            raise ValueError("Ensemble needs at least one model")
        classes = {tuple(model.config.target_speed_classes) for model in models}
        if len(classes) != 1:
            raise ValueError(f"Ensemble: models disagree on target_speed_classes: {sorted(classes)}")
        self.models = nn.ModuleList(models)
        self.speed_classes = classes.pop()
        self.average, self.brake_threshold = average, brake_threshold

    def forward(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        outputs = [model(batch) for model in self.models]
        return combine_plans(outputs, self.speed_classes, self.average, self.brake_threshold)
