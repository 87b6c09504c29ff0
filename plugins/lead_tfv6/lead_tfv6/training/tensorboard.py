"""TensorBoard output of the train stage (rank 0 only): scalars and pictures."""

from __future__ import annotations

from pathlib import Path

import torch

from lead_tfv6.config import TFv6Config
from lead_tfv6.training.visualize import bev_comparison, camera_image, draw_waypoints

TENSORBOARD_DIR = "tensorboard"


class TrainLog:
    """Writes into ``<stage>/tensorboard``; events after ``first_step`` left by a killed run are purged."""

    def __init__(self, stage_dir: Path, first_step: int):
        from torch.utils.tensorboard import (
            SummaryWriter,  # imports tensorboard: only where logging happens
        )

        self.writer = SummaryWriter(str(stage_dir / TENSORBOARD_DIR), purge_step=first_step)

    def scalars(self, step: int, values: dict[str, float]) -> None:
        for name, value in values.items():
            self.writer.add_scalar(name, value, step)

    def images(self, step: int, batch: dict[str, torch.Tensor], outputs: dict[str, torch.Tensor], config: TFv6Config) -> None:
        camera = camera_image(batch["rgb"][0])
        self.writer.add_image("input/camera", camera, step, dataformats="HWC")
        self.writer.add_image(
            "bev/predicted_vs_true", bev_comparison(outputs["bev_semantics_logits"][0], batch["bev_semantics"][0]), step,
            dataformats="HWC",
        )
        if "waypoints" in batch:
            predicted = outputs["waypoints"][0] if "waypoints" in outputs else None
            self.writer.add_image("plan/waypoints", draw_waypoints(camera, config, batch["waypoints"][0], predicted), step,
                                  dataformats="HWC")

    def close(self) -> None:
        self.writer.close()
