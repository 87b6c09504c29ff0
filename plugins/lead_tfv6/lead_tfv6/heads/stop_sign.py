"""Stop-sign head: is a stop sign's area ahead on the ego's lane, and is the ego already at it?

It reads the light-state head's pooled image embedding (the plate stands beside the road, a few
pixels wide, like a light's housing) with one linear layer. The planner does not read the zone,
but it reads that embedding, which the head's loss teaches what a stop sign looks like; the
agent's optional ``full_stop_at_stop_signs`` rule reads the zone (``lead_tfv6.agent.control``).
"""

from __future__ import annotations

import torch
from torch import nn

from lead_tfv6.config import TFv6Config

#: Classes of the ``stop_sign`` label, in order (``data.labels.stop_sign_label``): no stop area
#: ahead, one ahead but farther than the leaderboard's reach, one the ego must stop at now.
STOP_SIGN_ZONES = ("none", "ahead", "at")


class StopSignHead(nn.Module):
    def __init__(self, config: TFv6Config):
        super().__init__()
        self.classify = nn.Linear(config.transfuser_token_dim, len(STOP_SIGN_ZONES))

    def forward(self, light_embedding: torch.Tensor) -> torch.Tensor:
        """(B, dim) light-state embedding -> zone logits (B, len(STOP_SIGN_ZONES))."""
        return self.classify(light_embedding)
