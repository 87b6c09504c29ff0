"""Named TFv6 configurations and ``create_model`` (in the manner of ``timm.create_model``)."""

from __future__ import annotations

from typing import Any

from lead_framework.suggestions import close_names, did_you_mean
from lead_tfv6.config import TFv6Config

#: Preset name -> (description, fields that differ from ``TFv6Config``'s defaults).
PRESETS: dict[str, tuple[str, dict[str, Any]]] = {
    "resnet34": ("paper model: ResNet34 backbones, 384x1152 image, 320x384 LiDAR, token width 256", {}),
    "regnety_032": (
        "larger paper model: RegNetY-3.2GF backbones at full resolution",
        {"image_backbone": "regnety_032", "lidar_backbone": "regnety_032"},
    ),
    "tiny": (
        "fast CPU model for tests and smoke runs: RegNetX-200MF, 128x384 image (labels at half size), 160x192 LiDAR (2 px/m)",
        {
            "image_backbone": "regnetx_002",
            "lidar_backbone": "regnetx_002",
            "image_height": 128,
            "image_width": 384,
            "pixels_per_meter": 2.0,
            "bev_channels": 32,
            "perspective_channels": (32, 16, 8),
            "perspective_output_stride": 2,
            "radar_token_dim": 64,
            "radar_layers": 1,
            "radar_heads": 4,
            "radar_ff_dim": 128,
            "radar_hidden_dim": 128,
            "transfuser_token_dim": 64,
            "planner_layers": 2,
            "planner_heads": 4,
            "planner_ff_dim": 256,
        },
    ),
}


class UnknownPresetError(KeyError):
    """A preset name that ``PRESETS`` does not have."""

    def __init__(self, name: str):
        hint = did_you_mean(close_names(name, PRESETS, cutoff=0.4), f"presets: {', '.join(PRESETS)}")
        super().__init__(f"unknown TFv6 preset {name!r}; {hint}")

    def __str__(self) -> str:
        return self.args[0]


def preset_config(preset: str = "resnet34", **overrides: Any) -> TFv6Config:
    """The preset's ``TFv6Config`` with ``overrides`` applied (unknown fields raise with suggestions)."""
    if preset not in PRESETS:
        raise UnknownPresetError(preset)
    return TFv6Config().replace(**{**PRESETS[preset][1], **overrides})


def create_model(preset: str | TFv6Config = "resnet34", **overrides: Any):
    """Build a ``TFv6`` model from a preset name (or a config) plus field overrides.

    ``create_model("tiny", phase="pretrain")``; weights come only from ``image_weights_path`` /
    ``lidar_weights_path`` (local files).
    """
    from lead_tfv6.model import TFv6  # torch-heavy; keeps preset listing cheap

    config = preset.replace(**overrides) if isinstance(preset, TFv6Config) else preset_config(preset, **overrides)
    return TFv6(config)
