"""TFv6 training: the ``train`` stage, its config, checkpoints, DDP and TensorBoard output."""

from lead_tfv6.training.config import TrainConfig
from lead_tfv6.training.errors import ResumeError, TrainConfigError
from lead_tfv6.training.stage import TrainStage

__all__ = ["ResumeError", "TrainConfig", "TrainConfigError", "TrainStage"]
