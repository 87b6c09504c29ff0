"""Everything the train stage checks and builds before the first step; each failure is a
``TrainConfigError`` that names the setting and the fix."""

from __future__ import annotations

from pathlib import Path

import attrs
import torch

from lead_framework.data import DataError, load_index
from lead_framework.data.index import STATUS_COMMITTED
from lead_tfv6.backbones import (
    BackboneError,
    BackboneNotFoundError,
    resolve_backbone_name,
)
from lead_tfv6.config import TFv6Config, TFv6ConfigError
from lead_tfv6.presets import preset_config
from lead_tfv6.training.checkpoint import FINAL_MODEL_FILE, read_model_weights
from lead_tfv6.training.config import TrainConfig
from lead_tfv6.training.errors import TrainConfigError

INDEX_FILE = "index.json"


def _as_field_type(name: str, value):
    """YAML gives lists where TFv6Config holds tuples."""
    default = attrs.fields_dict(TFv6Config)[name].default
    return tuple(value) if isinstance(value, list) and isinstance(default, tuple) else value


def model_config(config: TrainConfig) -> TFv6Config:
    """The preset with the overrides and the stage's phase applied."""
    overrides = {name: _as_field_type(name, value) for name, value in config.overrides.items()}
    try:
        return preset_config(config.preset, **overrides, phase=config.phase)
    except (TFv6ConfigError, TypeError) as error:
        raise TrainConfigError(f"train.overrides: {error}") from None


def check_backbones(config: TFv6Config) -> None:
    for field in ("image_backbone", "lidar_backbone"):
        try:
            resolve_backbone_name(getattr(config, field))
        except BackboneNotFoundError as error:
            raise TrainConfigError(f"train.overrides.{field}: {error}") from None


def build_model(config: TFv6Config, seed: int) -> torch.nn.Module:
    """The model with seeded initial weights; size/stride mismatches become config errors."""
    from lead_tfv6.model import TFv6

    check_backbones(config)
    torch.manual_seed(seed)
    try:
        return TFv6(config)
    except (TFv6ConfigError, BackboneError) as error:
        raise TrainConfigError(f"train.overrides: {error}") from None


def check_data(data: str, batch_size: int, world_size: int) -> Path:
    """The data set folder exists, has an index, and holds at least one batch per rank."""
    root = Path(data)
    if not (root / INDEX_FILE).is_file():
        what = "does not exist" if not root.exists() else f"has no {INDEX_FILE} (not a data set folder)"
        raise TrainConfigError(
            f"train.data: data set {str(root)!r} {what}; run a collect stage first (add `- collect: {{...}}` before "
            f"the train stage and keep `data: previous`) or point data: at a data set folder"
        )
    try:
        index = load_index(root)
    except DataError as error:
        raise TrainConfigError(f"train.data: {error}") from None
    samples = sum(entry["samples"] for entry in index["routes"].values() if entry["status"] == STATUS_COMMITTED)
    if samples < batch_size * world_size:
        raise TrainConfigError(
            f"train.data: data set {str(root)!r} holds {samples} usable samples (committed routes), fewer than one batch "
            f"(batch_size {batch_size} x {world_size} process(es)); collect more routes or lower batch_size"
        )
    return root


def resolve_init(init: str | None, phase: str) -> Path | None:
    """The weights file to start from: a file, or a train stage folder's ``model_final.pt``."""
    if init is None:
        if phase == "posttrain":
            raise TrainConfigError(
                "train.init: posttrain starts from pre-trained weights; set init: previous (the latest train stage), "
                "a train stage's name, or a checkpoint path"
            )
        return None
    path = Path(init)
    if path.is_dir():
        path = path / FINAL_MODEL_FILE
    if not path.is_file():
        raise TrainConfigError(
            f"train.init: {str(path)!r} does not exist; finish the pre-training stage first or give an existing "
            f"model_final.pt / checkpoint.pt"
        )
    return path


def load_init_weights(model: torch.nn.Module, path: Path) -> dict[str, int]:
    """Load weights non-strictly (the planner is new in posttrain); counts of loaded/missing/unexpected keys."""
    weights = read_model_weights(path)
    own = model.state_dict()
    compatible = {name: value for name, value in weights.items() if name in own and own[name].shape == value.shape}
    if not compatible:
        raise TrainConfigError(f"train.init: {path} shares no weights with this model; check preset and overrides")
    result = model.load_state_dict(compatible, strict=False)
    return {"loaded": len(compatible), "missing": len(result.missing_keys), "skipped": len(weights) - len(compatible)}
