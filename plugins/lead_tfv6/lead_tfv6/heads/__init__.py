"""Task heads of TransFuser v6: perspective, BEV semantics, CenterNet boxes, radar detection and the optional light state."""

from lead_tfv6.heads.bev import BevSemanticsHead, bev_visibility_mask
from lead_tfv6.heads.centernet import CenterNetHead, centernet_targets
from lead_tfv6.heads.light_state import LIGHT_STATES, LightStateHead
from lead_tfv6.heads.perspective import PerspectiveHead
from lead_tfv6.heads.radar import RadarDetector

__all__ = [
    "LIGHT_STATES", "BevSemanticsHead", "CenterNetHead", "LightStateHead", "PerspectiveHead", "RadarDetector",
    "bev_visibility_mask", "centernet_targets",
]
