"""Feature backbones: any timm model built with ``features_only=True``, runnable stage by stage.

TransFuser fuses the camera and LiDAR branches after each backbone stage, so a backbone must expose
its stages separately. timm's ``FeatureListNet`` keeps the model's top-level modules in order and
names the ones that return features; ``TimmBackbone`` groups those modules into one stage per
returned feature. Weights come only from a local file (``weights_path``); nothing is downloaded.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import timm
import torch
from timm.models import FeatureListNet
from torch import nn

from lead_framework.suggestions import close_names, did_you_mean
from lead_tfv6.config import NAMED_BACKBONES


class BackboneNotFoundError(KeyError):
    """A backbone name that is neither registered nor a timm model."""

    def __init__(self, name: str, candidates: Sequence[str]):
        self.name = name
        self.suggestions = close_names(name, candidates, n=5, cutoff=0.6)
        hint = did_you_mean(self.suggestions, "see timm.list_models() for the available names")
        super().__init__(f"unknown backbone {name!r}: not a registered backbone or timm model; {hint}")

    def __str__(self) -> str:
        return self.args[0]


class BackboneError(ValueError):
    """A timm model that cannot serve as a stage-wise feature backbone, or unreadable weights."""


@functools.cache
def _timm_names() -> frozenset[str]:
    return frozenset(timm.list_models())


def resolve_backbone_name(name: str) -> str:
    """Check that ``name`` is a timm architecture (optionally with a ``.tag``) and return it."""
    if name in NAMED_BACKBONES or name.split(".", 1)[0] in _timm_names():
        return name
    raise BackboneNotFoundError(name, sorted(_timm_names() | set(NAMED_BACKBONES)))


class TimmBackbone(nn.Module):
    """A timm feature extractor whose stages can run one at a time.

    ``channels[i]`` and ``strides[i]`` describe the output of stage ``i`` (from timm's
    ``feature_info``); ``forward_stage(i, x)`` runs stage ``i`` only, ``forward(x)`` runs all
    stages and returns every stage's output.
    """

    def __init__(self, body: FeatureListNet, name: str):
        super().__init__()
        self.name = name
        self.body = body
        self.channels: list[int] = list(body.feature_info.channels())
        self.strides: list[int] = list(body.feature_info.reduction())
        self._stage_modules: list[list[str]] = []
        current: list[str] = []
        for module_name in body.keys():
            current.append(module_name)
            if module_name in body.return_layers:
                self._stage_modules.append(current)
                current = []

    @property
    def num_stages(self) -> int:
        return len(self._stage_modules)

    def forward_stage(self, index: int, x: torch.Tensor) -> torch.Tensor:
        for module_name in self._stage_modules[index]:
            x = self.body[module_name](x)
        return x

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        features = []
        for index in range(self.num_stages):
            x = self.forward_stage(index, x)
            features.append(x)
        return features


def create_backbone(
    name: str,
    in_chans: int = 3,
    out_indices: Sequence[int] | None = None,
    weights_path: str | Path | None = None,
) -> TimmBackbone:
    """Build a timm backbone with ``features_only=True``.

    ``out_indices`` selects feature levels as timm does (negative values count from the deepest;
    ``None`` keeps all). ``weights_path`` is a local checkpoint of the full timm model (classifier
    keys are dropped; with ``in_chans != 3`` the first convolution is adapted as timm does).
    """
    timm_name = resolve_backbone_name(name)
    kwargs: dict = {"features_only": True, "in_chans": in_chans}
    if out_indices is not None:
        kwargs["out_indices"] = tuple(out_indices)
    if weights_path is not None:
        path = Path(weights_path)
        if not path.is_file():
            raise BackboneError(f"backbone {name!r}: weights_path {str(path)!r} is not a file; give a local state dict")
        kwargs.update(pretrained=True, pretrained_cfg_overlay={"file": str(path)})
    else:
        kwargs["pretrained"] = False
    try:
        body = timm.create_model(timm_name, **kwargs)
    except (RuntimeError, KeyError) as exc:
        raise BackboneError(f"backbone {name!r}: timm could not build it with {kwargs}: {exc}") from exc
    if not isinstance(body, FeatureListNet):
        raise BackboneError(
            f"backbone {name!r}: timm wraps it as {type(body).__name__}, which cannot run stage by stage; "
            "choose a model timm wraps as FeatureListNet (resnet*, regnet*, convnext*, ...)"
        )
    return TimmBackbone(body, name)
