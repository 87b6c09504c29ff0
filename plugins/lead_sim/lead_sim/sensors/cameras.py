"""The camera sensor kinds: each names one product of a shared :class:`~lead_sim.sensors.camera.CameraView`.

Outputs (H, W, 4) uint8 BGRA as CARLA's cameras: ``rgb`` colour; ``semantic`` the CARLA tag in the red
channel (index 2); ``depth`` CARLA's 24-bit depth encoding (see :func:`~lead_sim.sensors.camera.decode_depth`).
"""

from __future__ import annotations

import numpy as np

from lead_framework.sensors import Pose
from lead_sim.sensors.camera import CameraImages, CameraView
from lead_sim.sensors.configs import CameraConfig
from lead_sim.sensors.errors import SensorConfigError

#: Cameras and LiDARs see the ground as a plane below them, so they must sit above it.
MIN_HEIGHT_M = 0.1


class CameraSensor:
    product = ""
    label = False

    def __init__(self, config: CameraConfig, pose: Pose = Pose(z=MIN_HEIGHT_M)):
        if pose.z < MIN_HEIGHT_M:
            raise SensorConfigError(f"pose z = {pose.z} m: cameras must be mounted at least {MIN_HEIGHT_M} m above the ground")
        self.config, self.pose = config, pose

    @property
    def view_key(self) -> tuple:
        """Cameras with equal keys share one rendering per tick."""
        return (self.pose, self.config.width, self.config.height, self.config.fov)

    def make_view(self) -> CameraView:
        return CameraView(self.pose, self.config.width, self.config.height, self.config.fov)

    def pick(self, images: CameraImages) -> np.ndarray:
        return getattr(images, self.product)


class RgbCamera(CameraSensor):
    """Colour image (BGRA)."""

    product = "rgb"


class SemanticCamera(CameraSensor):
    """CARLA semantic tags in the red channel (BGRA)."""

    product = "semantic"
    label = True


class DepthCamera(CameraSensor):
    """CARLA-encoded depth (BGRA)."""

    product = "depth"
    label = True
