"""Task heads of TransFuser v6: perspective, BEV semantics, CenterNet boxes, radar detection and the optional light state and stop-sign zone."""

from lead_tfv6.heads.bev import BevSemanticsHead, bev_visibility_mask
from lead_tfv6.heads.centernet import CenterNetHead, centernet_targets
from lead_tfv6.heads.light_state import LIGHT_STATES, LightStateHead
from lead_tfv6.heads.perspective import PerspectiveHead
from lead_tfv6.heads.radar import RadarDetector
from lead_tfv6.heads.stop_sign import STOP_SIGN_ZONES, StopSignHead

__all__ = [
    "LIGHT_STATES", "STOP_SIGN_ZONES", "BevSemanticsHead", "CenterNetHead", "LightStateHead", "PerspectiveHead",
    "RadarDetector", "StopSignHead",
    "bev_visibility_mask", "centernet_targets",
]
