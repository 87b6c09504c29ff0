"""Finding and loading the trained models an agent drives with.

A checkpoint is given as a train stage's folder (its ``model_final.pt``, else its newest
``model_epoch_NNNN.pt``), a model file, a glob pattern, or a list of these; several files make a
seed ensemble. Model files are the train stage's format (``lead_tfv6.training.checkpoint``): the
weights and the ``TFv6Config`` they were trained with, so preset and overrides come from the file.
"""

from __future__ import annotations

import glob
import pickle
from collections.abc import Sequence
from pathlib import Path

import torch

from lead_tfv6.agent.errors import CheckpointLoadError
from lead_tfv6.training.checkpoint import FINAL_MODEL_FILE, load_model

#: Settings that change what the inputs mean; every model of an ensemble must agree on them.
INPUT_FIELDS = (
    "image_height", "image_width", "min_x", "max_x", "min_y", "max_y", "min_z", "max_z", "pixels_per_meter",
    "hist_max_per_pixel", "num_radar_points", "num_commands", "target_point_scale", "target_speed_classes",
    "num_route_points", "num_waypoints",
)
_GLOB_CHARACTERS = "*?["


def _model_file_in(folder: Path) -> Path:
    final = folder / FINAL_MODEL_FILE
    if final.is_file():
        return final
    epochs = sorted(folder.glob("model_epoch_*.pt"))
    if epochs:
        return epochs[-1]
    raise CheckpointLoadError(
        f"checkpoint folder {folder} has no {FINAL_MODEL_FILE} or model_epoch_*.pt; give a finished train stage's folder or a model file"
    )


def resolve_checkpoint_files(checkpoint: str | Sequence[str]) -> list[Path]:
    """Model files named by a folder, file, glob or list of them (in the given, then sorted, order)."""
    entries = [checkpoint] if isinstance(checkpoint, (str, Path)) else list(checkpoint)
    if not entries:
        raise CheckpointLoadError("checkpoint: the list is empty; name at least one train stage folder or model file")
    files: list[Path] = []
    for entry in entries:
        entry = str(entry)
        matches = sorted(glob.glob(entry)) if any(c in entry for c in _GLOB_CHARACTERS) else [entry]
        if not matches:
            raise CheckpointLoadError(f"checkpoint: the pattern {entry!r} matches no file or folder")
        for match in map(Path, matches):
            if match.is_dir():
                files.append(_model_file_in(match))
            elif match.is_file():
                files.append(match)
            else:
                raise CheckpointLoadError(
                    f"checkpoint: {match} does not exist; give a train stage's folder, a model_*.pt file, or 'previous' in an experiment"
                )
    return files


def load_models(files: Sequence[Path], device: torch.device | str = "cpu") -> list[torch.nn.Module]:
    """Load each model file (eval mode) and check that the models can form an ensemble."""
    models = []
    for path in files:
        try:
            model = load_model(path, map_location="cpu")
        except (OSError, RuntimeError, ValueError, KeyError, TypeError, pickle.UnpicklingError) as error:
            raise CheckpointLoadError(f"checkpoint {path}: cannot be loaded as a TFv6 model ({error})") from error
        if not model.config.uses_planner:
            raise CheckpointLoadError(
                f"checkpoint {path}: was trained with phase={model.config.phase!r} and has no planning decoder; "
                "drive with a post-training (phase: posttrain) checkpoint"
            )
        models.append(model.to(device).eval())
    reference = models[0].config
    for path, model in zip(files[1:], models[1:]):
        differing = [name for name in INPUT_FIELDS if getattr(model.config, name) != getattr(reference, name)]
        if differing:
            raise CheckpointLoadError(
                f"checkpoint {path}: differs from {files[0]} in {differing}; an ensemble's models must share their input settings"
            )
    return models

