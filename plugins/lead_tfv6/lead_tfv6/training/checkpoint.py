"""Checkpoint files: atomic writes, the full training state for exact resume, model files.

* ``checkpoint.pt`` in the stage folder: everything a resumed run needs to continue exactly
  (model, optimizer, scheduler, grad scaler, RNG states, data position, counters, configs).
  Rewritten at the end of every epoch and every ``checkpoint_every_steps`` steps.
* ``model_epoch_NNNN.pt`` after each epoch and ``model_final.pt`` at the end: the model config
  and weights only (:func:`load_model` rebuilds the model from one).

Every file is written to a temporary name in the same folder and renamed, so a kill never
leaves a half-written checkpoint behind.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import torch

from lead_tfv6.config import TFv6Config

TRAIN_STATE_FILE = "checkpoint.pt"
FINAL_MODEL_FILE = "model_final.pt"
MODEL_FORMAT = "lead_tfv6.model/1"
STATE_FORMAT = "lead_tfv6.train_state/1"


def epoch_model_file(epoch: int) -> str:
    """Name of the weights written after ``epoch`` (0-based) finished."""
    return f"model_epoch_{epoch:04d}.pt"


def save_atomic(data: Any, path: Path) -> None:
    """``torch.save`` to a temporary file beside ``path``, fsync, then rename over ``path``."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(temporary, "wb") as stream:
        torch.save(data, stream)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, path)


def config_to_dict(config: TFv6Config) -> dict[str, Any]:
    return attrs.asdict(config, recurse=False)


def config_from_dict(values: dict[str, Any]) -> TFv6Config:
    return TFv6Config(**values)


def model_payload(model: torch.nn.Module, config: TFv6Config) -> dict[str, Any]:
    return {"format": MODEL_FORMAT, "config": config_to_dict(config), "model": model.state_dict()}


def load_model(path: Path | str, map_location: str | torch.device = "cpu") -> torch.nn.Module:
    """Rebuild a TFv6 model from ``model_final.pt`` / ``model_epoch_*.pt`` (eval mode)."""
    from lead_tfv6.model import TFv6

    payload = torch.load(path, map_location=map_location, weights_only=True)
    if payload.get("format") != MODEL_FORMAT:
        raise ValueError(f"{path}: not a TFv6 model file (format {payload.get('format')!r}, expected {MODEL_FORMAT!r})")
    model = TFv6(config_from_dict(payload["config"]))
    model.load_state_dict(payload["model"])
    return model.eval()


def read_model_weights(path: Path | str) -> dict[str, torch.Tensor]:
    """The weights of a model file or of a training checkpoint."""
    payload = torch.load(path, map_location="cpu", weights_only=False)
    if not isinstance(payload, dict) or "model" not in payload:
        raise ValueError(f"{path}: holds no 'model' weights; give a model_*.pt or checkpoint.pt of a train stage")
    return payload["model"]


def capture_rng() -> dict[str, Any]:
    state = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def load_train_state(path: Path) -> dict[str, Any] | None:
    """The training state in ``path``, or None when there is none yet."""
    if not path.exists():
        return None
    state = torch.load(path, map_location="cpu", weights_only=False)
    if state.get("format") != STATE_FORMAT:
        from lead_tfv6.training.errors import ResumeError

        raise ResumeError(f"{path} is not a TFv6 training checkpoint (format {state.get('format')!r}); move it away to start over")
    return state
