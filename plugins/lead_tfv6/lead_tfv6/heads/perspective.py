"""Dense camera-view head (semantics or depth) decoded from the deepest image features."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from lead_tfv6.config import TFv6Config


def _conv_relu(in_channels: int, out_channels: int) -> list[nn.Module]:
    return [nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1), nn.ReLU(inplace=True)]


class PerspectiveHead(nn.Module):
    """Convolutions at the backbone's stride, at 1/4 and at the output resolution.

    Output (B, out_channels, *config.perspective_size) (the full image size unless
    ``perspective_output_stride`` > 1); ``out_channels=1`` is squeezed away (depth).
    """

    def __init__(self, in_channels: int, out_channels: int, config: TFv6Config):
        super().__init__()
        first, second, third = config.perspective_channels
        self.image_size = (config.image_height, config.image_width)
        self.output_size = config.perspective_size
        self.coarse = nn.Sequential(*_conv_relu(in_channels, first), *_conv_relu(first, second))
        self.middle = nn.Sequential(*_conv_relu(second, third), *_conv_relu(third, third))
        self.fine = nn.Sequential(*_conv_relu(third, third), nn.Conv2d(third, out_channels, kernel_size=3, padding=1))

    def forward(self, image_features: torch.Tensor) -> torch.Tensor:
        height, width = self.image_size
        x = self.coarse(image_features)
        x = F.interpolate(x, size=(height // 4, width // 4), mode="bilinear", align_corners=False)
        x = self.middle(x)
        x = F.interpolate(x, size=self.output_size, mode="bilinear", align_corners=False)
        x = self.fine(x)
        return x.squeeze(1) if x.shape[1] == 1 else x
