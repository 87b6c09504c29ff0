"""Traffic-light state head: is the light ahead on the ego's lane telling it to stop or to go?

The image features of the last fused stage are pooled (mean and max over the image, so a lit
housing a few pixels wide still shows) into one embedding of ``transfuser_token_dim``; a linear
layer reads the state from it. The planner gets the embedding as a memory token.
"""

from __future__ import annotations

import torch
from torch import nn

from lead_tfv6.config import TFv6Config

#: Classes of the ``light_state`` label, in order (``data.labels.light_state_label``).
LIGHT_STATES = ("none", "stop", "go")


class LightStateHead(nn.Module):
    def __init__(self, image_channels: int, config: TFv6Config):
        super().__init__()
        dim = config.transfuser_token_dim
        self.embed = nn.Sequential(nn.Linear(2 * image_channels, dim), nn.GELU(), nn.Linear(dim, dim))
        self.classify = nn.Linear(dim, len(LIGHT_STATES))

    def forward(self, image_features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, C, h, w) image features -> embedding (B, dim) and state logits (B, len(LIGHT_STATES))."""
        pooled = torch.cat([image_features.mean(dim=(2, 3)), image_features.amax(dim=(2, 3))], dim=1)
        embedding = self.embed(pooled)
        return embedding, self.classify(embedding)
