"""One sample's arrays -> the TFv6 model inputs, with the training pipeline's own functions.

``lead_tfv6.data.sample.convert_sample`` makes the same inputs from a shard sample (after its
optional view perturbation and photometric augmentation); both use ``normalize_camera``,
``lidar_input_points``, ``lidar_to_histogram``, ``pad_radar`` and ``command_one_hot``.
"""

from __future__ import annotations

import numpy as np
import torch

from lead_tfv6.batch import batch_spec, lidar_to_histogram, normalize_camera
from lead_tfv6.config import TFv6Config
from lead_tfv6.data.geometry import lidar_input_points
from lead_tfv6.data.labels import command_one_hot, pad_radar


def sample_inputs(
    rgb: np.ndarray,
    lidar: np.ndarray,
    radar: np.ndarray,
    speed: float,
    command: int,
    target_points: np.ndarray,
    config: TFv6Config,
) -> dict[str, np.ndarray]:
    """The input keys of ``lead_tfv6.batch`` for one sample, without the batch dimension.

    ``rgb`` stitched RGB uint8; ``lidar`` (N, >=3) and ``radar`` (M, 5) in the ego frame;
    ``command`` a RoadOption value; ``target_points`` (3, 2) metres in the ego frame.
    """
    return {
        "rgb": normalize_camera(rgb, config),
        "lidar": lidar_to_histogram(lidar_input_points(lidar, radar), config),
        "radar": pad_radar(radar, config),
        "speed": np.float32(speed),
        "command": command_one_hot(command, config),
        "target_points": np.asarray(target_points, dtype=np.float32).reshape(-1, 2),
    }


def to_batch(inputs: dict[str, np.ndarray], config: TFv6Config, device: torch.device | str = "cpu") -> dict[str, torch.Tensor]:
    """A batch of one: every input key gains a leading batch dimension."""
    return {key: torch.from_numpy(np.ascontiguousarray(np.asarray(inputs[key])[None])).to(device) for key in batch_spec(config, labels=False)}
