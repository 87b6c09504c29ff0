"""Running the model(s) for driving: only the parts a plan needs, ensembled with ``lead_tfv6.ensemble``.

``TFv6.forward`` also runs the camera semantics, depth and CenterNet heads, which only training
needs; driving runs the fused encoder, the radar detector and the planning decoder (and the light-state
head of models that have one, which the decoder reads), plus the BEV semantics head when its map is
read (debug videos, the stop-sign heuristic).

With ``optimize`` each model is traced with TorchScript and frozen (batch norms folded into the
convolutions, weights made constants); on one CPU thread this takes the tiny model from about 80
to about 46 ms (``torch.jit.optimize_for_inference`` on top made it slower, so it is not used).
The traced graph has no data-dependent control flow (radar padding is a mask), so it computes what
the eager model does.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import attrs
import numpy as np
import torch
from torch import nn

from lead_tfv6.batch import batch_spec, check_batch
from lead_tfv6.config import TFv6Config
from lead_tfv6.data.labels import pad_radar
from lead_tfv6.ensemble import combine_plans

INPUT_KEYS = ("rgb", "lidar", "radar", "speed", "command", "target_points")


def output_keys(config: TFv6Config, with_bev: bool) -> tuple[str, ...]:
    """Names of the tensors a :class:`PlanningPath` returns, in order (``TFv6.state_heads``'s order)."""
    light = ("light_state_logits",) if config.light_state_head else ()
    stop_sign = ("stop_sign_logits",) if config.stop_sign_head else ()
    return ("route", "waypoints", "target_speed_logits", *light, *stop_sign, *(("bev_grid",) if with_bev else ()))


@attrs.define
class Plan:
    """One tick's prediction, ego frame (x forward, y right, metres).

    ``bev`` is the predicted BEV class map (lidar_h, lidar_w) uint8 (rows y, cols x), or None when
    the predictor was built without BEV; it is computed on first access from the tick's BEV
    features, so ticks whose map nobody looks at do not pay for the BEV head.
    """

    route: np.ndarray  # (num_route_points, 2), 1 m apart from 2.5 m ahead
    waypoints: np.ndarray  # (num_waypoints, 2), 4 Hz
    target_speed: float  # m/s; 0 when the ensemble brakes
    brake: bool  # P(speed class 0) > brake threshold
    speed_probabilities: np.ndarray  # (speed classes,)
    #: (len(LIGHT_STATES),) mean over the models with a light-state head; None without one
    light_state_probabilities: np.ndarray | None = None
    #: (len(STOP_SIGN_ZONES),) mean over the models with a stop-sign head; None without one
    stop_sign_probabilities: np.ndarray | None = None
    bev_source: Callable[[], np.ndarray] | None = attrs.field(default=None, repr=False)
    _bev: np.ndarray | None = attrs.field(default=None, init=False, repr=False)

    @property
    def bev(self) -> np.ndarray | None:
        if self._bev is None and self.bev_source is not None:
            self._bev = self.bev_source()
        return self._bev


class PlanningPath(nn.Module):
    """The parts of a TFv6 model that driving needs, as positional tensors in and out (traceable)."""

    def __init__(self, model: nn.Module, with_bev: bool):
        super().__init__()
        self.model, self.with_bev = model, with_bev

    def forward(self, rgb, lidar, radar, speed, command, target_points) -> tuple[torch.Tensor, ...]:
        model = self.model
        batch = {"rgb": rgb, "lidar": lidar, "radar": radar, "speed": speed, "command": command, "target_points": target_points}
        bev_features, image_features, bev_grid = model.encoder(rgb.float(), lidar.float())
        radar_features, radar_predictions = model.radar_detector(bev_features, radar.float(), speed.float())
        light, state_logits = model.state_heads(image_features)
        outputs = model.planner(bev_features, radar_features, radar_predictions, batch, light)
        planned = (outputs["route"], outputs["waypoints"], outputs["target_speed_logits"], *state_logits.values())
        return (*planned, bev_grid) if self.with_bev else planned


def example_inputs(config: TFv6Config, device: torch.device | str = "cpu") -> tuple[torch.Tensor, ...]:
    """A valid batch of one with empty sensors (for tracing)."""
    spec = batch_spec(config, labels=False)
    tensors = {key: torch.zeros((1, *shape[1:])) for key, (shape, _) in spec.items()}
    tensors["radar"] = torch.from_numpy(pad_radar(np.zeros((0, 5), np.float32), config))[None]
    tensors["command"][0, 3] = 1.0
    return tuple(tensors[key].to(device) for key in INPUT_KEYS)


def optimize_for_inference(path: PlanningPath, config: TFv6Config) -> torch.jit.ScriptModule:
    """Trace and freeze a planning path for inference."""
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TorchScript deprecation notices and constant-tensor notes
        device = next(path.parameters()).device
        traced = torch.jit.trace(path.eval(), example_inputs(config, device), check_trace=False)
        return torch.jit.freeze(traced)


class PlanPredictor:
    """Runs one model or a seed ensemble on a batch of one and returns a :class:`Plan`."""

    def __init__(self, models: Sequence[nn.Module], brake_threshold: float, with_bev: bool, optimize: bool = False):
        self.config: TFv6Config = models[0].config
        self.brake_threshold, self.with_bev = brake_threshold, with_bev
        self.models = list(models)
        self.output_keys = [output_keys(model.config, with_bev) for model in models]
        paths = [PlanningPath(model, with_bev).eval() for model in models]
        self.paths = [optimize_for_inference(path, self.config) for path in paths] if optimize else paths

    def outputs(self, batch: dict[str, torch.Tensor]) -> list[dict[str, torch.Tensor]]:
        """Each model's planner outputs (and its BEV feature grid when the predictor has BEV) for the batch."""
        check_batch(batch, self.config, labels=False)
        args = tuple(batch[key] for key in INPUT_KEYS)
        with torch.inference_mode():
            return [dict(zip(keys, path(*args))) for keys, path in zip(self.output_keys, self.paths)]

    def __call__(self, batch: dict[str, torch.Tensor]) -> Plan:
        outputs = self.outputs(batch)
        with torch.inference_mode():
            merged = combine_plans(outputs, self.config.target_speed_classes, brake_threshold=self.brake_threshold)
        grids = [out["bev_grid"] for out in outputs] if self.with_bev else None
        lights, stop_signs = (self._mean_probabilities(outputs, key) for key in ("light_state_logits", "stop_sign_logits"))
        return Plan(
            route=merged["route"][0].cpu().numpy().astype(np.float64),
            waypoints=merged["waypoints"][0].cpu().numpy().astype(np.float64),
            target_speed=float(merged["target_speed"][0]),
            brake=bool(merged["brake"][0]),
            speed_probabilities=merged["target_speed_probabilities"][0].cpu().numpy(),
            light_state_probabilities=lights,
            stop_sign_probabilities=stop_signs,
            bev_source=(lambda: self.bev_classes(grids)) if grids is not None else None,
        )

    @staticmethod
    def _mean_probabilities(outputs: Sequence[dict[str, torch.Tensor]], key: str) -> np.ndarray | None:
        """The softmax of ``key``'s logits averaged over the models that output it (None if none does)."""
        with torch.inference_mode():
            probabilities = [out[key][0].float().softmax(dim=-1) for out in outputs if key in out]
            return torch.stack(probabilities).mean(dim=0).cpu().numpy() if probabilities else None

    def bev_classes(self, grids: Sequence[torch.Tensor]) -> np.ndarray:
        """The BEV class map from each model's BEV grid: the argmax of the mean BEV semantics logits."""
        with torch.inference_mode():
            logits = sum(model.bev_semantics_head(grid)[0] for model, grid in zip(self.models, grids)) / len(grids)
            return logits.cpu().numpy().argmax(axis=0).astype(np.uint8)  # numpy's argmax is ~5x faster here
