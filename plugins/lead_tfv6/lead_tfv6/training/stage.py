"""The ``train`` stage kind: trains TFv6 on the data set of a collect stage (or a given folder)."""

from __future__ import annotations

from typing import Any

from lead_framework.config import ComponentSpec
from lead_framework.stages import StageContext, resolve_stage_inputs
from lead_tfv6.training.config import TrainConfig


class TrainStage:
    """``run(ctx)`` trains (resuming from ``<stage>/checkpoint.pt`` when present) and returns a summary."""

    def __init__(self, config: TrainConfig):
        self.config = config

    def run(self, ctx: StageContext) -> dict[str, Any]:
        from lead_tfv6.training.loop import (
            train,  # torch-heavy: imported when the stage runs
        )

        config = resolve_stage_inputs(ComponentSpec("stages", "train", self.config), ctx).config
        seed = ctx.seed if config.seed is None else config.seed
        return train(config, ctx.stage_dir, seed=seed, log=ctx.log, progress=ctx.progress)
