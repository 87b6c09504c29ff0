"""TransFuser v6: backbones, fusion model, heads, planning decoder, training."""

from lead_tfv6.config import TFv6Config, TFv6ConfigError, UnknownOverrideError
from lead_tfv6.presets import PRESETS, UnknownPresetError, create_model, preset_config

__all__ = [
    "PRESETS",
    "TFv6Config",
    "TFv6ConfigError",
    "UnknownOverrideError",
    "UnknownPresetError",
    "create_model",
    "preset_config",
]
