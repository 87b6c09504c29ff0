"""What every sensor of one ``read`` shares: the scene, the ego's pose and the boxes to render."""

from __future__ import annotations

import functools

import attrs
import carla
import numpy as np

from lead_sim.scene import EGO_INDEX, Scene
from lead_sim.sensors.solids import Solids, scene_solids
from lead_sim.sensors.transforms import vehicle_matrix
from lead_sim.sensors.world_raster import GroundRaster


@attrs.define(slots=False)
class FrameContext:
    """One tick's shared inputs; derived data is computed on first use."""

    scene: Scene
    frame: int
    raster: GroundRaster
    town: carla.Map
    #: Visible pixels per actor row, summed over the cameras rendered this tick (for box labels).
    camera_pixels: dict[int, int] = attrs.field(factory=dict)
    #: LiDAR returns per actor row, summed over the LiDARs read this tick (for box labels).
    lidar_hits: dict[int, int] = attrs.field(factory=dict)
    lidar_read: bool = False
    cameras_read: bool = False

    @functools.cached_property
    def ego_matrix(self) -> np.ndarray:
        """4x4 ego vehicle-to-world (origin on the ground below the box centre)."""
        actors = self.scene.actors
        return vehicle_matrix(actors.position[EGO_INDEX], float(actors.yaw[EGO_INDEX]), float(actors.extent[EGO_INDEX, 2]))

    @functools.cached_property
    def solids(self) -> Solids:
        return scene_solids(self.scene)

    @functools.cached_property
    def solid_corners(self) -> np.ndarray:
        return self.solids.corners()

    def add_counts(self, target: dict[int, int], rows: np.ndarray, counts: np.ndarray) -> None:
        """Accumulate per-solid counts onto actor rows (solids of lights and signs have row -1)."""
        for row, count in zip(rows.tolist(), counts.tolist()):
            if row >= 0 and count:
                target[row] = target.get(row, 0) + int(count)
